"""follow-ups: who asked each one (the AI interviewer or the bank) and why the AI did not

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04

``follow_up_by`` is "ai" or "bank" once a follow-up was asked (rows from before stay null: the
bank asked them); ``follow_up_unavailable`` is why the AI interviewer, on for the session, did
not ask it ("" otherwise).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('answers') as batch:
        batch.add_column(sa.Column('follow_up_by', sa.String(length=8), nullable=True))
        batch.add_column(sa.Column('follow_up_unavailable', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('answers') as batch:
        batch.drop_column('follow_up_unavailable')
        batch.drop_column('follow_up_by')
