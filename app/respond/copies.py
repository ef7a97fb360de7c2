"""After the answers: the thank-you page and the respondent's copy of their answers (a
printable page, a PDF, an email), and the personal link emailed again to finish later."""

from __future__ import annotations

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date, gettext

from app.common import clock
from app.extensions import db, limiter
from app.journeys.answer_copy import queue_answers_copy, queue_link_again
from app.models import Response, ResponseStatus, SurveyRound
from app.respond.pages import bp, masked, page_lang, respondent, standing
from app.surveys.model import Definition, PickerOptions, text_in
from app.surveys.readback import picker_kinds, read_answers
from app.surveys.responses import load_values
from app.surveys.rounds import picker_options
from app.web.answers import answers_pdf_response
from app.web.forms import ConfirmForm
from app.web.i18n import round_title
from app.web.settings import journey_settings


def _post_limit() -> str:
    return current_app.config["RATELIMIT_RESPONDENT_POST"]


def _submitted(slug: str):
    """The respondent's submitted response, or None (their draft, or nothing)."""
    survey_round, invitation, response, definition = respondent(slug)
    if response is None or response.status is not ResponseStatus.SUBMITTED:
        return None
    return survey_round, invitation, response, definition


@bp.route("/<slug>/thanks")
def thanks(slug: str):
    found = _submitted(slug)
    if found is None:
        return redirect(url_for("respond.landing", slug=slug))
    survey_round, invitation, _, definition = found
    lang = page_lang(definition)
    who = standing(survey_round, invitation)
    return render_template(
        "respond/thanks.html",
        round=survey_round,
        definition=definition,
        lang=lang,
        who=who,
        # The questionnaire's own thanks (which may promise to come back) only to those
        # the office knows; anyone else is told only what is true of every respondent.
        thanks_text=text_in(definition.thanks, lang) if who.known else "",
        email=masked(who.email) if who.can_email_copy else "",
    )


def _copy(survey_round: SurveyRound, invitation, response: Response, definition: Definition):
    """The copy's title, its lines under the title and its answers (every visible question)."""
    lang = page_lang(definition)
    kinds = picker_kinds(definition)
    pickers = PickerOptions()
    if kinds:
        pickers = picker_options(db.session, survey_round.plan_year_id, kinds)
    sections = read_answers(
        definition, load_values(db.session, response, definition), lang, pickers
    )
    title = text_in(definition.title, lang) or survey_round.title
    lines = [round_title(survey_round)]
    if invitation is not None and invitation.participant_id is None:
        lines.append(gettext("Answered for %(member)s", member=invitation.member.name))
    if response.submitted_at is not None:
        lines.append(
            gettext("Submitted on %(day)s", day=format_date(response.submitted_at, "long"))
        )
    return lang, title, lines, sections


@bp.route("/<slug>/copy")
def copy_page(slug: str):
    found = _submitted(slug)
    if found is None:
        return redirect(url_for("respond.landing", slug=slug))
    survey_round, invitation, response, definition = found
    lang, title, lines, sections = _copy(survey_round, invitation, response, definition)
    return render_template(
        "respond/copy.html",
        round=survey_round,
        lang=lang,
        title=title,
        lines=lines,
        sections=sections,
    )


@bp.route("/<slug>/copy.pdf")
def copy_pdf(slug: str):
    found = _submitted(slug)
    if found is None:
        return redirect(url_for("respond.landing", slug=slug))
    survey_round, invitation, response, definition = found
    _, title, lines, sections = _copy(survey_round, invitation, response, definition)
    return answers_pdf_response(title, lines, sections, f"answers-{survey_round.slug}.pdf")


@bp.route("/<slug>/copy/email", methods=["POST"])
@limiter.limit(_post_limit)
def copy_email(slug: str):
    found = _submitted(slug)
    if found is None:
        return redirect(url_for("respond.landing", slug=slug))
    survey_round, invitation, response, definition = found
    if not _confirmed():
        return redirect(url_for("respond.thanks", slug=slug))
    who = standing(survey_round, invitation)
    if not who.can_email_copy or invitation is None:
        flash(gettext("A copy can only be emailed to the address your invitation came to."), "info")
        return redirect(url_for("respond.thanks", slug=slug))
    _, title, lines, sections = _copy(survey_round, invitation, response, definition)
    if queue_answers_copy(db.session, survey_round, invitation, title, lines, sections) is None:
        flash(
            gettext(
                "A copy of your answers has already been sent to %(email)s.",
                email=masked(who.email),
            ),
            "info",
        )
    else:
        db.session.commit()
        flash(
            gettext(
                "A copy of your answers will be emailed to %(email)s within a few minutes.",
                email=masked(who.email),
            ),
            "success",
        )
    return redirect(url_for("respond.thanks", slug=slug))


def _confirmed() -> bool:
    return ConfirmForm().validate_on_submit()


@bp.route("/<slug>/link", methods=["POST"])
@limiter.limit(_post_limit)
def link_again(slug: str):
    """Email the personal link again (after "Save and finish later")."""
    survey_round, invitation, response, _ = respondent(slug)
    back = redirect(url_for("respond.landing", slug=slug))
    if invitation is None or response is None or response.status is not ResponseStatus.DRAFT:
        return back
    if not _confirmed():
        return back
    who = standing(survey_round, invitation)
    if not who.can_email_link:
        return back
    index = request.form.get("index", 0, type=int)
    if queue_link_again(db.session, journey_settings(), invitation, clock.utcnow()):
        db.session.commit()
        flash(
            gettext(
                "Your personal link will be emailed again to %(email)s within a few minutes.",
                email=masked(who.email),
            ),
            "success",
        )
    else:
        flash(
            gettext(
                "Your link was emailed to %(email)s a few minutes ago: look for it in your "
                "inbox (and your spam folder) before asking again.",
                email=masked(who.email),
            ),
            "info",
        )
    return redirect(url_for("respond.saved", slug=slug, index=index))
