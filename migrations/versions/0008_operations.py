"""Operations: the dispatch's runs (when, where, how each ended), read by /readyz and the
staff round pages.

Revision ID: 0008_operations
Revises: 0007_trust
Create Date: 2026-12-02

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008_operations'
down_revision = '0007_trust'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'dispatch_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('host', sa.String(length=200), nullable=False),
        sa.Column('outcome', sa.String(length=20), nullable=False),
        sa.Column('sent', sa.Integer(), nullable=False),
        sa.Column('failed', sa.Integer(), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_dispatch_runs')),
    )
    with op.batch_alter_table('dispatch_runs', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_dispatch_runs_started_at'), ['started_at'], unique=False
        )


def downgrade():
    with op.batch_alter_table('dispatch_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dispatch_runs_started_at'))
    op.drop_table('dispatch_runs')
