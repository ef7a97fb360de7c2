"""Rounds made from the plan: an activity's evaluation and follow-up waves when it is
delivered, and one needs assessment per plan year."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.journeys.settings import JourneySettings
from app.models import (
    Activity,
    ActivityStatus,
    PlanYear,
    Questionnaire,
    QuestionnaireKind,
    SurveyRound,
)
from app.surveys.rounds import NewRound, create_round
from app.workplan.activities import ActivityError, parse_months


class ScheduleError(ValueError):
    pass


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def latest_version(session: Session, key: str):
    questionnaire = session.scalar(select(Questionnaire).where(Questionnaire.key == key))
    if questionnaire is None or questionnaire.latest is None:
        raise ScheduleError(
            f"no questionnaire {key!r} is stored yet: an administrator loads the "
            "questionnaires on the server first"
        )
    return questionnaire.latest


@dataclass
class Delivery:
    evaluation: SurveyRound
    follow_ups: list[SurveyRound] = field(default_factory=list)
    created: list[SurveyRound] = field(default_factory=list)


def follow_up_months(activity: Activity, settings: JourneySettings) -> list[int]:
    try:
        months = parse_months(activity.follow_up_months)
    except ValueError as error:
        raise ActivityError("follow_up_months", str(error)) from None
    return months or settings.follow_up_waves_months


def deliver_activity(
    session: Session, activity: Activity, settings: JourneySettings, today: date
) -> Delivery:
    """Mark ``activity`` delivered, open its evaluation round (closing after
    EVALUATION_OPEN_DAYS) and schedule its follow-up waves (opening N months after the
    end date). Running it again creates nothing twice."""
    if not (activity.starts_on and activity.ends_on):
        raise ActivityError(
            "starts_on", "Give the activity's start and end dates before marking it delivered."
        )
    if activity.ends_on > today:
        raise ActivityError(
            "ends_on",
            f"The activity ends on {activity.ends_on.isoformat()}: "
            "it can be marked delivered from that day.",
        )
    if not activity.counts_as_cb_activity:
        raise ActivityError(
            "kind", f"A {activity.kind.label.lower()} is not evaluated by participants."
        )
    activity.status = ActivityStatus.DELIVERED
    existing = session.scalars(
        select(SurveyRound).where(SurveyRound.activity_id == activity.id)
    ).all()
    created: list[SurveyRound] = []
    evaluation = next((r for r in existing if r.kind is QuestionnaireKind.EVALUATION), None)
    if evaluation is None:
        opens = max(activity.ends_on, today)
        evaluation = create_round(
            session,
            NewRound(
                version=latest_version(session, settings.evaluation_questionnaire),
                activity=activity,
                opens_on=opens,
                closes_on=opens + timedelta(days=settings.evaluation_open_days),
                open_link=True,  # the QR code shown in the room
                anonymous=settings.evaluation_anonymous,
                open_now=True,
            ),
        )
        created.append(evaluation)
    waves = {r.wave: r for r in existing if r.kind is QuestionnaireKind.FOLLOW_UP}
    follow_ups = []
    for number, months in enumerate(follow_up_months(activity, settings), start=1):
        wave = waves.get(number)
        if wave is None:
            opens = add_months(activity.ends_on, months)
            # Open now, answerable from its opening date: dispatch invites then.
            wave = create_round(
                session,
                NewRound(
                    version=latest_version(session, settings.follow_up_questionnaire),
                    activity=activity,
                    opens_on=opens,
                    closes_on=opens + timedelta(days=settings.follow_up_open_days),
                    title=f"Follow-up ({months} months): {activity.title}",
                    open_link=False,
                    wave=number,
                    open_now=True,
                ),
            )
            created.append(wave)
        follow_ups.append(wave)
    session.flush()
    return Delivery(evaluation, follow_ups, created)


def ensure_needs_round(
    session: Session, plan_year: PlanYear, settings: JourneySettings, today: date
) -> SurveyRound:
    """The plan year's needs-assessment round, created (and opened) if missing. The plan
    year row is locked first, so two dispatches at once create one round."""
    session.refresh(plan_year, with_for_update=True)
    existing = session.scalar(
        select(SurveyRound).where(
            SurveyRound.plan_year_id == plan_year.id,
            SurveyRound.kind == QuestionnaireKind.NEEDS_ASSESSMENT,
        )
    )
    if existing is not None:
        return existing
    opens = max(plan_year.starts_on, min(today, plan_year.ends_on))
    return create_round(
        session,
        NewRound(
            version=latest_version(session, settings.needs_questionnaire),
            plan_year=plan_year,
            opens_on=opens,
            closes_on=min(opens + timedelta(days=settings.needs_open_days), plan_year.ends_on),
            open_link=False,  # each administration answers through its own invitation
            open_now=True,
        ),
    )
