"""Respondents in their own language: the French walk through each questionnaire shows no
English interface text, the language comes from the link, then the participant, then the
browser, then English, emails follow the participant's language, and a round offers only
the languages its questionnaire is complete in."""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from app.journeys.scheduling import ensure_needs_round
from app.models import MessageKind, Participant
from app.surveys.definitions import load_definition_file
from app.surveys.languages import missing_texts
from app.surveys.versions import definition_by_id
from app.workplan.plan_years import get_or_create_plan_year, label_for_date
from tests.conftest import TEST_PASSWORD, csrf_token, login, post_form
from tests.journey import (
    EVALUATION_ANSWERS,
    make_journey,
    open_link,
    post_section,
    start_survey,
    submit_review,
)
from tests.samples import SURVEYS

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "translations" / "fr" / "LC_MESSAGES" / "messages.po"


# -- what a person sees on a page ---------------------------------------------------------


class _VisibleText(HTMLParser):
    """The text a person sees (or hears): text nodes outside script and style, the title,
    and the labels assistive technology reads (aria-label, alt, placeholder)."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1
        for name, value in attrs:
            if name in ("aria-label", "alt", "placeholder") and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return "\n".join(parser.parts)


def _fragments(message: str) -> list[str]:
    """The literal pieces of a catalogue message: placeholders and tags removed."""
    pieces = re.split(r"%\([a-z_]+\)[sd]|<[^>]+>", message)
    return [p.strip(" .,:;()“”") for p in pieces if p.strip(" .,:;()“”")]


def english_interface_texts() -> list[str]:
    """Every English text of the catalogue whose French differs (a word spelt the same in
    both languages, such as "Participants" or "Code", cannot tell them apart)."""
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    found: set[str] = set()
    for message in catalogue:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        assert all(strings), f"no French for {message.id!r}"
        for english in ids:
            for piece in _fragments(english):
                if not any(piece in french for french in strings):
                    found.add(piece)
    return sorted(found)


def english_questionnaire_texts(definition_data: dict) -> list[str]:
    """Every English text of a questionnaire whose French differs."""
    found: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            if "en" in node and "fr" in node and all(isinstance(v, str) for v in node.values()):
                if node["en"] != node["fr"]:
                    found.add(node["en"])
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(definition_data)
    return sorted(found)


ENGLISH = english_interface_texts()


def assert_french(html: str, questionnaire: list[str] = ()) -> None:
    assert '<html lang="fr">' in html
    text = visible_text(html)
    english = [
        piece
        for piece in [*ENGLISH, *questionnaire]
        if re.search(rf"(?<![\w'’-]){re.escape(piece)}(?![\w'’-])", text)
    ]
    assert not english, f"English on a French page: {english}\n---\n{text[:3000]}"


def _questionnaire_texts(key: str) -> list[str]:
    loaded = load_definition_file(SURVEYS / f"{key}.yaml")
    assert loaded.ok, loaded.errors
    return english_questionnaire_texts(loaded.data)


def test_the_catalogue_has_english_texts_to_look_for():
    # The check below is only as good as this list: the interface's words are in it.
    for piece in ("Save and continue", "There is a problem", "Choose an answer", "Start"):
        assert piece in ENGLISH
    assert "Participants" not in ENGLISH  # the same word in French


# -- the French walks ---------------------------------------------------------------------


def _walk(client, slug: str, sections: list[dict], texts: list[str]) -> list[str]:
    """Landing, each section (but the last first sent empty, to see the errors), the
    review of the answers, then the thank-you page; every page checked for English.
    Returns the pages' HTML."""
    pages = []
    landing = client.get(f"/s/{slug}")
    assert landing.status_code == 200
    pages.append(landing.get_data(as_text=True))
    started = client.post(f"/s/{slug}/start", data={"csrf_token": csrf_token(pages[-1])})
    assert started.status_code == 302
    last = len(sections) - 1
    for index, answers in enumerate(sections):
        shown = client.get(f"/s/{slug}/{index}")
        assert shown.status_code == 200
        page = shown.get_data(as_text=True)
        pages.append(page)
        if index != last:  # sent empty first: the errors of its required questions
            empty = client.post(
                f"/s/{slug}/{index}", data={"csrf_token": csrf_token(page), "action": "next"}
            )
            if empty.status_code == 302 and empty.location.endswith(f"/{index}"):
                errors = client.get(empty.location)  # Post/Redirect/Get: the page again
                if "Il y a un problème" in errors.get_data(as_text=True):
                    pages.append(errors.get_data(as_text=True))
        sent = post_section(client, slug, index, answers, "next")
        assert sent.status_code == 302, visible_text(sent.get_data(as_text=True))[-800:]
    assert sent.location.endswith("/review")
    pages.append(client.get(f"/s/{slug}/review").get_data(as_text=True))
    assert "Vérifiez vos réponses" in pages[-1]
    done = submit_review(client, slug)
    assert done.location.endswith("/thanks")
    thanks = client.get(f"/s/{slug}/thanks")
    pages.append(thanks.get_data(as_text=True))
    assert any("Il y a un problème" in page for page in pages)
    for html in pages:
        assert_french(html, texts)
    return pages


