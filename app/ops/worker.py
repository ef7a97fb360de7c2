"""The dispatch, run by the application itself: `flask rounds worker` runs it every
DISPATCH_EVERY_MINUTES until stopped (SIGTERM or Ctrl-C end it after the current run).
Any number of instances may run a worker: on PostgreSQL one run at a time holds the
dispatch lock and the others skip that turn; and every message is claimed before it is
sent, so nothing goes twice."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections.abc import Callable
from datetime import datetime

from flask import current_app

from app.common import clock
from app.common.mail import MailBackend, backend_from_config
from app.extensions import db
from app.journeys.dispatch import DispatchReport, run_dispatch
from app.journeys.settings import JourneySettings
from app.models import DispatchRun
from app.ops.metrics import DISPATCH_RUNS, MAIL_FAILURES, MESSAGES_SENT

log = logging.getLogger("rocb.dispatch")


def host_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def dispatch_once(
    now: datetime | None = None, backend: MailBackend | None = None
) -> tuple[DispatchRun | None, DispatchReport | None]:
    """One dispatch run in the current app context, counted in the metrics and logged."""
    backend = backend or backend_from_config(current_app.config)
    settings = JourneySettings.from_config(current_app.config)
    try:
        run, report = run_dispatch(
            db.session, backend, settings, now or clock.utcnow(), db.session.commit, host_name()
        )
    except Exception:
        DISPATCH_RUNS.labels("failed").inc()
        log.exception("dispatch run failed")
        raise
    if run is None or report is None:
        DISPATCH_RUNS.labels("skipped").inc()
        log.info("dispatch skipped: another instance holds the lock")
        return run, report
    DISPATCH_RUNS.labels(run.outcome).inc()
    for kind, count in report.sent.items():
        MESSAGES_SENT.labels(kind).inc(count)
    MAIL_FAILURES.inc(report.failed)
    log.info(
        "dispatch run",
        extra={"run": run.id, "sent": run.sent, "failed": run.failed, "via": backend.name},
    )
    return run, report


def run_worker(
    every_minutes: float,
    stop: threading.Event,
    once: Callable[[], object] = dispatch_once,
) -> int:
    """Run the dispatch now and then every ``every_minutes`` until ``stop`` is set; an
    error in one run is logged (and recorded) and the next run comes as planned. Returns
    how many runs were made."""
    runs = 0
    while not stop.is_set():
        try:
            once()
        except Exception:
            db.session.rollback()
        finally:
            db.session.remove()
        runs += 1
        stop.wait(every_minutes * 60)
    return runs


def stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM (systemd, kill) and SIGINT (Ctrl-C) end the worker after the current run."""

    def handler(signum, _frame) -> None:
        log.info("stopping after the current run", extra={"signal": signum})
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
