"""The contact-point portal: a Member administration's needs assessments, participants and
results. Everything is filtered by the logged-in contact point's Member; another
administration's records answer 404."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import format_date, get_locale, gettext
from flask_login import current_user

from app.common import clock
from app.extensions import db
from app.journeys.member_view import (
    member_invitation,
    member_participants,
    member_response,
    needs_overview,
)
from app.kpis.member_results import member_results
from app.models import QuestionnaireKind
from app.surveys.model import Definition, text_in
from app.surveys.readback import picker_kinds, response_answers
from app.surveys.rounds import picker_options
from app.web.access import contact_point_required
from app.web.answers import answers_pdf_response
from app.web.forms import ConfirmForm
from app.web.i18n import set_round_title, translated_round_title
from app.web.lookups import round_or_404
from app.web.respondent import bind_invitation
from app.web.settings import journey_settings, min_group_size

bp = Blueprint("portal", __name__, url_prefix="/portal")


@bp.route("/")
@contact_point_required
def home():
    member = current_user.member
    current, previous = needs_overview(db.session, member, clock.today())
    return render_template(
        "portal/home.html",
        member=member,
        current=current,
        previous=previous,
        confirm=ConfirmForm(),
        today=clock.today(),
    )


@bp.route("/needs/<int:round_id>/answer", methods=["POST"])
@contact_point_required
def needs_answer(round_id: int):
    """Answer (or continue) the administration's needs assessment as its contact point."""
    survey_round = round_or_404(round_id)
    if survey_round.kind is not QuestionnaireKind.NEEDS_ASSESSMENT:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    invitation = member_invitation(
        db.session,
        survey_round,
        current_user.member,
        journey_settings().invitation_key,
        create=survey_round.accepts_answers(clock.today()),
    )
    db.session.commit()  # the invitations the sync made, even when none is this Member's
    if invitation is None:
        abort(404)
    bind_invitation(invitation)
    return redirect(url_for("respond.landing", slug=survey_round.slug))


def _needs_answers(response_id: int):
    """The administration's submitted needs assessment, read back with labels and Member
    names in the questionnaire's order; 404 for another administration's."""
    response = member_response(db.session, current_user.member, response_id)
    if response is None:
        abort(404)
    definition = Definition.from_json(response.version.definition)
    kinds = picker_kinds(definition)
    pickers = picker_options(db.session, response.round.plan_year_id, kinds) if kinds else None
    lang = get_locale_code()
    title = text_in(definition.title, lang) or response.round.title
    round_title = translated_round_title(response.round, definition, lang)
    set_round_title(response.round, round_title)
    lines = [
        round_title,
        gettext("Answered for %(member)s", member=current_user.member.name),
    ]
    if response.submitted_at is not None:
        lines.append(
            gettext("Submitted on %(day)s", day=format_date(response.submitted_at, "long"))
        )
    return response, title, lines, response_answers(db.session, response, lang, pickers)


@bp.route("/needs/responses/<int:response_id>")
@contact_point_required
def needs_response(response_id: int):
    response, title, lines, sections = _needs_answers(response_id)
    return render_template(
        "portal/response.html", response=response, title=title, lines=lines, sections=sections
    )


@bp.route("/needs/responses/<int:response_id>.pdf")
@contact_point_required
def needs_response_pdf(response_id: int):
    response, title, lines, sections = _needs_answers(response_id)
    code = current_user.member.code.lower()
    return answers_pdf_response(
        title, lines, sections, f"needs-{code}-{response.round.plan_year.label}.pdf"
    )


@bp.route("/participants")
@contact_point_required
def participants():
    return render_template(
        "portal/participants.html",
        member=current_user.member,
        people=member_participants(db.session, current_user.member),
    )


@bp.route("/participants/<int:participant_id>")
@contact_point_required
def participant(participant_id: int):
    people = member_participants(db.session, current_user.member, participant_id)
    if not people:
        abort(404)
    return render_template(
        "portal/participants.html", member=current_user.member, people=people, single=True
    )


@bp.route("/results")
@contact_point_required
def results():
    return render_template(
        "portal/results.html",
        member=current_user.member,
        results=member_results(db.session, current_user.member, min_group_size(), clock.today()),
        min_group=min_group_size(),
    )


@bp.route("/activities/<int:activity_id>")
@contact_point_required
def activity_results(activity_id: int):
    found = member_results(
        db.session, current_user.member, min_group_size(), clock.today(), activity_id
    )
    if not found:
        abort(404)
    return render_template(
        "portal/results.html",
        member=current_user.member,
        results=found,
        min_group=min_group_size(),
        single=True,
    )


def get_locale_code() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "en"
