"""scheduled jobs are claimed with a lease

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-09

Several bot processes may share one PostgreSQL database. A process that takes a due job writes
its own token in ``claimed_by`` and how long the claim holds in ``lease_until``; the others leave
the job alone until then, so each job runs once, and a job whose process died is taken over
when its lease has run out. Existing rows start unclaimed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.storage.types


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = bot.storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('scheduled_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('lease_until', UTC, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('scheduled_jobs', schema=None) as batch_op:
        batch_op.drop_column('lease_until')
        batch_op.drop_column('claimed_by')
