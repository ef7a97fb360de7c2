"""Languages: a participant's preferred language, and message texts per language.

A participant may have a preferred language (two-letter code): their personal links open
the questionnaire in it and their emails are written in it. Staff-edited message texts
are kept per kind of message and language (the texts stored so far are the English ones).

Revision ID: 0012_languages
Revises: 0011_kpi_round_years
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012_languages'
down_revision = '0011_kpi_round_years'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))
    with op.batch_alter_table('email_templates', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('language', sa.String(length=8), server_default='en', nullable=False)
        )
        batch_op.drop_constraint('uq_email_templates_kind', type_='unique')
        batch_op.create_unique_constraint(
            batch_op.f('uq_email_templates_kind_language'), ['kind', 'language']
        )


def downgrade():
    op.execute("DELETE FROM email_templates WHERE language <> 'en'")
    with op.batch_alter_table('email_templates', schema=None) as batch_op:
        batch_op.drop_constraint('uq_email_templates_kind_language', type_='unique')
        batch_op.create_unique_constraint('uq_email_templates_kind', ['kind'])
        batch_op.drop_column('language')
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_column('language')
