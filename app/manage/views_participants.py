"""Staff pages: the participants of an activity (list with where each stands in the
activity's survey rounds, add, edit, remove, import)."""

from __future__ import annotations

import json

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from app.common import clock
from app.common.audit import changes, snapshot
from app.common.choices import select_choices
from app.extensions import db
from app.journeys.invitations import NOT_INVITED, participant_round_statuses
from app.journeys.personal_data import erase_participant, participant_record
from app.manage.blueprint import bp
from app.manage.forms import ParticipantForm, ParticipantImportForm
from app.models import Activity, Participant
from app.surveys.rounds import activity_rounds
from app.web.audit import audit
from app.web.forms import ConfirmForm
from app.web.i18n import language_name, round_languages
from app.web.lookups import activity_or_404
from app.web.params import page_arg
from app.workplan.members import members_by_name
from app.workplan.participants import (
    ParticipantData,
    ParticipantError,
    ParticipantFileError,
    add_participant,
    import_participants,
    participant_of,
    participants_of,
    read_participant_file,
    remove_attendance,
    update_participant,
)


def _participant_of(activity: Activity, participant_id: int) -> Participant:
    participant = participant_of(db.session, activity, participant_id)
    if participant is None:
        abort(404)
    return participant


def _member_choices(
    form: ParticipantForm, activity: Activity, participant: Participant | None = None
) -> None:
    members = members_by_name(db.session)
    form.member.choices = select_choices((m.id, f"{m.name} ({m.code})") for m in members)
    # The languages rounds offer, and the one the participant already has (imported).
    codes = list(round_languages())
    if participant is not None and participant.language and participant.language not in codes:
        codes.append(participant.language)
    form.language.choices = [("", "Not known (their browser's language)")] + [
        (code, f"{language_name(code)} ({code})") for code in codes
    ]
    if request.method == "GET" and form.member.data is None and len(activity.members) == 1:
        form.member.data = activity.members[0].id


def _data_from(form: ParticipantForm) -> ParticipantData:
    return ParticipantData(
        name=form.name.data or "",
        member_id=form.member.data,
        email=(form.email.data or "").strip().lower() or None,
        gender=form.gender.data,
        position=form.position.data or "",
        language=form.language.data or "",
    )


