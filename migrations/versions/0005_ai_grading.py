"""the AI interviewer: per-guild switch, marks per answer, session notes, notices, token usage

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.storage.types

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = bot.storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('guild_settings', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('ai_enabled', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table('ai_marks',
    sa.Column('answer_id', sa.Integer(), nullable=False),
    sa.Column('scorer_score', sa.Integer(), nullable=True),
    sa.Column('decisions', sa.JSON(), nullable=False),
    sa.Column('feedback', sa.Text(), nullable=False),
    sa.Column('unavailable', sa.String(length=200), nullable=False),
    sa.Column('tokens', sa.Integer(), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['answer_id'], ['answers.id'], name=op.f('fk_ai_marks_answer_id_answers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('answer_id', name=op.f('pk_ai_marks'))
    )
    op.create_table('ai_session_notes',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('feedback', sa.Text(), nullable=False),
    sa.Column('unavailable', sa.String(length=200), nullable=False),
    sa.Column('tokens', sa.Integer(), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['interview_sessions.id'], name=op.f('fk_ai_session_notes_session_id_interview_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', name=op.f('pk_ai_session_notes'))
    )
    op.create_table('ai_notices',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('guild_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('notified_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_ai_notices_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'guild_id', name=op.f('pk_ai_notices'))
    )
    op.create_table('ai_token_usage',
    sa.Column('guild_key', sa.String(length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('tokens', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('guild_key', 'day', name=op.f('pk_ai_token_usage'))
    )


def downgrade() -> None:
    op.drop_table('ai_token_usage')
    op.drop_table('ai_notices')
    op.drop_table('ai_session_notes')
    op.drop_table('ai_marks')
    with op.batch_alter_table('guild_settings', schema=None) as batch_op:
        batch_op.drop_column('ai_enabled')
