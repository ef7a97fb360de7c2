"""Accounts: staff, administrators and Member contact points. Creating them (from the
command line with a password, or by an invitation that lets the person set their own),
roles and who may give them, disabling, passwords and the links that set them, and the
Members without a contact point."""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from email_validator import EmailNotValidError, validate_email
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from app.accounts.passwords import PasswordError, check_password
from app.accounts.sessions import end_all_login_sessions
from app.accounts.two_factor import disable_two_factor
from app.common.clock import aware, utcnow
from app.common.mail import to_html
from app.models import AccountToken, Member, Message, MessageKind, Role, User

# Compared against when the email is unknown, so a failed login takes as long either way.
INVITE_DAYS = 7
RESET_HOURS = 2


class UserError(ValueError):
    pass


@dataclass
class NewUser:
    email: str
    role: str
    password: str | None = None  # None: the person sets it through an invitation link
    name: str = ""
    member_code: str | None = None
    language: str | None = None  # of their emails and pages; None: English


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise UserError(f"{email!r} is not a valid email address: {error}") from None


def check_password_strength(password: str, user: User | None = None) -> None:
    """The password rules, with the account's own email and name as words to avoid."""
    inputs: list[str] = []
    if user is not None:
        inputs = [user.email, user.name, *re.split(r"[\W_]+", f"{user.email} {user.name}")]
        letters = re.sub(r"[\W\d_]+", "", password.lower())
        for own in (user.email.split("@")[0], user.name):
            own_letters = re.sub(r"[\W\d_]+", "", own.lower())
            if len(own_letters) >= 4 and own_letters in letters:
                raise UserError(
                    gettext("The password must not contain your name or email: choose another.")
                )
    try:
        check_password(password, inputs)
    except PasswordError as error:
        raise UserError(str(error)) from None


def may_give_role(actor: User | None, role: Role) -> bool:
    """Administrators give any role; staff give staff and contact-point accounts, never
    administrator ones; the command line (``actor`` None) gives any."""
    if actor is None or Role(actor.role) is Role.ADMIN:
        return True
    return Role(actor.role) is Role.STAFF and Role(role) is not Role.ADMIN


def may_manage(actor: User, user: User) -> bool:
    """Staff manage staff and contact points; only administrators manage administrators."""
    return may_give_role(actor, Role(user.role))


def _member_for(session: Session, role: Role, member_code: str | None) -> Member | None:
    if role is Role.CONTACT_POINT:
        if not member_code:
            raise UserError("A contact point belongs to a Member: choose its administration.")
        member = session.scalar(select(Member).where(Member.code == member_code.upper()))
        if member is None:
            raise UserError(f"No Member with code {member_code!r}.")
        return member
    if member_code:
        raise UserError(f"Only contact points belong to a Member; a {role.value} does not.")
    return None


def create_user(session: Session, new: NewUser, actor: User | None = None) -> User:
    """A new account. With a password it can log in at once; without, it waits for the
    person to set one (`invitation_link`)."""
    email = normalise_email(new.email)
    try:
        role = Role(new.role)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise UserError(f"Unknown role {new.role!r}: choose one of {choices}.") from None
    if not may_give_role(actor, role):
        raise UserError("Only an administrator can create an administrator account.")
    member = _member_for(session, role, new.member_code)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise UserError(f"A user with the email {email} already exists.")
    user = User(email=email, name=(new.name or email.split("@")[0])[:200], role=role)
    user.member = member
    user.language = new.language or None
    if new.password is not None:
        check_password_strength(new.password, user)
        user.set_password(new.password)
    session.add(user)
    session.flush()
    return user


def change_role(
    session: Session, actor: User, user: User, role: Role, member_code: str | None = None
) -> None:
    if not (may_give_role(actor, role) and may_manage(actor, user)):
        raise UserError("Only an administrator can give or take away the administrator role.")
    if user.id == actor.id and role is not user.role:
        raise UserError("You cannot change your own role: ask another administrator.")
    user.member = _member_for(session, role, member_code)
    user.role = role
    session.flush()


