"""The interface's languages (Flask-Babel): which language a request is answered in.

The catalogues live in ``translations/<lang>/LC_MESSAGES/messages.po`` and are compiled
into ``.mo`` files by the build (``make translations``, which ``make run`` and ``make
test`` call); a language is offered when its compiled catalogue exists, English always.
A request's language (English on the staff pages) is, in order: the one a view chose
(``g.lang``: a questionnaire's pages pick among the languages the round offers, see
:func:`choose_language`), the link's ``?lang=``, the one kept in the session from an
earlier ``?lang=``, the logged-in user's own choice (their account page), the browser's
``Accept-Language``, English.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode

import flask_babel
from babel import Locale
from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import Babel, lazy_gettext
from flask_login import current_user
from werkzeug.exceptions import HTTPException

DEFAULT = "en"
babel = Babel()


def interface_languages(app: Flask | None = None) -> list[str]:
    """English and every language with a compiled catalogue, in code order."""
    app = app or current_app
    cached = app.extensions.get("rocb_languages")
    if cached is None:
        folder = Path(app.root_path).parent / "translations"
        found = {path.parts[-3] for path in folder.glob("*/LC_MESSAGES/messages.mo")}
        cached = [DEFAULT, *sorted(found - {DEFAULT})]
        app.extensions["rocb_languages"] = cached
    return cached


def round_languages(complete: list[str] | None = None) -> list[str]:
    """The languages a round offers respondents: those the ROUND_LANGUAGES setting lists
    that have an interface catalogue and, given the questionnaire's ``complete`` languages,
    in which its version is complete. English always, first."""
    listed = [
        code.strip().lower()
        for code in str(current_app.config.get("ROUND_LANGUAGES", DEFAULT)).split(",")
        if code.strip()
    ]
    interface = interface_languages()
    offered = [
        code
        for code in listed
        if code != DEFAULT and code in interface and (complete is None or code in complete)
    ]
    return [DEFAULT, *dict.fromkeys(offered)]


def request_language() -> str:
    chosen = g.get("lang")
    if chosen:
        return chosen
    if not has_request_context():
        return DEFAULT  # a command (e.g. an import of earlier answers): English
    if request.blueprint == "manage":
        return DEFAULT  # the staff pages are in English
    offered = interface_languages()
    asked = request.args.get("lang")
    if asked in offered:
        session["lang"] = asked  # the next pages keep it
        return asked
    kept = session.get("lang")
    if kept in offered:
        return kept
    chosen_by_user = _logged_in_language()
    if chosen_by_user in offered:
        return chosen_by_user
    return request.accept_languages.best_match(offered) or DEFAULT


def _logged_in_language() -> str | None:
    """The language a logged-in person chose on their account page (contact points)."""
    if "_user_id" not in session:
        return None  # nobody is logged in: no user to load
    user = current_user
    return getattr(user, "language", None) if user.is_authenticated else None


def choose_language(offered: list[str], preferred: str | None = None) -> str:
    """A respondent page's language among the ``offered`` ones: the link's ``?lang=`` (kept
    in the session for the next pages), then the one kept from an earlier link, then the
    participant's ``preferred`` language (personal links), then the browser's, then
    English. The request's interface follows it (``g.lang``), and the language switch
    offers the others."""
    asked = request.args.get("lang")
    kept = session.get("lang")
    if asked in offered:
        lang = asked
        session["lang"] = asked
    elif kept in offered:
        lang = kept
    elif preferred in offered:
        lang = preferred
    else:
        lang = request.accept_languages.best_match(offered) or DEFAULT
    if lang not in offered:
        lang = DEFAULT
    g.lang = lang
    g.switch_languages = offered
    flask_babel.refresh()
    return lang


def language_name(code: str) -> str:
    """A language's name in itself ("English", "Français")."""
    try:
        name = Locale.parse(code).get_display_name(code) or code
    except (ValueError, LookupError):
        return code
    return name[:1].upper() + name[1:]


