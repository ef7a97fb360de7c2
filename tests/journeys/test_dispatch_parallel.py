"""Two dispatch runs at the same moment (two cron jobs overlapping) send every message
once: checked against a real SMTP server, on a database of their own where each run
commits for real."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from flask_migrate import upgrade

from app import create_app
from app.common.mail import SmtpBackend
from app.extensions import db
from app.journeys.dispatch import dispatch
from app.workplan.members import load_reference_members
from tests import factories
from tests.conftest import fresh_database_url
from tests.journey import make_journey


@pytest.fixture()
def isolated(tmp_path_factory):
    app = create_app(
        {
            "APP_CONFIG": "testing",
            "SQLALCHEMY_DATABASE_URI": fresh_database_url(tmp_path_factory, "dispatch"),
        }
    )
    with app.app_context():
        upgrade()
        load_reference_members(db.session)
        factories.use_session(db.session)
        journey = make_journey(db.session, app)
        db.session.commit()
        factories.use_session(None)
        start = journey.start
        settings = journey.settings
        db.session.remove()
    yield app, settings, start
    with app.app_context():
        db.engine.dispose()


def test_two_dispatches_at_once_send_each_message_once(isolated, smtp_server):
    app, settings, start = isolated
    backend = SmtpBackend("127.0.0.1", smtp_server.port, "surveys@rocb-ap.example")
    barrier = threading.Barrier(2)
    reports = []
    errors = []

    def run():
        try:
            with app.app_context():
                barrier.wait()
                reports.append(dispatch(db.session, backend, settings, start, db.session.commit))
                db.session.remove()
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    received = Counter(r.to[0] for r in smtp_server.received)
    assert received == {"ana@customs.gov.np": 1, "bo@customs.gov.np": 1, "dee@customs.gov.bt": 1}
    assert sum(r.sent["invitation"] for r in reports) == 3
    assert sum(r.planned["invitation"] for r in reports) == 3