def set_active(session: Session, actor: User | None, user: User, active: bool) -> int:
    """Enable or disable an account (``actor`` None: from the command line); disabling
    ends every session it has and cancels its unused password links. Returns how many
    sessions ended."""
    if actor is not None:
        if not may_manage(actor, user):
            raise UserError("Only an administrator can disable an administrator.")
        if user.id == actor.id and not active:
            raise UserError("You cannot disable your own account.")
    user.active = active
    session.flush()
    if active:
        return 0
    cancel_account_links(session, user, utcnow())
    return end_all_login_sessions(session, user)


def reset_two_factor(session: Session, actor: User | None, user: User) -> int:
    """Turn off another person's two-factor login (their phone is lost and their recovery
    codes with it): the app secret and the recovery codes go, every session ends, and
    they log in with the password alone until they turn it on again. ``actor`` None: from
    the command line. Returns how many sessions ended."""
    if actor is not None:
        if not may_manage(actor, user):
            raise UserError("Only an administrator can reset an administrator's two-factor login.")
        if user.id == actor.id:
            raise UserError("Turn your own two-factor login off from your account page.")
    if user.totp_enabled_at is None:
        raise UserError(f"Two-factor login is not on for {user.email}.")
    disable_two_factor(session, user)
    return end_all_login_sessions(session, user)


def change_password(
    session: Session, user: User, current: str, new: str, keep_session: str | None
) -> int:
    """Change one's own password; every other session of the account ends. Returns how
    many ended."""
    if not user.check_password(current):
        raise UserError(gettext("The current password is not right."))
    check_password_strength(new, user)
    user.set_password(new)
    cancel_account_links(session, user, utcnow())
    return end_all_login_sessions(session, user, keep=keep_session)


@functools.cache
def _dummy_hash() -> str:
    """A hash to check unknown addresses against, so that they take as long as known ones;
    made at the first login, not when the module is imported (that costs ~50 ms)."""
    return generate_password_hash(secrets.token_hex(16))


