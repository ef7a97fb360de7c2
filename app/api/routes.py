"""JSON API v1 for systems: activities, participants, delivery, rounds, invitations,
responses and the KPIs. Staff authenticate with a token (`flask users token EMAIL`) sent
as ``Authorization: Bearer <token>``. Lists are read a page at a time with a cursor
(``app/api/cursors.py``); errors are ``application/problem+json`` (``app/api/problems.py``);
the schemas of ``app/api/schemas.py`` validate the requests, shape the answers and make
the OpenAPI document."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, g, jsonify, request
from flask_smorest import Blueprint
from marshmallow import RAISE

from app.accounts.api_tokens import token_for_request
from app.api import cursors
from app.api import schemas as s
from app.api.problems import ApiError, param
from app.common import clock
from app.common.audit import record
from app.common.keyset import Page
from app.common.mail import backend_from_config, send_now
from app.extensions import csrf, db, limiter
from app.journeys.dispatch import resend_invitation
from app.journeys.invitations import invitation_changes
from app.journeys.scheduling import ScheduleError, deliver_activity
from app.kpis.cache import year_kpis
from app.kpis.scope import KpiError, KpiFilters
from app.models import Activity, Invitation, Member, PlanYear, SurveyRound, WorkPlanItem
from app.surveys.responses import submitted_page
from app.surveys.rounds import RoundStats, round_changes, round_stats
from app.web.settings import journey_settings, min_group_size
from app.workplan.activities import (
    ActivityData,
    ActivityError,
    activity_changes,
    create_activity,
    items_by_codes,
)
from app.workplan.members import members_by_codes
from app.workplan.participants import import_participants, participant_changes
from app.workplan.plan_years import PlanYearError, get_plan_year

bp = Blueprint("api", __name__, url_prefix="/api/v1", description="API v1")
csrf.exempt(bp)
limiter.limit(lambda: current_app.config["RATELIMIT_API"])(bp)

# The routes that read a JSON body: anything else is 415.
JSON_BODY = {"api.activities_create", "api.participants_add"}
UNAUTHENTICATED = (
    "Send a valid staff API token as 'Authorization: Bearer <token>': make one on your "
    "account page or with `flask users token EMAIL`; tokens expire and can be revoked."
)


def problems(*codes: int):
    """Document the errors a route answers besides 401, 429 and 500 (all routes) and 403
    (all writes): each is a problem+json."""

    def decorate(view):
        for code in codes:
            view = bp.alt_response(code, response=_STATUS_NAMES[code])(view)
        return view

    return decorate


# A list's next page, as in its body's `next` (RFC 8288).
NEXT_LINK = {
    "Link": {
        "description": 'the next page: <URL>; rel="next" (absent on the last page)',
        "schema": {"type": "string"},
    }
}

_STATUS_NAMES = {
    429: "TOO_MANY_REQUESTS",
    400: "BAD_REQUEST",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    409: "CONFLICT",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "UNPROCESSABLE_ENTITY",
}


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
        raise ApiError(
            401,
            UNAUTHENTICATED,
            [param("Authorization", "a valid staff API token", "header")],
            {"WWW-Authenticate": 'Bearer realm="api"'},
        )
    if row.scope == "read" and request.method not in ("GET", "HEAD"):
        db.session.rollback()
        raise ApiError(403, "This token is read-only: use a read-and-write token to change data.")
    db.session.commit()  # last_used_at
    g.api_user = row.user
    g.api_token = row
    if request.endpoint in JSON_BODY:
        _check_json_body()
    return None


def _check_json_body() -> None:
    if not request.is_json:
        raise ApiError(
            415,
            "The request body must be JSON (Content-Type: application/json).",
            [param("Content-Type", "application/json", "header")],
        )
    if "\\u0000" in (request.get_data(as_text=True) or ""):
        raise ApiError(
            400, "The request body holds a NUL character (\\u0000).", [param("body", "NUL")]
        )


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


def _audit_read(action: str, target: object | None, summary: str) -> None:
    """An audit entry for a list read, committed once the page is written
    (``_commit_reads``): a commit before would expire the rows the page shows, and reading
    each again would cost a statement per row."""
    _audit(action, target, summary)
    g.commit_after_response = True


@bp.after_request
def _commit_reads(response):
    if g.pop("commit_after_response", False):
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
    return response


def _activity_or_404(activity_id: int) -> Activity:
    activity = db.session.get(Activity, activity_id) if activity_id <= s.MAX_ID else None
    if activity is None:
        raise ApiError(
            404, f"No activity {activity_id}.", [param("activity_id", "no such activity", "path")]
        )
    return activity


def _round_or_404(round_id: int) -> SurveyRound:
    survey_round = db.session.get(SurveyRound, round_id) if round_id <= s.MAX_ID else None
    if survey_round is None:
        raise ApiError(404, f"No round {round_id}.", [param("round_id", "no such round", "path")])
    return survey_round


def _page(kind: str, page, args: dict, **view_args: Any) -> tuple[dict, int, dict]:
    links, headers = cursors.page_links(kind, page, args.get("cursor"), **view_args)
    return {kind: page.rows, **links}, 200, headers


@bp.route("/openapi.json")
@bp.doc(
    security=[],
    summary="This document",
    responses={
        "200": {
            "description": "OpenAPI 3.1",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
def openapi():
    api = current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    document = api.spec.to_dict()
    document["servers"] = [{"url": journey_settings().base_url}]
    return jsonify(document)


@bp.get("/activities")
@bp.arguments(s.ActivityArgs, location="query", error_status_code=400, unknown=RAISE)
@bp.response(200, s.ActivityPageSchema, headers=NEXT_LINK)
@problems(404)
def activities_list(args: dict):
    """Activities in the order they last changed"""
    plan_year = None
    if args.get("year"):
        try:
            plan_year = get_plan_year(db.session, args["year"])
        except PlanYearError as error:
            raise ApiError(400, str(error), [param("year", "e.g. 2025-2026", "query")]) from None
        if plan_year is None:
            raise ApiError(
                404, f"No plan stored for {args['year']}.", [param("year", "no plan", "query")]
            )
    after = cursors.decode("activities", args.get("cursor"))
    page = activity_changes(db.session, plan_year, args.get("updated_after"), after, args["limit"])
    return _page("activities", page, args)


def _plan_year_field(data: dict, errors: list) -> PlanYear | None:
    try:
        plan_year = get_plan_year(db.session, data["year"])
    except PlanYearError:
        errors.append(param("year", "a plan year such as 2025-2026"))
        return None
    if plan_year is None:
        errors.append(param("year", f"no plan stored for {data['year']!r}"))
    return plan_year


def _members_field(data: dict, errors: list) -> list[Member]:
    codes = data["members"]
    found = members_by_codes(db.session, codes)
    unknown = [c for c in codes if c.upper() not in found]
    if unknown:
        errors.append(param("members", f"unknown Member codes: {', '.join(unknown)}"))
    return list(found.values())


def _items_field(data: dict, plan_year: PlanYear | None, errors: list) -> list[WorkPlanItem]:
    if plan_year is None:
        return []
    codes = data["items"]
    found = items_by_codes(db.session, plan_year, codes)
    unknown = [c for c in codes if c not in found]
    if unknown:
        errors.append(param("items", f"not items of {plan_year.label}: {', '.join(unknown)}"))
    return list(found.values())


@bp.post("/activities")
@bp.arguments(s.NewActivitySchema)
@bp.response(201, s.ActivitySchema)
@problems(400, 403, 415)
def activities_create(data: dict):
    """Create an activity"""
    errors: list[dict[str, str]] = []
    plan_year = _plan_year_field(data, errors)
    members = _members_field(data, errors)
    items = _items_field(data, plan_year, errors)
    if errors or plan_year is None:
        raise ApiError(422, "The activity has invalid fields.", errors)
    try:
        activity = create_activity(
            db.session,
            plan_year,
            ActivityData(
                title=data["title"],
                kind=data["kind"],
                status=data["status"],
                modality=data["modality"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                venue=data["venue"],
                experts=data["experts"],
                accredited_experts=data["accredited_experts"],
                follow_up_months=data["follow_up_months"],
                member_ids=[m.id for m in members],
                item_ids=[i.id for i in items],
            ),
        )
    except ActivityError as error:
        db.session.rollback()
        raise ApiError(
            422, "The activity has invalid fields.", [param(error.field, error.message)]
        ) from None
    _audit("activity.create", activity, activity.title)
    db.session.commit()
    return activity


@bp.get("/participants")
@bp.arguments(s.ParticipantArgs, location="query", error_status_code=400, unknown=RAISE)
@bp.response(200, s.ParticipantPageSchema, headers=NEXT_LINK)
def participants_list(args: dict):
    """Participants in the order they last changed (an erasure is a change)"""
    after = cursors.decode("participants", args.get("cursor"))
    page = participant_changes(
        db.session, args.get("activity"), args.get("updated_after"), after, args["limit"]
    )
    _audit_read("download.participants", None, f"{len(page.rows)} participants as JSON")
    return _page("participants", page, args)


@bp.post("/activities/<int:activity_id>/participants")
@bp.arguments(s.NewParticipantsSchema)
@bp.response(200, s.ParticipantsAddedSchema)
@problems(400, 403, 404, 415)
def participants_add(data: dict, activity_id: int):
    """Add participants (all or nothing; matched by email)"""
    activity = _activity_or_404(activity_id)
    records = [
        {
            "_row": index,
            "_ignored": [],
            **{name: str(person.get(name) or "").strip() for name in _PERSON},
        }
        for index, person in enumerate(data["participants"])
    ]
    result = import_participants(db.session, activity, records)
    if not result.ok:
        db.session.rollback()
        raise ApiError(
            422,
            "No participant was added: fix these and send the list again.",
            [param(f"participants.{e.row}.{e.column}", e.message) for e in result.errors],
        )
    _audit(
        "participants.import",
        activity,
        f"{result.rows} rows, {result.attached} added, {result.created} new people",
    )
    db.session.commit()
    return {
        "created": result.created,
        "updated": result.updated,
        "attached": result.attached,
        "already_attending": result.already_attending,
    }


_PERSON = ("name", "email", "member", "gender", "position")


@bp.post("/activities/<int:activity_id>/deliver")
@bp.response(200, s.DeliverySchema)
@problems(403, 404, 409, 422)
def activity_deliver(activity_id: int):
    """Mark delivered; opens and schedules its rounds"""
    activity = _activity_or_404(activity_id)
    try:
        delivery = deliver_activity(db.session, activity, journey_settings(), clock.today())
    except ActivityError as error:
        db.session.rollback()
        raise ApiError(422, error.message, [param(error.field, error.message)]) from None
    except ScheduleError as error:
        db.session.rollback()
        raise ApiError(409, str(error)) from None
    _audit("activity.deliver", activity, f"{len(delivery.created)} round(s) made")
    db.session.commit()
    return {
        "activity": activity,
        "rounds": [delivery.evaluation, *delivery.follow_ups],
        "created": [r.id for r in delivery.created],
    }


@bp.get("/rounds")
@bp.arguments(s.RoundArgs, location="query", error_status_code=400, unknown=RAISE)
@bp.response(200, s.RoundPageSchema, headers=NEXT_LINK)
def rounds_list(args: dict):
    """Rounds in the order they last changed, with their counts of the moment"""
    after = cursors.decode("rounds", args.get("cursor"))
    page = round_changes(
        db.session,
        args.get("activity"),
        args.get("kind"),
        args.get("updated_after"),
        after,
        args["limit"],
    )
    stats = round_stats(db.session, [r.id for r in page.rows])
    rows = [RoundWithStats(r, stats[r.id]) for r in page.rows]
    return _page("rounds", Page(rows, page.more, page.last_key), args)


@dataclass
class RoundWithStats:
    """A round read with its counts of the moment (RoundWithStatsSchema)."""

    round: SurveyRound
    stats: RoundStats

    def __getattr__(self, name: str) -> Any:
        return getattr(self.round, name)


@bp.get("/rounds/<int:round_id>/invitations")
@bp.arguments(s.ChangedArgs, location="query", error_status_code=400, unknown=RAISE)
@bp.response(200, s.InvitationPageSchema, headers=NEXT_LINK)
@problems(404)
def invitations_list(args: dict, round_id: int):
    """A round's invitations in the order they last changed"""
    survey_round = _round_or_404(round_id)
    after = cursors.decode("invitations", args.get("cursor"))
    page = invitation_changes(
        db.session, survey_round, args.get("updated_after"), after, args["limit"]
    )
    _audit_read("download.invitations", survey_round, f"{len(page.rows)} invitations")
    return _page("invitations", page, args, round_id=round_id)


