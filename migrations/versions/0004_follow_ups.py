"""follow-ups: a session's switch, and per answer the follow-up asked and where its reply starts

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('interview_sessions') as batch:
        batch.add_column(
            sa.Column('follow_ups', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table('answers') as batch:
        batch.add_column(sa.Column('follow_up', sa.Text(), nullable=True))
        batch.add_column(sa.Column('follow_up_from', sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column('follow_up_skipped', sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('answers') as batch:
        batch.drop_column('follow_up_skipped')
        batch.drop_column('follow_up_from')
        batch.drop_column('follow_up')
    with op.batch_alter_table('interview_sessions') as batch:
        batch.drop_column('follow_ups')
