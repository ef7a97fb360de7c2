"""Survey rounds: one questionnaire version asked of an activity or a plan year."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import (
    Activity,
    Member,
    PlanYear,
    QuestionnaireKind,
    QuestionnaireVersion,
    Response,
    ResponseStatus,
    RoundStatus,
    SurveyRound,
    WorkPlanItem,
)
from app.services.survey_model import PickerOptions


class RoundError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass
class NewRound:
    version: QuestionnaireVersion
    opens_on: date
    closes_on: date | None = None
    activity: Activity | None = None
    plan_year: PlanYear | None = None
    title: str = ""


def create_round(session: Session, new: NewRound) -> SurveyRound:
    kind = new.version.questionnaire.kind
    if kind in (QuestionnaireKind.EVALUATION, QuestionnaireKind.FOLLOW_UP) and not new.activity:
        raise RoundError(
            "activity", f"A {kind.label.lower()} round is about one activity: choose it."
        )
    plan_year = new.activity.plan_year if new.activity else new.plan_year
    if plan_year is None:
        raise RoundError("plan_year", "Choose the plan year this round belongs to.")
    if new.closes_on and new.closes_on < new.opens_on:
        raise RoundError("closes_on", "The closing date is before the opening date.")
    title = new.title.strip() or (
        f"{new.version.title}: {new.activity.title}"
        if new.activity
        else f"{new.version.title} {plan_year.label}"
    )
    survey_round = SurveyRound(
        version=new.version,
        kind=kind,
        plan_year=plan_year,
        activity=new.activity,
        title=title[:300],
        opens_on=new.opens_on,
        closes_on=new.closes_on,
        status=RoundStatus.DRAFT,
        slug=secrets.token_urlsafe(12),
    )
    session.add(survey_round)
    session.flush()
    return survey_round


def open_round(session: Session, survey_round: SurveyRound) -> None:
    survey_round.status = RoundStatus.OPEN
    session.flush()


def close_round(session: Session, survey_round: SurveyRound) -> None:
    """Stop accepting answers. Nothing is deleted: drafts and responses stay."""
    survey_round.status = RoundStatus.CLOSED
    session.flush()


def round_counts(session: Session, round_ids: list[int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {i: {"draft": 0, "submitted": 0} for i in round_ids}
    if not round_ids:
        return counts
    rows = session.execute(
        select(Response.round_id, Response.status, func.count())
        .where(Response.round_id.in_(round_ids))
        .group_by(Response.round_id, Response.status)
    )
    for round_id, status, number in rows:
        counts[round_id][ResponseStatus(status).value] = number
    return counts


def picker_options(session: Session, plan_year: PlanYear | None) -> PickerOptions:
    """Members (active), and the activities and work-plan items of ``plan_year``."""
    members = [
        (m.code, m.name)
        for m in session.scalars(
            select(Member).where(Member.active.is_(True)).order_by(Member.name)
        )
    ]
    if plan_year is None:
        return PickerOptions(members=members)
    activities = [
        (a.id, a.title)
        for a in session.scalars(
            select(Activity)
            .where(Activity.plan_year_id == plan_year.id, Activity.counts_as_cb_activity)
            .order_by(Activity.title)
        )
    ]
    items = [
        (i.code, f"{i.code} {i.title}")
        for i in session.scalars(
            select(WorkPlanItem)
            .where(WorkPlanItem.plan_year_id == plan_year.id)
            .order_by(WorkPlanItem.position)
        )
    ]
    return PickerOptions(members=members, activities=activities, items=items)


def find_round_by_slug(session: Session, slug: str) -> SurveyRound | None:
    return session.scalar(select(SurveyRound).where(SurveyRound.slug == slug))
