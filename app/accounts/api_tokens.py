"""API tokens: named, expiring, revocable, and either read-only or read-write. A token is
shown once, when it is made; only its SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.common.clock import aware
from app.models import ApiToken, User

SCOPES = ("read", "write")
DEFAULT_DAYS = 90
MAX_DAYS = 366
PREFIX = "rocb_"


class TokenError(ValueError):
    pass


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_api_token(
    session: Session,
    user: User,
    now: datetime,
    name: str = "",
    scope: str = "write",
    days: int = DEFAULT_DAYS,
) -> tuple[ApiToken, str]:
    """A new token for a staff member: the row, and the token itself (print it now)."""
    if not user.is_staff or not user.active:
        raise TokenError("API tokens are for active staff and administrators only.")
    if scope not in SCOPES:
        raise TokenError(f"The scope is one of {', '.join(SCOPES)}, not {scope!r}.")
    if not 1 <= days <= MAX_DAYS:
        raise TokenError(f"A token lasts from 1 to {MAX_DAYS} days.")
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user=user,
        token_hash=_hash(token),
        name=(name.strip() or f"token of {now:%Y-%m-%d}")[:100],
        scope=scope,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(row)
    session.flush()
    return row, token


def token_for_request(session: Session, token: str, now: datetime) -> ApiToken | None:
    """The live token (not expired, not revoked, its owner active staff) that ``token``
    is, with its last use recorded; None otherwise."""
    if not token or len(token) > 200:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(token)))
    if row is None or not is_live(row, now) or not row.user.active or not row.user.is_staff:
        return None
    row.last_used_at = now
    return row


def is_live(row: ApiToken, now: datetime) -> bool:
    return row.revoked_at is None and (row.expires_at is None or aware(row.expires_at) > now)


def revoke_api_token(session: Session, row: ApiToken, now: datetime) -> None:
    if row.revoked_at is None:
        row.revoked_at = now
        session.flush()


def api_tokens(session: Session, owner: User | None = None) -> list[ApiToken]:
    """Tokens of ``owner`` (of everyone when None), the newest first."""
    query = select(ApiToken).options(selectinload(ApiToken.user)).order_by(ApiToken.id.desc())
    if owner is not None:
        query = query.where(ApiToken.user_id == owner.id)
    return list(session.scalars(query))
