"""JSON API v1 for systems: activities, participants, delivery, rounds, invitations and
responses. Staff authenticate with a token (`flask users token EMAIL`) sent as
``Authorization: Bearer <token>``. Errors are JSON: {"message": ..., "errors": {...}}."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request

from app.accounts.api_tokens import token_for_request
from app.api.openapi import openapi_document
from app.common import clock
from app.common.audit import record
from app.common.mail import backend_from_config, send_now
from app.extensions import csrf, db
from app.journeys.dispatch import resend_invitation
from app.journeys.invitations import invitation_link, round_invitations
from app.journeys.scheduling import ScheduleError, deliver_activity
from app.kpis.cache import year_kpis
from app.kpis.scope import KpiError, KpiFilters
from app.models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    Invitation,
    Member,
    Modality,
    PlanYear,
    QuestionnaireKind,
    SurveyRound,
    WorkPlanItem,
)
from app.surveys.answers import values_to_json
from app.surveys.responses import submitted_responses
from app.surveys.rounds import list_rounds, round_stats
from app.web.settings import journey_settings, min_group_size
from app.workplan.activities import (
    ActivityData,
    ActivityError,
    create_activity,
    items_by_codes,
    list_year_activities,
)
from app.workplan.members import members_by_codes
from app.workplan.participants import import_participants
from app.workplan.plan_years import PlanYearError, get_plan_year

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_ID = 2**31 - 1  # ids are 32-bit integers in the database
csrf.exempt(bp)


class ApiError(Exception):
    def __init__(self, status: int, message: str, errors: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors or {}


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    body: dict[str, Any] = {"message": error.message}
    if error.errors:
        body["errors"] = error.errors
    return jsonify(body), error.status


@bp.before_request
def authenticate():
    if request.endpoint == "api.openapi":
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    row = (
        token_for_request(db.session, token.strip(), clock.utcnow())
        if scheme.lower() == "bearer"
        else None
    )
    if row is None:
        response = jsonify(
            {
                "message": "Send a valid staff API token as 'Authorization: Bearer <token>': "
                "make one on your account page or with `flask users token EMAIL`; tokens "
                "expire and can be revoked."
            }
        )
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
        return response
    if row.scope == "read" and request.method not in ("GET", "HEAD"):
        db.session.rollback()
        raise ApiError(403, "This token is read-only: use a read-and-write token to change data.")
    db.session.commit()  # last_used_at
    g.api_user = row.user
    g.api_token = row
    return None


def _audit(action: str, target: object | None = None, summary: str = "") -> None:
    """An audit entry for the token's owner, naming the token."""
    note = f"through the API token {g.api_token.name!r}"
    record(
        db.session,
        g.api_user,
        action,
        target,
        f"{summary} ({note})" if summary else note,
        request.remote_addr or "",
    )


def body() -> Any:
    data = request.get_json(silent=True)
    if data is None:
        raise ApiError(400, "The request body must be JSON (Content-Type: application/json).")
    if "\\u0000" in (request.get_data(as_text=True) or ""):
        raise ApiError(400, "The request body holds a NUL character (\\u0000).")
    return data


def _date(value: Any, name: str, errors: dict) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors[name] = "a date written YYYY-MM-DD"
        return None


def _enum(enum_class, value: Any, name: str, errors: dict, default=None):
    if value in (None, ""):
        return default
    try:
        return enum_class(value)
    except ValueError:
        errors[name] = f"one of {', '.join(e.value for e in enum_class)}"
        return default


def activity_json(activity: Activity) -> dict:
    return {
        "id": activity.id,
        "year": activity.plan_year.label,
        "title": activity.title,
        "kind": activity.kind.value,
        "counts_as_cb_activity": activity.counts_as_cb_activity,
        "modality": activity.modality.value if activity.modality else None,
        "status": activity.status.value,
        "starts_on": activity.starts_on.isoformat() if activity.starts_on else None,
        "ends_on": activity.ends_on.isoformat() if activity.ends_on else None,
        "venue": activity.venue,
        "experts": activity.experts,
        "accredited_experts": activity.accredited_experts,
        "follow_up_months": activity.follow_up_months,
        "members": [m.code for m in activity.members],
        "items": [i.code for i in activity.items],
    }


