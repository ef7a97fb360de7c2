"""Two-factor login with a time-based one-time password (TOTP, RFC 6238, as authenticator
apps make them) and one-time recovery codes for when the phone is lost."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import cast

import pyotp
from sqlalchemy import delete, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from app.models import RecoveryCode, User

ISSUER = "ROCB A/P surveys"
RECOVERY_CODES = 10


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    """What the authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The 30-second step whose code the six digits are: this one, or the one before or
    after (phones' clocks drift); None when they match none."""
    digits = "".join(c for c in (code or "") if c in "0123456789")
    if len(digits) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if secrets.compare_digest(totp.generate_otp(step), digits):
            return step
    return None


def code_matches(secret: str, code: str, now: datetime) -> bool:
    return matching_step(secret, code, now) is not None


def enable_two_factor(
    session: Session, user: User, secret: str, code: str, now: datetime
) -> list[str] | None:
    """Turn two-factor login on once ``code`` shows the app has ``secret``; returns the new
    recovery codes (shown once), or None when the code does not match."""
    if not code_matches(secret, code, now):
        return None
    user.totp_secret = secret
    user.totp_enabled_at = now
    user.totp_last_step = matching_step(secret, code, now)
    return new_recovery_codes(session, user)


def disable_two_factor(session: Session, user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.flush()


def new_recovery_codes(session: Session, user: User) -> list[str]:
    """Replace the user's recovery codes; returns them (only their hashes are kept)."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
    for code in codes:
        session.add(RecoveryCode(user_id=user.id, code_hash=_hash(code)))
    session.flush()
    return codes


def second_factor_ok(session: Session, user: User, code: str, now: datetime) -> bool:
    """The code from the app (never one already used), or an unused recovery code (used
    up by this login, even by two requests at once)."""
    step = matching_step(user.totp_secret, code, now) if user.totp_secret else None
    if step is not None:
        used = update(User).where(
            User.id == user.id,
            or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        taken = cast(CursorResult, session.execute(used.values(totp_last_step=step)))
        session.flush()
        session.refresh(user)
        return taken.rowcount == 1
    cleaned = (code or "").strip().lower()
    spend = (
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash(cleaned),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    spent = cast(CursorResult, session.execute(spend))
    session.flush()
    return spent.rowcount == 1


def recovery_codes_left(session: Session, user: User) -> int:
    return len(
        session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()
