"""Responses: starting one, saving a section as a draft, and the exactly-once submit."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import delete, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.common.clock import utcnow
from app.common.keyset import Page, keyset_page
from app.models import (
    Answer,
    Invitation,
    Member,
    QuestionnaireKind,
    Response,
    ResponseStatus,
    Submission,
    SurveyRound,
)
from app.surveys.answers import answer_rows, clean, missing_answers, values_from_rows
from app.surveys.model import Definition, Section, visible_sections
from app.surveys.tangible_results import register_tangible_results


class AlreadySubmitted(Exception):
    """The response was submitted before (another tab, a double click, a refresh)."""


@dataclass
class StepOutcome:
    """Where the respondent goes after a section is saved."""

    target: int  # the section index to show next
    submitted: bool = False
    missing: list[tuple[int, str, str]] | None = None


@dataclass
class SubmitResult:
    submitted: bool
    # (section index, question key, message) when required answers are missing.
    missing: list[tuple[int, str, str]]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def anonymous_time(moment: datetime) -> datetime:
    """Anonymous rounds keep only the day of a response, so its times cannot be matched
    with the moment an invitation was used."""
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def response_time(response: Response, moment: datetime) -> datetime:
    return anonymous_time(moment) if response.round.anonymous else moment


def start_response(
    session: Session, survey_round: SurveyRound, invitation: Invitation | None = None
) -> tuple[Response, str]:
    """A new draft response and the token (kept by the respondent) that resumes it.

    With an invitation, the invitation records that it was started; in a round that is not
    anonymous it also points to the response (so the same link resumes it on any device).
    """
    token = secrets.token_urlsafe(32)
    now = utcnow()
    response = Response(
        round=survey_round,
        version_id=survey_round.version_id,
        status=ResponseStatus.DRAFT,
        current_section=0,
        resume_token_hash=hash_token(token),
    )
    if survey_round.anonymous:
        response.started_at = response.updated_at = anonymous_time(now)
    session.add(response)
    session.flush()
    if invitation is not None:
        invitation.started_at = invitation.started_at or now
        if not survey_round.anonymous:
            invitation.response_id = response.id
            response.member_id = invitation.member_id
        session.flush()
    return response, token


def store_submitted(
    session: Session,
    survey_round: SurveyRound,
    definition: Definition,
    values: dict[str, Any],
    submitted_at: datetime,
    member_id: int | None = None,
    invitation: Invitation | None = None,
) -> Response:
    """A complete answer set, already checked against ``definition``, stored at once as a
    submitted response: answers collected outside the forms (earlier years' files, demo
    data). An anonymous round keeps neither the Member, nor the invitation, nor the time."""
    if survey_round.anonymous:
        submitted_at = anonymous_time(submitted_at)
        member_id = None
    elif invitation is not None:
        member_id = invitation.member_id
    response = Response(
        round=survey_round,
        version_id=survey_round.version_id,
        status=ResponseStatus.SUBMITTED,
        submitted_at=submitted_at,
        started_at=submitted_at,
        updated_at=submitted_at,
        resume_token_hash=hash_token(secrets.token_urlsafe(32)),
        member_id=member_id,
        current_section=len(definition.sections) - 1,
    )
    session.add(response)
    session.flush()
    session.add(Submission(response_id=response.id, submitted_at=submitted_at))
    session.add_all(
        Answer(response_id=response.id, **row)
        for row in answer_rows(definition, definition.questions(), clean(definition, values))
    )
    if invitation is not None:
        invitation.started_at = invitation.started_at or submitted_at
        invitation.submitted_at = submitted_at
        if not survey_round.anonymous:
            invitation.response_id = response.id
    session.flush()
    register_tangible_results(session, response)
    return response


def find_response(
    session: Session, survey_round: SurveyRound, token: str | None
) -> Response | None:
    if not token:
        return None
    return session.scalar(
        select(Response).where(
            Response.round_id == survey_round.id, Response.resume_token_hash == hash_token(token)
        )
    )


def load_values(session: Session, response: Response, definition: Definition) -> dict[str, Any]:
    rows = session.scalars(select(Answer).where(Answer.response_id == response.id)).all()
    return values_from_rows(definition, list(rows))


def save_section(
    session: Session,
    response: Response,
    definition: Definition,
    section: Section,
    section_values: dict[str, Any],
    next_section: int | None = None,
) -> dict[str, Any]:
    """Replace the stored answers of ``section`` with ``section_values`` (already validated)
    and move the response on. Answers of questions that the new answers hide, in any
    section, are discarded. Returns all answers after the save.

    The response row is locked first (SELECT ... FOR UPDATE on PostgreSQL), so two tabs
    or a double click are handled one after the other: the second sees the first's result.
    """
    session.refresh(response, with_for_update=True)
    if response.status is not ResponseStatus.DRAFT:
        raise AlreadySubmitted()
    values = load_values(session, response, definition)
    for question in section.questions:
        values.pop(question.key, None)
        values.pop(question.key + "-other", None)
    values.update(section_values)
    kept = clean(definition, values)
    session.execute(delete(Answer).where(Answer.response_id == response.id))
    session.add_all(
        Answer(response_id=response.id, **row)
        for row in answer_rows(definition, definition.questions(), kept)
    )
    if next_section is not None:
        response.current_section = max(next_section, 0)
    response.updated_at = response_time(response, utcnow())
    session.flush()
    return kept


def submit_response(
    session: Session,
    response: Response,
    definition: Definition,
    invitation: Invitation | None = None,
) -> SubmitResult:
    """Submit exactly once (and, with an invitation, use the invitation exactly once).

    The Submission row's UNIQUE(response_id) decides between concurrent attempts: the
    first to insert wins, the others get AlreadySubmitted (PostgreSQL makes a second insert
    wait for the first transaction, then fail).
    """
    if response.status is ResponseStatus.SUBMITTED:
        raise AlreadySubmitted()
    values = load_values(session, response, definition)
    missing = missing_answers(definition, values)
    if missing:
        return SubmitResult(False, missing)
    if invitation is not None:
        # In an anonymous round two devices may hold two drafts for one invitation: the
        # invitation row, locked, decides which one counts.
        session.refresh(invitation, with_for_update=True)
        if invitation.submitted_at is not None:
            raise AlreadySubmitted()
    savepoint = session.begin_nested()
    try:
        session.add(
            Submission(response_id=response.id, submitted_at=response_time(response, utcnow()))
        )
        session.flush()
    except IntegrityError:
        savepoint.rollback()
        raise AlreadySubmitted() from None
    savepoint.commit()
    now = utcnow()
    if invitation is not None:
        invitation.submitted_at = now
    now = response_time(response, now)
    submit = (
        update(Response)
        .where(Response.id == response.id, Response.status == ResponseStatus.DRAFT)
        .values(status=ResponseStatus.SUBMITTED, submitted_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    changed = cast(CursorResult, session.execute(submit)).rowcount
    if changed != 1:
        raise AlreadySubmitted()
    session.refresh(response)
    return SubmitResult(True, [])


def reachable_section(
    definition: Definition, response: Response, answers: dict[str, Any], index: int
) -> int:
    """``index`` if the respondent may open that section now, else the furthest visible
    section they have reached (sections are answered in order)."""
    shown = [s.index for s in visible_sections(definition, answers)]
    reachable = [i for i in shown if i <= response.current_section] or shown[:1]
    return index if index in reachable else reachable[-1]


def next_section(
    definition: Definition, answers: dict[str, Any], index: int, action: str
) -> int | None:
    """The section shown after section ``index`` given ``answers``: on "previous" the
    visible one before it (or ``index`` itself), otherwise the visible one after it, or
    None when ``index`` is the last one (the answers are ready to be submitted)."""
    shown = [s.index for s in visible_sections(definition, answers)]
    if action == "previous":
        return max((i for i in shown if i < index), default=index)
    return min((i for i in shown if i > index), default=None)


def record_section(
    session: Session,
    response: Response,
    definition: Definition,
    section: Section,
    answers: dict[str, Any],
    action: str,
    invitation: Invitation | None = None,
) -> StepOutcome:
    """Save a validated section and take the respondent's step: back ("previous"), on to
    the next section they are shown, or (after the last one, or on "submit") the final
    submit, which sends them to the first section with a missing answer if there is one."""
    after = save_section(session, response, definition, section, answers)
    target = next_section(definition, after, section.index, action)
    if action == "previous":
        return StepOutcome(target if target is not None else section.index)
    if target is not None and action != "submit":
        response.current_section = max(response.current_section, target)
        session.flush()
        return StepOutcome(target)
    result = submit_response(session, response, definition, invitation)
    if not result.submitted:
        return StepOutcome(result.missing[0][0], missing=result.missing)
    register_tangible_results(session, response)
    return StepOutcome(section.index, submitted=True)


def evaluation_action_plan(session: Session, invitation: Invitation | None) -> str | None:
    """For a participant's follow-up invitation: the action plan they wrote in the same
    activity's evaluation (when that round was not anonymous and they submitted it)."""
    if invitation is None or invitation.participant_id is None:
        return None
    survey_round = invitation.round
    if survey_round.kind is not QuestionnaireKind.FOLLOW_UP or survey_round.activity_id is None:
        return None
    evaluation = session.scalar(
        select(Response)
        .join(Invitation, Invitation.response_id == Response.id)
        .join(SurveyRound, SurveyRound.id == Invitation.round_id)
        .where(
            SurveyRound.activity_id == survey_round.activity_id,
            SurveyRound.kind == QuestionnaireKind.EVALUATION,
            SurveyRound.anonymous.is_(False),
            Invitation.participant_id == invitation.participant_id,
            Response.status == ResponseStatus.SUBMITTED,
        )
        .order_by(Response.submitted_at.desc())
    )
    if evaluation is None:
        return None
    keys = [
        q.key for q in Definition.from_json(evaluation.version.definition).with_role("action_plan")
    ]
    return session.scalar(
        select(Answer.value_text).where(
            Answer.response_id == evaluation.id, Answer.question_key.in_(keys)
        )
    )


