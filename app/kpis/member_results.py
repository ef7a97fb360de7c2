"""A Member's results as its contact point sees them: per activity its people attended,
their evaluation and follow-up figures, aggregated and suppressed below the minimum group
size (never one response)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import (
    Activity,
    Answer,
    Attendance,
    Invitation,
    Member,
    Participant,
    QuestionnaireKind,
    Response,
    ResponseStatus,
    RoundStatus,
    SurveyRound,
)
from app.surveys.model import Definition


@dataclass
class ActivityResult:
    activity: Activity
    participants: int
    evaluations: int
    satisfaction: float | None
    knowledge_gain: float | None
    follow_ups: int
    tangible_results: int
    suppressed: bool


def _keys(rounds: list[SurveyRound], role: str) -> list[str]:
    keys: set[str] = set()
    for survey_round in rounds:
        keys |= {
            q.key for q in Definition.from_json(survey_round.version.definition).with_role(role)
        }
    return sorted(keys)


def member_results(
    session: Session,
    member: Member,
    min_group_size: int,
    today: date,
    activity_id: int | None = None,
) -> list[ActivityResult]:
    """Per activity its participants came to: their own submitted evaluation and
    follow-up answers (rounds that are not anonymous), with groups smaller than
    ``min_group_size`` suppressed. Only rounds that have closed count: figures that moved
    with each new answer would let one answer be worked out by difference, next to the
    list of who has answered."""
    query = (
        select(Activity, func.count(Attendance.id))
        .join(Attendance, Attendance.activity_id == Activity.id)
        .join(Participant, Participant.id == Attendance.participant_id)
        .where(Participant.member_id == member.id)
        .group_by(Activity.id)
        .order_by(Activity.starts_on, Activity.id)
    )
    if activity_id is not None:
        query = query.where(Activity.id == activity_id)
    results = []
    for activity, participant_count in session.execute(query).all():
        rounds = [
            r
            for r in session.scalars(
                select(SurveyRound).where(SurveyRound.activity_id == activity.id)
            )
            if r.status is RoundStatus.CLOSED or (r.closes_on is not None and r.closes_on < today)
        ]
        evaluation_rounds = [r for r in rounds if r.kind is QuestionnaireKind.EVALUATION]
        follow_up_rounds = [r for r in rounds if r.kind is QuestionnaireKind.FOLLOW_UP]
        own = (
            select(Response.id)
            .join(Invitation, Invitation.response_id == Response.id)
            .where(Invitation.member_id == member.id, Response.status == ResponseStatus.SUBMITTED)
        )
        evaluation_ids = own.where(Response.round_id.in_([r.id for r in evaluation_rounds]))
        follow_up_ids = own.where(Response.round_id.in_([r.id for r in follow_up_rounds]))
        evaluations = (
            session.scalar(select(func.count()).select_from(evaluation_ids.subquery())) or 0
        )
        follow_ups = session.scalar(select(func.count()).select_from(follow_up_ids.subquery())) or 0
        suppressed = evaluations < min_group_size
        satisfaction = gain = None
        if not suppressed:
            satisfaction = _average(
                session, evaluation_ids, _keys(evaluation_rounds, "overall_satisfaction")
            )
            before = _average(session, evaluation_ids, _keys(evaluation_rounds, "knowledge_before"))
            after = _average(session, evaluation_ids, _keys(evaluation_rounds, "knowledge_after"))
            gain = round(after - before, 2) if before is not None and after is not None else None
        tangible = 0
        if follow_ups >= min_group_size:
            description = _keys(follow_up_rounds, "tangible_result_description")
            tangible = (
                session.scalar(
                    select(func.count())
                    .select_from(Answer)
                    .where(
                        Answer.response_id.in_(follow_up_ids),
                        Answer.question_key.in_(description),
                        Answer.entry > 0,
                    )
                )
                or 0
            )
        results.append(
            ActivityResult(
                activity,
                participant_count,
                evaluations,
                satisfaction,
                gain,
                follow_ups,
                tangible,
                suppressed,
            )
        )
    return results


def _average(session: Session, response_ids, keys: list[str]) -> float | None:
    if not keys:
        return None
    value = session.scalar(
        select(func.avg(Answer.value_number)).where(
            Answer.response_id.in_(response_ids), Answer.question_key.in_(keys)
        )
    )
    return None if value is None else round(float(value), 2)