def test_a_french_participant_walks_through_the_evaluation_in_french(app, session, client):
    journey = make_journey(session, app)
    journey.people["ana"].language = "fr"
    session.commit()
    journey.dispatch()
    open_link(client, journey.link_for("ana@customs.gov.np"))
    pages = _walk(
        client,
        journey.delivery.evaluation.slug,
        EVALUATION_ANSWERS,
        _questionnaire_texts("participant-evaluation"),
    )
    landing, first, first_errors = pages[0], pages[1], pages[2]
    assert "Évaluation de l'atelier" in visible_text(landing) and ">Commencer<" in landing
    assert "Partie 1 sur 4" in first and "Enregistrer et continuer" in first
    assert "Choisissez une réponse." in first_errors
    assert "Merci" in pages[-1] and "ont été envoyées" in pages[-1]


FOLLOW_UP_ANSWERS = [
    {"action_plan_progress": "partly", "progress_details": "La moitié de l'unité a été informée."},
    {
        "actions_taken": ["shared_knowledge", "trained_colleagues"],
        "colleagues_trained": "5",
        "lessons_applied": "Nouveaux critères de sélection pour les contrôles a posteriori.",
    },
    {"efficiency": "4", "modernization": "no"},
    {},
    {"barriers": ["workload"]},
]


def test_the_follow_up_survey_in_french(app, session, client):
    journey = make_journey(session, app)
    journey.dispatch()
    follow_up = journey.delivery.follow_ups[0]
    days = (follow_up.opens_on - journey.start.date()).days
    follow_up.opens_on = date.today()  # the views use today's date
    journey.people["bo"].language = "fr"
    session.commit()
    journey.dispatch(days=days)
    open_link(client, journey.link_for("bo@customs.gov.np", round_id=follow_up.id))
    pages = _walk(
        client, follow_up.slug, FOLLOW_UP_ANSWERS, _questionnaire_texts("follow-up-action")
    )
    assert "Ajouter un autre résultat" in "".join(pages)  # the repeat group's button


NEEDS_ANSWERS = [
    {"member": "NPL", "respondent_position": "Director"},
    {
        **{
            f"priorities-{area}": "low"
            for area in [
                "risk_management",
                "aeo",
                "trade_facilitation",
                "valuation",
                "hs_classification",
                "rules_of_origin",
                "post_clearance_audit",
                "time_release",
                "single_window",
                "data_technology",
                "enforcement_intelligence",
                "ipr_environment",
                "border_security",
                "free_zones",
                "integrity",
                "leadership",
                "training_management",
            ]
        },
        "top_priority": "valuation",
    },
    {"preferred_modality": "virtual", "can_host": "no", "can_provide_experts": "no"},
    {"context": "Une nouvelle unité depuis juillet."},
]


