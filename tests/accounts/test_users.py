"""Accounts: creating them, roles and who may give them, disabling, password rules, the
single-use links that set a password, the Members without a contact point."""

from datetime import UTC, datetime, timedelta

import pytest

from app.accounts.passwords import PasswordError, check_password
from app.accounts.sessions import SessionRules, start_login_session, user_for_login_token
from app.accounts.users import (
    NewUser,
    UserError,
    account_link,
    authenticate,
    change_password,
    change_role,
    create_user,
    members_without_contact_point,
    reset_two_factor,
    set_active,
    set_password_with_link,
    token_owner,
)
from app.models import Role
from tests.factories import UserFactory, member

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
RULES = SessionRules(remember=timedelta(days=14), idle=timedelta(hours=12))
GOOD = "customs office rocks in suva"


def test_create_contact_point_and_authenticate(session):
    user = create_user(session, NewUser("CP@Customs.TO", "contact_point", GOOD, member_code="ton"))
    assert (user.email, user.role, user.member.code) == ("cp@customs.to", Role.CONTACT_POINT, "TON")
    assert user.password_hash.startswith("scrypt:")
    assert authenticate(session, " cp@CUSTOMS.to ", GOOD, NOW) == user
    assert authenticate(session, "cp@customs.to", "wrong password", NOW) is None
    assert authenticate(session, "nobody@customs.to", GOOD, NOW) is None


def test_inactive_users_cannot_log_in(session):
    UserFactory(email="gone@rocb.example", active=False)
    assert authenticate(session, "gone@rocb.example", "correct horse battery staple", NOW) is None


@pytest.mark.parametrize(
    ("new", "message"),
    [
        (NewUser("a@b.example", "contact_point", GOOD), "choose its administration"),
        (NewUser("a@b.example", "staff", GOOD, member_code="FJI"), "Only contact points"),
        (
            NewUser("a@b.example", "contact_point", GOOD, member_code="XXX"),
            "No Member with code",
        ),
        (NewUser("a@b.example", "boss", GOOD), "Unknown role"),
        (NewUser("not-an-email", "staff", GOOD), "not a valid email"),
        (NewUser("a@b.example", "staff", "short"), "at least 12 characters"),
        (NewUser("a@b.example", "staff", "password1234"), "most common"),
        (NewUser("a@b.example", "staff", "Password1234"), "most common"),
        (NewUser("a@b.example", "staff", "aaaaaaaaaaaaaaaa"), "too easy to guess"),
    ],
)
def test_create_user_errors(session, new, message):
    with pytest.raises(UserError, match=message):
        create_user(session, new)


@pytest.mark.parametrize(
    ("password", "inputs", "refused"),
    [
        ("correct horse battery staple", [], False),
        ("qwertyuiop12", [], True),  # a keyboard pattern
        ("x" * 201, [], True),
    ],
)
def test_password_rules(password, inputs, refused):
    if refused:
        with pytest.raises(PasswordError):
            check_password(password, inputs)
    else:
        check_password(password, inputs)


def test_a_password_made_of_the_account_s_own_name_is_refused(session):
    new = NewUser("ana.sharma@customs.gov.np", "staff", "ana.sharma.customs", "Ana Sharma")
    with pytest.raises(UserError, match="must not contain your name or email"):
        create_user(session, new)


def test_duplicate_email_is_refused(session):
    UserFactory(email="taken@rocb.example")
    with pytest.raises(UserError, match="already exists"):
        create_user(session, NewUser("TAKEN@rocb.example", "staff", GOOD))


def test_staff_cannot_make_administrators(session):
    staff = UserFactory(role="staff")
    admin = UserFactory(role="admin")
    with pytest.raises(UserError, match="Only an administrator"):
        create_user(session, NewUser("new@rocb.example", "admin"), actor=staff)
    made = create_user(session, NewUser("cp@customs.fj", "contact_point", member_code="FJI"), staff)
    assert made.password_hash is None  # invited: sets their own password
    with pytest.raises(UserError, match="Only an administrator"):
        change_role(session, staff, made, Role.ADMIN)
    with pytest.raises(UserError, match="Only an administrator"):
        set_active(session, staff, admin, False)
    change_role(session, admin, made, Role.STAFF)
    assert made.role is Role.STAFF and made.member is None
    with pytest.raises(UserError, match="your own role"):
        change_role(session, admin, admin, Role.STAFF)


def test_disabling_an_account_ends_its_sessions(session):
    admin = UserFactory(role="admin")
    user = UserFactory(role="staff")
    token = start_login_session(session, user, True, NOW, RULES)
    assert user_for_login_token(session, token, NOW, RULES)[0] == user
    assert set_active(session, admin, user, False) == 1
    assert user_for_login_token(session, token, NOW, RULES)[0] is None
    with pytest.raises(UserError, match="your own account"):
        set_active(session, admin, admin, False)


