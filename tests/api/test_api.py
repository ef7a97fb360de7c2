"""JSON API v1: authentication, validation errors as problem+json, the journey through
the API, and the generated OpenAPI document kept in step with the routes (every response
of these tests is also validated against it: tests/api/conftest.py)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.api_tokens import TokenError, issue_api_token
from app.common import clock
from app.models import Attendance, Participant
from app.surveys.versions import sync_definitions
from tests.factories import UserFactory, WorkPlanItemFactory, member, plan_year
from tests.journey import answer_evaluation, make_journey, open_link
from tests.samples import SURVEYS


@pytest.fixture()
def api(client, session):
    plan_year("2025-2026")
    _row, token = issue_api_token(session, UserFactory(role="staff"), clock.utcnow())
    session.commit()

    class Api:
        def get(self, path, **kwargs):
            return client.get(
                f"/api/v1{path}", headers={"Authorization": f"Bearer {token}"}, **kwargs
            )

        def post(self, path, json=None, **kwargs):
            return client.post(
                f"/api/v1{path}", json=json, headers={"Authorization": f"Bearer {token}"}, **kwargs
            )

    return Api()


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic abc", "Bearer "])
def test_authentication_is_required(client, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/activities", headers=headers)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == 401 and problem["title"] == "Unauthorized"
    assert "API token" in problem["detail"]
    assert [p["name"] for p in problem["invalid-params"]] == ["Authorization"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_contact_points_get_no_token(session):
    with pytest.raises(TokenError, match="staff and administrators only"):
        issue_api_token(
            session, UserFactory(role="contact_point", member=member("FJI")), clock.utcnow()
        )


def test_unknown_api_paths_answer_in_json(api):
    response = api.get("/nothing-here")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 404 and response.get_json()["detail"]


def test_create_and_list_activities(api, session):
    WorkPlanItemFactory(code="1-(q)")
    payload = {
        "year": "2025-2026",
        "title": "National workshop on PCA for Nepal",
        "kind": "national_workshop",
        "members": ["NPL"],
        "items": ["1-(q)"],
        "starts_on": "2025-10-06",
        "ends_on": "2025-10-09",
        "experts": 2,
        "accredited_experts": 1,
        "follow_up_months": "6, 12",
    }
    created = api.post("/activities", json=payload)
    assert created.status_code == 201
    body = created.get_json()
    assert body["members"] == ["NPL"] and body["items"] == ["1-(q)"]
    assert body["counts_as_cb_activity"] is True and body["follow_up_months"] == "6, 12"
    listed = api.get("/activities?year=2025-2026").get_json()["activities"]
    assert [a["id"] for a in listed] == [body["id"]]
    assert api.get("/activities?year=2030-2031").status_code == 404
    bad_year = api.get("/activities?year=soon")
    assert bad_year.status_code == 400
    assert bad_year.get_json()["invalid-params"][0] == {
        "name": "year",
        "in": "query",
        "reason": "String does not match expected pattern.",
    }


def test_activity_validation_errors_name_each_field(api):
    response = api.post(
        "/activities",
        json={"year": "2025-2026", "kind": "party", "starts_on": "tomorrow", "experts": -1},
    )
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    errors = _errors(response)
    assert set(errors) == {"title", "kind", "starts_on", "experts"}
    assert all(p["in"] == "body" for p in response.get_json()["invalid-params"])
    unknown = api.post(
        "/activities",
        json={
            "year": "2025-2026",
            "title": "T",
            "kind": "training",
            "members": ["XXX"],
            "items": ["9-(z)"],
        },
    )
    assert unknown.status_code == 422
    assert _errors(unknown) == {
        "members": "unknown Member codes: XXX",
        "items": "not items of 2025-2026: 9-(z)",
    }
    not_json = api.post("/activities", data="title=x")
    assert not_json.status_code == 415 and "JSON" in not_json.get_json()["detail"]
    dates = api.post(
        "/activities",
        json={
            "year": "2025-2026",
            "title": "T",
            "kind": "training",
            "starts_on": "2025-10-09",
            "ends_on": "2025-10-01",
        },
    )
    assert dates.status_code == 422 and "ends_on" in _errors(dates)


def test_participants_are_added_all_or_nothing(api, session):
    activity = api.post(
        "/activities", json={"year": "2025-2026", "title": "Training", "kind": "training"}
    ).get_json()
    bad = api.post(
        f"/activities/{activity['id']}/participants",
        json={
            "participants": [
                {"name": "Ana", "member": "NPL", "email": "ana@customs.gov.np"},
                {"name": "", "member": "Narnia"},
            ]
        },
    )
    assert bad.status_code == 422
    assert set(_errors(bad)) == {"participants.1.name", "participants.1.member"}
    assert session.scalar(select(func.count()).select_from(Participant)) == 0
    good = api.post(
        f"/activities/{activity['id']}/participants",
        json=[
            {"name": "Ana", "member": "NPL", "email": "ana@customs.gov.np", "gender": "female"},
            {"name": "Bo", "member": "Nepal"},
        ],
    )
    assert good.get_json() == {"created": 2, "updated": 0, "attached": 2, "already_attending": 0}
    assert session.scalar(select(func.count()).select_from(Attendance)) == 2
    missing = api.post("/activities/99999/participants", json=[{"name": "A", "member": "NPL"}])
    assert missing.status_code == 404
    assert api.post(f"/activities/{activity['id']}/participants", json=[]).status_code == 422


def test_the_journey_through_the_api(api, app, session):
    sync_definitions(session, [SURVEYS])
    today = date.today()
    activity = api.post(
        "/activities",
        json={
            "year": "2025-2026",
            "title": "National workshop on PCA for Nepal",
            "kind": "national_workshop",
            "members": ["NPL"],
            "starts_on": (today - timedelta(days=4)).isoformat(),
            "ends_on": today.isoformat(),
        },
    ).get_json()
    api.post(
        f"/activities/{activity['id']}/participants",
        json=[{"name": "Ana Sharma", "member": "NPL", "email": "ana@customs.gov.np"}],
    )
    delivered = api.post(f"/activities/{activity['id']}/deliver")
    assert delivered.status_code == 200
    body = delivered.get_json()
    assert body["activity"]["status"] == "delivered"
    kinds = [r["kind"] for r in body["rounds"]]
    assert kinds == ["evaluation", "follow_up"]
    again = api.post(f"/activities/{activity['id']}/deliver").get_json()
    assert again["created"] == []

    rounds = api.get(f"/rounds?activity={activity['id']}&kind=evaluation").get_json()["rounds"]
    [evaluation] = rounds
    assert evaluation["open_link"].startswith("http://surveys.test/s/")
    assert api.get("/rounds?kind=picnic").status_code == 400

    from app.common.mail import OutboxBackend
    from app.journeys.dispatch import dispatch
    from tests.journey import settings_for

    dispatch(session, OutboxBackend(), settings_for(app), datetime.now(UTC), session.commit)
    [invitation] = api.get(f"/rounds/{evaluation['id']}/invitations").get_json()["invitations"]
    assert invitation["name"] == "Ana Sharma" and invitation["member"] == "NPL"
    assert re.fullmatch(r"http://surveys\.test/i/[A-Za-z0-9_-]{43}", invitation["link"])
    resent = api.post(f"/rounds/{evaluation['id']}/invitations/{invitation['id']}/resend")
    assert resent.get_json() == {"sent": ["ana@customs.gov.np"], "queued_for_retry": []}

    device = app.test_client()
    open_link(device, invitation["link"])
    answer_evaluation(device, body["rounds"][0]["open_link"].rsplit("/", 1)[1])
    responses = api.get(f"/rounds/{evaluation['id']}/responses").get_json()
    [answered] = responses["responses"]
    assert answered["member"] == "NPL"
    assert answered["answers"]["overall_satisfaction"] == "4"
    assert answered["answers"]["duration"] == "about_right"
    assert answered["answers"]["action_plan"].startswith("Brief my unit")
    used = api.post(f"/rounds/{evaluation['id']}/invitations/{invitation['id']}/resend")
    assert used.status_code == 409
    assert api.get("/rounds/99999/responses").status_code == 404


def test_deliver_errors(api, session):
    sync_definitions(session, [SURVEYS])
    activity = api.post(
        "/activities", json={"year": "2025-2026", "title": "Workshop", "kind": "regional_workshop"}
    ).get_json()
    response = api.post(f"/activities/{activity['id']}/deliver")
    assert response.status_code == 422 and "starts_on" in _errors(response)


def test_anonymous_round_responses_carry_no_member(api, app, session):
    journey = make_journey(session, app, anonymous=True)
    journey.dispatch()
    device = app.test_client()
    open_link(device, journey.link_for("ana@customs.gov.np"))
    answer_evaluation(device, journey.delivery.evaluation.slug)
    body = api.get(f"/rounds/{journey.delivery.evaluation.id}/responses").get_json()
    assert body["anonymous"] is True
    assert [r["member"] for r in body["responses"]] == [None]


def test_the_openapi_document_matches_the_routes(client, app):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    assert document["servers"] == [{"url": "http://surveys.test"}]
    documented = {
        (path, method.upper())
        for path, operations in document["paths"].items()
        for method in operations
        if method != "parameters"
    }
    routed = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routed.add((path, method))
    assert routed == documented
    for path, operations in document["paths"].items():
        shared = operations.get("parameters", [])
        for method, operation in operations.items():
            if method == "parameters":
                continue
            parameters = [*shared, *operation.get("parameters", [])]
            declared = {p["name"] for p in parameters if p["in"] == "path"}
            assert declared == set(re.findall(r"{([^}]+)}", path)), path
            # Every operation documents its errors as problems.
            errors = operation["responses"]["default"]["$ref"]
            assert document["components"]["responses"][errors.rsplit("/", 1)[1]]["content"] == {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            }


def test_tokens_expire_and_administrators_revoke_them(client, session):
    import time_machine

    from app.models import ApiToken
    from tests.conftest import login, post_form

    owner = UserFactory(role="staff", email="owner@rocb.example")
    _row, short = issue_api_token(session, owner, clock.utcnow(), "short", days=1)
    row, long = issue_api_token(session, owner, clock.utcnow(), "long", days=90)
    UserFactory(role="admin", email="admin@rocb.example")
    session.commit()
    with time_machine.travel(clock.utcnow() + timedelta(days=2)):
        expired = client.get("/api/v1/rounds", headers={"Authorization": f"Bearer {short}"})
        assert expired.status_code == 401 and "expire" in expired.get_json()["detail"]
        live = client.get("/api/v1/rounds", headers={"Authorization": f"Bearer {long}"})
        assert live.status_code == 200
    admin = client.application.test_client()
    login(admin, "admin@rocb.example")
    listing = admin.get("/manage/tokens").get_data(as_text=True)
    assert "owner@rocb.example" in listing and "long" in listing
    post_form(admin, f"/manage/tokens/{row.id}/revoke", {}, page="/manage/tokens")
    assert (
        client.get("/api/v1/rounds", headers={"Authorization": f"Bearer {long}"}).status_code == 401
    )
    session.expire_all()
    assert session.get(ApiToken, row.id).revoked_at is not None
    # A disabled owner's tokens stop working with the account.
    _row, third = issue_api_token(session, owner, clock.utcnow(), "third")
    owner.active = False
    session.commit()
    assert (
        client.get("/api/v1/rounds", headers={"Authorization": f"Bearer {third}"}).status_code
        == 401
    )


def test_a_nul_character_in_a_json_body_is_refused(api):
    response = api.post("/activities", json={"year": "2025-2026", "title": "A\u0000B"})
    assert response.status_code == 400 and "NUL" in response.get_json()["detail"]


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"experts": 10**12}, "experts"),
        ({"title": "x" * 600}, "title"),
        ({"follow_up_months": ", ".join(str(n) for n in range(1, 30))}, "follow_up_months"),
    ],
)
def test_api_fields_past_their_bounds_are_422(api, fields, error):
    body = {"year": "2025-2026", "title": "Workshop", "kind": "training", **fields}
    response = api.post("/activities", json=body)
    assert response.status_code == 422 and error in _errors(response)


def test_odd_digits_in_api_parameters_are_400(api):
    for value in ("²", "9" * 5000, "0", "-1"):
        response = api.get("/rounds", query_string={"activity": value})
        assert response.status_code == 400
        assert response.get_json()["invalid-params"][0]["name"] == "activity"


def test_a_read_only_token_gets_no_personal_links(app, session, client):
    journey = make_journey(session, app)
    journey.dispatch()
    staff = UserFactory(role="staff")
    _row, read = issue_api_token(session, staff, clock.utcnow(), "report", scope="read")
    _row, write = issue_api_token(session, staff, clock.utcnow(), "sync", scope="write")
    session.commit()
    path = f"/api/v1/rounds/{journey.delivery.evaluation.id}/invitations"
    for token, linked in ((read, False), (write, True)):
        listing = client.get(path, headers={"Authorization": f"Bearer {token}"}).get_json()
        links = [i["link"] for i in listing["invitations"]]
        assert all(links) if linked else not any(links)


def _errors(response) -> dict[str, str]:
    """The problem's invalid parameters, by name."""
    return {p["name"]: p["reason"] for p in response.get_json()["invalid-params"]}


def test_the_kpis_answer_every_figure_of_the_report(api, session):
    """The schema that shapes GET /kpis drops nothing the report computes."""
    from app.kpis.figures import compute_kpis
    from app.kpis.scope import KpiFilters
    from tests.kpi_world import TODAY, build

    build(session)
    session.commit()
    expected = compute_kpis(session, "2025-2026", KpiFilters(), 3, TODAY, breakdown=False)
    import time_machine

    with time_machine.travel(datetime(2026, 6, 30, 12, tzinfo=UTC), tick=False):
        body = api.get("/kpis?year=2025-2026").get_json()
    assert body == expected.as_api()
    assert body["evaluation"]["responses"] == 5 and body["activities"]["delivered"] == 2
