"""What a Member's contact point may see: only their own administration's needs
assessments, participants and results. Every query here is filtered by the Member."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.models import (
    Activity,
    Answer,
    Attendance,
    Invitation,
    Member,
    Participant,
    PlanYear,
    QuestionnaireKind,
    Response,
    ResponseStatus,
    SurveyRound,
)
from app.surveys.answers import values_from_rows
from app.surveys.model import Definition, text_in


@dataclass
class NeedsStatus:
    survey_round: SurveyRound
    invitation: Invitation | None
    response: Response | None

    @property
    def state(self) -> str:
        if self.invitation is not None and self.invitation.submitted_at is not None:
            return "submitted"
        if self.response is not None:
            return "in progress"
        return "not started"


def needs_rounds(session: Session, member: Member) -> list[NeedsStatus]:
    """Every needs-assessment round, newest plan year first, with this Member's part."""
    rounds = session.scalars(
        select(SurveyRound)
        .join(PlanYear)
        .where(SurveyRound.kind == QuestionnaireKind.NEEDS_ASSESSMENT)
        .order_by(PlanYear.starts_on.desc(), SurveyRound.id.desc())
    ).all()
    invitations = {
        i.round_id: i
        for i in session.scalars(
            select(Invitation).where(
                Invitation.member_key == member.id, Invitation.round_id.in_([r.id for r in rounds])
            )
        )
    }
    return [
        NeedsStatus(
            r, invitations.get(r.id), invitations[r.id].response if r.id in invitations else None
        )
        for r in rounds
    ]


def member_response(session: Session, member: Member, response_id: int) -> Response | None:
    """A submitted response given through one of this Member's invitations, or None."""
    return session.scalar(
        select(Response)
        .join(Invitation, Invitation.response_id == Response.id)
        .where(
            Response.id == response_id,
            Invitation.member_id == member.id,
            Response.status == ResponseStatus.SUBMITTED,
        )
    )


@dataclass
class AnsweredQuestion:
    label: str
    value: str


def readable_answers(session: Session, response: Response) -> list[tuple[str, list]]:
    """(section title, [AnsweredQuestion]) for showing a response back."""
    definition = Definition.from_json(response.version.definition)
    values = values_from_rows(
        definition, list(session.scalars(select(Answer).where(Answer.response_id == response.id)))
    )
    sections = []
    for section in definition.sections:
        shown = []
        for question in section.questions:
            if question.key in values:
                shown.append(
                    AnsweredQuestion(
                        text_in(question.label), _readable(question, values[question.key])
                    )
                )
        if shown:
            sections.append((text_in(section.title), shown))
    return sections


def _readable(question, value: Any) -> str:
    labels = {c.value: text_in(c.label) for c in question.choices}
    if question.type == "matrix":
        rows = {r["key"]: text_in(r["label"]) for r in question.rows}
        return "; ".join(f"{rows.get(k, k)}: {labels.get(v, v)}" for k, v in value.items())
    if question.type == "multiple_choice":
        return ", ".join(labels.get(v, v) for v in value)
    if question.type == "repeat":
        return " | ".join(", ".join(str(v) for v in entry.values()) for entry in value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return labels.get(str(value), str(value))


@dataclass
class ParticipantSurveys:
    participant: Participant
    # (activity, [(round, invitation or None)])
    activities: list[tuple[Activity, list[tuple[SurveyRound, Invitation | None]]]] = field(
        default_factory=list
    )


def member_participants(
    session: Session, member: Member, participant_id: int | None = None
) -> list[ParticipantSurveys]:
    query = (
        select(Participant)
        .where(Participant.member_id == member.id)
        .options(selectinload(Participant.attendances).selectinload(Attendance.activity))
        .order_by(Participant.name, Participant.id)
    )
    if participant_id is not None:
        query = query.where(Participant.id == participant_id)
    participants = session.scalars(query).all()
    ids = [p.id for p in participants]
    activity_ids = {a.activity_id for p in participants for a in p.attendances}
    rounds: dict[int, list[SurveyRound]] = {}
    for survey_round in session.scalars(
        select(SurveyRound)
        .where(SurveyRound.activity_id.in_(activity_ids))
        .order_by(SurveyRound.opens_on)
    ):
        rounds.setdefault(survey_round.activity_id, []).append(survey_round)
    invitations = {
        (i.round_id, i.participant_id): i
        for i in session.scalars(select(Invitation).where(Invitation.participant_id.in_(ids)))
    }
    result = []
    for participant in participants:
        entry = ParticipantSurveys(participant)
        for attendance in sorted(
            participant.attendances,
            key=lambda a: (a.activity.starts_on is None, a.activity.starts_on, a.activity.id),
        ):
            activity = attendance.activity
            entry.activities.append(
                (
                    activity,
                    [
                        (r, invitations.get((r.id, participant.id)))
                        for r in rounds.get(activity.id, [])
                    ],
                )
            )
        result.append(entry)
    return result


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
    session: Session, member: Member, min_group_size: int, activity_id: int | None = None
) -> list[ActivityResult]:
    """Per activity its participants came to: their own submitted evaluation and
    follow-up answers (rounds that are not anonymous), with groups smaller than
    ``min_group_size`` suppressed."""
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
        rounds = session.scalars(
            select(SurveyRound).where(SurveyRound.activity_id == activity.id)
        ).all()
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
