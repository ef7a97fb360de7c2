"""Sessions that end when they should, and accounts run from the application: replaying
cookies after logout, "log out everywhere", invitations and password resets through the
outbox, two-factor login, the account page's API tokens."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import time_machine
from sqlalchemy import select

from app.common import clock
from app.models import AuditEntry, LoginSession, Message, MessageKind, Role, User
from tests.conftest import TEST_PASSWORD, csrf_token, login, post_form
from tests.factories import UserFactory, member

NEW_PASSWORD = "ferry to lautoka at dawn"
LINK = re.compile(r"(https?://\S+/auth/password/[A-Za-z0-9_-]+)")


def _cookie(client, name: str) -> str | None:
    cookie = client.get_cookie(name)
    return cookie.value if cookie else None


def _fresh(client):
    return client.application.test_client()


def _logout(client) -> None:
    page = client.get("/auth/account").get_data(as_text=True)
    client.post("/auth/logout", data={"csrf_token": csrf_token(page)})


def test_a_session_cookie_copied_before_logout_opens_nothing_after(client, session):
    UserFactory(email="staff@rocb.example")
    login(client, "staff@rocb.example")
    stolen = _cookie(client, "session")
    assert client.get("/manage/members").status_code == 200
    _logout(client)
    replay = _fresh(client)
    replay.set_cookie("session", stolen, domain="localhost")
    response = replay.get("/manage/members")
    assert response.status_code == 302 and "/auth/login" in response.location


def test_a_remember_cookie_stops_working_at_logout(client, session):
    UserFactory(email="staff@rocb.example")
    post_form(
        client,
        "/auth/login",
        {"email": "staff@rocb.example", "password": TEST_PASSWORD, "remember": "y"},
    )
    remember = _cookie(client, "remember_token")
    assert remember
    # From another browser, the remember cookie alone logs in...
    other = _fresh(client)
    other.set_cookie("remember_token", remember, domain="localhost")
    assert other.get("/manage/members").status_code == 200
    # ...until the session it belongs to is ended; the browser is told to drop it too.
    _logout(client)
    assert _cookie(client, "remember_token") is None
    again = _fresh(client)
    again.set_cookie("remember_token", remember, domain="localhost")
    assert again.get("/manage/members").status_code == 302


def test_remember_me_lasts_the_configured_days_and_no_more(client, session, app):
    UserFactory(email="staff@rocb.example")
    post_form(
        client,
        "/auth/login",
        {"email": "staff@rocb.example", "password": TEST_PASSWORD, "remember": "y"},
    )
    row = session.scalar(select(LoginSession))
    lifetime = clock.aware(row.expires_at) - clock.aware(row.created_at)
    assert lifetime == timedelta(days=app.config["REMEMBER_DAYS"]) == timedelta(days=14)
    remember = _cookie(client, "remember_token")
    with time_machine.travel(clock.utcnow() + timedelta(days=15)):
        other = _fresh(client)
        other.set_cookie("remember_token", remember, domain="localhost")
        assert other.get("/manage/members").status_code == 302


def test_a_login_without_remember_me_ends_after_the_idle_hours(client, session):
    UserFactory(email="staff@rocb.example")
    login(client, "staff@rocb.example")
    with time_machine.travel(clock.utcnow() + timedelta(hours=13)):
        assert client.get("/manage/members").status_code == 302


def test_logout_forgets_the_needs_assessment_the_browser_was_answering(client, session, app):
    from app.journeys.scheduling import ensure_needs_round
    from app.workplan.plan_years import get_or_create_plan_year, label_for_date
    from tests.journey import make_journey

    journey = make_journey(session, app)
    year = get_or_create_plan_year(session, label_for_date(clock.today()))
    survey_round = ensure_needs_round(session, year, journey.settings, clock.today())
    session.commit()
    login(client, "cp@customs.gov.np")
    post_form(client, f"/portal/needs/{survey_round.id}/answer", {}, page="/portal/")
    assert client.get(f"/s/{survey_round.slug}").status_code == 200
    _logout(client)
    assert client.get(f"/s/{survey_round.slug}").status_code == 403


def test_log_out_everywhere_ends_every_browser(client, session):
    UserFactory(email="staff@rocb.example")
    login(client, "staff@rocb.example")
    elsewhere = _fresh(client)
    login(elsewhere, "staff@rocb.example")
    assert elsewhere.get("/manage/members").status_code == 200
    post_form(client, "/auth/account/sessions/end", {}, page="/auth/account")
    assert client.get("/manage/members").status_code == 302
    assert elsewhere.get("/manage/members").status_code == 302
    assert session.scalar(select(LoginSession)) is None


def test_an_administrator_logs_a_user_out_everywhere(client, session):
    admin = UserFactory(email="admin@rocb.example", role="admin")
    target = UserFactory(email="staff@rocb.example")
    victim = _fresh(client)
    login(victim, "staff@rocb.example")
    login(client, admin.email)
    done = post_form(
        client, f"/manage/users/{target.id}/sessions/end", {}, page=f"/manage/users/{target.id}"
    )
    assert done.status_code == 302
    assert victim.get("/manage/members").status_code == 302
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "user.logout_everywhere"))
    assert entry.actor_label == "admin@rocb.example" and entry.object_id == str(target.id)


def test_changing_the_password_logs_out_the_other_browsers(client, session):
    UserFactory(email="staff@rocb.example")
    login(client, "staff@rocb.example")
    elsewhere = _fresh(client)
    login(elsewhere, "staff@rocb.example")
    changed = post_form(
        client,
        "/auth/account/password",
        {
            "password-current": TEST_PASSWORD,
            "password-password": NEW_PASSWORD,
            "password-confirm": NEW_PASSWORD,
        },
        page="/auth/account",
    )
    assert changed.status_code == 302
    assert client.get("/manage/members").status_code == 200
    assert elsewhere.get("/manage/members").status_code == 302
    weak = post_form(
        client,
        "/auth/account/password",
        {
            "password-current": NEW_PASSWORD,
            "password-password": "password1234",
            "password-confirm": "password1234",
        },
        page="/auth/account",
    )
    assert weak.status_code == 400 and "most common" in weak.get_data(as_text=True)


def _outbox_link(session, to: str) -> str:
    message = session.scalars(
        select(Message)
        .where(Message.to_email == to, Message.kind == MessageKind.ACCOUNT)
        .order_by(Message.id.desc())
    ).first()
    assert message is not None, f"no account message to {to}"
    return LINK.search(message.body_text).group(1)


def test_an_invitation_end_to_end_through_the_outbox(client, session):
    admin = UserFactory(email="admin@rocb.example", role="admin")
    login(client, admin.email)
    invited = post_form(
        client,
        "/manage/users/new",
        {"email": "Cp@Customs.GOV.fj", "name": "Mere", "role": "contact_point", "member": "FJI"},
    )
    assert invited.status_code == 302
    user = session.scalar(select(User).where(User.email == "cp@customs.gov.fj"))
    assert user.role is Role.CONTACT_POINT and user.password_hash is None
    link = _outbox_link(session, "cp@customs.gov.fj")
    path = link[link.index("/auth/") :]
    # Staff reading the outbox do not see the link.
    message = session.scalars(select(Message).where(Message.kind == MessageKind.ACCOUNT)).first()
    shown = client.get(f"/manage/outbox/{message.id}").get_data(as_text=True)
    assert "/auth/password/" not in shown and "Not shown" in shown
    newcomer = _fresh(client)
    page = newcomer.get(path).get_data(as_text=True)
    assert "Welcome, Mere" in page
    short = post_form(newcomer, path, {"password": "short", "confirm": "short"})
    assert short.status_code == 400 and "at least 12 characters" in short.get_data(as_text=True)
    done = post_form(newcomer, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.location.endswith("/auth/login")
    assert newcomer.get(path).status_code == 404  # used up
    assert login(newcomer, "cp@customs.gov.fj", NEW_PASSWORD).status_code == 302
    assert "<h1>Fiji</h1>" in newcomer.get("/portal/").get_data(as_text=True)
    actions = set(session.scalars(select(AuditEntry.action)))
    assert {"user.invite", "auth.password_set", "auth.login"} <= actions


def test_forgot_password_answers_the_same_and_resets_once(client, session):
    UserFactory(email="staff@rocb.example")
    stranger = _fresh(client)
    known = post_form(client, "/auth/forgot", {"email": "staff@rocb.example"})
    unknown = post_form(stranger, "/auth/forgot", {"email": "nobody@rocb.example"})
    assert known.status_code == unknown.status_code == 302
    assert known.location == unknown.location
    for who, response in ((client, known), (stranger, unknown)):
        said = who.get(response.location).get_data(as_text=True)
        assert "If an account exists for that address" in said
    assert session.scalar(select(Message).where(Message.to_email == "nobody@rocb.example")) is None
    # The person who asked is logged in elsewhere: the reset ends that session.
    elsewhere = _fresh(client)
    login(elsewhere, "staff@rocb.example")
    link = _outbox_link(session, "staff@rocb.example")
    path = link[link.index("/auth/") :]
    assert (
        post_form(client, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code
        == 302
    )
    assert elsewhere.get("/manage/members").status_code == 302
    assert login(_fresh(client), "staff@rocb.example", NEW_PASSWORD).status_code == 302
    assert login(_fresh(client), "staff@rocb.example", TEST_PASSWORD).status_code == 401
    assert _fresh(client).get(path).status_code == 404


def test_forgot_password_takes_the_same_time_with_or_without_an_account(
    client, session, app, monkeypatch
):
    import app.auth.routes as routes

    UserFactory(email="staff@rocb.example")
    app.config["FORGOT_PASSWORD_SECONDS"] = 5.0
    slept: list[float] = []
    monkeypatch.setattr(routes.time, "sleep", slept.append)
    post_form(client, "/auth/forgot", {"email": "nobody@rocb.example"})
    post_form(_fresh(client), "/auth/forgot", {"email": "staff@rocb.example"})
    # Each answer is padded up to the configured time: nearly all of it for the unknown
    # address, what sending the link left for the known one.
    assert len(slept) == 2 and 4.5 < slept[0] <= 5.0 and 0 < slept[1] <= 5.0


def test_account_pages_are_never_cached(client, session):
    for path in ("/auth/login", "/auth/forgot"):
        assert client.get(path).headers["Cache-Control"] == "no-store"
    UserFactory(email="staff@rocb.example")
    login(client, "staff@rocb.example")
    assert client.get("/auth/account").headers["Cache-Control"] == "no-store"


def test_the_reset_form_is_rate_limited(limited_app):
    limited = limited_app(RATELIMIT_PASSWORD_RESET="2 per minute")
    client = limited.test_client()
    statuses = [
        client.post("/auth/forgot", data={"email": "x@y.example"}).status_code for _ in range(3)
    ]
    assert statuses == [302, 302, 429]


def test_two_factor_enrolment_and_login(client, session):
    UserFactory(email="staff@rocb.example")
    login(client, "staff@rocb.example")
    page = client.get("/auth/account/two-factor").get_data(as_text=True)
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    totp = pyotp.TOTP(secret)
    assert "<svg" in page  # the QR code, drawn here
    wrong = post_form(
        client, "/auth/account/two-factor", {"code": "000000", "password": TEST_PASSWORD}
    )
    assert wrong.status_code == 400 and "does not match" in wrong.get_data(as_text=True)
    no_password = post_form(
        client, "/auth/account/two-factor", {"code": totp.now(), "password": "wrong"}
    )
    assert no_password.status_code == 400 and "password is not right" in no_password.get_data(
        as_text=True
    )
    done = post_form(
        client, "/auth/account/two-factor", {"code": totp.now(), "password": TEST_PASSWORD}
    )
    codes = re.findall(r"<code>([0-9a-f]{8}-[0-9a-f]{8})</code>", done.get_data(as_text=True))
    assert done.status_code == 200 and len(codes) == 10
    _logout(client)
    # The password alone no longer logs in: a code is asked for.
    first = login(client, "staff@rocb.example")
    assert first.status_code == 302 and first.location.startswith("/auth/login/code")
    assert client.get("/manage/members").status_code == 302
    assert post_form(client, "/auth/login/code", {"code": "123456"}).status_code == 400
    # The code used to turn it on is never accepted again; the next one is.
    assert post_form(client, "/auth/login/code", {"code": totp.now()}).status_code == 400
    later = clock.utcnow() + timedelta(seconds=31)
    with time_machine.travel(later):
        good = post_form(client, "/auth/login/code", {"code": totp.at(later)})
        assert good.status_code == 302 and client.get("/manage/members").status_code == 200
        # A recovery code works once.
        _logout(client)
        login(client, "staff@rocb.example")
        assert post_form(client, "/auth/login/code", {"code": codes[0]}).status_code == 302
        _logout(client)
        login(client, "staff@rocb.example")
        assert post_form(client, "/auth/login/code", {"code": codes[0]}).status_code == 400


def test_five_wrong_codes_send_back_to_the_password(client, session):
    from app.accounts.two_factor import enable_two_factor, new_secret

    user = UserFactory(email="staff@rocb.example")
    secret = new_secret()
    enable_two_factor(session, user, secret, pyotp.TOTP(secret).now(), clock.utcnow())
    session.commit()
    login(client, "staff@rocb.example")
    statuses = [
        post_form(client, "/auth/login/code", {"code": "000000"}).status_code for _ in range(5)
    ]
    assert statuses == [400, 400, 400, 400, 302]
    assert client.get("/auth/login/code").location.startswith("/auth/login")
    failures = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "auth.second_factor_failed")
    ).all()
    assert len(failures) == 5


def test_staff_turn_off_the_two_factor_login_of_someone_who_lost_the_phone(client, session):
    from app.accounts.two_factor import enable_two_factor, new_secret

    lost = UserFactory(email="lost@rocb.example")
    secret = new_secret()
    enable_two_factor(session, lost, secret, pyotp.TOTP(secret).now(), clock.utcnow())
    UserFactory(email="staff@rocb.example")
    session.commit()
    login(client, "staff@rocb.example")
    page = f"/manage/users/{lost.id}"
    assert "Turn off two-factor login" in client.get(page).get_data(as_text=True)
    done = post_form(client, f"{page}/two-factor/off", {}, page=page)
    assert done.status_code == 302
    said = client.get(done.location).get_data(as_text=True)
    assert "Two-factor login is off for lost@rocb.example" in said
    assert "Turn off two-factor login" not in said
    # The password alone logs in now.
    person = _fresh(client)
    assert login(person, "lost@rocb.example").location == "/"  # not /auth/login/code
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "user.two_factor_reset"))
    assert entry.actor_label == "staff@rocb.example" and entry.object_id == str(lost.id)


def test_only_administrators_see_which_api_tokens_someone_holds(client, session):
    from app.accounts.api_tokens import issue_api_token

    holder = UserFactory(email="holder@rocb.example")
    issue_api_token(session, holder, clock.utcnow(), "Quarterly sync")
    UserFactory(email="staff@rocb.example")
    UserFactory(email="admin@rocb.example", role="admin")
    session.commit()
    page = f"/manage/users/{holder.id}"
    login(client, "staff@rocb.example")
    assert "Quarterly sync" not in client.get(page).get_data(as_text=True)
    admin = _fresh(client)
    login(admin, "admin@rocb.example")
    assert "Quarterly sync" in admin.get(page).get_data(as_text=True)


def test_administrators_must_turn_on_two_factor_where_required(client, session, app, monkeypatch):
    monkeypatch.setitem(app.config, "TWO_FACTOR_REQUIRED_FOR_ADMINS", True)
    UserFactory(email="admin@rocb.example", role="admin")
    UserFactory(email="staff@rocb.example", role="staff")
    login(client, "admin@rocb.example")
    response = client.get("/manage/members")
    assert response.status_code == 302 and response.location == "/auth/account/two-factor"
    staff = _fresh(client)
    login(staff, "staff@rocb.example")
    assert staff.get("/manage/members").status_code == 200


def test_api_tokens_from_the_account_page(client, session):
    UserFactory(email="staff@rocb.example")
    login(client, "staff@rocb.example")
    made = post_form(
        client,
        "/auth/account/tokens",
        {"token-name": "Annual Report", "token-scope": "read", "token-days": "30"},
        page="/auth/account",
    )
    token = re.search(
        r'<code class="secret">(rocb_[A-Za-z0-9_-]+)</code>', made.get_data(as_text=True)
    )
    assert made.status_code == 200 and token
    api = _fresh(client)
    headers = {"Authorization": f"Bearer {token.group(1)}"}
    assert api.get("/api/v1/rounds", headers=headers).status_code == 200
    refused = api.post("/api/v1/activities", headers=headers, json={})
    assert refused.status_code == 403 and "read-only" in refused.get_json()["detail"]
    assert refused.mimetype == "application/problem+json"
    account = client.get("/auth/account").get_data(as_text=True)
    token_id = re.search(r"/auth/account/tokens/(\d+)/revoke", account).group(1)
    post_form(client, f"/auth/account/tokens/{token_id}/revoke", {}, page="/auth/account")
    assert api.get("/api/v1/rounds", headers=headers).status_code == 401
    # Contact points have no API tokens.
    UserFactory(email="cp@customs.fj", role="contact_point", member=member("FJI"))
    cp = _fresh(client)
    login(cp, "cp@customs.fj")
    refused = post_form(
        cp,
        "/auth/account/tokens",
        {"token-name": "x", "token-scope": "read", "token-days": "30"},
        page="/auth/account",
    )
    assert refused.status_code == 403


def test_a_sent_account_link_leaves_no_usable_copy_in_the_outbox(
    client, session, app, smtp_server, monkeypatch
):
    from app.common.mail import LINK_REMOVED

    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", smtp_server.port)
    UserFactory(email="staff@rocb.example")
    post_form(client, "/auth/forgot", {"email": "staff@rocb.example"})
    [received] = smtp_server.received
    assert received.to == ["staff@rocb.example"] and "/auth/password/" in received.text
    stored = session.scalar(select(Message).where(Message.kind == MessageKind.ACCOUNT))
    assert stored.status.value == "sent"
    assert "/auth/password/" not in stored.body_text and LINK_REMOVED in stored.body_text


def test_a_needs_assessment_draft_opens_nothing_once_the_login_has_ended(client, session, app):
    """Neither a copy of the cookie nor the same browser after the account is disabled
    can go on answering for the administration."""
    from app.journeys.scheduling import ensure_needs_round
    from app.workplan.plan_years import get_or_create_plan_year, label_for_date
    from tests.journey import make_journey, post_section, start_survey

    journey = make_journey(session, app)
    year = get_or_create_plan_year(session, label_for_date(clock.today()))
    survey_round = ensure_needs_round(session, year, journey.settings, clock.today())
    session.commit()
    login(client, "cp@customs.gov.np")
    post_form(client, f"/portal/needs/{survey_round.id}/answer", {}, page="/portal/")
    start_survey(client, survey_round.slug)
    assert post_section(client, survey_round.slug, 0, {"member": "NPL"}).status_code == 302
    copied = _cookie(client, "session")
    _logout(client)
    thief = _fresh(client)
    thief.set_cookie("session", copied, domain="localhost")
    for path in (f"/s/{survey_round.slug}/0", f"/s/{survey_round.slug}/1"):
        response = thief.get(path)
        assert response.status_code in (302, 403)
        if response.status_code == 302:
            assert thief.get(response.location).status_code == 403
    token = csrf_token(thief.get("/auth/login").get_data(as_text=True))
    refused = thief.post(
        f"/s/{survey_round.slug}/1", data={"csrf_token": token, "action": "submit"}
    )
    assert refused.status_code == 302 and refused.location == f"/s/{survey_round.slug}"
    assert thief.get(refused.location).status_code == 403
    # Disabled while answering: the same browser stops too.
    again = _fresh(client)
    login(again, "cp@customs.gov.np")
    post_form(again, f"/portal/needs/{survey_round.id}/answer", {}, page="/portal/")
    assert again.get(f"/s/{survey_round.slug}/0").status_code == 200
    journey.contact_point.active = False
    session.commit()
    landing = again.get(f"/s/{survey_round.slug}/0")
    assert landing.status_code == 302
    assert again.get(landing.location).status_code in (302, 403)
