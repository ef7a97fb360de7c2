"""Every error of the API is application/problem+json (RFC 9457); the other pages keep
their HTML error pages."""

from __future__ import annotations

import pytest

from app.accounts.api_tokens import issue_api_token
from app.common import clock
from tests.factories import UserFactory


@pytest.fixture()
def tokens(session):
    staff = UserFactory(role="staff")
    _row, read = issue_api_token(session, staff, clock.utcnow(), "report", scope="read")
    _row, write = issue_api_token(session, staff, clock.utcnow(), "sync", scope="write")
    session.commit()
    return {
        "read": {"Authorization": f"Bearer {read}"},
        "write": {"Authorization": f"Bearer {write}"},
    }


def _problem(response, status):
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == status and problem["type"] == "about:blank"
    assert problem["title"] and problem["detail"]
    return problem


def test_a_read_token_writing_is_403(client, tokens):
    problem = _problem(client.post("/api/v1/activities", json={}, headers=tokens["read"]), 403)
    assert "read-only" in problem["detail"]


def test_a_method_a_path_does_not_take_is_405_with_allow(client, tokens):
    response = client.delete("/api/v1/activities", headers=tokens["write"])
    _problem(response, 405)
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_a_body_that_is_not_json_is_415(client, tokens):
    response = client.post(
        "/api/v1/activities", data="<activity/>", content_type="text/xml", headers=tokens["write"]
    )
    problem = _problem(response, 415)
    assert problem["invalid-params"] == [
        {"name": "Content-Type", "in": "header", "reason": "application/json"}
    ]


def test_broken_json_is_400(client, tokens):
    response = client.post(
        "/api/v1/activities",
        data='{"title": ',
        content_type="application/json",
        headers=tokens["write"],
    )
    problem = _problem(response, 400)
    assert problem["invalid-params"][0]["in"] == "body"


def test_an_unknown_body_field_is_named(client, tokens):
    response = client.post(
        "/api/v1/activities",
        json={"year": "2025-2026", "title": "T", "kind": "training", "colour": "red"},
        headers=tokens["write"],
    )
    problem = _problem(response, 422)
    assert problem["invalid-params"] == [
        {"name": "colour", "in": "body", "reason": "Unknown field."}
    ]


def test_a_body_of_the_wrong_shape_is_named_body(client, tokens):
    response = client.post("/api/v1/activities", json=[1, 2], headers=tokens["write"])
    problem = _problem(response, 422)
    assert problem["invalid-params"] == [
        {"name": "body", "in": "body", "reason": "Invalid input type."}
    ]


def test_too_many_requests_is_429(limited_app):
    # The limit is counted before the token is read: a client without one is limited too.
    app = limited_app(RATELIMIT_API="2 per minute")
    client = app.test_client()
    for _ in range(2):
        _problem(client.get("/api/v1/rounds"), 401)
    problem = _problem(client.get("/api/v1/rounds"), 429)
    assert "2 per 1 minute" in problem["detail"]


def test_an_unexpected_error_is_a_500_problem_that_saves_nothing(
    client, tokens, monkeypatch, caplog
):
    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("app.api.routes.round_changes", broken)
    problem = _problem(client.get("/api/v1/rounds", headers=tokens["read"]), 500)
    assert "nothing was saved" in problem["detail"] and "boom" not in problem["detail"]


def test_pages_outside_the_api_keep_their_html_errors(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "<html" in response.get_data(as_text=True).lower()


def test_an_unknown_query_parameter_is_a_400_naming_it(client, tokens):
    """A misspelled filter must not quietly pull everything again."""
    for url, name in (
        ("/api/v1/activities?updatedafter=2030-01-01T00:00:00", "updatedafter"),
        ("/api/v1/rounds?limit=2&foo=1", "foo"),
    ):
        problem = _problem(client.get(url, headers=tokens["read"]), 400)
        assert [p["name"] for p in problem["invalid-params"]] == [name]
