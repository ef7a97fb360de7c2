"""`flask ...` commands, run through Click's test runner against the test database."""

import json
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import func, select

from app.kpis.figures import compute_kpis
from app.models import (
    Activity,
    Attendance,
    Finding,
    Invitation,
    Member,
    QuestionnaireKind,
    Response,
    Role,
    SurveyRound,
    TangibleResult,
    User,
)
from tests.samples import SHIPPED, SMALL_PLAN


def _trail(session) -> list[tuple[str, str, str]]:
    from app.models import AuditEntry

    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id))
    return [(e.actor_label, e.action, e.summary) for e in entries]


def test_members_load_is_idempotent(runner, session):
    result = runner.invoke(args=["members", "load"])
    assert result.exit_code == 0
    assert "0 added, 35 already present" in result.output
    assert _trail(session) == []  # nothing changed, nothing recorded
    session.delete(session.scalar(select(Member).where(Member.code == "WSM")))
    session.commit()
    again = runner.invoke(args=["members", "load"])
    assert "1 added, 34 already present" in again.output
    assert _trail(session) == [("command line", "members.load", "1 added")]


def test_workplan_import_prints_a_summary_and_warnings(runner, tmp_path):
    result = runner.invoke(args=["workplan", "import", str(SHIPPED), "--year", "2025-2026"])
    assert result.exit_code == 0, result.output
    assert "items:      53 (pillar 1: 38, pillar 2: 2, pillar 3: 11, pillar 4: 2)" in result.output
    assert "activities: 103 distinct (74 count as CB activities); 103 new" in result.output
    assert "warning: 2025-2026.txt: line 120: unknown Member name 'Guinea'" in result.output
    again = runner.invoke(
        args=["workplan", "import", str(SHIPPED), "--year", "2025-2026", "--quiet"]
    )
    assert "0 new, 103 updated" in again.output and "warning:" not in again.output


def test_workplan_import_errors_exit_non_zero(runner, tmp_path):
    missing = runner.invoke(
        args=["workplan", "import", str(tmp_path / "nope.txt"), "--year", "2025-2026"]
    )
    assert missing.exit_code == 1
    assert "nope.txt: no such file." in missing.output
    directory = runner.invoke(args=["workplan", "import", str(tmp_path), "--year", "2025-2026"])
    assert directory.exit_code == 1 and "is a directory" in directory.output
    latin1 = tmp_path / "plan.txt"
    latin1.write_bytes("a) Caf\xe9".encode("latin-1"))
    encoding = runner.invoke(args=["workplan", "import", str(latin1), "--year", "2025-2026"])
    assert encoding.exit_code == 1 and "not UTF-8 text" in encoding.output
    empty = tmp_path / "empty.txt"
    empty.write_text("nothing to see\n")
    no_items = runner.invoke(args=["workplan", "import", str(empty), "--year", "2025-2026"])
    assert no_items.exit_code == 1 and "No work-plan items found" in no_items.output
    year = runner.invoke(args=["workplan", "import", str(SHIPPED), "--year", "2025"])
    assert year.exit_code == 2 and "is not a plan year" in year.output


def test_workplan_export_json(runner, tmp_path):
    plan = tmp_path / "plan.txt"
    plan.write_text(SMALL_PLAN, encoding="utf-8")
    runner.invoke(args=["workplan", "import", str(plan), "--year", "2025-2026"])
    result = runner.invoke(args=["workplan", "export", "--year", "2025-2026", "--format", "json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["year"] == "2025-2026"
    assert [i["code"] for i in data["items"]] == ["1-(a)", "1-(b)"]
    assert len(data["activities"]) == 3
    missing = runner.invoke(args=["workplan", "export", "--year", "2031-2032"])
    assert missing.exit_code == 1 and "No plan stored for 2031-2032" in missing.output


def test_users_create(runner, session):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "CP@customs.gov.fj",
            "--role",
            "contact_point",
            "--member",
            "FJI",
            "--password-stdin",
        ],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created contact_point cp@customs.gov.fj for FJI." in result.output
    user = session.scalar(select(User).where(User.email == "cp@customs.gov.fj"))
    assert user.role is Role.CONTACT_POINT and user.check_password("a long enough password")
    refused = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "x@rocb.example",
            "--role",
            "contact_point",
            "--password-stdin",
        ],
        input="a long enough password\n",
    )
    assert refused.exit_code == 1
    assert "A contact point belongs to a Member" in refused.output


