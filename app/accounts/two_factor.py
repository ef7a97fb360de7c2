"""Two-factor login with a time-based one-time password (TOTP, RFC 6238, as authenticator
apps make them) and one-time recovery codes for when the phone is lost."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import pyotp
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.models import RecoveryCode, User

ISSUER = "ROCB A/P surveys"
RECOVERY_CODES = 10


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    """What the authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def code_matches(secret: str, code: str, now: datetime) -> bool:
    """The six digits are this 30-second step's, or the one before or after (clocks of
    phones drift)."""
    digits = "".join(c for c in (code or "") if c.isdigit())
    return len(digits) == 6 and pyotp.TOTP(secret).verify(digits, for_time=now, valid_window=1)


def enable_two_factor(
    session: Session, user: User, secret: str, code: str, now: datetime
) -> list[str] | None:
    """Turn two-factor login on once ``code`` shows the app has ``secret``; returns the new
    recovery codes (shown once), or None when the code does not match."""
    if not code_matches(secret, code, now):
        return None
    user.totp_secret = secret
    user.totp_enabled_at = now
    return new_recovery_codes(session, user)


def disable_two_factor(session: Session, user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
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
    """The code from the app, or an unused recovery code (used up by this login)."""
    if user.totp_secret and code_matches(user.totp_secret, code, now):
        return True
    cleaned = (code or "").strip().lower()
    row = session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash(cleaned),
            RecoveryCode.used_at.is_(None),
        )
    )
    if row is None:
        return False
    row.used_at = now
    session.flush()
    return True


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
