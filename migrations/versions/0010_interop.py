"""Interoperability: when participants, rounds and invitations last changed
(``updated_at``, moved by every UPDATE through the models), and indexes that read
activities, participants, rounds and a round's invitations in the order they changed:
the API's pages and incremental pulls.

Existing rows get the last moment they are known to have changed: a participant its
erasure or creation, an invitation its submission, start, opening or creation, a round its
creation. The column is added NOT NULL with a constant server default, which SQLite
accepts in ALTER TABLE ADD COLUMN without copying the table (a copy would drop the
triggers of 0009_reporting), and keeps (changing it would need the copy). On PostgreSQL
the default becomes now(), so that rows written outside the models (COPY in bench/, SQL by
hand) get the moment they were written; the models always give the value themselves.

Revision ID: 0010_interop
Revises: 0009_reporting
Create Date: 2026-12-02

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010_interop'
down_revision = '0009_reporting'
branch_labels = None
depends_on = None

_BACKFILL = {
    'participants': 'COALESCE(erased_at, created_at)',
    'invitations': 'COALESCE(submitted_at, started_at, opened_at, created_at)',
    'survey_rounds': 'created_at',
}
_INDEXES = [
    ('ix_participants_updated_at_id', 'participants', ['updated_at', 'id']),
    ('ix_invitations_round_id_updated_at', 'invitations', ['round_id', 'updated_at', 'id']),
    ('ix_survey_rounds_updated_at_id', 'survey_rounds', ['updated_at', 'id']),
    ('ix_activities_updated_at_id', 'activities', ['updated_at', 'id']),
]


def upgrade():
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for table, moment in _BACKFILL.items():
        op.add_column(
            table,
            sa.Column(
                'updated_at',
                sa.DateTime(timezone=True),
                nullable=False,
                server_default=sa.text("'1970-01-01 00:00:00'"),
            ),
        )
        op.execute(f'UPDATE {table} SET updated_at = {moment}')
        if postgresql:
            op.alter_column(table, 'updated_at', server_default=sa.text('now()'))
    for name, table, columns in _INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade():
    for name, table, _columns in reversed(_INDEXES):
        op.drop_index(name, table_name=table)
    for table in reversed(list(_BACKFILL)):
        op.drop_column(table, 'updated_at')
