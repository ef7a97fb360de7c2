"""Closed plan years' KPIs kept in the database (app/kpis/cache.py): served while the
year's data is unchanged, computed again after any change to it, by anyone."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy import func, select, text, update

from app import create_app
from app.extensions import db
from app.kpis import cache
from app.kpis.cache import report_from_json, report_to_json, year_kpis, year_revision
from app.kpis.figures import compute_kpis
from app.kpis.results_register import review_result
from app.kpis.scope import KpiFilters
from app.models import (
    Activity,
    ActivityStatus,
    Answer,
    Base,
    Gender,
    Invitation,
    KpiCache,
    KpiChange,
    Participant,
    ResultStatus,
    TangibleResult,
)
from app.workplan.members import load_reference_members
from tests import factories
from tests.conftest import fresh_database_url
from tests.factories import ActivityFactory, UserFactory, plan_year
from tests.kpi_world import build, previous_years_workshop

# The day after 2025-2026 ended: the year is closed; its figures are those of TODAY.
CLOSED = date(2026, 7, 1)
TRACKED = [
    "answers",
    "responses",
    "invitations",
    "survey_rounds",
    "activities",
    "activity_items",
    "activity_members",
    "attendances",
    "participants",
    "members",
    "tangible_results",
    "findings",
    "planning_actions",
    "work_plan_items",
    "questionnaire_versions",
]


@pytest.fixture()
def world(session):
    return build(session)


@pytest.fixture()
def computed(monkeypatch):
    """The years the cache had to compute (a report it served is not in the list)."""
    years: list[str] = []
    real = cache.compute_kpis

    def counting(session, year, *args, **kwargs):
        years.append(getattr(year, "label", year))
        return real(session, year, *args, **kwargs)

    monkeypatch.setattr(cache, "compute_kpis", counting)
    return years


def served(session, **filters):
    return year_kpis(session, "2025-2026", KpiFilters(**filters), 3, CLOSED)


def fresh(session, **filters):
    return compute_kpis(session, "2025-2026", KpiFilters(**filters), 3, CLOSED)


def test_a_closed_year_is_computed_once_then_read_back(session, world, computed):
    first = served(session)
    assert computed == ["2025-2026"]
    again = served(session)
    assert computed == ["2025-2026"]
    assert again == first == fresh(session)
    assert again.as_api() == first.as_api()
    assert again.evaluation_by_activity == first.evaluation_by_activity  # int keys kept
    assert session.scalar(select(func.count()).select_from(KpiCache)) == 1
    # Other filters, settings or no breakdown are reports of their own.
    assert served(session, member="FJI") == fresh(session, member="FJI")
    assert year_kpis(session, "2025-2026", KpiFilters(), 5, CLOSED) == compute_kpis(
        session, "2025-2026", KpiFilters(), 5, CLOSED
    )
    totals = year_kpis(session, "2025-2026", KpiFilters(), 3, CLOSED, breakdown=False)
    assert totals.as_api() == first.as_api()
    assert computed == ["2025-2026"] * 4
    served(session, member="FJI")
    assert len(computed) == 4


def test_the_open_year_is_always_computed(session, world, computed):
    today = date(2026, 6, 30)  # the year's last day: still open
    for _ in range(2):
        year_kpis(session, "2025-2026", KpiFilters(), 3, today)
    assert computed == ["2025-2026", "2025-2026"]
    assert session.scalar(select(func.count()).select_from(KpiCache)) == 0


def _answer(session, world, key):
    return session.scalar(
        select(Answer).where(
            Answer.response_id == world.responses[("E1", "p1")].id, Answer.question_key == key
        )
    )


def test_changing_an_answer_changes_the_figures(session, world, computed):
    before = served(session)
    answer = _answer(session, world, "overall_satisfaction")
    answer.value_number = Decimal(1)  # was 5
    session.flush()
    after = served(session)
    assert computed == ["2025-2026", "2025-2026"]
    assert after == fresh(session)
    assert after.evaluation.overall_mean != before.evaluation.overall_mean
    assert after.evaluation.distribution["1"] == before.evaluation.distribution["1"] + 1


def test_changing_a_participant_changes_the_figures(session, world, computed):
    before = served(session)
    person = session.scalar(select(Participant).where(Participant.name == "p2"))
    person.gender = Gender.FEMALE
    session.flush()
    after = served(session)
    assert after == fresh(session)
    assert before.activities["women_share"] == 0.6
    assert after.activities["women_share"] == 0.8


def test_changing_an_activity_changes_the_figures(session, world, computed):
    before = served(session)
    world.activities["A2"].status = ActivityStatus.CANCELLED
    session.flush()
    after = served(session)
    assert after == fresh(session)
    assert (before.activities["delivered"], after.activities["delivered"]) == (2, 1)


def test_reviewing_a_result_changes_the_figures(session, world, computed):
    before = served(session)
    result = session.scalars(select(TangibleResult).order_by(TangibleResult.id)).first()
    review_result(session, result, ResultStatus.VERIFIED, UserFactory(role="staff"))
    session.flush()
    after = served(session)
    assert after == fresh(session)
    assert (before.tangible["verified"], after.tangible["verified"]) == (0, 1)


def test_a_change_made_in_sql_is_seen_too(session, world, computed):
    served(session)
    session.execute(
        update(Answer)
        .where(Answer.response_id == world.responses[("E1", "p1")].id)
        .where(Answer.question_key == "recommend")
        .values(value_number=Decimal(0))
    )
    after = served(session)
    assert len(computed) == 2
    assert after == fresh(session) and after.evaluation.nps == -20.0
    session.execute(
        text(
            "UPDATE members SET is_small_island_economy = NOT is_small_island_economy "
            "WHERE code = 'FJI'"
        )
    )
    assert served(session) == fresh(session)
    assert len(computed) == 3


def test_changes_that_do_not_touch_the_year_keep_its_report(session, world, computed):
    served(session)
    year_id = world.rounds["E1"].plan_year_id
    revision = year_revision(session, year_id)
    # Another year's activity, an activity's title, a participant's email, an invitation
    # opened: none of them is read by the year's figures.
    ActivityFactory(plan_year=plan_year("2024-2025"), kind="national_workshop")
    world.activities["A1"].title = "A1, renamed"
    person = session.scalar(select(Participant).where(Participant.name == "p2"))
    person.email = "p2@example.org"
    for invitation in session.scalars(
        select(Invitation).where(Invitation.round_id == world.rounds["E1"].id)
    ):
        invitation.opened_at = invitation.created_at
    session.flush()
    assert year_revision(session, year_id) == revision
    served(session)
    assert computed == ["2025-2026"]


def test_changing_an_earlier_years_activity_changes_the_rounds_it_is_followed_up_in(
    session, world, computed
):
    """A 2024-2025 workshop followed up in October 2025 counts in 2025-2026 under its kind
    and items: a change to its kind, its items or its item's code reaches 2025-2026."""
    spring, _follow_up = previous_years_workshop(session, world)
    session.flush()
    national = served(session, kind="national_workshop")
    assert national.surveys["rounds"] == 3
    spring.kind = "training"
    session.flush()
    assert served(session, kind="national_workshop").surveys["rounds"] == 2
    assert served(session, kind="training").surveys["rounds"] == 1
    assert served(session, item="1-(a)").surveys["rounds"] == 3
    spring.items[0].code = "1-(b)"
    session.flush()
    assert served(session, item="1-(a)").surveys["rounds"] == 2
    assert served(session, item="1-(b)").surveys["rounds"] == 1
    spring.items.clear()
    session.flush()
    assert served(session, item="1-(b)").surveys["rounds"] == 0
    assert served(session, item="1-(b)") == fresh(session, item="1-(b)")


