"""Responses: one index on (round_id, id) instead of round_id alone, so a round's
responses are read in id order without sorting them (exports read them in batches).

Revision ID: 0005_response_order
Revises: 0004_kpis
Create Date: 2026-11-29

"""

from alembic import op

revision = "0005_response_order"
down_revision = "0004_kpis"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.create_index("ix_responses_round_id_id", ["round_id", "id"], unique=False)
        batch_op.drop_index("ix_responses_round_id")


def downgrade():
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.create_index("ix_responses_round_id", ["round_id"], unique=False)
        batch_op.drop_index("ix_responses_round_id_id")
