"""The contact-point portal: a Member administration's needs assessments, participants and
results. Everything is filtered by the logged-in contact point's Member; another
administration's records answer 404."""

from __future__ import annotations

from datetime import date
from functools import wraps

from flask import Blueprint, abort, current_app, redirect, render_template, url_for
from flask_login import current_user, login_required

from app.extensions import db
from app.journeys.invitations import sync_invitations
from app.journeys.member_view import (
    member_participants,
    member_response,
    member_results,
    needs_rounds,
    readable_answers,
)
from app.journeys.settings import JourneySettings
from app.manage.forms import ConfirmForm
from app.models import Invitation, Role, SurveyRound
from app.respond.routes import bind_invitation
from app.workplan.plan_years import label_for_date

bp = Blueprint("portal", __name__, url_prefix="/portal")


def contact_point_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if current_user.role is not Role.CONTACT_POINT or current_user.member is None:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


@bp.route("/")
@contact_point_required
def home():
    member = current_user.member
    statuses = needs_rounds(db.session, member)
    current_label = label_for_date(date.today())
    current = next(
        (s for s in statuses if s.survey_round.plan_year.label == current_label),
        statuses[0] if statuses else None,
    )
    previous = [s for s in statuses if s is not current and s.state == "submitted"]
    return render_template(
        "portal/home.html",
        member=member,
        current=current,
        previous=previous,
        confirm=ConfirmForm(),
        today=date.today(),
    )


@bp.route("/needs/<int:round_id>/answer", methods=["POST"])
@contact_point_required
def needs_answer(round_id: int):
    """Answer (or continue) the administration's needs assessment as its contact point."""
    survey_round = db.session.get(SurveyRound, round_id)
    if survey_round is None or survey_round.kind.value != "needs_assessment":
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    member = current_user.member
    invitation = (
        db.session.query(Invitation)
        .filter_by(round_id=round_id, member_key=member.id)
        .one_or_none()
    )
    if invitation is None and survey_round.accepts_answers(date.today()):
        settings = JourneySettings.from_config(current_app.config)
        sync_invitations(db.session, survey_round, settings.invitation_key)
        db.session.commit()
        invitation = (
            db.session.query(Invitation)
            .filter_by(round_id=round_id, member_key=member.id)
            .one_or_none()
        )
    if invitation is None:
        abort(404)
    bind_invitation(invitation)
    return redirect(url_for("respond.landing", slug=survey_round.slug))


@bp.route("/needs/responses/<int:response_id>")
@contact_point_required
def needs_response(response_id: int):
    response = member_response(db.session, current_user.member, response_id)
    if response is None:
        abort(404)
    return render_template(
        "portal/response.html", response=response, sections=readable_answers(db.session, response)
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
        results=member_results(
            db.session, current_user.member, current_app.config["MIN_GROUP_SIZE"]
        ),
        min_group=current_app.config["MIN_GROUP_SIZE"],
    )


@bp.route("/activities/<int:activity_id>")
@contact_point_required
def activity_results(activity_id: int):
    found = member_results(
        db.session, current_user.member, current_app.config["MIN_GROUP_SIZE"], activity_id
    )
    if not found:
        abort(404)
    return render_template(
        "portal/results.html",
        member=current_user.member,
        results=found,
        min_group=current_app.config["MIN_GROUP_SIZE"],
        single=True,
    )