def test_the_report_survives_json(session, world):
    report = fresh(session)
    assert report_from_json(report_to_json(report), report.filters) == report


def test_every_table_a_kpi_reads_has_its_change_triggers(session):
    if session.get_bind().dialect.name == "postgresql":
        query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    names = set(session.scalars(text(query)))
    for table in TRACKED:
        for event in ("insert", "update", "delete"):
            assert f"kpi_changes_{table}_{event}" in names
    assert "kpi_changes_plan_years_update" in names


def test_the_kpis_read_only_tables_the_triggers_watch(session, world, count_queries):
    """A KPI that comes to read another table must add it to the triggers (a migration
    like 0009) and to TRACKED here."""
    fresh(session)
    fresh(session, member="FJI", item="1-(a)", kind="national_workshop")
    tables = set(Base.metadata.tables)
    read = {
        name
        for statement in count_queries.statements
        for name in re.findall(r"(?:FROM|JOIN)\s+(\w+)", statement)
        if name in tables
    }
    assert "answers" in read and "participants" in read
    assert read <= {*TRACKED, "plan_years"}


@pytest.fixture()
def two_instances(tmp_path_factory):
    """Two app instances (each its own engine and connections) on one database of their
    own, where commits are real."""
    url = fresh_database_url(tmp_path_factory, "kpicache")
    apps = [create_app({"APP_CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": url}) for _ in range(2)]
    with apps[0].app_context():
        upgrade()
        load_reference_members(db.session)
        factories.use_session(db.session)
        build(db.session)
        factories.use_session(None)
        db.session.commit()
        db.session.remove()
    yield apps
    for instance in apps:
        with instance.app_context():
            db.session.remove()
            db.engine.dispose()


def test_instances_sharing_a_database_see_each_others_changes(two_instances, monkeypatch):
    first, second = two_instances
    computed = []
    real = cache.compute_kpis
    monkeypatch.setattr(
        cache, "compute_kpis", lambda *a, **k: computed.append(a[1].label) or real(*a, **k)
    )

    def women_share(instance) -> float:
        with instance.app_context():
            report = year_kpis(db.session, "2025-2026", KpiFilters(), 3, CLOSED)
            db.session.commit()
            db.session.remove()
            return report.activities["women_share"]

    assert women_share(first) == 0.6
    assert women_share(second) == 0.6  # kept by the first instance
    assert computed == ["2025-2026"]
    with second.app_context():  # the second instance corrects a participant
        person = db.session.scalar(select(Participant).where(Participant.name == "p2"))
        person.gender = Gender.FEMALE
        db.session.commit()
        db.session.remove()
    assert women_share(first) == 0.8
    assert women_share(first) == 0.8
    assert computed == ["2025-2026", "2025-2026"]
    # A plain connection, as someone fixing data by hand: the triggers count it too.
    with first.app_context():
        url = db.engine.url
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE participants SET gender = 'male' WHERE name = 'p2'"))
    engine.dispose()
    assert women_share(second) == 0.6
    assert computed == ["2025-2026"] * 3
    with first.app_context():
        year_id = db.session.scalar(select(Activity.plan_year_id).limit(1))
        rows = db.session.scalar(
            select(func.count()).select_from(KpiChange).where(KpiChange.plan_year_id == year_id)
        )
        db.session.remove()
    if engine.dialect.name == "postgresql":
        assert rows == 1  # the committed transactions' rows, folded when the report was kept
