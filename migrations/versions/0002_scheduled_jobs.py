"""one table of due jobs for every feature

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02

The interview deadlines (``deadlines``) and the peer-mock timers (``peer_timers``) become rows
of ``scheduled_jobs``: ``interview.<kind>`` keyed ``<session>:<position>`` and ``peer.<kind>``
keyed by the invitation or pair id. Pending rows are carried over, then the old tables dropped.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.storage.types


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = bot.storage.types.UTCDateTime(timezone=True)

jobs = sa.table(
    'scheduled_jobs',
    sa.column('scope', sa.String),
    sa.column('kind', sa.String),
    sa.column('key', sa.String),
    sa.column('due_at', UTC),
    sa.column('attempts', sa.Integer),
)
deadlines = sa.table(
    'deadlines',
    sa.column('scope', sa.String),
    sa.column('kind', sa.String),
    sa.column('session_id', sa.Integer),
    sa.column('position', sa.Integer),
    sa.column('due_at', UTC),
)
peer_timers = sa.table(
    'peer_timers',
    sa.column('kind', sa.String),
    sa.column('ref_id', sa.BigInteger),
    sa.column('due_at', UTC),
)


def upgrade() -> None:
    op.create_table('scheduled_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=48), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('due_at', UTC, nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('failed_at', UTC, nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduled_jobs')),
    sa.UniqueConstraint('kind', 'key', name=op.f('uq_scheduled_jobs_kind'))
    )
    with op.batch_alter_table('scheduled_jobs', schema=None) as batch_op:
        batch_op.create_index('ix_scheduled_jobs_pending', ['scope', 'failed_at', 'due_at'], unique=False)

    op.execute(jobs.insert().from_select(
        ['scope', 'kind', 'key', 'due_at', 'attempts'],
        sa.select(
            deadlines.c.scope,
            sa.literal('interview.', sa.String) + deadlines.c.kind,
            sa.cast(deadlines.c.session_id, sa.String) + sa.literal(':', sa.String)
            + sa.cast(deadlines.c.position, sa.String),
            deadlines.c.due_at,
            sa.literal(0, sa.Integer),
        ),
    ))
    op.execute(jobs.insert().from_select(
        ['scope', 'kind', 'key', 'due_at', 'attempts'],
        sa.select(
            sa.literal('discord', sa.String),
            sa.literal('peer.', sa.String) + peer_timers.c.kind,
            sa.cast(peer_timers.c.ref_id, sa.String),
            peer_timers.c.due_at,
            sa.literal(0, sa.Integer),
        ),
    ))

    with op.batch_alter_table('peer_timers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_peer_timers_due_at'))
    op.drop_table('peer_timers')
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deadlines_due_at'))
    op.drop_table('deadlines')


def downgrade() -> None:
    op.create_table('deadlines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('due_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['interview_sessions.id'], name=op.f('fk_deadlines_session_id_interview_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadlines')),
    sa.UniqueConstraint('session_id', 'position', 'kind', name=op.f('uq_deadlines_session_id'))
    )
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadlines_due_at'), ['due_at'], unique=False)
    op.create_table('peer_timers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('ref_id', sa.BigInteger(), nullable=False),
    sa.Column('due_at', UTC, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_peer_timers')),
    sa.UniqueConstraint('kind', 'ref_id', name=op.f('uq_peer_timers_kind'))
    )
    with op.batch_alter_table('peer_timers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_peer_timers_due_at'), ['due_at'], unique=False)

    # Pending jobs of the two old kinds go back; failed jobs and other kinds have no old home.
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(jobs.c.scope, jobs.c.kind, jobs.c.key, jobs.c.due_at)
        .select_from(jobs)
        .where(sa.text('failed_at IS NULL'))
    ).all()
    existing = {r[0] for r in bind.execute(sa.text('SELECT id FROM interview_sessions'))}
    old_deadlines, old_timers = [], []
    for scope, kind, key, due_at in rows:
        if kind.startswith('interview.'):
            session_id, position = (int(part) for part in key.split(':'))
            if session_id in existing:
                old_deadlines.append({'scope': scope, 'kind': kind.removeprefix('interview.'),
                                      'session_id': session_id, 'position': position,
                                      'due_at': due_at})
        elif kind.startswith('peer.'):
            old_timers.append({'kind': kind.removeprefix('peer.'), 'ref_id': int(key),
                               'due_at': due_at})
    if old_deadlines:
        op.bulk_insert(deadlines, old_deadlines)
    if old_timers:
        op.bulk_insert(peer_timers, old_timers)

    with op.batch_alter_table('scheduled_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_scheduled_jobs_pending')
    op.drop_table('scheduled_jobs')