def round_json(survey_round: SurveyRound, stats=None) -> dict:
    data = {
        "id": survey_round.id,
        "kind": survey_round.kind.value,
        "title": survey_round.title,
        "questionnaire": survey_round.version.questionnaire.key,
        "version": survey_round.version.number,
        "activity": survey_round.activity_id,
        "year": survey_round.plan_year.label,
        "status": survey_round.status.value,
        "opens_on": survey_round.opens_on.isoformat(),
        "closes_on": survey_round.closes_on.isoformat() if survey_round.closes_on else None,
        "anonymous": survey_round.anonymous,
        "wave": survey_round.wave,
        "open_link": f"{journey_settings().base_url}/s/{survey_round.slug}"
        if survey_round.open_link
        else None,
    }
    if stats is not None:
        data["stats"] = {
            "invited": stats.invited,
            "opened": stats.opened,
            "started": stats.started,
            "submitted": stats.responses_submitted,
            "response_rate": stats.response_rate,
            "reminders_sent": stats.reminders_sent,
        }
    return data


def _activity_or_404(activity_id: int) -> Activity:
    activity = db.session.get(Activity, activity_id)
    if activity is None:
        raise ApiError(404, f"No activity {activity_id}.")
    return activity


def _round_or_404(round_id: int) -> SurveyRound:
    survey_round = db.session.get(SurveyRound, round_id)
    if survey_round is None:
        raise ApiError(404, f"No round {round_id}.")
    return survey_round


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document(journey_settings().base_url))


@bp.get("/activities")
def activities_list():
    plan_year = None
    year = request.args.get("year")
    if year:
        try:
            plan_year = get_plan_year(db.session, year)
        except PlanYearError as error:
            raise ApiError(400, str(error), {"year": "e.g. 2025-2026"}) from None
        if plan_year is None:
            raise ApiError(404, f"No plan stored for {year}.")
    activities = list_year_activities(db.session, plan_year)
    return jsonify({"activities": [activity_json(a) for a in activities]})


def _plan_year_field(data: dict, errors: dict) -> PlanYear | None:
    try:
        plan_year = get_plan_year(db.session, str(data.get("year", "")))
    except PlanYearError:
        errors["year"] = "a plan year such as 2025-2026"
        return None
    if plan_year is None:
        errors["year"] = f"no plan stored for {data.get('year')!r}"
    return plan_year


def _count_fields(data: dict, errors: dict) -> dict[str, int]:
    numbers = {}
    for name in ("experts", "accredited_experts"):
        value = data.get(name, 0)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            errors[name] = "a whole number, 0 or more"
        numbers[name] = value if isinstance(value, int) else 0
    return numbers


def _members_field(data: dict, errors: dict) -> list[Member]:
    codes = data.get("members", [])
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        errors["members"] = "a list of ISO codes such as ['FJI']"
        return []
    found = members_by_codes(db.session, codes)
    unknown = [c for c in codes if c.upper() not in found]
    if unknown:
        errors["members"] = f"unknown Member codes: {', '.join(unknown)}"
    return list(found.values())


def _items_field(data: dict, plan_year: PlanYear | None, errors: dict) -> list[WorkPlanItem]:
    codes = data.get("items", [])
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        errors["items"] = "a list of work-plan item codes such as ['1-(a)']"
        return []
    if plan_year is None:
        return []
    found = items_by_codes(db.session, plan_year, codes)
    unknown = [c for c in codes if c not in found]
    if unknown:
        errors["items"] = f"not items of {plan_year.label}: {', '.join(unknown)}"
    return list(found.values())