def authenticate(session: Session, email: str, password: str, now: datetime) -> User | None:
    """The active user with this email and password, or None (whatever the reason)."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.password_hash:
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.role, User.email)))


def members_without_contact_point(session: Session) -> list[Member]:
    """Active Members that no active contact point (with a password set) speaks for."""
    covered = select(User.member_id).where(
        User.role == Role.CONTACT_POINT, User.active.is_(True), User.password_hash.is_not(None)
    )
    return list(
        session.scalars(
            select(Member)
            .where(Member.active.is_(True), Member.id.not_in(covered.scalar_subquery()))
            .order_by(Member.name)
        )
    )


def contact_points_by_member(session: Session) -> dict[int, list[User]]:
    """Every contact point (active or not), by the id of the Member they speak for, by
    name: one statement."""
    found: dict[int, list[User]] = {}
    for user in session.scalars(
        select(User).where(User.role == Role.CONTACT_POINT).order_by(User.name, User.email)
    ):
        if user.member_id is not None:
            found.setdefault(user.member_id, []).append(user)
    return found


# -- links that set a password -----------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def account_link(session: Session, user: User, purpose: str, base_url: str, now: datetime) -> str:
    """A single-use link that lets ``user`` set a password: "invite" (a new account, valid
    INVITE_DAYS) or "reset" (a forgotten one, valid RESET_HOURS). Earlier unused links
    stop working. The page it opens is in the account's language (``?lang=``), as is the
    email that carries it."""
    cancel_account_links(session, user, now)
    token = secrets.token_urlsafe(32)
    lifetime = timedelta(days=INVITE_DAYS) if purpose == "invite" else timedelta(hours=RESET_HOURS)
    session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=_hash(token),
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    session.flush()
    language = f"?lang={user.language}" if user.language and user.language != "en" else ""
    return f"{base_url}/auth/password/{token}{language}"


def cancel_account_links(session: Session, user: User, now: datetime) -> None:
    """Every unused link of the account stops working (a new link, a password changed,
    the account disabled)."""
    session.execute(
        update(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.used_at.is_(None))
        .values(used_at=now)
    )
    session.flush()


def token_owner(session: Session, token: str, now: datetime) -> AccountToken | None:
    """The unused, unexpired link ``token`` is, or None."""
    if not token or len(token) > 100:
        return None
    row = session.scalar(select(AccountToken).where(AccountToken.token_hash == _hash(token)))
    if row is None or row.used_at is not None or aware(row.expires_at) <= now:
        return None
    if not row.user.active:
        return None
    return row


def set_password_with_link(
    session: Session, row: AccountToken, password: str, now: datetime
) -> User:
    """Set the password the link is for, use the link up (once, even for two requests at
    the same moment), and end every session."""
    user = row.user
    check_password_strength(password, user)
    spend = (
        update(AccountToken)
        .where(AccountToken.id == row.id, AccountToken.used_at.is_(None))
        .values(used_at=now)
    )
    if cast(CursorResult, session.execute(spend)).rowcount != 1:
        raise UserError(gettext("This link has just been used: ask for a new one."))
    user.set_password(password)
    end_all_login_sessions(session, user)
    session.flush()
    return user


ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.STAFF: _l("ROCB staff"),
    Role.CONTACT_POINT: _l("Member contact point"),
}


def role_label(role: Role) -> str:
    """A role's name in the request's (or the forced) language."""
    return str(ROLE_LABELS.get(role, role.label))


def account_message(user: User, purpose: str, link: str, inviter: User | None) -> Message:
    """The email that carries an account link (not editable: it is about security), in the
    user's language (English when they have none)."""
    with force_locale(user.language or "en"):
        subject, body = _account_texts(user, purpose, link, inviter)
    return Message(
        kind=MessageKind.ACCOUNT,
        dedupe_key=f"account:{purpose}:{user.id}:{secrets.token_hex(8)}",
        to_email=user.email,
        subject=subject,
        body_text=body,
        body_html=to_html(body),
        created_at=utcnow(),
    )


def _account_texts(user: User, purpose: str, link: str, inviter: User | None) -> tuple[str, str]:
    greeting = gettext("Dear %(name)s,", name=user.name)
    signature = "ROCB A/P"
    if purpose == "invite":
        who = f"{inviter.name} ({inviter.email})" if inviter else gettext("The ROCB A/P team")
        role = role_label(user.role).lower()
        subject = gettext("Your account for the ROCB A/P surveys")
        if user.member:
            made = gettext(
                "%(who)s has made you an account for the ROCB A/P surveys and KPIs, as "
                "%(role)s of %(member)s.",
                who=who,
                role=role,
                member=user.member.name,
            )
        else:
            made = gettext(
                "%(who)s has made you an account for the ROCB A/P surveys and KPIs, as %(role)s.",
                who=who,
                role=role,
            )
        use = gettext(
            "Set your password with this link within %(num)d days (it works once):",
            num=INVITE_DAYS,
        )
        then = gettext("Then log in with %(email)s.", email=user.email)
        body = f"{greeting}\n\n{made}\n\n{use}\n\n{link}\n\n{then}\n\n{signature}\n"
    else:
        subject = gettext("Set a new password for the ROCB A/P surveys")
        asked = gettext(
            "Someone, probably you, asked to set a new password for %(email)s. Use this link "
            "within %(num)d hours (it works once):",
            email=user.email,
            num=RESET_HOURS,
        )
        ignore = gettext("If you did not ask, ignore this message: your password stays as it is.")
        body = f"{greeting}\n\n{asked}\n\n{link}\n\n{ignore}\n\n{signature}\n"
    return subject, body
