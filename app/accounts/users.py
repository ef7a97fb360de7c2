"""Accounts: creating users and checking passwords."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from app.common.clock import utcnow
from app.models import ApiToken, Member, Role, User

MIN_PASSWORD_LENGTH = 10
# Compared against when the email is unknown, so a failed login takes as long either way.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class UserError(ValueError):
    pass


@dataclass
class NewUser:
    email: str
    role: str
    password: str
    name: str = ""
    member_code: str | None = None


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise UserError(f"{email!r} is not a valid email address: {error}") from None


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")


def create_user(session: Session, new: NewUser) -> User:
    email = normalise_email(new.email)
    try:
        role = Role(new.role)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise UserError(f"Unknown role {new.role!r}: choose one of {choices}.") from None
    member = None
    if role is Role.CONTACT_POINT:
        if not new.member_code:
            raise UserError("A contact point belongs to a Member: give --member with its code.")
        member = session.scalar(select(Member).where(Member.code == new.member_code.upper()))
        if member is None:
            raise UserError(f"No Member with code {new.member_code!r}.")
    elif new.member_code:
        raise UserError(f"Only contact points belong to a Member; a {role.value} does not.")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise UserError(f"A user with the email {email} already exists.")
    check_password_strength(new.password)
    user = User(email=email, name=new.name or email.split("@")[0], role=role, member=member)
    user.set_password(new.password)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None (whatever the reason)."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    user.last_login_at = utcnow()
    return user


def issue_api_token(session: Session, user: User) -> str:
    """A new API token for a staff member; only its hash is stored, so print it now."""
    if not user.is_staff:
        raise UserError("API tokens are for staff and administrators only.")
    token = "rocb_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user=user, token_hash=_hash(token)))
    session.flush()
    return token


def user_for_api_token(session: Session, token: str) -> User | None:
    if not token or len(token) > 200:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(token)))
    if row is None or not row.user.active or not row.user.is_staff:
        return None
    row.last_used_at = utcnow()
    return row.user


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))