@dataclass
class SubmittedResponse:
    response: Response
    values: dict[str, Any]  # answers by question key, as `values_from_rows` reads them
    member_code: str | None  # the invitation's Member (None in an anonymous round)


def submitted_responses(session: Session, survey_round: SurveyRound) -> list[SubmittedResponse]:
    """The round's submitted responses in order, each with its answers and Member."""
    responses = session.scalars(
        select(Response)
        .where(Response.round_id == survey_round.id, Response.status == ResponseStatus.SUBMITTED)
        .order_by(Response.id)
    ).all()
    return _with_answers(session, survey_round, list(responses))


def submitted_page(
    session: Session,
    survey_round: SurveyRound,
    submitted_after: datetime | None,
    after: tuple[int] | None,
    limit: int,
) -> Page[SubmittedResponse]:
    """A page of the round's submitted responses in the order they were submitted (the
    submission's id: a response submitted later comes later, even in an anonymous round
    that keeps only the day, or when an import stores an earlier date), after the key
    ``after``; only those submitted after ``submitted_after`` if given. A submitted
    response never changes, so a reader who keeps the key of the last one reads each once.
    Three statements, whatever the size of the round: the page, its answers, its Members."""
    query = (
        select(Response, Submission.id)
        .join(Submission, Submission.response_id == Response.id)
        .where(Response.round_id == survey_round.id, Response.status == ResponseStatus.SUBMITTED)
    )
    if submitted_after is not None:
        query = query.where(Response.submitted_at > submitted_after)
    page = keyset_page(session, query, (Submission.id,), after, limit)
    return Page(_with_answers(session, survey_round, page.rows), page.more, page.last_key)


def _with_answers(
    session: Session, survey_round: SurveyRound, responses: list[Response]
) -> list[SubmittedResponse]:
    """Each response with its answers and (in a round that is not anonymous) Member."""
    definition = Definition.from_json(survey_round.version.definition)
    ids = [r.id for r in responses]
    rows: dict[int, list[Answer]] = {i: [] for i in ids}
    for answer in session.scalars(select(Answer).where(Answer.response_id.in_(ids))):
        rows[answer.response_id].append(answer)
    members: dict[int, str] = {}
    if not survey_round.anonymous:
        members = {
            response_id: code
            for response_id, code in session.execute(
                select(Invitation.response_id, Member.code)
                .join(Member, Member.id == Invitation.member_id)
                .where(Invitation.response_id.in_(ids))
            )
            if response_id is not None
        }
    return [
        SubmittedResponse(r, values_from_rows(definition, rows[r.id]), members.get(r.id))
        for r in responses
    ]
