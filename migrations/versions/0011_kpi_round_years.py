"""KPI change counts for rounds counted by their dates under activity filters.

Under a kind, modality or item filter, 3-(f) keeps the rounds about matching activities
whatever plan year the activity belongs to: a follow-up of a 2024-2025 workshop that runs
in October 2025 counts in 2025-2026 under that workshop's kind. A change to an activity
(its kind, modality), to its items, or to a work-plan item's code can therefore move the
figures of every plan year a round about that activity overlaps, not only the activity's
own: the triggers of those three tables now add to those years too.

Revision ID: 0011_kpi_round_years
Revises: 0010_interop
Create Date: 2026-12-02
"""

import importlib.util
from pathlib import Path

from alembic import op

# revision identifiers, used by Alembic.
revision = '0011_kpi_round_years'
down_revision = '0010_interop'
branch_labels = None
depends_on = None

_spec = importlib.util.spec_from_file_location(
    '_migration_0009', Path(__file__).with_name('0009_reporting.py')
)
_0009 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_0009)

# The plan years the rounds about the activities {activities} (a query of activity ids
# over the changed rows x) overlap.
_ROUNDS_OF = (
    " UNION SELECT y.id AS plan_year_id FROM {rows} x "
    "JOIN survey_rounds sr ON sr.activity_id = {activity} "
    "JOIN plan_years y ON y.starts_on <= COALESCE(sr.closes_on, '9999-12-31') "
    "AND y.ends_on >= sr.opens_on"
)
_ITEM_ROUNDS = (
    " UNION SELECT y.id AS plan_year_id FROM {rows} x "
    "JOIN activity_items ai ON ai.work_plan_item_id = x.id "
    "JOIN survey_rounds sr ON sr.activity_id = ai.activity_id "
    "JOIN plan_years y ON y.starts_on <= COALESCE(sr.closes_on, '9999-12-31') "
    "AND y.ends_on >= sr.opens_on"
)


def _widened():
    """(table, columns the years read, counted columns, years) of the three tables."""
    old = _0009.TRACKED
    return {
        'activities': (
            ('id', 'plan_year_id'),
            old['activities'][1],
            old['activities'][2] + _ROUNDS_OF.replace('{activity}', 'x.id'),
        ),
        'activity_items': (
            old['activity_items'][0],
            old['activity_items'][1],
            old['activity_items'][2] + _ROUNDS_OF.replace('{activity}', 'x.activity_id'),
        ),
        'work_plan_items': (
            ('id', 'plan_year_id'),
            old['work_plan_items'][1],
            old['work_plan_items'][2] + _ITEM_ROUNDS,
        ),
    }


def _replace(definitions):
    dialect = op.get_bind().dialect.name
    for table, (reads, counted, years) in definitions.items():
        for name in ('insert', 'update', 'delete'):
            if dialect == 'postgresql':
                op.execute(f"DROP TRIGGER IF EXISTS kpi_changes_{table}_{name} ON {table}")
            else:
                op.execute(f"DROP TRIGGER IF EXISTS kpi_changes_{table}_{name}")
        if dialect == 'postgresql':
            _0009._postgresql_triggers(table, counted, years, plan_year=False)
        else:
            _0009._sqlite_triggers(table, reads, counted, years, plan_year=False)


def upgrade():
    _replace(_widened())


def downgrade():
    _replace({table: _0009.TRACKED[table] for table in _widened()})
