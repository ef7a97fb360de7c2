"""Who may open what: every route of `app.url_map`, visited as every role, with real ids
of Member A's and Member B's data. The table below is the route-level form of the access
rules in SECURITY.md; a route added without an entry here fails the first test.

Roles: an anonymous visitor; a participant who opened their personal link (not logged
in); the contact point of Member A (Nepal); staff; an administrator. The API is visited
without a token (401) and with a staff token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from flask import url_for
from sqlalchemy import select

from app.accounts.api_tokens import issue_api_token
from app.common import clock
from app.journeys.scheduling import ensure_needs_round
from app.models import Finding, FindingKind, Invitation, Message, Response, ResponseStatus
from app.workplan.plan_years import get_or_create_plan_year, label_for_date
from tests.conftest import TEST_PASSWORD, csrf_token
from tests.factories import ActivityFactory, AttendanceFactory, ParticipantFactory, UserFactory
from tests.factories import member as member_of
from tests.journey import answer_evaluation, answer_needs, make_journey, open_link

ROLES = ("anonymous", "participant", "contact", "staff", "admin")

# What each kind of route lets each role do.
PUBLIC = "anyone"  # the login, respondents' pages, health, static files
ACCOUNT = "any logged-in person"  # one's own account
STAFF = "staff and administrators"
ADMIN = "administrators"
CONTACT = "contact points, their own Member's records only"
API = "API with a staff token"

API_ENDPOINTS = (
    "api.openapi",
    "api.activities_list",
    "api.activities_create",
    "api.activity_deliver",
    "api.participants_add",
    "api.participants_list",
    "api.rounds_list",
    "api.invitations_list",
    "api.invitation_resend",
    "api.responses_list",
    "api.kpis",
)
ACCESS: dict[str, str] = {
    "main.index": PUBLIC,
    "main.favicon": PUBLIC,
    "ops.healthz": PUBLIC,
    "ops.readyz": PUBLIC,
    # From the machine itself (the test client's 127.0.0.1) or with METRICS_TOKEN; from
    # anywhere else a 404: tests/ops/test_observability.py.
    "ops.metrics": PUBLIC,
    "static": PUBLIC,
    "auth.login": PUBLIC,
    "auth.logout": PUBLIC,
    "auth.second_factor": PUBLIC,
    "auth.forgot_password": PUBLIC,
    "auth.set_password": PUBLIC,
    "auth.account": ACCOUNT,
    "auth.account_language": ACCOUNT,
    "auth.account_password": ACCOUNT,
    "auth.account_sessions_end": ACCOUNT,
    "auth.account_token_new": STAFF,  # API tokens are for staff
    "auth.account_token_revoke": STAFF,
    "auth.two_factor_setup": ACCOUNT,
    "auth.two_factor_off": ACCOUNT,
    "links.personal_link": PUBLIC,
    "respond.landing": PUBLIC,
    "respond.start": PUBLIC,
    "respond.section": PUBLIC,
    "respond.review": PUBLIC,
    "respond.saved": PUBLIC,
    "respond.link_again": PUBLIC,
    "respond.thanks": PUBLIC,
    "respond.copy_page": PUBLIC,
    "respond.copy_pdf": PUBLIC,
    "respond.copy_email": PUBLIC,
    "portal.home": CONTACT,
    "portal.needs_answer": CONTACT,
    "portal.needs_response": CONTACT,
    "portal.needs_response_pdf": CONTACT,
    "portal.participants": CONTACT,
    "portal.participant": CONTACT,
    "portal.results": CONTACT,
    "portal.activity_results": CONTACT,
    "manage.tokens": ADMIN,
    "manage.token_revoke": ADMIN,
    "manage.audit_log": ADMIN,
    "manage.member_edit": ADMIN,
    **dict.fromkeys(API_ENDPOINTS, API),
}
STAFF_ENDPOINTS = {
    "home",
    "activities_current",
    "activities",
    "activity",
    "activity_new",
    "activity_edit",
    "activity_deliver",
    "activity_evaluation",
    "activity_evaluation_pdf",
    "participants",
    "participant_edit",
    "participant_remove",
    "participants_import",
    "participant_data",
    "participant_data_export",
    "participant_erase",
    "plan",
    "members",
    "surveys",
    "survey_version",
    "survey_preview",
    "survey_xlsform",
    "round_new",
    "round_detail",
    "round_change",
    "round_extend",
    "round_export",
    "round_analysis_export",
    "survey_year_analysis_export",
    "round_qr",
    "round_record",
    "invitation_resend",
    "outbox",
    "outbox_message",
    "email_templates",
    "email_template_edit",
    "kpis",
    "kpis_export",
    "kpi_definitions",
    "kpi_participants",
    "kpi_members_reached",
    "needs",
    "results",
    "result_review",
    "results_review",
    "post_action",
    "findings_refresh",
    "finding_action",
    "users",
    "user_new",
    "user_detail",
    "user_role",
    "user_active",
    "user_reset",
    "user_sessions_end",
    "user_two_factor_off",
}
ACCESS.update({f"manage.{name}": STAFF for name in STAFF_ENDPOINTS})
# Requests that end the session they come with: each gets a client of its own.
ENDS_THE_SESSION = {"auth.logout", "auth.account_sessions_end"}


@dataclass
class World:
    ids: dict
    other: dict  # Member B's records, for the contact point of Member A
    api_token: str


@pytest.fixture()
def world(app, session, client) -> World:
    journey = make_journey(session, app)
    journey.dispatch()
    year = get_or_create_plan_year(session, label_for_date(clock.today()))
    needs = ensure_needs_round(session, year, journey.settings, clock.today())
    UserFactory(email="cp@customs.gov.bt", role="contact_point", member=member_of("BTN"))
    staff = UserFactory(email="staff@rocb.example", role="staff")
    target = UserFactory(email="target@rocb.example", role="staff")
    UserFactory(email="admin@rocb.example", role="admin")
    bhutan_only = ActivityFactory(title="National workshop for Bhutan", members=[member_of("BTN")])
    AttendanceFactory(activity=bhutan_only, participant=ParticipantFactory(member=member_of("BTN")))
    finding = Finding(plan_year_id=year.id, kind=FindingKind.BARRIER, key="barrier:x", summary="x")
    session.add(finding)
    row, api_token = issue_api_token(session, staff, clock.utcnow(), "robot")
    session.commit()
    # Ana (Nepal) answers the evaluation; both administrations answer the needs assessment.
    ana = app.test_client()
    open_link(ana, journey.link_for("ana@customs.gov.np"))
    answer_evaluation(ana, journey.delivery.evaluation.slug)
    responses = {}
    for email, code in (("cp@customs.gov.np", "NPL"), ("cp@customs.gov.bt", "BTN")):
        cp = app.test_client()
        _login(cp, email)
        page = cp.get("/portal/").get_data(as_text=True)
        cp.post(f"/portal/needs/{needs.id}/answer", data={"csrf_token": csrf_token(page)})
        answer_needs(cp, needs.slug, member=code)
        responses[code] = session.scalar(
            select(Response)
            .join(Invitation, Invitation.response_id == Response.id)
            .where(Invitation.member_key == member_of(code).id)
        ).id
    evaluation = journey.delivery.evaluation
    ana_invitation = session.scalar(
        select(Invitation).where(
            Invitation.round_id == evaluation.id,
            Invitation.participant_id == journey.people["ana"].id,
        )
    )
    ana_response = session.scalar(
        select(Response).where(
            Response.round_id == evaluation.id, Response.status == ResponseStatus.SUBMITTED
        )
    )
    ids = {
        "activity_id": journey.activity.id,
        "participant_id": journey.people["ana"].id,
        "round_id": evaluation.id,
        "invitation_id": ana_invitation.id,
        "message_id": session.scalars(select(Message.id)).first(),
        "finding_id": finding.id,
        "result_id": 999_999,
        "user_id": target.id,
        "token_id": row.id,
        "response_id": responses["NPL"],
        "key": "participant-evaluation",
        "number": 1,
        "index": 0,
        "slug": evaluation.slug,
        "token": "not-a-token",
        "label": journey.activity.plan_year.label,
        "year": journey.activity.plan_year.label,
        "kind": "reminder",
        "fmt": "csv",
        "part": "responses",
        "change": "open",
        "filename": "css/app.css",
        "code": "FJI",
    }
    other = {
        "portal.participant": {"participant_id": journey.people["dee"].id},
        "portal.needs_response": {"response_id": responses["BTN"]},
        "portal.needs_response_pdf": {"response_id": responses["BTN"]},
        "portal.activity_results": {"activity_id": bhutan_only.id},
    }
    # A participant's own evaluation answers are never one of the portal's responses.
    other["portal.needs_response (a participant's evaluation)"] = {"response_id": ana_response.id}
    return World(ids, other, api_token)


def _login(client, email: str) -> None:
    page = client.get("/auth/login").get_data(as_text=True)
    response = client.post(
        "/auth/login",
        data={"csrf_token": csrf_token(page), "email": email, "password": TEST_PASSWORD},
    )
    assert response.status_code == 302, email


def _client_for(app, role: str, journey_link: str | None):
    client = app.test_client()
    if role == "participant" and journey_link:
        open_link(client, journey_link)
    elif role in ("contact", "staff", "admin"):
        _login(
            client,
            {
                "contact": "cp@customs.gov.np",
                "staff": "staff@rocb.example",
                "admin": "admin@rocb.example",
            }[role],
        )
    return client


def _csrf(client) -> str:
    for page in ("/auth/account", "/auth/login"):
        html = client.get(page).get_data(as_text=True)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
        if match:
            return match.group(1)
    raise AssertionError("no page with a CSRF token")


# Arguments a route restricts to values of its own.
ARGUMENTS = {"manage.round_qr": {"fmt": "png"}, "manage.user_active": {"change": "enable"}}


def _path(app, rule, values: dict) -> str:
    values = {**values, **ARGUMENTS.get(rule.endpoint, {})}
    with app.test_request_context():
        return url_for(rule.endpoint, **{a: values[a] for a in rule.arguments})


def _request(client, rule, path: str, token: str | None = None, api_token: str | None = None):
    headers = {"Authorization": f"Bearer {api_token}"} if api_token else {}
    if "GET" in rule.methods:
        response = client.get(path, headers=headers)
    else:
        data = {"csrf_token": token} if token else {}
        response = client.post(path, data=data, headers=headers)
    response.close()
    return response


def _outcome(response) -> str:
    if response.status_code >= 500:
        return "error"
    if response.status_code == 401:
        return "unauthorised"
    if response.status_code == 403:
        return "forbidden"
    if response.status_code == 302 and "/auth/login?next=" in response.location:
        return "login"  # refused: log in first (a logout or "/" sends to the login plainly)
    return "ok"


EXPECTED = {
    PUBLIC: dict.fromkeys(ROLES, "ok"),
    ACCOUNT: {
        "anonymous": "login",
        "participant": "login",
        "contact": "ok",
        "staff": "ok",
        "admin": "ok",
    },
    STAFF: {
        "anonymous": "login",
        "participant": "login",
        "contact": "forbidden",
        "staff": "ok",
        "admin": "ok",
    },
    ADMIN: {
        "anonymous": "login",
        "participant": "login",
        "contact": "forbidden",
        "staff": "forbidden",
        "admin": "ok",
    },
    CONTACT: {
        "anonymous": "login",
        "participant": "login",
        "contact": "ok",
        "staff": "forbidden",
        "admin": "forbidden",
    },
    # Cookies open nothing in the API: only a token does.
    API: dict.fromkeys(ROLES, "unauthorised"),
}


def test_every_route_has_an_access_rule(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - ACCESS.keys())
    assert not missing, f"add these routes to ACCESS (and SECURITY.md if new): {missing}"
    assert not sorted(ACCESS.keys() - endpoints), "ACCESS names routes that no longer exist"


def _link_of_bo() -> str:
    """Bo's personal link to the evaluation (Bo has not answered it)."""
    from tests.factories import current_session
    from tests.journey import LINK

    message = current_session().scalar(
        select(Message).where(Message.to_email == "bo@customs.gov.np")
    )
    return LINK.search(message.body_text).group(1)


