"""What every respondent page shares: the blueprint, finding the respondent (round,
invitation, response, questionnaire) from the browser's session, the page's language, the
pages that stop a respondent (closed, already submitted, by invitation), and what a
respondent can be told about coming back and being contacted again."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, current_app, g, render_template
from flask_babel import gettext
from flask_login import current_user

from app.common import clock
from app.extensions import db
from app.journeys.answering import find_respondent
from app.models import Invitation, Response, Role, SurveyRound
from app.surveys.model import Definition
from app.surveys.versions import definition_by_id
from app.web.i18n import (
    choose_language,
    round_languages,
    set_round_title,
    translated_round_title,
)
from app.web.respondent import bound_invitations, resume_tokens

bp = Blueprint("respond", __name__, url_prefix="/s")


@bp.after_request
def no_store(response):
    # The back button must show the current state (e.g. "already submitted"), not a copy.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def speaks_for(invitation: Invitation) -> bool:
    """The logged-in user is a contact point of the invitation's administration, or staff
    recording its answers (the round page's "Record its answers")."""
    if not current_user.is_authenticated:
        return False
    if current_user.is_staff:
        return True
    return (
        current_user.role is Role.CONTACT_POINT and current_user.member_id == invitation.member_id
    )


def respondent(slug: str) -> tuple[SurveyRound, Invitation | None, Response | None, Definition]:
    """The round, the invitation this browser answers for, the response it is answering
    and the questionnaire, from one query (the parsed questionnaire is kept in memory).

    The invitation is a participant's, bound by their personal link, or an
    administration's, only while its contact point is logged in. A round without a shared
    link is answered only through an invitation (for the needs assessment, only while its
    contact point is logged in): without one, a draft kept in the session cookie opens
    nothing. In a round that is not anonymous, the invitation points to its response.
    """
    found = find_respondent(db.session, slug, bound_invitations(), resume_tokens())
    if found is None:
        abort(404)
    survey_round, invitation = found.round, found.invitation
    if invitation is not None and invitation.participant_id is None and not speaks_for(invitation):
        invitation = None
    if invitation is not None and not survey_round.anonymous:
        response = found.by_invitation
    elif invitation is None and not survey_round.open_link:
        response = None
    else:
        response = found.by_token
    definition = definition_by_id(db.session, survey_round.version_id, found.content_hash)
    # The page's language, for the questionnaire's texts and the interface alike.
    lang = choose_language(
        round_languages(definition.complete_languages),
        found.language if invitation is not None else None,
    )
    set_round_title(survey_round, translated_round_title(survey_round, definition, lang))
    return survey_round, invitation, response, definition


def page_lang(definition: Definition) -> str:
    """The language :func:`respondent` chose for this request's pages."""
    return g.get("lang") or "en"


def closed_page(survey_round: SurveyRound):
    today = clock.today()
    not_yet = survey_round.opens_on > today and survey_round.status.value != "closed"
    return render_template(
        "respond/closed.html",
        round=survey_round,
        not_yet=not_yet,
        contact=current_app.config["CONTACT_EMAIL"],
    ), 403


def already_submitted(survey_round: SurveyRound):
    return render_template("respond/already_submitted.html", round=survey_round), 200


def invitation_only(survey_round: SurveyRound):
    return render_template(
        "respond/invitation_only.html",
        round=survey_round,
        contact=current_app.config["CONTACT_EMAIL"],
    ), 403


@dataclass(frozen=True)
class Standing:
    """Who the respondent is to the office, which decides what can truthfully be said to
    them: how they come back to a draft, whether they will be contacted again, whether a
    copy or their link can be emailed to them."""

    kind: str  # "personal" (their link resumes on any device), "personal_device" (anonymous
    # round: the link resumes on this browser only), "contact_point", "open" (shared link)
    email: str = ""  # the participant's address, for the link or the copy

    @property
    def known(self) -> bool:
        """The office knows who answered and may come back to them (a follow-up)."""
        return self.kind in ("personal", "contact_point")

    @property
    def can_email_link(self) -> bool:
        return self.kind in ("personal", "personal_device") and bool(self.email)

    @property
    def can_email_copy(self) -> bool:
        """A copy goes to the address on the invitation, never in an anonymous round (the
        outbox would tie the answers to the person)."""
        return self.kind == "personal" and bool(self.email)


def standing(survey_round: SurveyRound, invitation: Invitation | None) -> Standing:
    if invitation is None:
        return Standing("open")
    if invitation.participant_id is None:
        return Standing("contact_point")
    if survey_round.anonymous:
        return Standing("personal_device", invitation.email or "")
    return Standing("personal", invitation.email or "")


def draft_days() -> int:
    """How long a browser keeps the draft it started (the session cookie's lifetime)."""
    return current_app.permanent_session_lifetime.days


def coming_back(who: Standing, survey_round: SurveyRound) -> str:
    """How to come back to a saved draft, truthfully for this respondent."""
    if who.kind == "personal":
        return gettext(
            "Your answers are saved each time you move to another section. To continue, "
            "open the personal link from your email again, on this or any other device."
        )
    if who.kind == "contact_point":
        return gettext(
            "Your answers are saved each time you move to another section. To continue, "
            "log in and open your administration's page: any contact point of your "
            "administration can continue them."
        )
    if who.kind == "personal_device":
        return gettext(
            "Your answers are saved each time you move to another section. Because this "
            "survey is anonymous, they are kept only in this browser, not with your link: "
            "to continue, open your personal link again on this device and in this browser, "
            "within %(days)d days.",
            days=draft_days(),
        )
    return gettext(
        "Your answers are saved each time you move to another section. They are kept only "
        "in this browser: to continue, open this survey's address again on this device and "
        "in this browser, within %(days)d days. A private window or clearing the browser's "
        "cookies loses them.",
        days=draft_days(),
    )


def masked(email: str) -> str:
    """An address shown to whoever holds the browser: enough to recognise it."""
    name, _, domain = email.partition("@")
    return f"{name[:1]}…@{domain}" if domain else "…"
