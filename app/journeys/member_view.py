"""What a Member's contact point follows of its administration: its needs-assessment
rounds and responses, and its participants' invitations. Every query that reads here is
filtered by the Member (its aggregated results are in `app.kpis.member_results`);
making a missing needs-assessment invitation syncs the round's invitations for every
active Member, as the dispatch would."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.journeys.invitations import sync_invitations
from app.models import (
    Activity,
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
from app.workplan.plan_years import label_for_date


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


def needs_overview(
    session: Session, member: Member, today: date
) -> tuple[NeedsStatus | None, list[NeedsStatus]]:
    """The needs assessment the Member is asked now (the current plan year's, else the
    latest) and the earlier ones it submitted."""
    statuses = needs_rounds(session, member)
    current_label = label_for_date(today)
    current = next(
        (s for s in statuses if s.survey_round.plan_year.label == current_label),
        statuses[0] if statuses else None,
    )
    return current, [s for s in statuses if s is not current and s.state == "submitted"]


def member_response(session: Session, member: Member, response_id: int) -> Response | None:
    """A submitted needs assessment given through this Member's own invitation, or None.

    Only the administration's own answers: its participants' evaluation and follow-up
    responses are never shown one by one (only as aggregates, `app.kpis.member_results`).
    """
    return session.scalar(
        select(Response)
        .join(Invitation, Invitation.response_id == Response.id)
        .join(SurveyRound, SurveyRound.id == Response.round_id)
        .where(
            Response.id == response_id,
            Invitation.member_key == member.id,
            Invitation.participant_id.is_(None),
            SurveyRound.kind == QuestionnaireKind.NEEDS_ASSESSMENT,
            Response.status == ResponseStatus.SUBMITTED,
        )
    )


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
        if survey_round.activity_id is not None:
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


def member_invitation(
    session: Session,
    survey_round: SurveyRound,
    member: Member,
    invitation_key: bytes,
    create: bool = True,
) -> Invitation | None:
    """The Member's own invitation to a needs-assessment round; with ``create`` (the round
    accepts answers) it is made now if the dispatch has not made it yet."""
    query = select(Invitation).where(
        Invitation.round_id == survey_round.id, Invitation.member_key == member.id
    )
    invitation = session.scalar(query)
    if invitation is None and create:
        sync_invitations(session, survey_round, invitation_key)
        invitation = session.scalar(query)
    return invitation
