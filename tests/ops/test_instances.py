"""Two instances of the production profile (gunicorn, two workers each) on one PostgreSQL
database and one Redis: a respondent's draft saved on one resumes on the other, rate
limits count requests to both, a final submit sent to both at once is stored once, and
two dispatch runs started together send each message once to a real SMTP server."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import threading
import uuid

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.models import Message, MessageStatus, Response, ResponseStatus, Submission
from app.workplan.members import load_reference_members
from tests import factories
from tests.journey import EVALUATION_ANSWERS, LINK, make_journey
from tests.servers import AppServer, Browser
from tests.smtp import SmtpServer

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="several instances share a PostgreSQL database (CI runs this on PostgreSQL)",
)

REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture()
def shared(tmp_path_factory):
    """A database of its own with a delivered workshop (three participants with an
    email), and the environment both instances and both dispatchers run with."""
    from flask_migrate import upgrade

    from tests.conftest import fresh_database_url

    url = fresh_database_url(tmp_path_factory, "instances")
    env = {
        "DATABASE_URL": url,
        "SECRET_KEY": secrets.token_hex(32),
        "BASE_URL": "http://127.0.0.1",
        "RATELIMIT_STORAGE_URI": REDIS,
        "RATELIMIT_KEY_PREFIX": f"rocb-test-{uuid.uuid4().hex[:8]}",
        "RATELIMIT_LOGIN": "4 per minute",
        "SESSION_COOKIE_SECURE": "false",  # plain HTTP on 127.0.0.1
        "READY_DISPATCH_MAX_AGE_MINUTES": "30",
        "LOG_LEVEL": "WARNING",
    }
    app = create_app({"APP_CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": url, **_keys(env)})
    with app.app_context():
        upgrade()
        load_reference_members(db.session)
        factories.use_session(db.session)
        try:
            journey = make_journey(db.session, app)
        finally:
            factories.use_session(None)
        db.session.commit()
        slug = journey.delivery.evaluation.slug
        db.session.remove()
    yield env, app, slug
    with app.app_context():
        db.engine.dispose()
    admin = sa.create_engine(
        sa.make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        name = sa.make_url(url).database
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _keys(env: dict[str, str]) -> dict:
    return {"INVITATION_KEY": env["SECRET_KEY"], "BASE_URL": env["BASE_URL"]}


def _dispatch_at_once(env: dict[str, str], smtp_port: int) -> list[subprocess.CompletedProcess]:
    mail = {
        **os.environ,
        **env,
        "APP_CONFIG": "production",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "MAIL_SENDER": "surveys@rocb-ap.example",
    }
    flask = [sys.executable, "-m", "flask", "--app", "app", "rounds", "dispatch"]
    started = [
        subprocess.Popen(flask, env=mail, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _ in range(2)
    ]
    return [
        subprocess.CompletedProcess(p.args, p.wait(timeout=120), p.communicate()[0].decode())
        for p in started
    ]


def test_two_instances_share_drafts_limits_submissions_and_the_dispatch(shared):
    env, app, slug = shared
    env = {**env, "INVITATION_KEY": env["SECRET_KEY"]}
    with SmtpServer() as smtp:
        runs = _dispatch_at_once(env, smtp.port)
        assert all(run.returncode == 0 for run in runs), [run.stdout for run in runs]
        # Each invitation reached its participant once, whichever run sent it.
        assert sorted(r.to[0] for r in smtp.received) == [
            "ana@customs.gov.np",
            "bo@customs.gov.np",
            "dee@customs.gov.bt",
        ]
        links = {r.to[0]: LINK.search(r.text).group(1) for r in smtp.received}
    with app.app_context():
        statuses = db.session.scalars(sa.select(Message.status)).all()
        assert statuses == [MessageStatus.SENT] * 3

    with AppServer(env) as a, AppServer(env) as b:
        for server in (a, b):
            assert Browser().request(server.url + "/readyz").status == 200

        # A draft saved through A is resumed through B.
        ana = Browser()
        token_path = links["ana@customs.gov.np"].split("127.0.0.1", 1)[1]
        assert ana.request(a.url + token_path).status == 302
        assert ana.form(f"{a.url}/s/{slug}/start", {}, page_url=f"{a.url}/s/{slug}").status == 302
        saved = ana.form(f"{a.url}/s/{slug}/0", {**EVALUATION_ANSWERS[0], "action": "next"})
        assert saved.status == 302
        resumed = ana.request(f"{b.url}/s/{slug}/0").text
        assert re.search(r'<input checked[^>]*name="objectives_met"[^>]*value="4"', resumed)
        carried_on = ana.form(f"{b.url}/s/{slug}/1", {**EVALUATION_ANSWERS[1], "action": "next"})
        assert carried_on.status == 302

        # Bo sends the final page to both instances at the same moment: stored once.
        bo = Browser()
        assert bo.request(a.url + links["bo@customs.gov.np"].split("127.0.0.1", 1)[1]).status == 302
        bo.form(f"{a.url}/s/{slug}/start", {}, page_url=f"{a.url}/s/{slug}")
        for index, answers in enumerate(EVALUATION_ANSWERS[:-1]):
            assert bo.form(f"{a.url}/s/{slug}/{index}", {**answers, "action": "next"}).status == 302
        places = _submit_on_both(bo, slug, a.url, b.url)
        # One stored it, the other was sent to the landing page, which says so.
        assert sorted(p.endswith("/thanks") for p in places) == [False, True]
        with app.app_context():
            submitted = db.session.scalars(
                sa.select(Response).where(Response.status == ResponseStatus.SUBMITTED)
            ).all()
            assert len(submitted) == 1
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Submission)) == 1

        # The login limit (4 a minute per address) counts the attempts on both instances.
        stranger = Browser()
        statuses = [
            stranger.form(
                f"{server.url}/auth/login",
                {"email": "nobody@rocb.example", "password": "wrong password here"},
            ).status
            for server in (a, b, a, b, a)
        ]
        assert statuses[:4] == [401] * 4 and statuses[4] == 429

        # Each instance's /metrics adds up what its two workers answered.
        metrics = Browser().request(a.url + "/metrics").text
        logins = re.search(
            r'^rocb_http_requests_total\{endpoint="auth.login",method="POST",status="401"\} (\S+)$',
            metrics,
            re.MULTILINE,
        )
        assert logins and float(logins.group(1)) == 2.0  # A answered three, one of them 429


def _submit_on_both(bo, slug: str, first_url: str, second_url: str) -> list[str]:
    """Bo answers the last section, then sends the review's final submit to both
    instances at the same moment; where each answer redirected."""
    from tests.conftest import csrf_token

    last = len(EVALUATION_ANSWERS) - 1
    to_review = bo.form(f"{first_url}/s/{slug}/{last}", {**EVALUATION_ANSWERS[last]})
    assert to_review.status == 302
    final = {"csrf_token": csrf_token(bo.request(f"{first_url}/s/{slug}/review").text)}
    barrier = threading.Barrier(2)
    answers: list[int] = []
    places: list[str] = []

    def submit(server_url: str) -> None:
        barrier.wait()
        sent = bo.request(f"{server_url}/s/{slug}/review", final)
        answers.append(sent.status)
        places.append(sent.headers.get("Location", ""))

    threads = [threading.Thread(target=submit, args=(url,)) for url in (first_url, second_url)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert answers == [302, 302]
    return places
