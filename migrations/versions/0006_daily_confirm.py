"""daily deliveries: where each post goes, and when its outcome was recorded

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

A claim is now made, sent and then *confirmed* (``confirmed_at``, set whether the send worked or
failed); a claim left unconfirmed by a crash is reconciled on start. ``channel_id`` keeps the
channel a guild post was sent to, so reconciling looks in the right place even if the daily
channel changed meanwhile. Existing claims are old and settled one way or the other: they are
marked confirmed, so none of them is sent again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.storage.types


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = bot.storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('daily_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel_id', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('confirmed_at', UTC, nullable=True))
        batch_op.create_index('ix_daily_deliveries_unconfirmed', ['confirmed_at'], unique=False)
    op.execute(
        'UPDATE daily_deliveries SET confirmed_at = COALESCE(delivered_at, claimed_at)'
    )


def downgrade() -> None:
    with op.batch_alter_table('daily_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_daily_deliveries_unconfirmed')
        batch_op.drop_column('confirmed_at')
        batch_op.drop_column('channel_id')