@time_machine.travel(datetime(2026, 3, 16, 9, 0, tzinfo=UTC), tick=False)
def test_demo_load_prints_the_login_and_adds_participants(runner, session):
    runner.invoke(args=["workplan", "import", str(SHIPPED), "--year", "2025-2026", "--quiet"])
    runner.invoke(args=["surveys", "sync"])
    result = runner.invoke(args=["demo", "load", "--year", "2025-2026"])
    assert result.exit_code == 0, result.output
    assert "email:    staff@rocb-ap.example" in result.output
    assert ("command line", "demo.load") in [entry[:2] for entry in _trail(session)]
    from app.common import clock

    latest = session.scalar(select(func.max(Response.submitted_at)))
    assert latest.date() <= clock.today()  # no answer dated in the future
    password = result.output.split("password: ")[1].split()[0]
    user = session.scalar(select(User).where(User.email == "staff@rocb-ap.example"))
    assert user.check_password(password)
    assert session.scalar(select(func.count()).select_from(Attendance)) == 72
    delivered = session.scalar(
        select(func.count()).select_from(Activity).where(Activity.status == "delivered")
    )
    assert delivered == 6
    rounds = session.scalars(select(SurveyRound).order_by(SurveyRound.id)).all()
    # In March 2026 the first workshop's evaluation is open now, the needs assessment
    # too, and follow-ups are running or to come; the rounds that are over are closed
    # (tests/test_demo.py checks every date).
    open_rounds = sorted(r.kind.value for r in rounds if r.status.value == "open")
    assert set(open_rounds) == {"evaluation", "follow_up", "needs_assessment"}
    assert open_rounds.count("evaluation") == 1
    closed = [r for r in rounds if r.status.value == "closed"]
    assert {r.kind.value for r in closed} == {"evaluation", "follow_up"}
    assert "participant-evaluation round: /s/" in result.output
    assert "or as a Member contact point: contact-point@customs." in result.output
    contact = session.scalar(select(User).where(User.role == "contact_point"))

    submitted = dict(
        session.execute(
            select(SurveyRound.kind, func.count())
            .join(Response, Response.round_id == SurveyRound.id)
            .where(Response.status == "submitted")
            .group_by(SurveyRound.kind)
        ).all()
    )
    assert submitted[QuestionnaireKind.NEEDS_ASSESSMENT] == 12
    assert (
        submitted[QuestionnaireKind.EVALUATION] > 0 and submitted[QuestionnaireKind.FOLLOW_UP] > 0
    )
    assert f"{sum(submitted.values())} survey responses added" in result.output
    # Every response went through an invitation, which records it; the contact point's
    # own administration is left to answer its needs assessment.
    assert session.scalar(
        select(func.count()).select_from(Invitation).where(Invitation.submitted_at.is_not(None))
    ) == sum(submitted.values())
    assert not session.scalar(
        select(func.count())
        .select_from(Response)
        .join(SurveyRound, SurveyRound.id == Response.round_id)
        .where(
            SurveyRound.kind == QuestionnaireKind.NEEDS_ASSESSMENT,
            Response.member_id == contact.member_id,
        )
    )
    report = compute_kpis(session, "2025-2026").as_api()
    assert report["evaluation"]["responses"] == submitted[QuestionnaireKind.EVALUATION]
    assert report["evaluation"]["overall_mean"] is not None
    assert (
        report["tangible_results"]["reported"]
        == session.scalar(select(func.count()).select_from(TangibleResult))
        > 0
    )
    assert report["activities"]["needs_coverage"] is not None
    kinds = set(session.scalars(select(Finding.kind)))
    assert {"low_satisfaction", "uncovered_need", "barrier"} <= {k.value for k in kinds}

    # Running it again resets the password and adds nobody and nothing twice.
    again = runner.invoke(args=["demo", "load", "--year", "2025-2026"])
    assert "0 participants added, 0 survey responses added" in again.output
    assert session.scalar(select(func.count()).select_from(Attendance)) == 72
    assert session.scalar(select(func.count()).select_from(SurveyRound)) == len(rounds)
    assert session.scalar(select(func.count()).select_from(Response)) == sum(submitted.values())


