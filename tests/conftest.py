"""Test fixtures.

The schema is built once per session by running the alembic migrations (so every run also
proves they work) on the database named by ``TEST_DATABASE_URL`` (a fresh SQLite file by
default). Each test runs inside a transaction on one connection that is rolled back at the
end; the application's own commits become savepoints inside it.

Tests do not keep an application context pushed: Flask reuses an active one for requests
made with the test client, which would make a test and the request it sends share one
session (and one rollback). The ``session`` fixture is a plain SQLAlchemy session on the
test connection instead; each request or CLI command gets its own.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import datetime

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app import create_app
from app.extensions import db
from app.workplan.members import load_reference_members
from config import normalise_database_url
from tests import factories

TEST_PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def test_clock() -> Iterator[datetime | None]:
    """``TEST_CLOCK=2027-06-30T23:59:00+00:00`` starts every test at that moment (the clock
    then ticks on), so that code or a test reading the wall clock where it was given a
    time shows up just before midnight or across the 30 June / 1 July plan-year boundary.
    CI runs the journeys' and scheduling tests again under three such clocks."""
    moment = os.environ.get("TEST_CLOCK")
    if not moment:
        yield None
        return
    start = datetime.fromisoformat(moment)
    with time_machine.travel(start, tick=True):
        yield start


def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return normalise_database_url(url)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def reset_database(url: str) -> None:
    """Drop whatever a previous run left, so the migrations start from empty."""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        metadata = sa.MetaData()
        metadata.reflect(connection)
        metadata.drop_all(connection)
        if connection.dialect.name == "postgresql":  # the trigger functions
            connection.exec_driver_sql("DROP FUNCTION IF EXISTS audit_entries_append_only()")
            for name in connection.scalars(
                sa.text("SELECT proname FROM pg_proc WHERE starts_with(proname, 'kpi_changes_')")
            ):
                connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {name}()")
    engine.dispose()


@pytest.fixture(scope="session")
def app(tmp_path_factory) -> Iterator[Flask]:
    url = database_url(tmp_path_factory)
    reset_database(url)
    application = create_app(
        {
            "APP_CONFIG": "testing",
            "SQLALCHEMY_DATABASE_URI": url,
            "SERVER_NAME": "localhost",
        }
    )
    with application.app_context():
        from flask_migrate import upgrade

        upgrade()
        load_reference_members(db.session)
        db.session.commit()
        db.session.remove()
        db.session.configure(join_transaction_mode="create_savepoint")
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _rate_limits_stay_with_their_app():
    """The limiter is one object for the process, and every app made (a production app in
    a configuration test, an app with limits on) switches it to its own setting: after
    each test it goes back to the test app's (TestConfig: off) with empty counters."""
    yield
    from app.extensions import limiter
    from config import TestConfig

    limiter.enabled = TestConfig.RATELIMIT_ENABLED
    if getattr(limiter, "_storage", None) is not None:  # made only by an app with limits on
        limiter.reset()


@pytest.fixture()
def limited_app(app: Flask):
    """Make an app with rate limits on (and the given settings), on the test database
    (`_rate_limits_stay_with_their_app` switches them off again afterwards)."""
    made: list[Flask] = []

    def make(**settings) -> Flask:
        limited = create_app(
            {
                "APP_CONFIG": "testing",
                "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                "RATELIMIT_ENABLED": True,
                "WTF_CSRF_ENABLED": False,
                **settings,
            }
        )
        made.append(limited)
        return limited

    yield make
    for limited in made:
        with limited.app_context():
            db.engine.dispose()


@pytest.fixture()
def connection(app: Flask) -> Iterator[sa.Connection]:
    """One connection in an outer transaction, rolled back after the test."""
    with app.app_context():
        engine = db.engine
        conn = engine.connect()
    outer = conn.begin()
    engines = db._app_engines[app]
    engines[None] = conn  # every session of this test binds to the connection
    try:
        yield conn
    finally:
        with app.app_context():
            db.session.remove()
        engines[None] = engine
        if outer.is_active:
            outer.rollback()
        conn.close()


@pytest.fixture()
def session(connection) -> Iterator[Session]:
    test_session = Session(bind=connection, join_transaction_mode="create_savepoint")
    factories.use_session(test_session)
    try:
        yield test_session
    finally:
        factories.use_session(None)
        test_session.close()


@pytest.fixture()
def client(app: Flask, connection) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def runner(app: Flask, connection):
    return app.test_cli_runner()


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def post_form(client: FlaskClient, url: str, data: dict, *, page: str | None = None, **kwargs):
    """Post a form the way a browser does: fetch the page first, then send its CSRF token."""
    response = client.get(page or url)
    token = csrf_token(response.get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data}, **kwargs)


def login(client: FlaskClient, email: str, password: str = TEST_PASSWORD):
    return post_form(client, "/auth/login", {"email": email, "password": password})


@pytest.fixture()
def staff_user(session):
    from tests.factories import UserFactory

    return UserFactory(role="staff")


@pytest.fixture()
def staff_client(client, staff_user) -> FlaskClient:
    response = login(client, staff_user.email)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture()
def count_queries(connection):
    """Count the SQL statements the code under test sends (savepoints excluded)."""
    counter = QueryCounter()
    sa.event.listen(connection, "before_cursor_execute", counter)
    yield counter
    sa.event.remove(connection, "before_cursor_execute", counter)


@pytest.fixture()
def smtp_server():
    from tests.smtp import SmtpServer

    with SmtpServer() as server:
        yield server


def fresh_database_url(tmp_path_factory, suffix: str) -> str:
    """A database of its own (for tests that commit from several threads): a SQLite file,
    or a new PostgreSQL database next to TEST_DATABASE_URL."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp(suffix) / (suffix + '.sqlite3')}"
    parsed = sa.make_url(normalise_database_url(url))
    name = f"{parsed.database}_{suffix}"
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)
