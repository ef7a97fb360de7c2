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


def test_every_text_of_the_interface_is_translated_in_every_catalogue():
    # `make translations-update` adds new texts untranslated: this fails until they are.
    from pathlib import Path

    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parent.parent
    for path in sorted(root.glob("translations/*/LC_MESSAGES/messages.po")):
        with path.open("rb") as handle:
            catalogue = read_po(handle)
        missing = [
            m.id
            for m in catalogue
            if m.id
            and (m.fuzzy or not (all(m.string) if isinstance(m.string, tuple) else m.string))
        ]
        assert not missing, f"{path}: not translated: {missing}"
        # and every text the code and templates mark is in the catalogue
        keys = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue if m.id}
        found = set()
        for folder, method in (("app", "python"), ("templates", "jinja2")):
            for _name, _line, message, _comments, _context in extract_from_dir(
                root / folder,
                method_map=[("**.py" if method == "python" else "**.html", method)],
                keywords={"_": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)},
            ):
                found.add(message if isinstance(message, str) else message[0])
        assert not found - keys, f"{path}: run make translations-update: {sorted(found - keys)}"