def test_surveys_validate_and_sync(runner, session, tmp_path):
    from tests.samples import SURVEYS

    ok = runner.invoke(args=["surveys", "validate", str(SURVEYS)])
    assert ok.exit_code == 0 and ok.output.count("ok      ") == 3
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "key: bad\nkind: other\ntitle: Bad\nsections:\n  - key: s\n    title: S\n"
        "    questions:\n      - {key: q, type: slider, label: Q}\n"
    )
    refused = runner.invoke(args=["surveys", "validate", str(bad)])
    assert refused.exit_code == 1
    assert f"{bad}:8: question 'q': unknown type 'slider'" in refused.output
    synced = runner.invoke(args=["surveys", "sync", str(SURVEYS)])
    assert synced.exit_code == 0 and synced.output.count("new     ") == 3
    again = runner.invoke(args=["surveys", "sync", str(SURVEYS)])
    assert again.output.count("same    ") == 3
    trail = _trail(session)
    assert len(trail) == 1 and trail[0][:2] == ("command line", "surveys.sync")
    assert trail[0][2].count(" v1") == 3
    not_stored = runner.invoke(args=["surveys", "sync", str(bad)])
    assert not_stored.exit_code == 1 and "nothing was stored" in not_stored.output


def test_rounds_dispatch_against_a_local_smtp_server(
    runner, app, session, smtp_server, monkeypatch
):
    from tests.journey import make_journey

    make_journey(session, app)
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", smtp_server.port)
    result = runner.invoke(args=["rounds", "dispatch"])
    assert result.exit_code == 0, result.output
    assert "via smtp" in result.output
    assert "sent:    invitation 3, reminder 0" in result.output
    assert len(smtp_server.received) == 3
    again = runner.invoke(args=["rounds", "dispatch"])
    assert "sent:    invitation 0, reminder 0" in again.output
    assert len(smtp_server.received) == 3
    smtp_server.handler.reject = True
    # Four days and an hour after the invitations went out: the reminders are due.
    later = (datetime.now(UTC) + timedelta(days=4, hours=1)).isoformat(timespec="minutes")
    failing = runner.invoke(args=["rounds", "dispatch", "--now", later])
    assert failing.exit_code == 1
    assert "failed (kept for the next run): 3" in failing.output


def test_users_token(runner, session):
    from app.accounts.api_tokens import token_for_request
    from app.common import clock
    from tests.factories import UserFactory

    UserFactory(email="api@rocb-ap.example")
    result = runner.invoke(
        args=["users", "token", "api@rocb-ap.example", "--name", "report", "--scope", "read"]
    )
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert token.startswith("rocb_") and len(token) > 40
    row = token_for_request(session, token, clock.utcnow())
    assert (row.user.email, row.name, row.scope) == ("api@rocb-ap.example", "report", "read")
    listed = runner.invoke(args=["users", "tokens", "api@rocb-ap.example"])
    assert f"{row.id:5}  api@rocb-ap.example  'report'  read  until" in listed.output
    revoked = runner.invoke(args=["users", "revoke-token", str(row.id)])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    session.expire_all()
    assert token_for_request(session, token, clock.utcnow()) is None
    trail = runner.invoke(args=["audit", "list", "--action", "token."])
    assert "command line  token.revoke  api_tokens" in trail.output
    assert "command line  token.create  api_tokens" in trail.output
    missing = runner.invoke(args=["users", "token", "nobody@rocb-ap.example"])
    assert missing.exit_code == 1 and "No user" in missing.output


