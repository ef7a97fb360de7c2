"""A user's language: contact points get their emails (and pages, once logged in) in it.

Revision ID: 0013_user_language
Revises: 0012_languages
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013_user_language'
down_revision = '0012_languages'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('language')
