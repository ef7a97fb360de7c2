"""Survey rounds: one questionnaire version asked of an activity or a plan year."""

from __future__ import annotations

import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from app.common.keyset import Page, keyset_page
from app.models import (
    Activity,
    Invitation,
    Member,
    Message,
    MessageKind,
    MessageStatus,
    PlanYear,
    QuestionnaireKind,
    QuestionnaireVersion,
    Response,
    ResponseStatus,
    RoundStatus,
    SurveyRound,
    WorkPlanItem,
)
from app.surveys.model import PICKER_TYPES, PickerOptions


class RoundError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass
class NewRound:
    """A round to create: asked of ``activity`` (evaluation, follow-up) or of
    ``plan_year`` (needs assessment); with ``open_now`` it accepts answers from
    ``opens_on`` without a further step."""

    version: QuestionnaireVersion
    opens_on: date
    closes_on: date | None = None
    activity: Activity | None = None
    plan_year: PlanYear | None = None
    title: str = ""
    open_link: bool = True  # a shared link (and QR code) besides personal invitations
    anonymous: bool = False
    wave: int | None = None  # follow-up rounds: 1 for the first wave, 2 for the next...
    open_now: bool = False


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
        status=RoundStatus.OPEN if new.open_now else RoundStatus.DRAFT,
        slug=secrets.token_urlsafe(12),
        # The needs assessment speaks for an administration: only its contact points,
        # logged in, answer it, never whoever holds a shared link.
        open_link=new.open_link and kind is not QuestionnaireKind.NEEDS_ASSESSMENT,
        anonymous=new.anonymous,
        wave=new.wave,
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


def picker_options(
    session: Session,
    plan_year: PlanYear | int | None,
    kinds: Collection[str] = PICKER_TYPES,
) -> PickerOptions:
    """Members (active), and the activities and work-plan items of ``plan_year`` (a plan
    year or its id); only the lists of the picker types named in ``kinds`` are read."""
    pickers = PickerOptions()
    if "member" in kinds:
        pickers.members = [
            (m.code, m.name)
            for m in session.execute(
                select(Member.code, Member.name)
                .where(Member.active.is_(True))
                .order_by(Member.name)
            )
        ]
    plan_year_id = plan_year.id if isinstance(plan_year, PlanYear) else plan_year
    if plan_year_id is None:
        return pickers
    if "activity" in kinds:
        pickers.activities = [
            (a.id, a.title)
            for a in session.execute(
                select(Activity.id, Activity.title)
                .where(Activity.plan_year_id == plan_year_id, Activity.counts_as_cb_activity)
                .order_by(Activity.title)
            )
        ]
    if "work_plan_item" in kinds:
        pickers.items = [
            (i.code, f"{i.code} {i.title}")
            for i in session.execute(
                select(WorkPlanItem.code, WorkPlanItem.title)
                .where(WorkPlanItem.plan_year_id == plan_year_id)
                .order_by(WorkPlanItem.position)
            )
        ]
    return pickers


def find_round_by_slug(session: Session, slug: str) -> SurveyRound | None:
    return session.scalar(select(SurveyRound).where(SurveyRound.slug == slug))


def extend_round(session: Session, survey_round: SurveyRound, closes_on: date, today: date) -> None:
    """Move the closing date (and reopen the round if it was closed)."""
    if closes_on < survey_round.opens_on:
        raise RoundError("closes_on", "The new closing date is before the opening date.")
    if closes_on < today:
        raise RoundError("closes_on", "The new closing date has already passed.")
    survey_round.closes_on = closes_on
    survey_round.status = RoundStatus.OPEN
    session.flush()


@dataclass
class RoundStats:
    invited: int = 0
    opened: int = 0
    started: int = 0
    submitted_invitations: int = 0
    responses_submitted: int = 0
    responses_in_progress: int = 0
    reminders_sent: int = 0

    @property
    def response_rate(self) -> float | None:
        return self.submitted_invitations / self.invited if self.invited else None


def round_stats(session: Session, round_ids: list[int]) -> dict[int, RoundStats]:
    """Invitations, responses and reminders per round, in three grouped queries."""
    stats = {round_id: RoundStats() for round_id in round_ids}
    if not round_ids:
        return stats
    for round_id, invited, opened, started, submitted in session.execute(
        select(
            Invitation.round_id,
            func.count(),
            func.count(Invitation.opened_at),
            func.count(Invitation.started_at),
            func.count(Invitation.submitted_at),
        )
        .where(Invitation.round_id.in_(round_ids))
        .group_by(Invitation.round_id)
    ):
        entry = stats[round_id]
        entry.invited, entry.opened, entry.started = invited, opened, started
        entry.submitted_invitations = submitted
    for round_id, counts in round_counts(session, round_ids).items():
        stats[round_id].responses_submitted = counts["submitted"]
        stats[round_id].responses_in_progress = counts["draft"]
    for reminded_round, reminders in session.execute(
        select(Message.round_id, func.count())
        .where(
            Message.round_id.in_(round_ids),
            Message.kind == MessageKind.REMINDER,
            Message.status == MessageStatus.SENT,
        )
        .group_by(Message.round_id)
    ):
        if reminded_round is not None:
            stats[reminded_round].reminders_sent = reminders
    return stats


def list_rounds(
    session: Session,
    *,
    activity_id: int | None = None,
    kind: QuestionnaireKind | None = None,
    newest_first: bool = False,
) -> list[SurveyRound]:
    """Rounds, of one activity or one kind if asked; by id, or the latest opening first."""
    query = select(SurveyRound)
    if activity_id is not None:
        query = query.where(SurveyRound.activity_id == activity_id)
    if kind is not None:
        query = query.where(SurveyRound.kind == kind)
    order = (
        (SurveyRound.opens_on.desc(), SurveyRound.id.desc()) if newest_first else (SurveyRound.id,)
    )
    return list(session.scalars(query.order_by(*order)))


def activity_rounds(session: Session, activity: Activity) -> list[SurveyRound]:
    """The activity's rounds in the order they open."""
    return list(
        session.scalars(
            select(SurveyRound)
            .where(SurveyRound.activity_id == activity.id)
            .order_by(SurveyRound.opens_on, SurveyRound.id)
        )
    )


def round_changes(
    session: Session,
    activity_id: int | None,
    kind: QuestionnaireKind | None,
    updated_after: datetime | None,
    after: tuple[datetime, int] | None,
    limit: int,
) -> Page[SurveyRound]:
    """A page of rounds (of one activity or one kind if given) in the order they last
    changed (``updated_at``, then id), after the key ``after``; only those changed after
    ``updated_after`` if given. One statement (with the version, questionnaire and year)."""
    query = select(SurveyRound, SurveyRound.updated_at, SurveyRound.id).options(
        joinedload(SurveyRound.version).joinedload(QuestionnaireVersion.questionnaire),
        joinedload(SurveyRound.plan_year),
    )
    if activity_id is not None:
        query = query.where(SurveyRound.activity_id == activity_id)
    if kind is not None:
        query = query.where(SurveyRound.kind == kind)
    if updated_after is not None:
        query = query.where(SurveyRound.updated_at > updated_after)
    return keyset_page(session, query, (SurveyRound.updated_at, SurveyRound.id), after, limit)