@bp.route("/activities/<int:activity_id>/participants", methods=["GET", "POST"])
def participants(activity_id: int):
    activity = activity_or_404(activity_id)
    form = ParticipantForm()
    _member_choices(form, activity)
    if form.validate_on_submit():
        try:
            participant = add_participant(db.session, activity, _data_from(form))
        except ParticipantError as error:
            db.session.rollback()
            getattr(form, error.field).errors.append(error.message)
        else:
            audit("participant.add", participant, f"to activity {activity.id}")
            db.session.commit()
            flash(f"{participant.name} added.", "success")
            return redirect(url_for("manage.participants", activity_id=activity.id))
    page = page_arg()
    per_page = current_app.config["PARTICIPANTS_PER_PAGE"]
    people, total = participants_of(db.session, activity, page, per_page)
    rounds = activity_rounds(db.session, activity)
    return (
        render_template(
            "manage/participants.html",
            activity=activity,
            participants=people,
            rounds=rounds,
            statuses=participant_round_statuses(
                db.session, [r.id for r in rounds], [p.id for p in people]
            ),
            not_invited=NOT_INVITED,
            total=total,
            page=page,
            pages=max((total + per_page - 1) // per_page, 1),
            form=form,
            confirm=ConfirmForm(),
        ),
        400 if request.method == "POST" else 200,
    )


@bp.route(
    "/activities/<int:activity_id>/participants/<int:participant_id>/edit", methods=["GET", "POST"]
)
def participant_edit(activity_id: int, participant_id: int):
    activity = activity_or_404(activity_id)
    participant = _participant_of(activity, participant_id)
    form = ParticipantForm(obj=participant if request.method == "GET" else None)
    _member_choices(form, activity, participant)
    if request.method == "GET":
        form.member.data = participant.member_id
        form.language.data = participant.language or ""
    if form.validate_on_submit():
        before = snapshot(
            participant, ("name", "email", "member_id", "gender", "position", "language")
        )
        try:
            update_participant(db.session, participant, _data_from(form))
        except ParticipantError as error:
            db.session.rollback()
            getattr(form, error.field).errors.append(error.message)
        else:
            audit(
                "participant.update",
                participant,
                changes(before, participant, personal=("name", "email", "position")),
            )
            db.session.commit()
            flash(f"{participant.name} saved.", "success")
            return redirect(url_for("manage.participants", activity_id=activity.id))
    return (
        render_template(
            "manage/participant_form.html", activity=activity, participant=participant, form=form
        ),
        400 if request.method == "POST" else 200,
    )


@bp.route(
    "/activities/<int:activity_id>/participants/<int:participant_id>/remove", methods=["POST"]
)
def participant_remove(activity_id: int, participant_id: int):
    activity = activity_or_404(activity_id)
    participant = _participant_of(activity, participant_id)
    if ConfirmForm().validate_on_submit():
        remove_attendance(db.session, activity, participant)
        audit("participant.remove", participant, f"from activity {activity.id}")
        db.session.commit()
        flash(f"{participant.name} removed from this activity (their record is kept).", "info")
    return redirect(url_for("manage.participants", activity_id=activity.id))


@bp.route("/activities/<int:activity_id>/participants/import", methods=["GET", "POST"])
def participants_import(activity_id: int):
    activity = activity_or_404(activity_id)
    form = ParticipantImportForm()
    result = None
    file_error = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            records = read_participant_file(
                upload.filename or "",
                upload.stream,
                current_app.config["PARTICIPANT_IMPORT_MAX_ROWS"],
            )
        except ParticipantFileError as error:
            file_error = str(error)
        else:
            result = import_participants(db.session, activity, records)
            if result.ok:
                audit(
                    "participants.import",
                    activity,
                    f"{upload.filename}: {result.rows} rows, {result.attached} added, "
                    f"{result.created} new people, {result.updated} already known",
                )
                db.session.commit()
                flash(
                    f"Imported {result.rows} rows: {result.attached} added to this activity "
                    f"({result.created} new people, {result.updated} already known), "
                    f"{result.already_attending} already listed.",
                    "success",
                )
                return redirect(url_for("manage.participants", activity_id=activity.id))
            db.session.rollback()
    failed = request.method == "POST"
    return (
        render_template(
            "manage/participants_import.html",
            activity=activity,
            form=form,
            result=result,
            file_error=file_error,
        ),
        400 if failed else 200,
    )


@bp.route("/participants/<int:participant_id>")
def participant_data(participant_id: int):
    """What is held about one person, with the copy they may ask for and the erasure."""
    participant = db.session.get(Participant, participant_id) or abort(404)
    audit("view.personal_data", participant)
    db.session.commit()
    return render_template(
        "manage/participant_data.html",
        participant=participant,
        record=participant_record(db.session, participant),
        confirm=ConfirmForm(),
    )


@bp.route("/participants/<int:participant_id>/data.json")
def participant_data_export(participant_id: int):
    participant = db.session.get(Participant, participant_id) or abort(404)
    record = participant_record(db.session, participant)
    audit("download.personal_data", participant, "JSON")
    db.session.commit()
    return Response(
        json.dumps(record, indent=2, ensure_ascii=False),
        mimetype="application/json",
        headers={"Content-Disposition": f"attachment; filename=participant-{participant.id}.json"},
    )


@bp.route("/participants/<int:participant_id>/erase", methods=["POST"])
def participant_erase(participant_id: int):
    participant = db.session.get(Participant, participant_id) or abort(404)
    if ConfirmForm().validate_on_submit() and participant.erased_at is None:
        erasure = erase_participant(db.session, participant, clock.utcnow())
        audit(
            "participant.erase",
            participant,
            f"{erasure.invitations} invitation(s) and {erasure.messages} message(s) de-identified",
        )
        db.session.commit()
        flash(
            "Their name, email and position are erased everywhere; their answers stay, "
            "without them, in the figures.",
            "success",
        )
    return redirect(url_for("manage.participant_data", participant_id=participant_id))
