"""Prometheus metrics at /metrics: requests and latency by endpoint, survey submissions,
dispatch runs and their outcomes, messages sent and mail failures, and, read from the
database at each scrape, the age of the last dispatch run and the messages waiting.

Under gunicorn each worker counts for itself: PROMETHEUS_MULTIPROC_DIR (set by
app/ops/gunicorn_conf.py) is where they write, and a scrape adds them up. The path answers
only with the METRICS_TOKEN as a bearer token, or, when no token is set, to requests from
the machine itself (127.0.0.1, ::1); anyone else gets a 404.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Iterator
from datetime import datetime

from flask import Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func, select

REQUESTS = Counter(
    "rocb_http_requests_total", "Requests answered.", ["endpoint", "method", "status"]
)
LATENCY = Histogram(
    "rocb_http_request_duration_seconds",
    "Time to answer a request.",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
SUBMISSIONS = Counter("rocb_survey_submissions_total", "Survey responses submitted.", ["kind"])
DISPATCH_RUNS = Counter("rocb_dispatch_runs_total", "Dispatch runs by outcome.", ["outcome"])
MESSAGES_SENT = Counter("rocb_messages_sent_total", "Messages the mail server accepted.", ["kind"])
MAIL_FAILURES = Counter("rocb_mail_failures_total", "Messages the mail server refused.")

LOOPBACK = {"127.0.0.1", "::1"}


class DatabaseState:
    """What the database says at scrape time, whichever process did the work."""

    def __init__(self, session, now: datetime) -> None:
        self.session = session
        self.now = now

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from app.common.clock import aware
        from app.models import DispatchRun, Message

        finished = self.session.scalar(
            select(func.max(DispatchRun.finished_at)).where(DispatchRun.outcome == "ok")
        )
        age = GaugeMetricFamily(
            "rocb_dispatch_last_ok_age_seconds",
            "Seconds since the last dispatch run that ended well (-1: none yet).",
        )
        age.add_metric([], (self.now - aware(finished)).total_seconds() if finished else -1)
        yield age
        waiting = GaugeMetricFamily(
            "rocb_messages", "Messages in the outbox by status.", labels=["status"]
        )
        counts = self.session.execute(
            select(Message.status, func.count()).group_by(Message.status)
        ).all()
        for status, count in counts:
            waiting.add_metric([status.value], count)
        yield waiting


def _allowed() -> bool:
    token = current_app.config.get("METRICS_TOKEN") or ""
    if token:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    return request.remote_addr in LOOPBACK


def metrics_response(session, now: datetime) -> Response:
    if not _allowed():
        abort(404)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        MultiProcessCollector(processes)
    else:
        processes = REGISTRY
    database = CollectorRegistry()
    database.register(DatabaseState(session, now))
    body = generate_latest(processes) + generate_latest(database)
    return Response(body, mimetype=CONTENT_TYPE_LATEST)


def register_request_metrics(app: Flask) -> None:
    @app.after_request
    def count(response):
        endpoint = request.endpoint or "(no route)"
        REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
        started = g.get("request_started")
        if started is not None:
            LATENCY.labels(endpoint).observe(time.perf_counter() - started)
        return response
