"""Contact points' account pages, their messages and their account emails in French: the
page's language (link, session, the user's own choice), and the emails in the user's
language whatever the language of the person who sends them."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.accounts.users import account_message
from app.models import Message, MessageKind, User
from tests.conftest import TEST_PASSWORD, csrf_token, login, post_form
from tests.factories import UserFactory
from tests.respond.test_languages import assert_french, visible_text

MONTHS = "January February March April May June July August September October November December"
ENGLISH_MONTHS = MONTHS.split()


def _contact_point(session, language: str | None = "fr") -> User:
    user = UserFactory(email="cp@customs.gov.fj", name="Mere", role="contact_point")
    user.language = language
    user.set_password(TEST_PASSWORD)
    session.commit()
    return user


def _fresh_client(app):
    return app.test_client()


def _no_english_month(html: str) -> None:
    text = visible_text(html)
    assert not [m for m in ENGLISH_MONTHS if re.search(rf"\b{m}\b", text)], text


def test_a_french_contact_points_account_page_is_in_french(client, session):
    _contact_point(session)
    login(client, "cp@customs.gov.fj")
    page = client.get("/auth/account")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert_french(html)
    _no_english_month(html)  # "Depuis" and "Dernière activité" of this session
    for words in (
        "Votre compte",
        "Point de contact du Membre de Fiji",
        "Langue de vos courriels et de vos pages",
        "Mot de passe actuel",
        "Activer la connexion à deux facteurs",
        "Où vous êtes connecté",
        "(celui-ci)",
        "Se déconnecter partout",
    ):
        assert words in html, words
    assert "Jetons d'API" not in html  # staff only


def test_the_link_language_makes_the_account_page_french_and_the_flash_too(client, session):
    _contact_point(session, language=None)
    login(client, "cp@customs.gov.fj")
    assert_french(client.get("/auth/account?lang=fr").get_data(as_text=True))
    saved = post_form(
        client, "/auth/account/language", {"language-language": "fr"}, page="/auth/account"
    )
    assert saved.status_code == 302
    after = client.get(saved.location).get_data(as_text=True)
    assert_french(after)
    assert "Langue enregistrée." in after


def test_password_errors_are_in_french(client, session):
    _contact_point(session)
    login(client, "cp@customs.gov.fj")

    def change(current: str, new: str):
        return post_form(
            client,
            "/auth/account/password",
            {"password-current": current, "password-password": new, "password-confirm": new},
            page="/auth/account",
        )

    cases = [
        (TEST_PASSWORD, "short", "Le mot de passe doit compter au moins 12 caractères."),
        (TEST_PASSWORD, "password1234", "Ce mot de passe est l'un des plus courants"),
        (TEST_PASSWORD, "aaaaaaaaaaaaaa", "(les répétitions comme « aaa » sont faciles à deviner)"),
        (TEST_PASSWORD, "Mere-Mere-2026!x", "ni votre nom ni votre adresse électronique"),
        (
            "not my password",
            "four unrelated words here",
            "Le mot de passe actuel n'est pas le bon.",
        ),
        ("", "", "Saisissez votre mot de passe actuel."),
    ]
    for current, new, french in cases:
        refused = change(current, new)
        html = refused.get_data(as_text=True)
        assert refused.status_code == 400, new
        assert french in visible_text(html), (new, visible_text(html)[:2000])
        assert_french(html)
    summary = visible_text(change(TEST_PASSWORD, "short").get_data(as_text=True))
    assert "Nouveau mot de passe : Le mot de passe doit compter" in summary  # French spacing
    session.expire_all()
    assert session.scalar(select(User).where(User.email == "cp@customs.gov.fj")).check_password(
        TEST_PASSWORD
    )


def test_the_two_factor_pages_are_in_french(client, session):
    _contact_point(session)
    login(client, "cp@customs.gov.fj")
    setup = client.get("/auth/account/two-factor")
    html = setup.get_data(as_text=True)
    assert setup.status_code == 200
    assert_french(html)
    assert "Scannez ce code" in html and "QR code pour l'application" in visible_text(html)
    wrong = client.post(
        "/auth/account/two-factor",
        data={"csrf_token": csrf_token(html), "code": "000000", "password": "wrong password"},
    )
    assert wrong.status_code == 400
    assert_french(wrong.get_data(as_text=True))
    assert "Le mot de passe n'est pas le bon." in visible_text(wrong.get_data(as_text=True))
    empty = client.post("/auth/account/two-factor", data={"csrf_token": csrf_token(html)})
    assert_french(empty.get_data(as_text=True))
    assert "Saisissez les six chiffres affichés" in empty.get_data(as_text=True)


def test_a_french_user_gets_account_emails_in_french(app, session):
    french = _contact_point(session)
    english = UserFactory(email="cp2@customs.gov.fj", name="Sam", role="contact_point")
    inviter = UserFactory(email="admin@rocb.example", name="Ana Admin", role="admin")
    session.commit()
    link = "https://x.example/auth/password/t"
    with app.test_request_context("/manage/users/new"):  # staff pages are in English
        invite = account_message(french, "invite", link, inviter)
        reset = account_message(french, "reset", link, None)
        plain = account_message(english, "invite", link, None)
    assert invite.subject == "Votre compte pour les enquêtes du ROCB A/P"
    assert invite.body_text.startswith("Bonjour Mere,\n\nAna Admin (admin@rocb.example) vous a")
    assert "en tant que point de contact du membre de Fiji" in invite.body_text
    assert "dans les 7 jours" in invite.body_text
    assert reset.subject == "Définir un nouveau mot de passe pour les enquêtes du ROCB A/P"
    assert "dans les 2 heures" in reset.body_text
    for message in (invite, reset):
        for words in ("Dear", "Set your", "Use this link", "ignore this message"):
            assert words not in message.subject + message.body_text
    # someone with no language chosen gets English
    assert plain.body_text.startswith("Dear Sam,\n\nThe ROCB A/P team has made you an account")
    assert "as member contact point of Fiji." in plain.body_text


def test_a_french_user_who_forgot_gets_a_french_link_and_page(app, client, session):
    user = _contact_point(session)
    sent = post_form(client, "/auth/forgot", {"email": user.email}, page="/auth/forgot?lang=fr")
    assert sent.status_code == 302
    said = client.get(sent.location).get_data(as_text=True)
    assert_french(said)
    assert "Si un compte existe pour cette adresse" in said
    message = session.scalars(
        select(Message).where(Message.to_email == user.email, Message.kind == MessageKind.ACCOUNT)
    ).one()
    assert message.body_text.startswith("Bonjour Mere,")
    # the link opens the page in the account's language, even in an English browser
    path = re.search(r"(/auth/password/\S+)", message.body_text).group(1)
    assert path.endswith("?lang=fr")
    newcomer = app.test_client()
    page = newcomer.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert_french(page)
    short = post_form(newcomer, path, {"password": "short", "confirm": "short"})
    assert short.status_code == 400
    assert_french(short.get_data(as_text=True))
    assert "au moins 12 caractères" in short.get_data(as_text=True)
    # an English account's link has no language: the browser's is used
    english = UserFactory(email="sam@customs.gov.fj", role="contact_point")
    session.commit()
    post_form(_fresh_client(app), "/auth/forgot", {"email": english.email})
    english_mail = session.scalars(
        select(Message).where(
            Message.to_email == english.email, Message.kind == MessageKind.ACCOUNT
        )
    ).one()
    assert "?lang=" not in english_mail.body_text and english_mail.body_text.startswith("Dear")
