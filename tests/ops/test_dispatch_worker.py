"""The dispatch that runs itself: recorded runs, one mail-server connection per run, the
same Message-ID on a repeat, one run at a time across instances, a worker loop that goes
on after an error."""

from __future__ import annotations

import re
import threading

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from app.common.mail import SmtpBackend, message_id, send_now
from app.journeys.dispatch import DISPATCH_LOCK, last_dispatch_run, run_dispatch
from app.models import DispatchRun, MessageStatus
from app.ops.worker import run_worker
from tests.journey import make_journey


def test_a_run_is_recorded_and_uses_one_connection(app, session, smtp_server):
    journey = make_journey(session, app)
    backend = SmtpBackend("127.0.0.1", smtp_server.port, "surveys@rocb-ap.example")
    run, report = run_dispatch(
        session, backend, journey.settings, journey.at(0), session.commit, "web-1:42"
    )
    assert report.sent["invitation"] == 3
    assert (run.outcome, run.sent, run.failed, run.host) == ("ok", 3, 0, "web-1:42")
    assert "sent:    invitation 3" in run.summary and run.finished_at is not None
    assert last_dispatch_run(session) == run
    # Three messages over one connection, each with its own stable Message-ID.
    assert backend.connections_opened == 1 and smtp_server.handler.greetings == 1
    ids = [r.message_id for r in smtp_server.received]
    assert len(set(ids)) == 3
    assert all(re.fullmatch(r"<rocb\.\d+\.[0-9a-f]{16}@rocb-ap\.example>", i) for i in ids)


def test_a_repeated_message_keeps_its_message_id(app, session, smtp_server):
    journey = make_journey(session, app)
    journey.dispatch()
    message = journey.messages()[0]
    backend = SmtpBackend("127.0.0.1", smtp_server.port, "Surveys <surveys@rocb-ap.example>")
    send_now(session, backend, message, journey.at(0))
    send_now(session, backend, message, journey.at(1))
    first, again = smtp_server.received[-2:]
    assert first.message_id == again.message_id == message_id(message, backend.sender)


def test_a_run_stopped_by_an_error_is_recorded_as_failed(app, session, monkeypatch):
    import app.journeys.dispatch as dispatch_module

    journey = make_journey(session, app)

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(dispatch_module, "plan_messages", broken)
    with pytest.raises(RuntimeError):
        run_dispatch(session, journey.backend, journey.settings, journey.at(0), session.commit, "h")
    run = session.scalar(select(DispatchRun))
    assert run.outcome == "failed" and run.summary == "RuntimeError: the database went away"


def test_the_worker_goes_on_after_an_error_and_stops_when_told(app):
    stop = threading.Event()
    calls = []

    def once():
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("one bad run")
        if len(calls) == 3:
            stop.set()

    with app.app_context():
        assert run_worker(0.0001, stop, once) == 3


def test_the_worker_command_runs_the_dispatch_until_stopped(app, session, runner, monkeypatch):
    import app.cli.commands as commands
    from app.ops.worker import dispatch_once

    make_journey(session, app)
    real_loop = commands.run_worker

    def stopped_after_one_run(every, stop):
        def once():
            dispatch_once()
            stop.set()  # as SIGTERM would, during the run

        return real_loop(every, stop, once)

    monkeypatch.setattr(commands, "stop_on_signals", lambda stop: None)
    monkeypatch.setattr(commands, "run_worker", stopped_after_one_run)
    result = runner.invoke(args=["rounds", "worker", "--every", "1"])
    assert result.exit_code == 0, result.output
    assert "a run every 1 minutes" in result.output and "stopped after 1 run(s)" in result.output
    run = session.scalar(select(DispatchRun).order_by(DispatchRun.id.desc()))
    assert run.outcome == "ok" and run.sent == 3


def test_metrics_count_dispatch_runs_and_messages(app, session, client):
    from app.ops.worker import dispatch_once

    make_journey(session, app)
    before = client.get("/metrics").get_data(as_text=True)
    with app.app_context():
        dispatch_once()
    after = client.get("/metrics").get_data(as_text=True)

    def value(body: str, name: str) -> float:
        found = re.search(rf"^{re.escape(name)} ([0-9.e+-]+)$", body, re.MULTILINE)
        return float(found.group(1)) if found else 0.0

    runs = 'rocb_dispatch_runs_total{outcome="ok"}'
    sent = 'rocb_messages_sent_total{kind="invitation"}'
    assert value(after, runs) == value(before, runs) + 1
    assert value(after, sent) == value(before, sent) + 3
    assert 'rocb_messages{status="sent"} 3.0' in after


def test_one_run_at_a_time_across_instances(app, session):
    journey = make_journey(session, app)
    engine = session.get_bind().engine
    if engine.dialect.name != "postgresql":
        pytest.skip("the dispatch lock is PostgreSQL's advisory lock")
    with engine.connect() as other_instance:
        other_instance.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": DISPATCH_LOCK})
        run, report = run_dispatch(
            session, journey.backend, journey.settings, journey.at(0), session.commit, "h"
        )
        assert (run, report) == (None, None)
        assert all(m.status is MessageStatus.PENDING for m in journey.messages())
        other_instance.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": DISPATCH_LOCK})
    run, report = run_dispatch(
        session, journey.backend, journey.settings, journey.at(0), session.commit, "h"
    )
    assert run.outcome == "ok" and report.sent["invitation"] == 3


def test_the_outbox_page_says_when_the_dispatch_last_ran(app, session, staff_client):
    journey = make_journey(session, app)
    never = staff_client.get("/manage/outbox").get_data(as_text=True)
    assert "The dispatch has not run yet" in never
    run_dispatch(session, journey.backend, journey.settings, journey.at(0), session.commit, "h")
    page = staff_client.get("/manage/outbox").get_data(as_text=True)
    assert re.search(r"Last dispatch: \d+ \w+ \d{4}, \d\d:\d\d UTC, 3 sent\.", page)
    assert "sent by the automatic dispatch, every 5 minutes." in page
    assert "flask" not in page


def test_a_round_page_says_when_the_dispatch_last_ran(app, session, staff_client):
    journey = make_journey(session, app)
    page = f"/manage/rounds/{journey.delivery.evaluation.id}"
    assert "The dispatch has not run yet" in staff_client.get(page).get_data(as_text=True)
    run_dispatch(session, journey.backend, journey.settings, journey.at(0), session.commit, "h")
    assert "Last dispatch:" in staff_client.get(page).get_data(as_text=True)
