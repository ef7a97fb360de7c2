"""Respondent pages: a round's shared link, its sections, the final submit.

The respondent is known by a resume token kept in their (signed) session cookie; the
database stores only its hash. Every state-changing request is a POST with a CSRF token.
"""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Response, ResponseStatus, SurveyRound
from app.respond.forms import build_section_form, change_entries, error_list, validate_section
from app.respond.rendering import section_context
from app.services.survey_model import Definition, visible_sections
from app.services.survey_responses import (
    AlreadySubmitted,
    find_response,
    load_values,
    record_section,
    start_response,
)
from app.services.survey_rounds import find_round_by_slug, picker_options
from app.services.survey_versions import definition_of

bp = Blueprint("respond", __name__, url_prefix="/s")
SESSION_KEY = "survey_tokens"


@bp.after_request
def no_store(response):
    # The back button must show the current state (e.g. "already submitted"), not a copy.
    response.headers["Cache-Control"] = "no-store"
    return response


def _round_or_404(slug: str) -> SurveyRound:
    survey_round = find_round_by_slug(db.session, slug)
    if survey_round is None:
        abort(404)
    return survey_round


def _token(survey_round: SurveyRound) -> str | None:
    return (session.get(SESSION_KEY) or {}).get(str(survey_round.id))


def _remember(survey_round: SurveyRound, token: str) -> None:
    tokens = dict(session.get(SESSION_KEY) or {})
    tokens[str(survey_round.id)] = token
    session[SESSION_KEY] = tokens
    session.permanent = True


def _lang(definition: Definition) -> str:
    lang = request.args.get("lang") or session.get("lang") or "en"
    if lang not in definition.languages:
        lang = "en"
    if request.args.get("lang") in definition.languages:
        session["lang"] = lang
    return lang


def _closed_page(survey_round: SurveyRound):
    today = date.today()
    not_yet = survey_round.opens_on > today and survey_round.status.value != "closed"
    return render_template(
        "respond/closed.html",
        round=survey_round,
        not_yet=not_yet,
        contact=current_app.config["CONTACT_EMAIL"],
    ), 403


def _already_submitted(survey_round: SurveyRound):
    return render_template("respond/already_submitted.html", round=survey_round), 200


@bp.route("/<slug>")
def landing(slug: str):
    survey_round = _round_or_404(slug)
    definition = definition_of(survey_round.version)
    response = find_response(db.session, survey_round, _token(survey_round))
    if response is not None and response.status is ResponseStatus.SUBMITTED:
        return _already_submitted(survey_round)
    if not survey_round.accepts_answers(date.today()):
        return _closed_page(survey_round)
    return render_template(
        "respond/landing.html",
        round=survey_round,
        definition=definition,
        lang=_lang(definition),
        response=response,
    )


@bp.route("/<slug>/start", methods=["POST"])
def start(slug: str):
    survey_round = _round_or_404(slug)
    if not survey_round.accepts_answers(date.today()):
        return _closed_page(survey_round)
    response = find_response(db.session, survey_round, _token(survey_round))
    if response is None:
        response, token = start_response(db.session, survey_round)
        db.session.commit()
        _remember(survey_round, token)
    if response.status is ResponseStatus.SUBMITTED:
        return _already_submitted(survey_round)
    return redirect(url_for("respond.section", slug=slug, index=response.current_section))


def _respondent(slug: str) -> tuple[SurveyRound, Response | None, Definition]:
    survey_round = _round_or_404(slug)
    response = find_response(db.session, survey_round, _token(survey_round))
    return survey_round, response, definition_of(survey_round.version)


@bp.route("/<slug>/<int:index>", methods=["GET", "POST"])
def section(slug: str, index: int):
    survey_round, response, definition = _respondent(slug)
    if response is None:
        return redirect(url_for("respond.landing", slug=slug))
    if response.status is ResponseStatus.SUBMITTED:
        return _already_submitted(survey_round)
    if not survey_round.accepts_answers(date.today()):
        return _closed_page(survey_round)
    lang = _lang(definition)
    stored = load_values(db.session, response, definition)
    shown = visible_sections(definition, stored)
    indexes = [s.index for s in shown]
    reachable = [i for i in indexes if i <= response.current_section] or indexes[:1]
    if index not in reachable:
        return redirect(url_for("respond.section", slug=slug, index=reachable[-1]))
    current = definition.sections[index]
    pickers = picker_options(db.session, survey_round.plan_year)
    other = {
        k: v
        for k, v in stored.items()
        if k.split("-other")[0] not in {q.key for q in current.questions}
    }
    position = indexes.index(index)
    is_last = position == len(indexes) - 1

    if request.method == "GET":
        form = build_section_form(definition, current, lang, pickers, data=stored)
        if request.args.get("check"):
            validate_section(form, definition, current, other)
        return _render(survey_round, definition, current, form, lang, indexes, other, is_last, 200)

    form = build_section_form(definition, current, lang, pickers, formdata=request.form)
    action = request.form.get("action", "next")
    if action.startswith(("add:", "remove:")):
        change_entries(form, action)
        return _render(survey_round, definition, current, form, lang, indexes, other, is_last, 200)
    going_back = action == "previous"
    answers = validate_section(form, definition, current, other, partial=going_back)
    if error_list(form, current):
        return _render(survey_round, definition, current, form, lang, indexes, other, is_last, 400)
    try:
        outcome = record_section(db.session, response, definition, current, answers, action)
        db.session.commit()
    except AlreadySubmitted:
        db.session.rollback()
        return _already_submitted(survey_round)
    except IntegrityError:
        # Another tab saved this response at the same moment (SQLite has no row lock):
        # nothing of theirs is lost, and the respondent can send this page again.
        db.session.rollback()
        db.session.refresh(response)
        if response.status is ResponseStatus.SUBMITTED:
            return _already_submitted(survey_round)
        flash(
            "Your answers were being saved from another window. Check this page and send it again.",
            "error",
        )
        return redirect(url_for("respond.section", slug=slug, index=index))
    if outcome.submitted:
        return redirect(url_for("respond.thanks", slug=slug))
    if outcome.missing:
        flash("Some required answers are missing: they are marked below.", "error")
        return redirect(url_for("respond.section", slug=slug, index=outcome.target, check=1))
    return redirect(url_for("respond.section", slug=slug, index=outcome.target))


def _render(survey_round, definition, current, form, lang, indexes, other, is_last, status):
    context = section_context(definition, current, form, lang, indexes, other)
    return render_template(
        "respond/section.html", round=survey_round, is_last=is_last, **context
    ), status


@bp.route("/<slug>/thanks")
def thanks(slug: str):
    survey_round, response, definition = _respondent(slug)
    if response is None or response.status is not ResponseStatus.SUBMITTED:
        return redirect(url_for("respond.landing", slug=slug))
    return render_template(
        "respond/thanks.html", round=survey_round, definition=definition, lang=_lang(definition)
    )
