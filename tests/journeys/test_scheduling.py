"""Rounds made from the plan: an activity's evaluation and follow-up waves when it is
delivered, the plan year's needs assessment, and the dates around month ends and the
30 June / 1 July plan-year boundary. Every date here is given, never read from the clock,
so the results are the same whatever the time of the run (CI runs them again just before
midnight and across the boundary)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from app.common.mail import OutboxBackend
from app.journeys.dispatch import dispatch
from app.journeys.scheduling import add_months, deliver_activity, ensure_needs_round
from app.models import ActivityKind, ActivityStatus, QuestionnaireKind, RoundStatus, SurveyRound
from app.surveys.versions import sync_definitions
from app.workplan.activities import ActivityError
from app.workplan.plan_years import current_plan_year, label_for_date
from tests.factories import ActivityFactory, member, plan_year
from tests.journey import settings_for
from tests.samples import SURVEYS


@pytest.fixture()
def settings(session, app):
    sync_definitions(session, [SURVEYS])
    return settings_for(app)


def _activity(**fields):
    defaults = {
        "title": "National workshop on AEO for Fiji",
        "members": [member("FJI")],
        "starts_on": date(2026, 3, 23),
        "ends_on": date(2026, 3, 27),
    }
    return ActivityFactory(**{**defaults, **fields})


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # a leap year
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2026, 12, 31), 6, date(2027, 6, 30)),
        (date(2026, 6, 30), 12, date(2027, 6, 30)),
        (date(2026, 7, 1), 18, date(2028, 1, 1)),
    ],
)
def test_adding_months_keeps_the_day_or_takes_the_month_end(day, months, expected):
    assert add_months(day, months) == expected


def test_delivery_opens_the_evaluation_and_schedules_the_follow_up(session, settings):
    activity = _activity()
    delivery = deliver_activity(session, activity, settings, date(2026, 3, 30))
    assert activity.status is ActivityStatus.DELIVERED
    evaluation = delivery.evaluation
    # The evaluation opens on the day of delivery (after the end date) for the set days.
    assert (evaluation.opens_on, evaluation.closes_on) == (date(2026, 3, 30), date(2026, 4, 13))
    assert evaluation.status is RoundStatus.OPEN and evaluation.open_link
    assert evaluation.anonymous is settings.evaluation_anonymous
    [wave] = delivery.follow_ups
    assert (wave.wave, wave.opens_on, wave.closes_on) == (
        1,
        date(2026, 9, 27),
        date(2026, 10, 27),
    )
    assert wave.status is RoundStatus.OPEN and not wave.open_link
    assert wave.title == "Follow-up (6 months): National workshop on AEO for Fiji"
    assert {r.id for r in delivery.created} == {evaluation.id, wave.id}


def test_delivery_on_the_last_day_opens_the_evaluation_that_day(session, settings):
    activity = _activity()
    delivery = deliver_activity(session, activity, settings, date(2026, 3, 27))
    assert delivery.evaluation.opens_on == date(2026, 3, 27)


def test_an_activity_s_own_waves_replace_the_default(session, settings):
    activity = _activity(follow_up_months="12, 6")
    delivery = deliver_activity(session, activity, settings, date(2026, 3, 30))
    assert [(r.wave, r.opens_on) for r in delivery.follow_ups] == [
        (1, date(2026, 9, 27)),
        (2, date(2027, 3, 27)),
    ]


def test_delivering_again_creates_nothing_twice(session, settings):
    activity = _activity(follow_up_months="6, 12")
    first = deliver_activity(session, activity, settings, date(2026, 3, 30))
    again = deliver_activity(session, activity, settings, date(2026, 4, 2))
    assert again.created == []
    assert again.evaluation.id == first.evaluation.id
    rounds = session.scalars(select(SurveyRound).where(SurveyRound.activity_id == activity.id))
    assert len(list(rounds)) == 3


@pytest.mark.parametrize(
    ("fields", "today", "field", "message"),
    [
        ({"starts_on": None, "ends_on": None}, date(2026, 3, 30), "starts_on", "start and end"),
        ({}, date(2026, 3, 26), "ends_on", "ends on 2026-03-27"),
        ({"kind": ActivityKind.MEETING}, date(2026, 3, 30), "kind", "not evaluated"),
        ({"follow_up_months": "6, 99"}, date(2026, 3, 30), "follow_up_months", "'99'"),
    ],
)
def test_what_cannot_be_delivered_says_why_and_schedules_nothing(
    session, settings, fields, today, field, message
):
    activity = _activity(**fields)
    with pytest.raises(ActivityError) as raised:
        deliver_activity(session, activity, settings, today)
    assert raised.value.field == field and message in raised.value.message
    session.rollback()
    assert session.scalar(select(SurveyRound).where(SurveyRound.activity_id == activity.id)) is None


@pytest.mark.parametrize(
    ("today", "opens", "closes"),
    [
        # During the year: open from today for NEEDS_ASSESSMENT_OPEN_DAYS.
        (date(2026, 9, 1), date(2026, 9, 1), date(2026, 10, 31)),
        # Late in the year: the round never outlives its plan year.
        (date(2027, 6, 1), date(2027, 6, 1), date(2027, 6, 30)),
        (date(2027, 6, 30), date(2027, 6, 30), date(2027, 6, 30)),
        # Made before the year starts, it opens on 1 July.
        (date(2026, 6, 30), date(2026, 7, 1), date(2026, 8, 30)),
        # Made after the year ended, it is dated on its last day.
        (date(2027, 7, 1), date(2027, 6, 30), date(2027, 6, 30)),
    ],
)
def test_the_needs_assessment_stays_inside_its_plan_year(session, settings, today, opens, closes):
    year = plan_year("2026-2027")
    survey_round = ensure_needs_round(session, year, settings, today)
    assert (survey_round.opens_on, survey_round.closes_on) == (opens, closes)
    assert survey_round.kind is QuestionnaireKind.NEEDS_ASSESSMENT
    assert survey_round.status is RoundStatus.OPEN and not survey_round.open_link
    assert ensure_needs_round(session, year, settings, today).id == survey_round.id


@pytest.mark.parametrize(
    ("moment", "label"),
    [
        (datetime(2027, 6, 30, 23, 59, 59, tzinfo=UTC), "2026-2027"),
        (datetime(2027, 7, 1, 0, 0, 0, tzinfo=UTC), "2027-2028"),
    ],
)
def test_dispatch_opens_the_needs_assessment_of_the_plan_year_of_its_own_time(
    session, settings, moment, label
):
    for year in ("2026-2027", "2027-2028"):
        plan_year(year)
    session.commit()
    dispatch(session, OutboxBackend(), settings, moment, session.commit)
    needs = session.scalars(
        select(SurveyRound).where(SurveyRound.kind == QuestionnaireKind.NEEDS_ASSESSMENT)
    ).all()
    assert [r.plan_year.label for r in needs] == [label]


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (date(2027, 6, 30), "2026-2027"),
        (date(2027, 7, 1), "2027-2028"),
        (date(2027, 1, 1), "2026-2027"),
        (date(2026, 12, 31), "2026-2027"),
    ],
)
def test_the_plan_year_of_a_day(session, day, label):
    assert label_for_date(day) == label
    for year in ("2025-2026", "2026-2027", "2027-2028"):
        plan_year(year)
    assert current_plan_year(session, day).label == label


def test_without_the_day_s_plan_year_the_latest_stored_one_is_current(session):
    plan_year("2025-2026")
    plan_year("2026-2027")
    assert current_plan_year(session, date(2030, 1, 1)).label == "2026-2027"
