"""Errors to Sentry when SENTRY_DSN is set (the optional `sentry` extra:
`pip install --require-hashes -r requirements/sentry.txt`). No personal data is sent:
no cookies, no form bodies, no user addresses; each event carries the request id."""

from __future__ import annotations

from flask import Flask


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

    def with_request_id(event, _hint):
        from app.ops.logs import request_id

        event.setdefault("tags", {})["request_id"] = request_id()
        request = event.get("request") or {}
        for secret in ("cookies", "data", "query_string"):
            request.pop(secret, None)
        return event

    sentry_sdk.init(
        dsn=dsn,
        integrations=[FlaskIntegration()],
        environment=app.config.get("SENTRY_ENVIRONMENT") or "production",
        traces_sample_rate=float(app.config.get("SENTRY_TRACES_SAMPLE_RATE") or 0.0),
        send_default_pii=False,
        before_send=with_request_id,
    )
