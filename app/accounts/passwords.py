"""What a password must be: at least 12 characters, not one of the 30,000 most common
passwords (the list zxcvbn ships), and not easy to guess from the account's own name or
email (zxcvbn's estimate, score 3 of 4 or more)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200
MIN_SCORE = 3


class PasswordError(ValueError):
    pass


# zxcvbn's warnings (English only), in the request's language.
WARNINGS = {
    "Straight rows of keys are easy to guess.": _l("Straight rows of keys are easy to guess."),
    "Short keyboard patterns are easy to guess.": _l("Short keyboard patterns are easy to guess."),
    'Repeats like "aaa" are easy to guess.': _l('Repeats like "aaa" are easy to guess.'),
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".': _l(
        'Repeats like "abcabcabc" are only slightly harder to guess than "abc".'
    ),
    'Sequences like "abc" or "6543" are easy to guess.': _l(
        'Sequences like "abc" or "6543" are easy to guess.'
    ),
    "Recent years are easy to guess.": _l("Recent years are easy to guess."),
    "Dates are often easy to guess.": _l("Dates are often easy to guess."),
    "This is a top-10 common password.": _l("This is a top-10 common password."),
    "This is a top-100 common password.": _l("This is a top-100 common password."),
    "This is a very common password.": _l("This is a very common password."),
    "This is similar to a commonly used password.": _l(
        "This is similar to a commonly used password."
    ),
    "A word by itself is easy to guess.": _l("A word by itself is easy to guess."),
    "Names and surnames by themselves are easy to guess.": _l(
        "Names and surnames by themselves are easy to guess."
    ),
    "Common names and surnames are easy to guess.": _l(
        "Common names and surnames are easy to guess."
    ),
}


@cache
def common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def check_password(password: str, user_inputs: Iterable[str] = ()) -> None:
    """Raise PasswordError saying what to change, or return when the password will do."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordError(
            gettext("The password must have at least %(num)d characters.", num=MIN_PASSWORD_LENGTH)
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordError(
            gettext("The password must have at most %(num)d characters.", num=MAX_PASSWORD_LENGTH)
        )
    if password.lower() in common_passwords():
        raise PasswordError(
            gettext("This password is one of the most common ones: choose another.")
        )
    from zxcvbn import zxcvbn

    verdict = zxcvbn(password[:100], user_inputs=[i for i in user_inputs if i])
    if verdict["score"] < MIN_SCORE:
        warning = verdict["feedback"].get("warning") or ""
        hint = str(WARNINGS.get(warning) or warning or gettext("it is too easy to guess"))
        raise PasswordError(
            gettext(
                "This password is too easy to guess (%(hint)s): a few unrelated words, or a "
                "longer password, will do.",
                hint=hint.rstrip(".").lower(),
            )
        )