def test_changing_the_password_ends_the_other_sessions(session):
    user = create_user(session, NewUser("me@rocb.example", "staff", GOOD))
    here = start_login_session(session, user, False, NOW, RULES)
    elsewhere = start_login_session(session, user, True, NOW, RULES)
    with pytest.raises(UserError, match="current password is not right"):
        change_password(session, user, "wrong", "another fine passphrase here", here)
    assert change_password(session, user, GOOD, "another fine passphrase here", here) == 1
    assert user_for_login_token(session, here, NOW, RULES)[0] == user
    assert user_for_login_token(session, elsewhere, NOW, RULES)[0] is None
    assert authenticate(session, user.email, "another fine passphrase here", NOW) == user


def test_a_password_link_works_once_and_only_in_time(session):
    user = create_user(session, NewUser("new@rocb.example", "staff"))
    link = account_link(session, user, "invite", "http://surveys.test", NOW)
    token = link.rsplit("/", 1)[1]
    assert link.startswith("http://surveys.test/auth/password/")
    assert token_owner(session, token, NOW + timedelta(days=8)) is None  # 7 days
    row = token_owner(session, token, NOW + timedelta(days=1))
    assert row is not None and row.user == user
    set_password_with_link(session, row, GOOD, NOW + timedelta(days=1))
    assert token_owner(session, token, NOW + timedelta(days=1)) is None  # used up
    assert authenticate(session, user.email, GOOD, NOW) == user
    reset = account_link(session, user, "reset", "http://surveys.test", NOW)
    newer = account_link(session, user, "reset", "http://surveys.test", NOW)
    assert token_owner(session, reset.rsplit("/", 1)[1], NOW) is None  # replaced
    assert token_owner(session, newer.rsplit("/", 1)[1], NOW + timedelta(hours=3)) is None


def test_a_link_is_spent_once_even_by_two_requests_at_the_same_moment(session):
    user = create_user(session, NewUser("new@rocb.example", "staff"))
    token = account_link(session, user, "invite", "http://surveys.test", NOW).rsplit("/", 1)[1]
    first = token_owner(session, token, NOW)
    second = token_owner(session, token, NOW)  # read before the first was spent
    set_password_with_link(session, first, GOOD, NOW)
    with pytest.raises(UserError, match="just been used"):
        set_password_with_link(session, second, "somebody else's passphrase here", NOW)
    assert authenticate(session, user.email, GOOD, NOW) == user


@pytest.mark.parametrize("event", ["password changed", "account disabled"])
def test_unused_links_stop_working_when_the_account_changes(session, event):
    admin = UserFactory(role="admin")
    user = create_user(session, NewUser("me@rocb.example", "staff", GOOD))
    links = [account_link(session, user, "reset", "http://surveys.test", NOW)]
    token = links[0].rsplit("/", 1)[1]
    assert token_owner(session, token, NOW) is not None
    if event == "password changed":
        here = start_login_session(session, user, False, NOW, RULES)
        change_password(session, user, GOOD, "another fine passphrase here", here)
    else:
        set_active(session, admin, user, False)
    assert token_owner(session, token, NOW) is None


def _with_two_factor(session, user):
    import pyotp

    from app.accounts.two_factor import enable_two_factor, new_secret

    secret = new_secret()
    enable_two_factor(session, user, secret, pyotp.TOTP(secret).at(NOW), NOW)
    return user


def test_resetting_someone_s_two_factor_login(session):
    from sqlalchemy import func, select

    from app.models import RecoveryCode

    admin, staff = UserFactory(role="admin"), UserFactory(role="staff")
    lost = _with_two_factor(session, UserFactory(role="staff"))
    other_admin = _with_two_factor(session, UserFactory(role="admin"))
    token = start_login_session(session, lost, True, NOW, RULES)
    with pytest.raises(UserError, match="Only an administrator"):
        reset_two_factor(session, staff, other_admin)
    assert other_admin.totp_secret is not None
    with pytest.raises(UserError, match="your account page"):
        reset_two_factor(session, other_admin, other_admin)
    assert reset_two_factor(session, staff, lost) == 1
    assert (lost.totp_secret, lost.totp_enabled_at) == (None, None)
    codes = select(func.count()).select_from(RecoveryCode).where(RecoveryCode.user_id == lost.id)
    assert session.scalar(codes) == 0
    assert user_for_login_token(session, token, NOW, RULES)[0] is None
    with pytest.raises(UserError, match="not on"):
        reset_two_factor(session, admin, lost)
    assert reset_two_factor(session, None, other_admin) == 0  # the command line may


def test_members_without_an_active_contact_point(session):
    before = {m.code for m in members_without_contact_point(session)}
    assert "FJI" in before and len(before) == 35
    UserFactory(role="contact_point", member=member("FJI"))
    UserFactory(role="contact_point", member=member("TON"), active=False)
    UserFactory(role="contact_point", member=member("NPL"), password_hash=None)
    after = {m.code for m in members_without_contact_point(session)}
    assert after == before - {"FJI"}