@bp.post("/activities")
def activities_create():
    data = body()
    if not isinstance(data, dict):
        raise ApiError(400, "Send one activity as a JSON object.")
    errors: dict[str, str] = {}
    plan_year = _plan_year_field(data, errors)
    if not isinstance(data.get("title"), str) or not data["title"].strip():
        errors["title"] = "required text"
    kind = _enum(ActivityKind, data.get("kind"), "kind", errors)
    if kind is None and "kind" not in errors:
        errors["kind"] = "required: " + ", ".join(k.value for k in ActivityKind)
    status = _enum(ActivityStatus, data.get("status"), "status", errors, ActivityStatus.PLANNED)
    modality = _enum(Modality, data.get("modality"), "modality", errors)
    starts_on = _date(data.get("starts_on"), "starts_on", errors)
    ends_on = _date(data.get("ends_on"), "ends_on", errors)
    numbers = _count_fields(data, errors)
    members = _members_field(data, errors)
    items = _items_field(data, plan_year, errors)
    if errors:
        raise ApiError(422, "The activity has invalid fields.", errors)
    try:
        activity = create_activity(
            db.session,
            plan_year,
            ActivityData(
                title=data["title"],
                kind=kind,
                status=status,
                modality=modality,
                starts_on=starts_on,
                ends_on=ends_on,
                venue=str(data.get("venue") or "")[:200],
                experts=numbers["experts"],
                accredited_experts=numbers["accredited_experts"],
                follow_up_months=str(data.get("follow_up_months") or ""),
                member_ids=[m.id for m in members],
                item_ids=[i.id for i in items],
            ),
        )
    except ActivityError as error:
        db.session.rollback()
        raise ApiError(
            422, "The activity has invalid fields.", {error.field: error.message}
        ) from None
    _audit("activity.create", activity, activity.title)
    db.session.commit()
    return jsonify(activity_json(activity)), 201


@bp.post("/activities/<int:activity_id>/participants")
def participants_add(activity_id: int):
    activity = _activity_or_404(activity_id)
    data = body()
    people = data.get("participants") if isinstance(data, dict) else data
    if not isinstance(people, list) or not people:
        raise ApiError(
            400, 'Send a list of participants: [{"name", "member", "email", "gender", "position"}].'
        )
    records = []
    for index, person in enumerate(people):
        if not isinstance(person, dict):
            raise ApiError(
                422, "Each participant must be an object.", {str(index): "not an object"}
            )
        record = {"_row": index, "_ignored": []}
        for name in ("name", "email", "member", "gender", "position"):
            value = person.get(name)
            record[name] = "" if value is None else str(value).strip()
        records.append(record)
    result = import_participants(db.session, activity, records)
    if not result.ok:
        db.session.rollback()
        raise ApiError(
            422,
            "No participant was added: fix these and send the list again.",
            {f"{e.row}.{e.column}": e.message for e in result.errors},
        )
    _audit(
        "participants.import",
        activity,
        f"{result.rows} rows, {result.attached} added, {result.created} new people",
    )
    db.session.commit()
    return jsonify(
        {
            "created": result.created,
            "updated": result.updated,
            "attached": result.attached,
            "already_attending": result.already_attending,
        }
    )


@bp.post("/activities/<int:activity_id>/deliver")
def activity_deliver(activity_id: int):
    activity = _activity_or_404(activity_id)
    try:
        delivery = deliver_activity(db.session, activity, journey_settings(), clock.today())
    except ActivityError as error:
        db.session.rollback()
        raise ApiError(422, error.message, {error.field: error.message}) from None
    except ScheduleError as error:
        db.session.rollback()
        raise ApiError(409, str(error)) from None
    _audit("activity.deliver", activity, f"{len(delivery.created)} round(s) made")
    db.session.commit()
    rounds = [delivery.evaluation, *delivery.follow_ups]
    return jsonify(
        {
            "activity": activity_json(activity),
            "rounds": [round_json(r) for r in rounds],
            "created": [r.id for r in delivery.created],
        }
    )