@bp.post("/rounds/<int:round_id>/invitations/<int:invitation_id>/resend")
@bp.response(200, s.ResendSchema)
@problems(403, 404, 409, 422)
def invitation_resend(round_id: int, invitation_id: int):
    """Send an invitation again"""
    survey_round = _round_or_404(round_id)
    invitation = db.session.get(Invitation, invitation_id) if invitation_id <= s.MAX_ID else None
    if invitation is None or invitation.round_id != survey_round.id:
        raise ApiError(
            404,
            f"No invitation {invitation_id} in round {round_id}.",
            [param("invitation_id", "not an invitation of this round", "path")],
        )
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
    return {"sent": sent, "queued_for_retry": queued}


@bp.get("/rounds/<int:round_id>/responses")
@bp.arguments(s.ResponseArgs, location="query", error_status_code=400, unknown=RAISE)
@bp.response(200, s.ResponsePageSchema, headers=NEXT_LINK)
@problems(404)
def responses_list(args: dict, round_id: int):
    """A round's submitted responses in the order they were submitted"""
    survey_round = _round_or_404(round_id)
    after = cursors.decode("responses", args.get("cursor"), moments=False)
    page = submitted_page(
        db.session, survey_round, args.get("submitted_after"), after, args["limit"]
    )
    _audit_read("download.responses", survey_round, f"{len(page.rows)} responses as JSON")
    body, status, headers = _page("responses", page, args, round_id=round_id)
    return {"round": survey_round.id, "anonymous": survey_round.anonymous, **body}, status, headers


@bp.get("/kpis")
@bp.arguments(s.KpiArgs, location="query", error_status_code=400, unknown=RAISE)
@bp.response(200, s.KpisSchema)
@problems(404)
def kpis(args: dict):
    """The dashboard's figures, 3-(f) to 3-(j) (what each counts: docs/kpis.md)"""
    year = args["year"]
    try:
        filters = KpiFilters.parse(request.args)
        # The API returns the totals only: no per-activity breakdown to compute.
        report = year_kpis(
            db.session, year, filters, min_group_size(), clock.today(), breakdown=False
        )
    except PlanYearError as error:
        raise ApiError(400, str(error), [param("year", "e.g. 2025-2026", "query")]) from None
    except KpiError as error:
        name, _, reason = str(error).partition(": ")
        status = 404 if name == "year" else 400
        raise ApiError(status, str(error), [param(name, reason or str(error), "query")]) from None
    _audit("download.kpis", None, f"{year} as JSON")
    db.session.commit()
    return report.as_api()