def test_a_contact_point_answers_the_needs_assessment_in_french(app, session, client):
    journey = make_journey(session, app)
    plan_year = get_or_create_plan_year(session, label_for_date(date.today()))
    survey_round = ensure_needs_round(session, plan_year, journey.settings, date.today())
    session.commit()
    login(client, "cp@customs.gov.np")
    home = client.get("/portal/?lang=fr").get_data(as_text=True)
    assert_french(home)
    assert "Enquête annuelle sur les besoins" in home and "non commencé" in home
    post_form(client, f"/portal/needs/{survey_round.id}/answer", {}, page="/portal/")
    pages = _walk(
        client, survey_round.slug, NEEDS_ANSWERS, _questionnaire_texts("needs-assessment")
    )
    assert "Choisissez une réponse dans chacune des" in "".join(pages)  # the empty matrix
    after = client.get("/portal/").get_data(as_text=True)  # the session keeps French
    assert_french(after)
    assert ">envoyé</strong> le " in after and "Voir les réponses" in after
    # The administration's copy of its answers: labels, in French, printable and as a PDF.
    copy = re.search(r'href="(/portal/needs/responses/\d+)"', after)[1]
    answers = client.get(copy).get_data(as_text=True)
    assert_french(answers, _questionnaire_texts("needs-assessment"))
    assert "Gestion des risques" in answers or "gestion des risques" in answers.lower()
    pdf = client.get(f"{copy}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"


def test_the_login_and_error_pages_in_french(client):
    login_page = client.get("/auth/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    html = login_page.get_data(as_text=True)
    assert_french(html)
    assert "Mot de passe oublié ?" in html
    refused = client.post(
        "/auth/login",
        data={"csrf_token": csrf_token(html), "email": "", "password": ""},
        headers={"Accept-Language": "fr-FR,fr;q=0.9"},
    )
    assert_french(refused.get_data(as_text=True))
    assert "Saisissez votre adresse électronique." in refused.get_data(as_text=True)
    missing = client.get("/s/no-such-survey?lang=fr")
    assert missing.status_code == 404
    assert_french(missing.get_data(as_text=True))
    assert "Page introuvable" in missing.get_data(as_text=True)


# -- which language -----------------------------------------------------------------------


def _landing_language(client, slug: str, query: str = "", browser: str | None = None) -> str:
    headers = {"Accept-Language": browser} if browser else {}
    html = client.get(f"/s/{slug}{query}", headers=headers).get_data(as_text=True)
    return re.search(r'<html lang="([a-z]+)">', html).group(1)


def test_the_language_comes_from_the_link_then_the_participant_then_the_browser(app, session):
    journey = make_journey(session, app)
    journey.people["ana"].language = "fr"
    session.commit()
    journey.dispatch()
    slug = journey.delivery.evaluation.slug
    english_browser, french_browser = "en-GB,en;q=0.9", "fr-FR,fr;q=0.9"

    ana = app.test_client()  # prefers French
    open_link(ana, journey.link_for("ana@customs.gov.np"))
    assert _landing_language(ana, slug, browser=english_browser) == "fr"  # participant > browser
    assert _landing_language(ana, slug, "?lang=en", french_browser) == "en"  # link > participant
    assert _landing_language(ana, slug, browser=french_browser) == "en"  # the link is kept

    bo = app.test_client()  # no preference
    open_link(bo, journey.link_for("bo@customs.gov.np"))
    assert _landing_language(bo, slug, browser=french_browser) == "fr"  # browser
    assert _landing_language(bo, slug, browser="de-DE,th;q=0.5") == "en"  # nothing offered
    assert _landing_language(bo, slug) == "en"
    assert _landing_language(bo, slug, "?lang=xx", french_browser) == "fr"  # unknown: ignored


def test_the_switch_is_on_every_page_and_keeps_the_answers(app, session, client):
    journey = make_journey(session, app)
    journey.dispatch()
    slug = journey.delivery.evaluation.slug
    open_link(client, journey.link_for("ana@customs.gov.np"))
    start_survey(client, slug)
    post_section(client, slug, 0, EVALUATION_ANSWERS[0])
    second = client.get(f"/s/{slug}/1").get_data(as_text=True)
    assert 'class="language-switch"' in second
    assert f'href="/s/{slug}/1?lang=fr" lang="fr" hreflang="fr">Français</a>' in second
    back = client.get(f"/s/{slug}/0?lang=fr").get_data(as_text=True)
    assert '<html lang="fr">' in back
    assert '<input checked id="duration-1" name="duration" type="radio" value="about_right">' in (
        back
    )
    assert '<span aria-current="true">Français</span>' in back
    assert '<a href="/s/' + slug + '/0?lang=en" lang="en" hreflang="en">English</a>' in back


def test_a_round_offers_only_the_languages_its_version_is_complete_in(app, session, client):
    journey = make_journey(session, app)
    slug = journey.delivery.evaluation.slug
    version = journey.delivery.evaluation.version
    definition = definition_by_id(session, version.id, version.content_hash)
    assert definition.complete_languages == ["en", "fr"]
    french = client.get(f"/s/{slug}?lang=fr").get_data(as_text=True)
    assert '<html lang="fr">' in french and "language-switch" in french
    # An incomplete French: the round is offered in English only, without a switch.
    definition.complete_languages = ["en"]
    try:
        page = app.test_client().get(f"/s/{slug}?lang=fr").get_data(as_text=True)
    finally:
        definition.complete_languages = ["en", "fr"]
    assert '<html lang="en">' in page and "language-switch" not in page
    # ROUND_LANGUAGES lists the languages rounds offer.
    app.config["ROUND_LANGUAGES"] = "en"
    try:
        page = app.test_client().get(f"/s/{slug}?lang=fr").get_data(as_text=True)
    finally:
        app.config["ROUND_LANGUAGES"] = "en,fr"
    assert '<html lang="en">' in page and "language-switch" not in page


# -- emails -------------------------------------------------------------------------------


def test_a_french_participant_gets_french_emails(app, session):
    journey = make_journey(session, app)
    journey.people["ana"].language = "fr"
    session.commit()
    journey.dispatch()
    [french] = journey.messages(MessageKind.INVITATION, "ana@customs.gov.np")
    [english] = journey.messages(MessageKind.INVITATION, "bo@customs.gov.np")
    assert french.subject == "Évaluation de l'atelier : vos réponses, s'il vous plaît"
    assert french.body_text.startswith("Bonjour Ana Sharma,")
    closes = journey.delivery.evaluation.closes_on
    months = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
    assert f"avant le {closes.day} {months.split()[closes.month - 1]} {closes.year}" in (
        french.body_text
    )
    for words in ("Dear", "Please answer", "With thanks", "your answers"):
        assert words not in french.body_text + french.subject
    assert english.body_text.startswith("Dear Bo Thapa,")
    # Reminders follow the same language.
    journey.dispatch(days=journey.settings.reminder_interval_days + 0.1)
    [reminder] = journey.messages(MessageKind.REMINDER, "ana@customs.gov.np")
    assert reminder.subject == "Rappel : Évaluation de l'atelier"


def test_staff_edit_the_french_message_text(app, session, staff_client):
    journey = make_journey(session, app)
    journey.people["ana"].language = "fr"
    session.commit()
    listing = staff_client.get("/manage/email-templates").get_data(as_text=True)
    assert "Français" in listing and "Bonjour {{ name }}" in listing
    url = "/manage/email-templates/invitation?language=fr"
    saved = post_form(
        staff_client,
        url,
        {"subject": "{{ survey }} : merci de répondre", "body": "Bonjour {{ name }}, {{ link }}"},
    )
    assert saved.status_code == 302
    journey.dispatch()
    [french] = journey.messages(MessageKind.INVITATION, "ana@customs.gov.np")
    [english] = journey.messages(MessageKind.INVITATION, "bo@customs.gov.np")
    assert french.subject == "Évaluation de l'atelier : merci de répondre"
    assert english.body_text.startswith("Dear Bo Thapa,")  # English unchanged
    assert staff_client.get("/manage/email-templates/invitation?language=xx").status_code == 404


# -- surveys validate ---------------------------------------------------------------------

INCOMPLETE = """\
key: incomplete
kind: other
title: {en: A survey, fr: Une enquête}
sections:
  - key: first
    title: {en: First, fr: Première}
    questions:
      - key: colour
        type: single_choice
        label: Favourite colour?
        choices:
          - {value: red, label: {en: Red, fr: Rouge}}
          - {value: blue, label: Blue}
        required: true
      - key: age
        type: integer
        label: {en: Age, fr: Âge}
        constraints:
          min: {value: 18, message: {en: Adults only., fr: Adultes seulement.}}
          max: {value: 120, message: Too old.}
"""


def test_surveys_validate_names_each_missing_text_and_its_language(app, tmp_path):
    path = tmp_path / "incomplete.yaml"
    path.write_text(INCOMPLETE, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["surveys", "validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "languages: en complete, fr 3 text(s) missing" in result.output
    assert "question 'colour': no 'fr' text for its label" in result.output
    assert "choice 'blue' of list" in result.output and "(question 'colour')" in result.output
    assert "question 'age': no 'fr' text for its message of constraint 'max'" in result.output
    loaded = load_definition_file(path)
    assert [m.language for m in missing_texts(loaded.data)] == ["fr", "fr", "fr"]


def test_the_three_questionnaires_are_complete_in_french(app):
    result = app.test_cli_runner().invoke(args=["surveys", "validate", str(SURVEYS)])
    assert result.exit_code == 0, result.output
    assert result.output.count("languages: en complete, fr complete") == 3
    assert "missing" not in result.output


# -- the participant's language -------------------------------------------------------------


def test_staff_set_a_participants_language(app, session, staff_client):
    journey = make_journey(session, app)
    ana = journey.people["ana"]
    url = f"/manage/activities/{journey.activity.id}/participants/{ana.id}/edit"
    form = staff_client.get(url).get_data(as_text=True)
    assert 'name="language"' in form and "Français (fr)" in form
    saved = post_form(
        staff_client,
        url,
        {
            "name": ana.name,
            "email": ana.email,
            "member": str(ana.member_id),
            "gender": "undisclosed",
            "position": "",
            "language": "fr",
        },
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)[-500:]
    session.expire_all()
    assert session.get(Participant, ana.id).language == "fr"


@pytest.mark.parametrize(
    ("cell", "expected"), [("fr", "fr"), ("French", "fr"), ("Français", "fr"), ("", None)]
)
def test_the_participant_import_reads_a_language_column(session, cell, expected):
    import io

    from app.workplan.participants import import_participants, read_participant_file
    from tests.factories import ActivityFactory

    records = read_participant_file(
        "list.csv",
        io.BytesIO(f"name,email,member,language\nAna,ana@customs.to,TON,{cell}\n".encode()),
        max_rows=10,
    )
    result = import_participants(session, ActivityFactory(), records)
    assert result.ok
    person = session.scalar(select(Participant).where(Participant.email == "ana@customs.to"))
    assert person.language == expected


def test_an_unknown_language_in_the_import_names_the_row_and_column(session):
    import io

    from app.workplan.participants import import_participants, read_participant_file
    from tests.factories import ActivityFactory

    records = read_participant_file(
        "list.csv", io.BytesIO(b"name,member,language\nAna,TON,Klingon\n"), max_rows=10
    )
    result = import_participants(session, ActivityFactory(), records)
    assert not result.ok
    assert [(e.row, e.column) for e in result.errors] == [(2, "language")]
    assert "'Klingon' is not a language" in result.errors[0].message


def test_a_french_contact_point_gets_the_escalation_in_french(app, session):
    journey = make_journey(session, app)
    journey.contact_point.language = "fr"
    session.commit()
    for days in (0, 4, 8, 12):
        journey.dispatch(days=days)
    [escalation] = journey.messages(MessageKind.ESCALATION, "cp@customs.gov.np")
    assert escalation.body_text.startswith("Bonjour Nepal contact point,")
    assert "Ana Sharma" in escalation.body_text and "Bo Thapa" in escalation.body_text
    for words in ("Dear", "have not answered", "With thanks"):
        assert words not in escalation.body_text + escalation.subject
    # the participants keep their own language
    [english] = journey.messages(MessageKind.INVITATION, "bo@customs.gov.np")
    assert english.body_text.startswith("Dear Bo Thapa,")


def test_a_contact_point_chooses_the_language_of_their_pages_and_emails(app, session, client):
    journey = make_journey(session, app)
    user = journey.contact_point
    user.set_password(TEST_PASSWORD)
    session.commit()
    login(client, user.email)
    account = client.get("/auth/account").get_data(as_text=True)
    assert 'name="language-language"' in account
    saved = post_form(
        client, "/auth/account/language", {"language-language": "fr"}, page="/auth/account"
    )
    assert saved.status_code == 302
    session.expire_all()
    assert session.get(type(user), user.id).language == "fr"
    portal = client.get("/portal/").get_data(as_text=True)
    assert '<html lang="fr"' in portal
    refused = post_form(
        client, "/auth/account/language", {"language-language": "xx"}, page="/auth/account"
    )
    assert refused.status_code == 400
    session.expire_all()
    assert session.get(type(user), user.id).language == "fr"


def test_staff_invite_a_contact_point_in_french(app, session, staff_client):
    invited = post_form(
        staff_client,
        "/manage/users/new",
        {
            "email": "cp@customs.gov.la",
            "name": "Lao contact point",
            "role": "contact_point",
            "member": "LAO",
            "language": "fr",
        },
    )
    assert invited.status_code == 302
    from app.models import User

    user = session.scalars(select(User).where(User.email == "cp@customs.gov.la")).one()
    assert user.language == "fr"
