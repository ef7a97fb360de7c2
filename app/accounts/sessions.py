"""Login sessions: one row per login in one browser, whose token the session cookie and
the "remember me" cookie carry. Ending a session on the server (logout, "log out
everywhere", a password change, a disabled account) ends it in every copy of either
cookie."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.common.clock import aware
from app.models import LoginSession, User

# last_seen_at is written at most this often, so that reading pages does not write.
SEEN_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class SessionRules:
    remember: timedelta  # how long "remember me" keeps a login
    idle: timedelta  # how long a login without it lasts without a request


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_login_session(
    session: Session,
    user: User,
    remember: bool,
    now: datetime,
    rules: SessionRules,
    user_agent: str = "",
) -> str:
    """A new login session for ``user``; returns its token (kept by the browser only)."""
    token = secrets.token_urlsafe(32)
    session.add(
        LoginSession(
            user_id=user.id,
            token_hash=_hash(token),
            remember=remember,
            created_at=now,
            last_seen_at=now,
            expires_at=now + (rules.remember if remember else rules.idle),
            user_agent=(user_agent or "")[:200],
        )
    )
    user.last_login_at = now
    user.login_token = token
    session.flush()
    return token


def user_for_login_token(
    session: Session, token: str, now: datetime, rules: SessionRules
) -> tuple[User | None, bool]:
    """The active user whose live login session ``token`` is (None otherwise), and whether
    the session's last request time was written (then the caller commits). A session
    without "remember me" lasts ``rules.idle`` after its last request."""
    if not token or len(token) > 100:
        return None, False
    row = session.scalar(select(LoginSession).where(LoginSession.token_hash == _hash(token)))
    if row is None or aware(row.expires_at) <= now or not row.user.active:
        return None, False
    touched = now - aware(row.last_seen_at) >= SEEN_EVERY
    if touched:
        row.last_seen_at = now
        if not row.remember:
            row.expires_at = now + rules.idle
        session.flush()
    row.user.login_token = token
    return row.user, touched


def end_login_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(LoginSession).where(LoginSession.token_hash == _hash(token)))
        session.flush()


def end_all_login_sessions(session: Session, user: User, keep: str | None = None) -> int:
    """End every login session of ``user`` but the one whose token is ``keep``; returns
    how many ended."""
    query = delete(LoginSession).where(LoginSession.user_id == user.id)
    if keep:
        query = query.where(LoginSession.token_hash != _hash(keep))
    ended = session.execute(query.execution_options(synchronize_session=False))
    session.flush()
    return int(getattr(ended, "rowcount", 0) or 0)


def login_sessions(session: Session, user: User, now: datetime) -> list[LoginSession]:
    """The user's live login sessions, the latest first."""
    return [
        row
        for row in session.scalars(
            select(LoginSession)
            .where(LoginSession.user_id == user.id)
            .order_by(LoginSession.last_seen_at.desc())
        )
        if aware(row.expires_at) > now
    ]


def is_current(row: LoginSession, token: str | None) -> bool:
    return bool(token) and row.token_hash == _hash(token or "")