def test_users_invite_reset_logout_disable_and_two_factor(runner, session):
    import pyotp

    from app.accounts.sessions import SessionRules, start_login_session, user_for_login_token
    from app.accounts.two_factor import enable_two_factor, new_secret
    from app.accounts.users import token_owner
    from app.common import clock
    from app.models import AuditEntry, User
    from tests.auth.test_sessions_and_accounts import LINK
    from tests.factories import UserFactory, member

    rules = SessionRules(remember=timedelta(days=14), idle=timedelta(hours=12))
    invited = runner.invoke(
        args=[
            "users",
            "invite",
            "--email",
            "cp@customs.gov.ws",
            "--role",
            "contact_point",
            "--member",
            "WSM",
        ]
    )
    assert invited.exit_code == 0, invited.output
    link = LINK.search(invited.output).group(1)
    user = session.scalar(select(User).where(User.email == "cp@customs.gov.ws"))
    assert user.member == member("WSM") and user.password_hash is None
    assert token_owner(session, link.rsplit("/", 1)[1], clock.utcnow()).user == user
    again = runner.invoke(args=["users", "reset-link", "cp@customs.gov.ws"])
    newer = LINK.search(again.output).group(1)
    session.expire_all()
    assert token_owner(session, link.rsplit("/", 1)[1], clock.utcnow()) is None  # replaced
    assert token_owner(session, newer.rsplit("/", 1)[1], clock.utcnow()) is not None

    staff = UserFactory(email="lost@rocb.example", role="staff")
    secret = new_secret()
    enable_two_factor(session, staff, secret, pyotp.TOTP(secret).now(), clock.utcnow())
    tokens = [start_login_session(session, staff, True, clock.utcnow(), rules) for _ in range(2)]
    session.commit()
    reset = runner.invoke(args=["users", "reset-two-factor", "lost@rocb.example"])
    assert reset.exit_code == 0 and "2 session(s) ended" in reset.output
    session.expire_all()
    assert staff.totp_secret is None
    twice = runner.invoke(args=["users", "reset-two-factor", "lost@rocb.example"])
    assert twice.exit_code == 1 and "not on" in twice.output

    start_login_session(session, staff, False, clock.utcnow(), rules)
    session.commit()
    out = runner.invoke(args=["users", "logout-everywhere", "lost@rocb.example"])
    assert out.exit_code == 0 and "1 session(s) ended" in out.output
    runner.invoke(args=["users", "reset-link", "lost@rocb.example"])
    disabled = runner.invoke(args=["users", "disable", "cp@customs.gov.ws"])
    assert disabled.exit_code == 0, disabled.output
    session.expire_all()
    assert not user.active
    assert token_owner(session, newer.rsplit("/", 1)[1], clock.utcnow()) is None
    assert all(user_for_login_token(session, t, clock.utcnow(), rules)[0] is None for t in tokens)
    actions = [
        (entry.actor_label, entry.action)
        for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id))
    ]
    assert actions == [
        ("command line", "user.invite"),
        ("command line", "user.reset_link"),
        ("command line", "user.two_factor_reset"),
        ("command line", "user.logout_everywhere"),
        ("command line", "user.reset_link"),
        ("command line", "user.disable"),
    ]


def test_demo_data_is_refused_in_production(monkeypatch):
    import secrets

    from app import create_app

    monkeypatch.setenv("SECRET_KEY", secrets.token_hex(32))
    production = create_app({"APP_CONFIG": "production", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    result = production.test_cli_runner().invoke(args=["demo", "load", "--year", "2025-2026"])
    assert result.exit_code == 1 and "never loaded into a production database" in result.output
