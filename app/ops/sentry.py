"""Errors to Sentry when SENTRY_DSN is set (the optional `sentry` extra:
`pip install --require-hashes -r requirements/sentry.txt`). No personal data is sent:
no cookies, no form bodies, no user addresses; each event carries the request id."""

from __future__ import annotations

from flask import Flask


def scrub(event: dict, _hint: object) -> dict:
    """What leaves for Sentry: the request id added; cookies, bodies, query strings and
    the address's path parameters (personal and password links) removed."""
    from app.ops.logs import request_id

    event.setdefault("tags", {})["request_id"] = request_id()
    request = event.get("request") or {}
    for secret in ("cookies", "data", "query_string", "env"):
        request.pop(secret, None)
    if "url" in request:
        request["url"] = _route_only(request["url"])
    return event


def _route_only(url: str) -> str:
    from flask import has_request_context
    from flask import request as current

    if has_request_context() and current.url_rule is not None:
        return current.url_rule.rule
    return url.split("?", 1)[0]


def init_sentry(app: Flask) -> None:
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return
    try:
        import sentry_sdk
        from sentry_sdk.integrations.flask import FlaskIntegration
    except ImportError:
        raise RuntimeError(
            "SENTRY_DSN is set but sentry-sdk is not installed: "
            "pip install --require-hashes -r requirements/sentry.txt"
        ) from None

    sentry_sdk.init(
        dsn=dsn,
        integrations=[FlaskIntegration()],
        environment=app.config.get("SENTRY_ENVIRONMENT") or "production",
        traces_sample_rate=float(app.config.get("SENTRY_TRACES_SAMPLE_RATE") or 0.0),
        send_default_pii=False,
        before_send=scrub,
    )