def language_switch() -> list[tuple[str, str, str, bool]]:
    """(code, name, link, is current) for the page's language switch: on a respondent
    page, the languages the round offers; on other pages people outside the office see
    (portal, login, errors), the languages of ROUND_LANGUAGES; none on staff pages. Each
    link is the same page with ``?lang=``."""
    offered = g.get("switch_languages")
    if offered is None:
        if request.blueprint == "manage" or _is_staff():
            return []
        offered = round_languages()
    if len(offered) < 2:
        return []
    current = str(flask_babel.get_locale() or DEFAULT)
    args = {key: value for key, value in request.args.items() if key != "lang"}
    return [
        (
            code,
            language_name(code),
            request.path + "?" + urlencode({**args, "lang": code}),
            code == current,
        )
        for code in offered
    ]


def _is_staff() -> bool:
    from flask_login import current_user

    return bool(current_user and current_user.is_authenticated and current_user.is_staff)


def set_round_title(survey_round, title: str) -> None:
    """The round's title in the page's language, for the respondent pages."""
    g.setdefault("round_titles", {})[survey_round.id] = title


# The title given to a follow-up wave's round (app/journeys/scheduling.py).
_FOLLOW_UP_TITLE = re.compile(r"^Follow-up \((\d+) months\)(.*)$", re.DOTALL)


def translated_round_title(survey_round, definition, lang: str) -> str:
    """The round's title in ``lang``: a title made from the questionnaire's (the default,
    e.g. "Workshop evaluation: <activity>") starts with the questionnaire's title in it, a
    follow-up wave's with "Follow-up (6 months)" in it; a title staff wrote stays as is."""
    title = survey_round.title
    english, translated = definition.title.get("en", ""), definition.title.get(lang)
    if lang == "en":
        return title
    wave = _FOLLOW_UP_TITLE.match(title)
    if wave:
        head, about = flask_babel.gettext("Follow-up (%(months)s months)", months=wave[1]), wave[2]
    elif translated and english and title.startswith(english):
        head, about = translated, title[len(english) :]
    else:
        return title
    if about.startswith(": "):
        return flask_babel.gettext("%(survey)s: %(about)s", survey=head, about=about[2:])
    return head + about


def round_title(survey_round) -> str:
    """A round's title as the page shows it: in the page's language when the view set it
    (see :func:`set_round_title`), else as staff wrote it."""
    if survey_round is None:
        return ""
    return g.get("round_titles", {}).get(survey_round.id) or survey_round.title


def current_language() -> str:
    return str(flask_babel.get_locale() or DEFAULT)


def http_error_texts(error: HTTPException) -> tuple[str, str]:
    """The title and message of an HTTP error page in the request's language. A message a
    view wrote (``abort(400, "...")``) is kept as it is."""
    code = error.code or 500
    titles = {
        400: lazy_gettext("Bad Request"),
        403: lazy_gettext("Forbidden"),
        404: lazy_gettext("Not Found"),
        405: lazy_gettext("Method Not Allowed"),
        429: lazy_gettext("Too Many Requests"),
    }
    messages = {
        400: lazy_gettext("The page could not understand what was sent. Go back and try again."),
        403: lazy_gettext("You do not have access to this page."),
        404: lazy_gettext(
            "There is no page at this address. Check the link, or start again from the home page."
        ),
        405: lazy_gettext("This page cannot be used this way. Go back and try again."),
        429: lazy_gettext(
            "Too many requests were sent in a short time. Wait a minute and try again."
        ),
    }
    default_description = type(error).description
    custom = error.description and error.description != default_description
    title = str(titles.get(code, error.name))
    message = error.description if custom else str(messages.get(code, error.description or ""))
    return title, message or ""


def init_i18n(app: Flask) -> None:
    babel.init_app(
        app,
        locale_selector=request_language,
        default_translation_directories=str(Path(app.root_path).parent / "translations"),
    )
    app.jinja_env.globals["language_switch"] = language_switch
    app.jinja_env.globals["current_language"] = current_language
    app.jinja_env.filters["round_title"] = round_title
