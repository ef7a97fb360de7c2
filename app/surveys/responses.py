"""Responses: starting one, saving a section as a draft, and the exactly-once submit."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Connection,
    Integer,
    Row,
    Table,
    Text,
    Update,
    bindparam,
    column,
    delete,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy import cast as cast_
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

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
from app.surveys.model import OTHER_SUFFIX, Definition, Section, visible_sections
from app.surveys.tangible_results import register_tangible_results


class AlreadySubmitted(Exception):
    """The response was submitted before (another tab, a double click, a refresh)."""


@dataclass
class StepOutcome:
    """Where the respondent goes after a section is saved."""

    target: int  # the section index to show next
    submitted: bool = False
    missing: list[tuple[int, str, str]] | None = None
    review: bool = False  # every section is answered: the respondent reviews, then submits


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
        member_id=None if invitation is None or survey_round.anonymous else invitation.member_id,
    )
    if survey_round.anonymous:
        response.started_at = response.updated_at = anonymous_time(now)
    session.add(response)
    session.flush()
    if invitation is not None:
        invitation.started_at = invitation.started_at or now
        if not survey_round.anonymous:
            invitation.response_id = response.id
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


# The respondent path's statements, built once on the tables (Core, not the ORM): a
# request only binds its values, and nothing is compiled or keyed again.
_answers = cast(Table, Answer.__table__)
_responses = cast(Table, Response.__table__)
ANSWER_COLUMNS = (
    _answers.c.question_key,
    _answers.c.entry,
    _answers.c.item,
    _answers.c.value_text,
    _answers.c.value_number,
    _answers.c.value_date,
    _answers.c.value_choice,
)
_STORED = select(*ANSWER_COLUMNS).where(_answers.c.response_id == bindparam("response_id"))
_LOCKED = (
    select(_responses.c.status, _responses.c.current_section, *ANSWER_COLUMNS)
    .select_from(_responses.outerjoin(_answers, _answers.c.response_id == _responses.c.id))
    .where(_responses.c.id == bindparam("response_id"))
    .with_for_update(of=_responses)
)
_DELETE = delete(_answers).where(
    _answers.c.response_id == bindparam("response_id"),
    _answers.c.question_key.in_(bindparam("keys", expanding=True)),
)
_INSERT = insert(_answers)
# The writing statements bind the response's id as "response", not "response_id": in the
# final submit's WITH, an UPDATE of invitations would take a parameter named like one of
# its columns (invitations.response_id) as a value to SET.
_STEP = (
    update(_responses)
    .where(_responses.c.id == bindparam("response"))
    .values(updated_at=bindparam("now"), current_section=bindparam("current"))
)
_TAKE_INVITATION = (
    update(cast(Table, Invitation.__table__))
    .where(
        Invitation.__table__.c.id == bindparam("invitation_id"),
        Invitation.__table__.c.submitted_at.is_(None),
    )
    # updated_at too: inside a WITH, the column's onupdate default is not filled in.
    .values(submitted_at=bindparam("taken_at"), updated_at=bindparam("taken_at"))
)
_SUBMISSION = insert(cast(Table, Submission.__table__))
_SUBMIT = (
    update(_responses)
    .where(
        _responses.c.id == bindparam("response"),
        _responses.c.status == ResponseStatus.DRAFT,
    )
    .values(
        status=ResponseStatus.SUBMITTED,
        submitted_at=bindparam("now"),
        updated_at=bindparam("now"),
    )
)


def stored_answers(session: Session, response_id: int) -> list[Row]:
    """The stored answer rows of a response (columns of ``ANSWER_COLUMNS``)."""
    return list(session.connection().execute(_STORED, {"response_id": response_id}))


def load_values(session: Session, response: Response, definition: Definition) -> dict[str, Any]:
    return values_from_rows(definition, stored_answers(session, response.id))


@dataclass
class Draft:
    """A response as it is once its row is locked: nobody else changes it until the
    transaction ends."""

    status: ResponseStatus
    current_section: int
    rows: list[Row]  # its stored answer rows (columns of ``ANSWER_COLUMNS``)
    values: dict[str, Any]  # the same answers, as `values_from_rows` reads them


def lock_draft(session: Session, response_id: int, definition: Definition) -> Draft:
    """The response's state and answers with its row locked (SELECT ... FOR UPDATE OF
    responses on PostgreSQL), in one statement: two tabs or a double click are handled
    one after the other, and the second sees the first's result."""
    found = session.connection().execute(_LOCKED, {"response_id": response_id}).all()
    rows = [row for row in found if row.question_key is not None]
    return Draft(
        found[0].status, found[0].current_section, rows, values_from_rows(definition, rows)
    )


# The columns that tell two answer rows apart, in the order of ``ANSWER_COLUMNS``.
_ROW_FIELDS = tuple(column.key for column in ANSWER_COLUMNS)


