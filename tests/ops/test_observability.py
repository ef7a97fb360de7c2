"""Request ids, JSON logs, /healthz, /readyz and /metrics."""

from __future__ import annotations

import io
import json
import logging
from datetime import timedelta

import pytest

from app.common import clock
from app.models import DispatchRun


def test_every_answer_carries_a_request_id_shown_on_error_pages(client):
    made = client.get("/auth/login").headers["X-Request-ID"]
    assert len(made) == 32
    given = client.get("/auth/login", headers={"X-Request-ID": "nginx-3f2a9c1b7d"})
    assert given.headers["X-Request-ID"] == "nginx-3f2a9c1b7d"
    odd = client.get("/auth/login", headers={"X-Request-ID": "<script>"})
    assert odd.headers["X-Request-ID"] != "<script>" and len(odd.headers["X-Request-ID"]) == 32
    missing = client.get("/s/no-such-survey", headers={"X-Request-ID": "ref-12345678"})
    assert "reference ref-12345678" in missing.get_data(as_text=True)


@pytest.fixture()
def json_logs(app):
    """The app's logging switched to JSON for one test (its lines read from the handler's
    stream), then put back as it was."""
    from app.ops.logs import access_log, configure_logging

    root = logging.getLogger()
    saved = (root.handlers[:], root.level, app.logger.handlers[:], access_log.level)
    app.config["LOG_FORMAT"] = "json"
    configure_logging(app)
    stream = io.StringIO()
    root.handlers[0].setStream(stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    app.config["LOG_FORMAT"] = "text"
    root.handlers, app.logger.handlers = saved[0], saved[2]
    root.setLevel(saved[1])
    access_log.setLevel(saved[3])


def test_json_access_lines_name_the_route_never_the_secret_in_the_path(client, json_logs):
    client.get("/i/secret-token-of-someone", headers={"X-Request-ID": "req-00000001"})
    client.get("/auth/password/another-secret?next=/x")
    lines = json_logs()
    access = [line for line in lines if line["logger"] == "rocb.access"]
    assert access[0]["route"] == "/i/<token>" and access[0]["request_id"] == "req-00000001"
    assert access[0]["status"] == 404 and access[0]["method"] == "GET"
    assert {"time", "level", "message", "duration_ms", "endpoint"} <= set(access[0])
    assert access[1]["route"] == "/auth/password/<token>"
    assert "secret" not in json.dumps(lines)


def test_an_unexpected_error_is_logged_with_its_request_id(app, client, json_logs, monkeypatch):
    import app.auth.routes as routes

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(routes, "render_template", broken)
    page = client.get("/auth/login", headers={"X-Request-ID": "req-broken-01"})
    assert page.status_code == 500 and "reference req-broken-01" in page.get_data(as_text=True)
    errors = [line for line in json_logs() if line["level"] == "ERROR"]
    assert errors[0]["request_id"] == "req-broken-01"
    assert "the disk is full" in errors[0]["exc_info"]


def test_healthz_asks_nothing_of_the_database(client, count_queries):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert count_queries.count == 0


def test_readyz_checks_the_database_the_migrations_and_the_dispatch(
    app, client, session, monkeypatch
):
    import app.ops.health as health

    assert client.get("/readyz").get_json() == {"status": "ready"}
    monkeypatch.setitem(app.config, "READY_DISPATCH_MAX_AGE_MINUTES", 30)
    never = client.get("/readyz")
    assert never.status_code == 503
    assert never.get_json()["problems"] == {"dispatch": "the dispatch has not run yet"}
    now = clock.utcnow()
    session.add(DispatchRun(started_at=now, finished_at=now, outcome="ok"))
    session.commit()
    assert client.get("/readyz").status_code == 200
    with __import__("time_machine").travel(now + timedelta(minutes=31)):
        stale = client.get("/readyz").get_json()["problems"]
    assert stale["dispatch"].startswith("the last good dispatch run ended at")
    head = health.migrations_head()
    assert head.startswith("00")  # the newest file of migrations/versions
    monkeypatch.setattr(health, "migrations_head", lambda: "0099_future")
    behind = client.get("/readyz").get_json()["problems"]
    assert behind["migrations"] == f"the schema is at {head}, the code at 0099_future"


def test_metrics_only_for_the_machine_itself_or_with_the_token(app, client, monkeypatch):
    client.get("/auth/login")
    local = client.get("/metrics")
    assert local.status_code == 200
    body = local.get_data(as_text=True)
    assert 'rocb_http_requests_total{endpoint="auth.login",method="GET",status="200"}' in body
    assert 'rocb_http_request_duration_seconds_bucket{endpoint="auth.login"' in body
    assert "rocb_dispatch_last_ok_age_seconds -1.0" in body
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", environ_base=outside).status_code == 404
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "scrape-token-0123456789")
    assert client.get("/metrics").status_code == 404  # the token is now required
    bearer = {"Authorization": "Bearer scrape-token-0123456789"}
    assert client.get("/metrics", headers=bearer, environ_base=outside).status_code == 200


def test_sentry_gets_no_cookies_bodies_or_link_secrets(app, monkeypatch):
    import sentry_sdk

    from app.ops import sentry

    seen = {}
    monkeypatch.setattr(sentry_sdk, "init", lambda **kwargs: seen.update(kwargs))
    monkeypatch.setitem(app.config, "SENTRY_DSN", "https://public@sentry.example/1")
    sentry.init_sentry(app)
    assert seen["send_default_pii"] is False and seen["before_send"] is sentry.scrub
    event = {
        "request": {
            "url": "https://surveys.example/i/secret-token",
            "cookies": {"session": "x"},
            "data": {"password": "y"},
            "query_string": "next=/z",
        }
    }
    with app.test_request_context("/i/secret-token", headers={"X-Request-ID": "req-sentry-1"}):
        app.preprocess_request()
        scrubbed = sentry.scrub(event, None)
    assert scrubbed["request"] == {"url": "/i/<token>"}
    assert scrubbed["tags"]["request_id"] == "req-sentry-1"


def test_a_dsn_without_the_sentry_package_stops_the_start(app, monkeypatch):
    import sys

    from app.ops import sentry

    monkeypatch.setitem(sys.modules, "sentry_sdk", None)
    monkeypatch.setitem(app.config, "SENTRY_DSN", "https://public@sentry.example/1")
    with pytest.raises(RuntimeError, match=r"requirements/sentry\.txt"):
        sentry.init_sentry(app)
