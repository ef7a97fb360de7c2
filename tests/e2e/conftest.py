"""Browser tests: the app served on a local port, driven by Playwright in Debian's Chromium.

The server gets its own database (a SQLite file, or a fresh PostgreSQL database next to
``TEST_DATABASE_URL``) because it commits for real from its own thread. Without
/usr/bin/chromium the tests are skipped, unless ``REQUIRE_BROWSER=1`` (set by CI), which
turns the skip into a failure.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from app import create_app
from app.accounts.users import NewUser, create_user
from app.common.mail import OutboxBackend
from app.extensions import db
from app.journeys.dispatch import dispatch
from app.journeys.invitations import invitation_link
from app.journeys.scheduling import deliver_activity
from app.journeys.settings import JourneySettings
from app.models import Activity, Attendance, Invitation, Member, Participant
from app.surveys.rounds import NewRound, close_round, create_round, open_round
from app.surveys.versions import sync_definitions
from app.workplan.importer import import_workplan
from app.workplan.members import load_reference_members
from tests.conftest import fresh_database_url

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
ROOT = Path(__file__).resolve().parents[2]
STAFF_EMAIL = "e2e-staff@rocb-ap.example"
STAFF_PASSWORD = "browser test password"
PHONE = {"width": 390, "height": 844}


# Contact points who answer the needs assessment for their administration (one walk each).
CONTACT_POINTS = {"en": "e2e-cp@customs.gov.np", "fr": "e2e-cp@customs.gov.bt"}


@dataclass(frozen=True)
class LiveServer:
    url: str
    evaluation_slug: str  # an open evaluation round of an activity
    personal_link: str  # the path of a participant's invitation to another evaluation
    # Rounds of other activities: an open follow-up, an evaluation that has closed, one
    # answered only through invitations; the plan year's needs assessment (the
    # CONTACT_POINTS answer it from the portal).
    follow_up_slug: str = ""
    closed_slug: str = ""
    invitation_only_slug: str = ""
    needs_slug: str = ""


def _more_rounds(app, versions: dict, used: Activity) -> dict[str, str]:
    """The rounds the accessibility checks visit besides the evaluation (slugs by name)."""
    today = date.today()
    others = db.session.scalars(
        select(Activity).where(Activity.id != used.id).order_by(Activity.id).limit(3)
    ).all()
    slugs = {}
    for activity, (name, key, open_link, status) in zip(
        others,
        [
            ("follow_up_slug", "follow-up-action", True, "open"),
            ("closed_slug", "participant-evaluation", True, "closed"),
            ("invitation_only_slug", "participant-evaluation", False, "open"),
        ],
        strict=True,
    ):
        survey_round = create_round(
            db.session,
            NewRound(
                version=versions[key],
                activity=activity,
                opens_on=today - timedelta(days=20),
                closes_on=today + timedelta(days=20),
                open_link=open_link,
                wave=1 if key == "follow-up-action" else None,
            ),
        )
        if status == "open":
            open_round(db.session, survey_round)
        else:
            close_round(db.session, survey_round)
        slugs[name] = survey_round.slug
    # The imported plan year's (a new plan year would change the staff pages' default).
    needs = create_round(
        db.session,
        NewRound(
            version=versions["needs-assessment"],
            plan_year=used.plan_year,
            opens_on=today - timedelta(days=1),
            closes_on=today + timedelta(days=20),
            open_link=False,
            open_now=True,
        ),
    )
    slugs["needs_slug"] = needs.slug
    for email in CONTACT_POINTS.values():
        code = "NPL" if email.endswith(".np") else "BTN"
        create_user(
            db.session,
            NewUser(email, "contact_point", STAFF_PASSWORD, f"E2E {code}", member_code=code),
        )
    return slugs


def _personal_link(app) -> str:
    """Deliver a workshop with one participant and send the invitations (to the outbox);
    return the path of her personal link."""
    today = date.today()
    activity = db.session.scalar(
        select(Activity).where(Activity.title == "National Workshop on CEN for Sri Lanka")
    )
    activity.starts_on, activity.ends_on = today - timedelta(days=3), today
    person = Participant(
        name="Nimali Perera",
        email="nimali@customs.gov.lk",
        member=db.session.scalar(select(Member).where(Member.code == "LKA")),
    )
    db.session.add(Attendance(activity=activity, participant=person))
    settings = JourneySettings.from_config(app.config)
    deliver_activity(db.session, activity, settings, today)
    dispatch(db.session, OutboxBackend(), settings, datetime.now(UTC), db.session.commit)
    invitation = db.session.scalar(select(Invitation).where(Invitation.participant_id == person.id))
    return (
        "/"
        + invitation_link(settings.base_url, settings.invitation_key, invitation).split("/", 3)[3]
    )


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    url = fresh_database_url(tmp_path_factory, "e2e")
    app = create_app({"APP_CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        load_reference_members(db.session)
        import_workplan(
            db.session, (ROOT / "data/workplans/2025-2026.txt").read_text("utf-8"), "2025-2026"
        )
        create_user(db.session, NewUser(STAFF_EMAIL, "staff", STAFF_PASSWORD, "E2E Staff"))
        versions = {
            v.questionnaire.key: v for v in sync_definitions(db.session, [ROOT / "surveys"]).created
        }
        version = versions["participant-evaluation"]
        activity = db.session.scalar(
            select(Activity).where(Activity.title == "National workshop on PCA for Nepal")
        )
        evaluation = create_round(
            db.session,
            NewRound(
                version=version,
                activity=activity,
                opens_on=date.today() - timedelta(days=1),
                closes_on=date.today() + timedelta(days=13),
            ),
        )
        open_round(db.session, evaluation)
        more = _more_rounds(app, versions, activity)
        db.session.commit()
        app.config["E2E_EVALUATION_SLUG"] = evaluation.slug
        app.config["E2E_PERSONAL_LINK"] = _personal_link(app)
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(
        f"http://127.0.0.1:{server.server_port}",
        app.config["E2E_EVALUATION_SLUG"],
        app.config["E2E_PERSONAL_LINK"],
        **more,
    )
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.engine.dispose()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """With REQUIRE_BROWSER set (CI), a browser test that skips, for whatever reason (no
    Chromium, a missing package, a skip inside the test), fails the run instead."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("REQUIRE_BROWSER") and item.get_closest_marker("browser"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"browser test skipped while REQUIRE_BROWSER is set: {reason}"


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium package"
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture()
def phone_page(browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    yield page
    context.close()
