"""KPI indexes: submitted responses by round (partial; on PostgreSQL it also carries
member_id, so the KPIs count and join them from the index alone), and invitations by round
carrying member_id and submitted_at on PostgreSQL.

Revision ID: 0006_kpi_indexes
Revises: 0005_response_order
Create Date: 2026-12-01

"""

import sqlalchemy as sa
from alembic import op

revision = "0006_kpi_indexes"
down_revision = "0005_response_order"
branch_labels = None
depends_on = None

SUBMITTED = sa.text("status = 'submitted'")


def upgrade():
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.create_index(
            "ix_responses_submitted_round",
            ["round_id", "id"],
            unique=False,
            postgresql_where=SUBMITTED,
            sqlite_where=SUBMITTED,
            postgresql_include=["member_id"],
        )
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_index("ix_invitations_round_id")
        batch_op.create_index(
            "ix_invitations_round_id",
            ["round_id"],
            unique=False,
            postgresql_include=["member_id", "submitted_at"],
        )


def downgrade():
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_index("ix_invitations_round_id")
        batch_op.create_index("ix_invitations_round_id", ["round_id"], unique=False)
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_index("ix_responses_submitted_round")
