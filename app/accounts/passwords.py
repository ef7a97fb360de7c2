"""What a password must be: at least 12 characters, not one of the 30,000 most common
passwords (the list zxcvbn ships), and not easy to guess from the account's own name or
email (zxcvbn's estimate, score 3 of 4 or more)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200
MIN_SCORE = 3


class PasswordError(ValueError):
    pass


@cache
def common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def check_password(password: str, user_inputs: Iterable[str] = ()) -> None:
    """Raise PasswordError saying what to change, or return when the password will do."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordError(f"The password must have at most {MAX_PASSWORD_LENGTH} characters.")
    if password.lower() in common_passwords():
        raise PasswordError("This password is one of the most common ones: choose another.")
    from zxcvbn import zxcvbn

    verdict = zxcvbn(password[:100], user_inputs=[i for i in user_inputs if i])
    if verdict["score"] < MIN_SCORE:
        hint = verdict["feedback"].get("warning") or "it is too easy to guess"
        raise PasswordError(
            f"This password is too easy to guess ({hint.rstrip('.').lower()}): a few "
            "unrelated words, or a longer password, will do."
        )