@bp.get("/rounds")
def rounds_list():
    activity = request.args.get("activity")
    if activity and (not re.fullmatch(r"[0-9]{1,10}", activity) or int(activity) > MAX_ID):
        raise ApiError(400, "activity must be an activity id", {"activity": "an integer"})
    errors: dict = {}
    kind = _enum(QuestionnaireKind, request.args.get("kind"), "kind", errors)
    if errors:
        raise ApiError(400, "Unknown kind.", errors)
    rounds = list_rounds(db.session, activity_id=int(activity) if activity else None, kind=kind)
    stats = round_stats(db.session, [r.id for r in rounds])
    return jsonify({"rounds": [round_json(r, stats[r.id]) for r in rounds]})


@bp.get("/rounds/<int:round_id>/invitations")
def invitations_list(round_id: int):
    survey_round = _round_or_404(round_id)
    config = journey_settings()
    invitations = round_invitations(db.session, survey_round)
    _audit("download.invitations", survey_round, f"{len(invitations)} invitations")
    db.session.commit()
    return jsonify(
        {
            "invitations": [
                {
                    "id": i.id,
                    "name": i.name,
                    "email": i.email or None,
                    "member": i.member.code,
                    "participant": i.participant_id,
                    # A personal link answers as the person: not for read-only tokens.
                    "link": invitation_link(config.base_url, config.invitation_key, i)
                    if g.api_token.scope == "write"
                    else None,
                    "opened_at": _time(i.opened_at),
                    "started_at": _time(i.started_at),
                    "submitted_at": _time(i.submitted_at),
                }
                for i in invitations
            ]
        }
    )


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


@bp.post("/rounds/<int:round_id>/invitations/<int:invitation_id>/resend")
def invitation_resend(round_id: int, invitation_id: int):
    survey_round = _round_or_404(round_id)
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.round_id != survey_round.id:
        raise ApiError(404, f"No invitation {invitation_id} in round {round_id}.")
    if invitation.submitted_at is not None:
        raise ApiError(409, "This invitation has already been answered.")
    now = clock.utcnow()
    messages = resend_invitation(db.session, journey_settings(), invitation, now)
    _audit("invitation.resend", invitation, f"{len(messages)} message(s)")
    db.session.commit()
    if not messages:
        raise ApiError(422, "This invitation has no email address to send to.")
    backend = backend_from_config(current_app.config)
    sent, queued = [], []
    for message in messages:
        try:
            send_now(db.session, backend, message, now)
            sent.append(message.to_email)
        except OSError:
            queued.append(message.to_email)
        db.session.commit()
    return jsonify({"sent": sent, "queued_for_retry": queued})


@bp.get("/rounds/<int:round_id>/responses")
def responses_list(round_id: int):
    survey_round = _round_or_404(round_id)
    responses = submitted_responses(db.session, survey_round)
    _audit("download.responses", survey_round, f"{len(responses)} responses as JSON")
    db.session.commit()
    return jsonify(
        {
            "round": survey_round.id,
            "anonymous": survey_round.anonymous,
            "responses": [
                {
                    "id": r.response.id,
                    "submitted_at": _time(r.response.submitted_at),
                    "member": r.member_code,
                    "answers": values_to_json(r.values),
                }
                for r in responses
            ],
        }
    )


@bp.get("/kpis")
def kpis():
    year = request.args.get("year")
    if not year:
        raise ApiError(400, "Give the plan year: /api/v1/kpis?year=2025-2026", {"year": "required"})
    try:
        filters = KpiFilters.parse(request.args)
        # The API returns the totals only: no per-activity breakdown to compute.
        report = year_kpis(
            db.session, year, filters, min_group_size(), clock.today(), breakdown=False
        )
    except PlanYearError as error:
        raise ApiError(400, str(error), {"year": "e.g. 2025-2026"}) from None
    except KpiError as error:
        name = str(error).split(":", 1)[0]
        status = 404 if name == "year" else 400
        raise ApiError(status, str(error), {name: str(error).split(": ", 1)[-1]}) from None
    _audit("download.kpis", None, f"{year} as JSON")
    db.session.commit()
    return jsonify(report.as_api())
