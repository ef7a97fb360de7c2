"""Reporting: closed plan years' KPIs kept in the database (kpi_cache), the count of
changes to each year's data (kpi_changes) that tells when a kept report is out of date,
and a round's invitations indexed by name (its staff page shows them a page at a time).

Triggers count the changes, so that every writer is seen: each app instance or process,
the commands, and SQL typed by hand. A change to a row that a KPI reads (an answer, a
response, an invitation, a round, an activity and its items, Members and participants, a
participant, a Member, a tangible result, a finding and its actions, a work-plan item, a
questionnaire version, the dates of a plan year) adds one to every plan year whose
figures the row can move. On PostgreSQL each statement adds to a row of its own
transaction (plan year, txid): writers never wait on each other, and a reader sums the
rows it sees; on SQLite, whose writers take turns anyway, each row change adds to one row
per plan year (txid 0).

SQLite drops a table's triggers when a batch migration copies the table: a later
revision that does so must create them again (tests/kpis/test_cache.py checks they exist).

Revision ID: 0009_reporting
Revises: 0008_operations
Create Date: 2026-12-02

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009_reporting'
down_revision = '0008_operations'
branch_labels = None
depends_on = None

# The plan years a round's rows count in: its own, and every year its dates overlap
# (KPI 3-(f) counts the rounds open during a year, whichever year they belong to).
_ROUND_YEARS = (
    "SELECT y.id AS plan_year_id FROM {rows} x JOIN survey_rounds sr ON sr.id = x.round_id "
    "JOIN plan_years y ON y.id = sr.plan_year_id OR (y.starts_on <= "
    "COALESCE(sr.closes_on, '9999-12-31') AND y.ends_on >= sr.opens_on)"
)
_ACTIVITY_YEARS = "SELECT a.plan_year_id AS plan_year_id FROM {rows} x JOIN activities a ON a.id = x.activity_id"
_OWN_YEAR = "SELECT x.plan_year_id AS plan_year_id FROM {rows} x"

# table: (the columns the query reads from the changed rows, the columns whose update
# counts (None: any update), the plan years the changed rows {rows} touch)
TRACKED = {
    'answers': (
        ('response_id',),
        (
            'response_id', 'question_key', 'entry', 'item', 'value_text', 'value_number',
            'value_date', 'value_choice',
        ),
        "SELECT sr.plan_year_id AS plan_year_id FROM {rows} x JOIN responses r ON r.id = x.response_id "
        "JOIN survey_rounds sr ON sr.id = r.round_id",
    ),
    'responses': (('round_id',), ('round_id', 'status', 'member_id'), _ROUND_YEARS),
    'invitations': (('round_id',), ('round_id', 'member_id', 'submitted_at'), _ROUND_YEARS),
    'survey_rounds': (
        ('plan_year_id', 'opens_on', 'closes_on'),
        ('version_id', 'kind', 'plan_year_id', 'activity_id', 'status', 'opens_on', 'closes_on'),
        "SELECT y.id AS plan_year_id FROM {rows} x JOIN plan_years y ON y.id = x.plan_year_id OR "
        "(y.starts_on <= COALESCE(x.closes_on, '9999-12-31') AND y.ends_on >= x.opens_on)",
    ),
    'activities': (
        ('plan_year_id',),
        ('plan_year_id', 'kind', 'modality', 'status', 'experts', 'accredited_experts'),
        _OWN_YEAR,
    ),
    'activity_items': (('activity_id',), None, _ACTIVITY_YEARS),
    'activity_members': (('activity_id',), None, _ACTIVITY_YEARS),
    'attendances': (('activity_id',), ('activity_id', 'participant_id'), _ACTIVITY_YEARS),
    'participants': (
        ('id',),
        ('member_id', 'gender'),
        "SELECT a.plan_year_id AS plan_year_id FROM {rows} x JOIN attendances t ON t.participant_id = x.id "
        "JOIN activities a ON a.id = t.activity_id",
    ),
    'members': (
        ('id',),
        ('code', 'subregion', 'is_small_island_economy'),
        "SELECT y.id AS plan_year_id FROM plan_years y WHERE EXISTS (SELECT 1 FROM {rows} x)",
    ),
    'tangible_results': (
        ('plan_year_id',),
        ('plan_year_id', 'activity_id', 'member_id', 'status', 'category'),
        _OWN_YEAR,
    ),
    'findings': (('plan_year_id',), ('plan_year_id', 'activity_id', 'member_id'), _OWN_YEAR),
    'planning_actions': (
        ('finding_id',),
        ('finding_id',),
        "SELECT f.plan_year_id AS plan_year_id FROM {rows} x JOIN findings f ON f.id = x.finding_id",
    ),
    'work_plan_items': (
        ('plan_year_id',),
        ('plan_year_id', 'code', 'pillar', 'position'),
        _OWN_YEAR,
    ),
    'questionnaire_versions': (
        ('id',),
        None,
        "SELECT sr.plan_year_id AS plan_year_id FROM {rows} x JOIN survey_rounds sr ON sr.version_id = x.id",
    ),
}
# A plan year's own row: only a change of its dates (a year being deleted takes its
# counts with it).
PLAN_YEARS = (('id',), ('starts_on', 'ends_on'), "SELECT x.id AS plan_year_id FROM {rows} x")

_ADD = (
    "INSERT INTO kpi_changes (plan_year_id, txid, changes) "
    "SELECT DISTINCT t.plan_year_id, {txid}, 1 FROM ({years}) AS t "
    "WHERE t.plan_year_id IS NOT NULL "
    "ON CONFLICT (plan_year_id, txid) DO UPDATE SET changes = kpi_changes.changes + 1"
)


def upgrade():
    op.create_table(
        'kpi_changes',
        sa.Column('plan_year_id', sa.Integer(), nullable=False),
        sa.Column('txid', sa.BigInteger(), nullable=False),
        sa.Column('changes', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ['plan_year_id'],
            ['plan_years.id'],
            name=op.f('fk_kpi_changes_plan_year_id_plan_years'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('plan_year_id', 'txid', name=op.f('pk_kpi_changes')),
    )
    op.create_table(
        'kpi_cache',
        sa.Column('plan_year_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('revision', sa.BigInteger(), nullable=False),
        sa.Column('report', sa.JSON(), nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['plan_year_id'],
            ['plan_years.id'],
            name=op.f('fk_kpi_cache_plan_year_id_plan_years'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('plan_year_id', 'key', name=op.f('pk_kpi_cache')),
    )
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index(
            'ix_invitations_round_id_name', ['round_id', 'name', 'id'], unique=False
        )
    dialect = op.get_bind().dialect.name
    tracked = {**TRACKED, 'plan_years': PLAN_YEARS}
    for table, (reads, counted, years) in tracked.items():
        if dialect == 'postgresql':
            _postgresql_triggers(table, counted, years, plan_year=table == 'plan_years')
        else:
            _sqlite_triggers(table, reads, counted, years, plan_year=table == 'plan_years')


def _postgresql_triggers(table, counted, years, plan_year):
    """One statement trigger per event, with the statement's rows as transition tables;
    an update counts the rows whose counted columns changed (before and after)."""
    add = _ADD.replace('{txid}', 'txid_current()')
    if counted is None:
        changed_new, changed_old = 'new_rows', 'old_rows'
    else:
        differ = (
            f"FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE "
            f"ROW({', '.join('n.' + c for c in counted)}) IS DISTINCT FROM "
            f"ROW({', '.join('o.' + c for c in counted)})"
        )
        changed_new = f"(SELECT n.* {differ})"
        changed_old = f"(SELECT o.* {differ})"
    inserted = add.format(years=years.format(rows='new_rows'))
    deleted = add.format(years=years.format(rows='old_rows'))
    updated = add.format(
        years=years.format(rows=changed_new) + ' UNION ' + years.format(rows=changed_old)
    )
    op.execute(
        f"CREATE OR REPLACE FUNCTION kpi_changes_{table}() RETURNS trigger AS $$ BEGIN "
        f"IF TG_OP = 'INSERT' THEN {inserted}; "
        f"ELSIF TG_OP = 'DELETE' THEN {deleted}; "
        f"ELSE {updated}; END IF; RETURN NULL; END; $$ LANGUAGE plpgsql"
    )
    events = [('update', 'UPDATE', 'OLD TABLE AS old_rows NEW TABLE AS new_rows')]
    if not plan_year:
        events += [
            ('insert', 'INSERT', 'NEW TABLE AS new_rows'),
            ('delete', 'DELETE', 'OLD TABLE AS old_rows'),
        ]
    for name, event, transition in events:
        op.execute(
            f"CREATE TRIGGER kpi_changes_{table}_{name} AFTER {event} ON {table} "
            f"REFERENCING {transition} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION kpi_changes_{table}()"
        )


def _sqlite_triggers(table, reads, counted, years, plan_year):
    """Row triggers: the changed row's columns as a one-row subquery."""
    add = _ADD.replace('{txid}', '0')

    def rows(which):
        return '(SELECT ' + ', '.join(f'{which}.{c} AS {c}' for c in reads) + ')'

    events = []
    if not plan_year:
        events += [
            ('insert', 'INSERT', '', add.format(years=years.format(rows=rows('NEW')))),
            ('delete', 'DELETE', '', add.format(years=years.format(rows=rows('OLD')))),
        ]
    of = f" OF {', '.join(counted)}" if counted else ''
    when = (
        ' WHEN ' + ' OR '.join(f'NEW.{c} IS NOT OLD.{c}' for c in counted) if counted else ''
    )
    both = years.format(rows=rows('NEW')) + ' UNION ' + years.format(rows=rows('OLD'))
    events.append(('update', f'UPDATE{of}', when, add.format(years=both)))
    for name, event, condition, statement in events:
        op.execute(
            f"CREATE TRIGGER kpi_changes_{table}_{name} AFTER {event} ON {table}{condition} "
            f"BEGIN {statement}; END"
        )


def downgrade():
    dialect = op.get_bind().dialect.name
    for table in [*TRACKED, 'plan_years']:
        for name in ('insert', 'update', 'delete'):
            if dialect == 'postgresql':
                op.execute(f"DROP TRIGGER IF EXISTS kpi_changes_{table}_{name} ON {table}")
            else:
                op.execute(f"DROP TRIGGER IF EXISTS kpi_changes_{table}_{name}")
        if dialect == 'postgresql':
            op.execute(f"DROP FUNCTION IF EXISTS kpi_changes_{table}()")
    op.drop_table('kpi_cache')
    op.drop_table('kpi_changes')
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index('ix_invitations_round_id_name')
