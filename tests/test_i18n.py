"""Which language a request is answered in (app/web/i18n.py)."""

from __future__ import annotations

from flask import g, session

from app.web.i18n import interface_languages, request_language


def test_french_is_offered_once_its_catalogue_is_compiled(app):
    # `make` compiles translations/fr/LC_MESSAGES/messages.po before the tests run.
    assert interface_languages(app) == ["en", "fr"]


def test_the_language_comes_from_the_view_the_link_the_session_the_browser(app):
    browser = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}
    with app.test_request_context("/", headers=browser):
        assert request_language() == "fr"
    with app.test_request_context("/", headers={"Accept-Language": "de, th;q=0.8"}):
        assert request_language() == "en"  # nothing offered: English
    with app.test_request_context("/?lang=en", headers=browser):
        assert request_language() == "en"  # the link wins over the browser
    with app.test_request_context("/?lang=xx", headers=browser):
        assert request_language() == "fr"  # a language not offered is ignored
    with app.test_request_context("/", headers=browser):
        session["lang"] = "en"
        assert request_language() == "en"  # kept from an earlier ?lang=
        g.lang = "fr"
        assert request_language() == "fr"  # a view's choice wins