def _write_answers(
    session: Session, response_id: int, definition: Definition, stored: list, kept: dict
) -> list[dict]:
    """Store ``kept`` over the ``stored`` rows, touching only the questions whose rows
    changed: one DELETE of their old rows (if any) here; their new rows are returned, for
    `_update_with_answers` to insert with the response's update."""
    new_rows = [
        {"response_id": response_id, **_FULL_ROW, **row}
        for row in answer_rows(definition, definition.questions(), kept)
    ]
    old: dict[str, set[tuple]] = {}
    for row in stored:
        old.setdefault(row.question_key, set()).add(tuple(getattr(row, n) for n in _ROW_FIELDS))
    new: dict[str, set[tuple]] = {}
    for row in new_rows:
        new.setdefault(row["question_key"], set()).add(tuple(row[name] for name in _ROW_FIELDS))
    changed = {key for key in old.keys() | new.keys() if old.get(key) != new.get(key)}
    if changed & old.keys():
        session.connection().execute(
            _DELETE, {"response_id": response_id, "keys": sorted(changed & old.keys())}
        )
    return [row for row in new_rows if row["question_key"] in changed]


# On PostgreSQL the new answer rows ride in the response's UPDATE: a data-modifying WITH
# inserts them from one JSON parameter (json_to_recordset), so the statement's text, its
# compiled form and its server-side plan are the same whatever the rows.
_incoming = (
    func.json_to_recordset(cast_(bindparam("rows", type_=Text), JSON))
    .table_valued(*(column(c.key, c.type) for c in ANSWER_COLUMNS))
    .render_derived(name="incoming", with_types=True)
)
_WRITTEN = (
    insert(_answers)
    .from_select(
        ["response_id", *(c.key for c in ANSWER_COLUMNS)],
        select(bindparam("response", type_=Integer), *(_incoming.c[c.key] for c in ANSWER_COLUMNS)),
    )
    .returning(_answers.c.id)
    .cte("written")
)
# The final submit's Submission row rides in the same statement (its UNIQUE(response_id)
# still refuses a second one: the statement fails and the caller rolls back).
_SUBMISSION_ROW = (
    insert(cast(Table, Submission.__table__))
    .from_select(
        ["response_id", "submitted_at"],
        select(
            bindparam("response", type_=Integer),
            bindparam("now", type_=Response.__table__.c.submitted_at.type),
        ),
    )
    .returning(Submission.__table__.c.id)
    .cte("submission")
)
# So does the taking of the invitation: the response is submitted only if this statement
# took it (an invitation already used leaves the response a draft, and rowcount 0).
_TAKEN = _TAKE_INVITATION.returning(Invitation.__table__.c.id).cte("taken")


def _pg_writing(statement: Update, answers: bool, invitation: bool) -> Update:
    """``statement`` (`_STEP` or `_SUBMIT`) as PostgreSQL runs it: with the insert of the
    new answer rows and, for `_SUBMIT`, the Submission row and the taking of the
    invitation, in one statement."""
    if statement is _SUBMIT:
        statement = statement.add_cte(_SUBMISSION_ROW)
        if invitation:
            statement = statement.add_cte(_TAKEN).where(exists(select(_TAKEN.c.id)))
    return statement.add_cte(_WRITTEN) if answers else statement


# Built once: (statement, with answer rows, with an invitation to take) -> what runs.
_WRITING = {
    (id(statement), answers, invitation): _pg_writing(statement, answers, invitation)
    for statement in (_STEP, _SUBMIT)
    for answers in (False, True)
    for invitation in (False, True)
}


def _update_with_answers(
    connection: Connection,
    statement: Update,
    params: dict,
    rows: list,
    invitation_id: int | None = None,
):
    """Run the response's ``statement`` (`_STEP` or `_SUBMIT`) and insert the answer
    ``rows``. On PostgreSQL this is one statement, which for `_SUBMIT` also inserts the
    Submission row and takes the invitation ``invitation_id``; elsewhere each is a
    statement of its own. Returns the result of the update (its rowcount is the
    update's: 0 for a response no longer a draft, or an invitation already used)."""
    submit = statement is _SUBMIT
    if connection.dialect.name == "postgresql":
        if rows:
            incoming = [{c.key: row[c.key] for c in ANSWER_COLUMNS} for row in rows]
            params = {**params, "rows": json.dumps(incoming, default=str)}
        if submit and invitation_id is not None:
            params = {**params, "invitation_id": invitation_id, "taken_at": utcnow()}
        key = (id(statement), bool(rows), submit and invitation_id is not None)
        return connection.execute(_WRITING[key], params)
    if submit and invitation_id is not None:
        taken = connection.execute(
            _TAKE_INVITATION, {"invitation_id": invitation_id, "taken_at": utcnow()}
        )
        if taken.rowcount != 1:
            return taken
    if submit:
        connection.execute(
            _SUBMISSION, {"response_id": params["response"], "submitted_at": params["now"]}
        )
    if rows:
        # One statement for every row, whatever their types.
        connection.execute(_INSERT, rows)
    return connection.execute(statement, params)


