"""Logs a machine can read: with LOG_FORMAT=json (production's default) every line is one
JSON object carrying the request id; each request leaves one access line.

The request id comes from the proxy's X-Request-ID header when it looks like one (nginx
sets `$request_id`), otherwise it is made here; it is sent back in X-Request-ID and shown
on error pages, so that a person who reports "Reference 4f1c..." leads to the log lines.
Access lines name the route (`/i/<token>`), never the address as typed: personal links
and password links carry secrets in their path, and query strings are left out too.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid

from flask import Flask, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
access_log = logging.getLogger("rocb.access")


def request_id() -> str:
    return g.get("request_id", "-") if has_request_context() else "-"


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id()
        return True


def configure_logging(app: Flask) -> None:
    """JSON lines on standard error for LOG_FORMAT=json; the level from LOG_LEVEL."""
    level = logging.getLevelName(str(app.config["LOG_LEVEL"]).upper())
    if app.config["LOG_FORMAT"] == "json":
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(
            JsonFormatter(
                "{levelname}{name}{message}{request_id}",
                style="{",
                rename_fields={"levelname": "level", "name": "logger"},
                timestamp="time",  # ISO 8601, UTC
            )
        )
        handler.addFilter(RequestIdFilter())
        root = logging.getLogger()
        root.handlers = [handler]
        root.setLevel(level)
        app.logger.handlers = []  # its lines go through the root's JSON handler
        app.logger.propagate = True
    app.logger.setLevel(level)
    access_log.setLevel(level)


def register_request_ids(app: Flask) -> None:
    @app.before_request
    def start() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def finish(response):
        response.headers["X-Request-ID"] = request_id()
        started = g.get("request_started")
        access_log.info(
            "request",
            extra={
                "method": request.method,
                "route": request.url_rule.rule if request.url_rule else "(no route)",
                "endpoint": request.endpoint or "",
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1)
                if started
                else None,
                "remote_addr": request.remote_addr or "",
            },
        )
        return response

    @app.context_processor
    def reference() -> dict:
        return {"request_id": request_id()}
