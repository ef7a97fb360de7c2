"""The KPI JSON does not depend on the database engine.

The hand-computed year of tests/kpi_world.py is built twice: once in the database of this
run (PostgreSQL when ``TEST_DATABASE_URL`` names one, as the second stage of CI does) and
once in a SQLite file of its own. The API documents of both, for every filter, must be the
same JSON text, so a ``Decimal`` against a ``float``, ``1`` against ``1.0``, a different
rounding or a different order of the uncovered needs all fail here.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.kpis.figures import compute_kpis
from app.kpis.findings import FindingRules, add_action, refresh_findings
from app.kpis.results_register import review_result
from app.kpis.scope import KpiFilters
from app.models import Base, Finding, ResultStatus, TangibleResult
from app.workplan.members import load_reference_members
from tests import factories
from tests.factories import UserFactory
from tests.kpi_world import TODAY, build

FILTERS = [
    {},
    {"member": "FJI"},
    {"member": "NPL"},
    {"subregion": "south_asia"},
    {"item": "1-(q)"},
    {"kind": "national_workshop"},
    {"kind": "regional_workshop"},
    {"modality": "virtual"},
    {"member": "FJI", "modality": "in_person"},
]


def _documents(session: Session) -> list[str]:
    """Populate the year the same way in any database and return the JSON of each filter."""
    build(session)
    reviewer = UserFactory(role="staff")
    results = session.scalars(sa.select(TangibleResult).order_by(TangibleResult.id)).all()
    review_result(session, results[0], ResultStatus.VERIFIED, reviewer)
    review_result(session, results[1], ResultStatus.REJECTED, reviewer, "Not yet adopted.")
    refresh_findings(
        session, "2025-2026", FindingRules(low_score=3.5, barrier_min_reports=2), TODAY
    )
    finding = session.scalar(sa.select(Finding).where(Finding.key == "uncovered_need:NPL:aeo"))
    add_action(session, finding, "Add a national AEO workshop for Nepal.", None)
    return [
        json.dumps(
            compute_kpis(session, "2025-2026", KpiFilters(**filters), 3, TODAY).as_api(),
            sort_keys=True,
        )
        for filters in FILTERS
    ]


@pytest.fixture()
def sqlite_session(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'kpis.sqlite3'}")
    Base.metadata.create_all(engine)
    with Session(engine) as other:
        load_reference_members(other)
        other.commit()
        yield other
    engine.dispose()


def test_the_same_year_gives_the_same_json_on_sqlite(session, sqlite_session):
    here = _documents(session)
    factories.use_session(sqlite_session)
    try:
        there = _documents(sqlite_session)
    finally:
        factories.use_session(session)
    assert [json.loads(doc)["filters"] for doc in here] == [
        json.loads(doc)["filters"] for doc in there
    ]
    for filters, mine, theirs in zip(FILTERS, here, there, strict=True):
        assert mine == theirs, f"KPI JSON differs for filters {filters}"
    # The comparison is not vacuous: the year has figures in every KPI.
    overall = json.loads(here[0])
    assert overall["activities"]["delivered"] == 2
    assert overall["evaluation"]["overall_mean"] is not None
    assert overall["post_action"]["actions"] == 1
    assert overall["tangible_results"]["verified"] == 1