# Every column of an answer row, so that one INSERT takes rows of different types.
_FULL_ROW = {
    "entry": 0,
    "item": "",
    "value_text": None,
    "value_number": None,
    "value_date": None,
    "value_choice": None,
}


def record_section(
    session: Session,
    response: Response,
    definition: Definition,
    section: Section,
    answers: dict[str, Any],
    action: str,
    invitation: Invitation | None = None,
    draft: Draft | None = None,
) -> StepOutcome:
    """Save a validated section and take the respondent's step: back ("previous"), none
    ("save": finish later), on to the next section they are shown, after the last one to
    the review of the answers, or (on "submit") the final submit. Past the last section, a
    missing required answer sends them to the first section that has one.

    Answers of questions that the new answers hide, in any section, are discarded. The
    response is locked and read once (``draft``, when the caller has already locked it);
    only the rows of questions that changed are written, and the response row is
    updated once.
    """
    locked = draft or lock_draft(session, response.id, definition)
    if locked.status is not ResponseStatus.DRAFT:
        raise AlreadySubmitted()
    values = dict(locked.values)
    for question in section.questions:
        values.pop(question.key, None)
        values.pop(question.key + OTHER_SUFFIX, None)
    values.update(answers)
    kept = clean(definition, values)
    rows = _write_answers(session, response.id, definition, locked.rows, kept)
    target = next_section(definition, kept, section.index, action)
    now = response_time(response, utcnow())
    current = locked.current_section
    if action == "previous":
        outcome = StepOutcome(target if target is not None else section.index)
    elif action == "save":
        outcome = StepOutcome(section.index)
    elif target is not None and action != "submit":
        current = max(current, target)
        outcome = StepOutcome(target)
    else:
        missing = missing_answers(definition, kept)
        if missing:
            outcome = StepOutcome(missing[0][0], missing=missing)
        elif action == "submit":
            _submit(session, response, invitation, now, rows)
            register_tangible_results(session, response, definition, kept)
            return StepOutcome(section.index, submitted=True)
        else:
            # Past the last section: the review of the answers (REVIEW_SECTION) is reached.
            current = review_section(definition)
            outcome = StepOutcome(section.index, review=True)
    _update_with_answers(
        session.connection(),
        _STEP,
        {"response": response.id, "now": now, "current": current},
        rows,
    )
    return outcome


def submit_draft(
    session: Session,
    response: Response,
    definition: Definition,
    invitation: Invitation | None = None,
) -> list[tuple[int, str, str]]:
    """Submit a draft as it is stored (exactly once, as `record_section` does). Returns the
    required answers still missing, and then submits nothing."""
    locked = lock_draft(session, response.id, definition)
    if locked.status is not ResponseStatus.DRAFT:
        raise AlreadySubmitted()
    missing = missing_answers(definition, locked.values)
    if not missing:
        _submit(session, response, invitation, response_time(response, utcnow()), [])
        register_tangible_results(session, response, definition, locked.values)
    return missing


def _submit(
    session: Session,
    response: Response,
    invitation: Invitation | None,
    now: datetime,
    rows: list[dict],
) -> None:
    """Submit exactly once (and, with an invitation, use the invitation exactly once).

    The invitation is taken by an UPDATE that only an unused invitation matches (in an
    anonymous round two devices may hold two drafts for one invitation: the first to take
    it counts). The Submission row's UNIQUE(response_id) and the response's UPDATE ...
    WHERE status = 'draft' decide between concurrent attempts on one response; the loser
    gets AlreadySubmitted, or an IntegrityError, and the caller rolls back (what the
    statement wrote is undone with it). On PostgreSQL the taking of the invitation, the
    last answers, the Submission row and the response's change are one statement.
    """
    submitted = _update_with_answers(
        session.connection(),
        _SUBMIT,
        {"response": response.id, "now": now},
        rows,
        invitation.id if invitation is not None else None,
    )
    if submitted.rowcount != 1:
        raise AlreadySubmitted()
    for name, value in (("status", ResponseStatus.SUBMITTED), ("submitted_at", now)):
        set_committed_value(response, name, value)
    set_committed_value(response, "updated_at", now)


def review_section(definition: Definition) -> int:
    """The ``current_section`` of a draft whose respondent has reached the review of
    their answers: one past the last section."""
    return len(definition.sections)


def reachable_section(
    definition: Definition, current_section: int, answers: dict[str, Any], index: int
) -> int:
    """``index`` if the respondent may open that section now, else the furthest visible
    section they have reached (``current_section``: sections are answered in order)."""
    shown = [s.index for s in visible_sections(definition, answers)]
    reachable = [i for i in shown if i <= current_section] or shown[:1]
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
