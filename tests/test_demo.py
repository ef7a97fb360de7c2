"""The demo data tells its plan year truthfully whatever today's date: during the year
and after it, every round, answer, result and status agrees with the calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
import time_machine
from sqlalchemy import func, select

from app.common.clock import aware
from app.kpis.figures import compute_kpis
from app.models import (
    Activity,
    Answer,
    Invitation,
    Response,
    ResponseStatus,
    RoundStatus,
    SurveyRound,
    TangibleResult,
)
from app.surveys.synthetic import PHRASES_BY_KEY
from app.workplan.plan_years import get_plan_year
from tests.samples import SHIPPED

DURING, AFTER = date(2026, 3, 16), date(2026, 12, 2)


def load(runner, today: date):
    runner.invoke(args=["workplan", "import", str(SHIPPED), "--year", "2025-2026", "--quiet"])
    runner.invoke(args=["surveys", "sync"])
    with time_machine.travel(today, tick=False):
        result = runner.invoke(args=["demo", "load", "--year", "2025-2026"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("today", [DURING, AFTER], ids=["during the year", "after it"])
def test_the_demo_agrees_with_the_calendar(runner, session, today):
    load(runner, today)
    year = get_plan_year(session, "2025-2026")
    rounds = session.scalars(select(SurveyRound)).all()
    assert rounds
    for survey_round in rounds:
        activity = survey_round.activity
        if activity is None:
            # The needs assessment runs inside its plan year.
            assert year.starts_on <= survey_round.opens_on <= survey_round.closes_on
            assert survey_round.closes_on <= year.ends_on
        else:
            assert survey_round.opens_on >= activity.ends_on
        # Statuses match dates: a round whose closing day is past is closed.
        if survey_round.closes_on < today:
            assert survey_round.status is RoundStatus.CLOSED, survey_round.title
        # A round whose time has come has invited its people (dispatch runs after the
        # demo in `make demo`, but a round with answers has them already).
        submitted = session.scalars(
            select(Response).where(
                Response.round_id == survey_round.id,
                Response.status == ResponseStatus.SUBMITTED,
            )
        ).all()
        invitations = session.scalars(
            select(Invitation).where(Invitation.round_id == survey_round.id)
        ).all()
        if survey_round.opens_on > today:
            assert not submitted and not invitations
        # Answers after the round opened and the workshop ended, never after its closing
        # day or today.
        last = min(survey_round.closes_on, today)
        for response in submitted:
            day = response.submitted_at.date()
            assert survey_round.opens_on <= day <= last, survey_round.title
            # Not even later today: the demo is loaded at midnight here.
            assert aware(response.submitted_at) <= datetime.combine(today, time(), UTC)
        # The funnel adds up: whoever submitted had opened the link and started.
        opened = sum(1 for i in invitations if i.opened_at is not None)
        started = sum(1 for i in invitations if i.started_at is not None)
        answered = sum(1 for i in invitations if i.submitted_at is not None)
        assert len(invitations) >= opened >= started >= answered == len(submitted)
        for invitation in invitations:
            if invitation.submitted_at is not None:
                assert invitation.opened_at <= invitation.started_at <= invitation.submitted_at

    # Dates given in answers (a result, a step taken) fall after the workshop and no later
    # than the answer itself.
    dated = session.execute(
        select(Answer.value_date, Activity.ends_on, Response.submitted_at)
        .join(Response, Response.id == Answer.response_id)
        .join(SurveyRound, SurveyRound.id == Response.round_id)
        .join(Activity, Activity.id == SurveyRound.activity_id)
        .where(Answer.value_date.is_not(None))
    ).all()
    assert dated
    for value, ended, submitted_at in dated:
        assert ended <= value <= submitted_at.date()
    assert session.scalar(select(func.count()).select_from(TangibleResult)) > 0

    # Comments answer their question.
    texts = session.execute(
        select(Answer.question_key, Answer.value_text).where(
            Answer.value_text.is_not(None), Answer.question_key.in_(PHRASES_BY_KEY)
        )
    ).all()
    assert texts
    for key, text in texts:
        assert text in PHRASES_BY_KEY[key], (key, text)

    # 3-(f) counts the needs assessment and the coverage comes from its answers.
    with time_machine.travel(today, tick=False):
        report = compute_kpis(session, "2025-2026")
    assert report.surveys["by_kind"]["needs_assessment"] == 1
    assert report.activities["needs_coverage"] is not None
    # Its responses are those of the rounds open during the year (a follow-up of a
    # January workshop runs in July, in the next year's figures).
    assert report.surveys["responses"] == session.scalar(
        select(func.count())
        .select_from(Response)
        .join(SurveyRound, SurveyRound.id == Response.round_id)
        .where(Response.status == "submitted", SurveyRound.opens_on <= year.ends_on)
    )


def test_during_the_year_the_first_evaluation_and_the_needs_assessment_are_open(runner, session):
    load(runner, DURING)
    needs = session.scalar(select(SurveyRound).where(SurveyRound.activity_id.is_(None)))
    assert needs.status is RoundStatus.OPEN and needs.opens_on == DURING
    first = session.scalar(
        select(Activity).where(Activity.status == "delivered").order_by(Activity.id)
    )
    evaluation = session.scalar(
        select(SurveyRound).where(
            SurveyRound.activity_id == first.id, SurveyRound.kind == "evaluation"
        )
    )
    assert evaluation.status is RoundStatus.OPEN and evaluation.opens_on == DURING
    assert not session.scalar(
        select(func.count()).select_from(Response).where(Response.round_id == evaluation.id)
    )


def test_after_the_year_every_round_of_the_year_is_over(runner, session):
    load(runner, AFTER)
    needs = session.scalar(select(SurveyRound).where(SurveyRound.activity_id.is_(None)))
    assert needs.status is RoundStatus.CLOSED
    assert needs.closes_on < get_plan_year(session, "2025-2026").ends_on
    open_rounds = session.scalars(
        select(SurveyRound).where(SurveyRound.status == RoundStatus.OPEN)
    ).all()
    assert all(r.closes_on >= AFTER for r in open_rounds)
    first = session.scalar(
        select(Activity).where(Activity.status == "delivered").order_by(Activity.id)
    )
    evaluation = session.scalar(
        select(SurveyRound).where(
            SurveyRound.activity_id == first.id, SurveyRound.kind == "evaluation"
        )
    )
    # Run right after the workshop, as it would have been, and answered.
    assert evaluation.opens_on == first.ends_on and evaluation.status is RoundStatus.CLOSED
    assert session.scalar(
        select(func.count()).select_from(Response).where(Response.round_id == evaluation.id)
    )
