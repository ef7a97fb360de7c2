"""The interface's languages (Flask-Babel): which language a request is answered in.

The catalogues live in ``translations/<lang>/LC_MESSAGES/messages.po`` and are compiled
into ``.mo`` files by the build (``make translations``, which ``make run`` and ``make
test`` call); a language is offered when its compiled catalogue exists, English always.
A request's language is, in order: the one a view chose (``g.lang``: a questionnaire's
pages pick among the languages of the questionnaire), the link's ``?lang=``, the one kept
in the session from an earlier ``?lang=``, the browser's ``Accept-Language``, English.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, g, request, session
from flask_babel import Babel

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


def request_language() -> str:
    chosen = g.get("lang")
    if chosen:
        return chosen
    offered = interface_languages()
    asked = request.args.get("lang")
    if asked in offered:
        return asked
    kept = session.get("lang")
    if kept in offered:
        return kept
    return request.accept_languages.best_match(offered) or DEFAULT


def init_i18n(app: Flask) -> None:
    babel.init_app(
        app,
        locale_selector=request_language,
        default_translation_directories=str(Path(app.root_path).parent / "translations"),
    )
