import pytest

from app.accounts.users import NewUser, UserError, authenticate, create_user
from app.models import Role
from tests.factories import UserFactory


def test_create_contact_point_and_authenticate(session):
    user = create_user(
        session, NewUser("CP@Customs.TO", "contact_point", "long enough pw", member_code="ton")
    )
    assert (user.email, user.role, user.member.code) == ("cp@customs.to", Role.CONTACT_POINT, "TON")
    assert user.password_hash.startswith("scrypt:")
    assert authenticate(session, " cp@CUSTOMS.to ", "long enough pw") == user
    assert user.last_login_at is not None
    assert authenticate(session, "cp@customs.to", "wrong password") is None
    assert authenticate(session, "nobody@customs.to", "long enough pw") is None


def test_inactive_users_cannot_log_in(session):
    UserFactory(email="gone@rocb.example", active=False)
    assert authenticate(session, "gone@rocb.example", "correct horse battery staple") is None


@pytest.mark.parametrize(
    ("new", "message"),
    [
        (NewUser("a@b.example", "contact_point", "long enough pw"), "give --member"),
        (
            NewUser("a@b.example", "staff", "long enough pw", member_code="FJI"),
            "Only contact points",
        ),
        (
            NewUser("a@b.example", "contact_point", "long enough pw", member_code="XXX"),
            "No Member with code",
        ),
        (NewUser("a@b.example", "boss", "long enough pw"), "Unknown role"),
        (NewUser("not-an-email", "staff", "long enough pw"), "not a valid email"),
        (NewUser("a@b.example", "staff", "short"), "at least 10 characters"),
    ],
)
def test_create_user_errors(session, new, message):
    with pytest.raises(UserError, match=message):
        create_user(session, new)


def test_duplicate_email_is_refused(session):
    UserFactory(email="taken@rocb.example")
    with pytest.raises(UserError, match="already exists"):
        create_user(session, NewUser("TAKEN@rocb.example", "staff", "long enough pw"))


def test_set_password_rotates_the_session_token(session):
    user = UserFactory()
    before = user.session_token
    user.set_password("another long password")
    assert user.session_token != before and user.get_id() == user.session_token