def test_every_route_as_every_role(app, world, session):
    link = _link_of_bo()
    clients = {role: _client_for(app, role, link) for role in ROLES}
    tokens = {role: _csrf(client) for role, client in clients.items()}
    wrong = []
    # Ending a session ends every session of the account: those routes come last.
    rules = sorted(
        app.url_map.iter_rules(), key=lambda r: (r.endpoint in ENDS_THE_SESSION, r.endpoint)
    )
    for rule in rules:
        rule_class = ACCESS[rule.endpoint]
        path = _path(app, rule, world.ids)
        for role in ROLES:
            expected = "ok" if rule.endpoint == "api.openapi" else EXPECTED[rule_class][role]
            client = clients[role]
            token = tokens[role]
            if rule.endpoint in ENDS_THE_SESSION:
                client = _client_for(app, role, link)
                token = _csrf(client)
            got = _outcome(_request(client, rule, path, token))
            if got != expected:
                wrong.append(f"{role:12} {rule.endpoint:34} {path}: {got}, expected {expected}")
        if rule_class == API and rule.endpoint != "api.openapi":
            got = _outcome(_request(app.test_client(), rule, path, api_token=world.api_token))
            if got != "ok":
                wrong.append(f"api token    {rule.endpoint:34} {path}: {got}, expected ok")
    assert not wrong, "\n".join(wrong)


def test_a_contact_point_reaches_only_their_own_member_s_records(app, world):
    client = _client_for(app, "contact", None)
    for name, values in world.other.items():
        endpoint = name.split(" ")[0]
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        path = _path(app, rule, {**world.ids, **values})
        assert client.get(path).status_code == 404, f"{name}: {path}"
    for endpoint in (
        "portal.participant",
        "portal.needs_response",
        "portal.needs_response_pdf",
        "portal.activity_results",
    ):
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        path = _path(app, rule, world.ids)
        assert client.get(path).status_code == 200, f"{endpoint} of Member A: {path}"
