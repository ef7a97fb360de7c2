"""Staff pages for the respondents' journeys: delivering an activity, a round's page with
its invitations (resend), QR codes, extending a round, the outbox and the message texts."""

from __future__ import annotations

import io
from datetime import timedelta

import segno
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
from sqlalchemy import select

from app.common import clock
from app.common.audit import changes, snapshot
from app.common.mail import backend_from_config, outbox_messages, send_now
from app.extensions import db
from app.journeys.dispatch import last_dispatch_run, resend_invitation
from app.journeys.invitations import invitation_page, unanswered_members
from app.journeys.mail import (
    DEFAULT_TEMPLATES,
    PLACEHOLDERS,
    TemplateProblem,
    default_template,
    save_template,
    template_for,
)
from app.journeys.member_view import member_invitation
from app.journeys.scheduling import ScheduleError, deliver_activity
from app.kpis.exports import round_file_stem
from app.manage.blueprint import bp
from app.manage.forms import CloseRoundForm, EmailTemplateForm, ExtendRoundForm, RecordNeedsForm
from app.models import (
    Invitation,
    Member,
    Message,
    MessageKind,
    MessageStatus,
    QuestionnaireKind,
    SurveyRound,
)
from app.surveys.rounds import RoundError, extend_round, round_stats
from app.web.audit import audit
from app.web.forms import ConfirmForm
from app.web.i18n import language_name, round_languages
from app.web.lookups import activity_or_404, round_or_404
from app.web.params import enum_arg, page_arg
from app.web.respondent import bind_invitation
from app.web.settings import journey_settings
from app.workplan.activities import ActivityError


def dispatch_status() -> dict:
    """What _dispatch_status.html says: the last run, how often the dispatch runs, and
    whether it is late (no run for three periods, at least a quarter of an hour)."""
    every = int(current_app.config["DISPATCH_EVERY_MINUTES"])
    last_run = last_dispatch_run(db.session)
    patience = timedelta(minutes=max(3 * every, 15))
    late = bool(
        last_run
        and last_run.finished_at is not None
        and clock.utcnow() - clock.aware(last_run.finished_at) > patience
    )
    return {"last_run": last_run, "dispatch_every": every, "dispatch_late": late}


def open_link(survey_round: SurveyRound) -> str:
    """The shared link, from the configured base URL (never the request's Host)."""
    return f"{journey_settings().base_url}/s/{survey_round.slug}"


@bp.route("/activities/<int:activity_id>/deliver", methods=["POST"])
def activity_deliver(activity_id: int):
    activity = activity_or_404(activity_id)
    if ConfirmForm().validate_on_submit():
        try:
            delivery = deliver_activity(db.session, activity, journey_settings(), clock.today())
        except (ActivityError, ScheduleError) as error:
            db.session.rollback()
            flash(f"Not marked delivered: {getattr(error, 'message', error)}", "error")
        else:
            audit(
                "activity.deliver",
                activity,
                f"{len(delivery.created)} round(s) made: "
                + ", ".join(f"{r.kind.value} from {r.opens_on}" for r in delivery.created),
            )
            db.session.commit()
            waves = ", ".join(r.opens_on.isoformat() for r in delivery.follow_ups)
            flash(
                f"Delivered. The evaluation is open until "
                f"{delivery.evaluation.closes_on.isoformat()}; follow-up waves open on "
                f"{waves or 'no date'}. The automatic dispatch sends the invitations within "
                f"{current_app.config['DISPATCH_EVERY_MINUTES']} minutes.",
                "success",
            )
    return redirect(url_for("manage.activity", activity_id=activity_id))


@bp.route("/rounds/<int:round_id>/invitations/<int:invitation_id>/resend", methods=["POST"])
def invitation_resend(round_id: int, invitation_id: int):
    survey_round = round_or_404(round_id)
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.round_id != survey_round.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        now = clock.utcnow()
        messages = resend_invitation(db.session, journey_settings(), invitation, now)
        audit("invitation.resend", invitation, f"{len(messages)} message(s)")
        db.session.commit()
        backend = backend_from_config(current_app.config)
        failed = 0
        for message in messages:
            try:
                send_now(db.session, backend, message, now)
            except OSError:
                failed += 1
            db.session.commit()
        if not messages:
            flash("Nobody to send it to: this invitation has no email address.", "error")
        elif failed:
            flash(
                f"The mail server refused {failed} message(s); they stay in the outbox "
                "and the automatic dispatch tries again at its next run.",
                "error",
            )
        else:
            flash(f"Invitation sent again to {', '.join(m.to_email for m in messages)}.", "success")
    return redirect(url_for("manage.round_detail", round_id=round_id))


@bp.route("/rounds/<int:round_id>/extend", methods=["POST"])
def round_extend(round_id: int):
    survey_round = round_or_404(round_id)
    form = ExtendRoundForm()
    if form.validate_on_submit():
        before = snapshot(survey_round, ("closes_on", "status"))
        try:
            extend_round(db.session, survey_round, form.closes_on.data, clock.today())
        except RoundError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            audit("round.extend", survey_round, changes(before, survey_round))
            db.session.commit()
            flash(f"The round now closes on {survey_round.closes_on.isoformat()}.", "success")
    else:
        flash("Give the new closing date.", "error")
    return redirect(url_for("manage.round_detail", round_id=round_id))


@bp.route("/rounds/<int:round_id>/qr.<any(png, svg):fmt>")
def round_qr(round_id: int, fmt: str):
    survey_round = round_or_404(round_id)
    if not survey_round.open_link:
        abort(404)
    code = segno.make(open_link(survey_round), error="m")
    buffer = io.BytesIO()
    if fmt == "png":
        code.save(buffer, kind="png", scale=10, border=4)
        mimetype = "image/png"
    else:
        code.save(buffer, kind="svg", scale=10, border=4, xmldecl=True)
        mimetype = "image/svg+xml"
    download = request.args.get("download")
    headers = (
        {
            "Content-Disposition": "attachment; filename="
            f"{round_file_stem(survey_round, 'link-qr-code', clock.today())}.{fmt}"
        }
        if download
        else {}
    )
    return Response(buffer.getvalue(), mimetype=mimetype, headers=headers)


OUTBOX_PER_PAGE = 200


@bp.route("/outbox")
def outbox():
    """The messages, newest first: filtered by status and by part of the recipient's
    address (GET parameters ``status`` and ``to``), a page at a time."""
    chosen = enum_arg("status", MessageStatus)
    status = chosen.value if chosen else None
    recipient = (request.args.get("to") or "").strip()[:254]
    page = page_arg()
    messages, total = outbox_messages(db.session, chosen, recipient or None, page, OUTBOX_PER_PAGE)
    return render_template(
        "manage/outbox.html",
        messages=messages,
        total=total,
        page=page,
        pages=max((total + OUTBOX_PER_PAGE - 1) // OUTBOX_PER_PAGE, 1),
        recipient=recipient,
        args={k: v for k, v in (("status", status), ("to", recipient)) if v},
        status=status,
        backend=backend_from_config(current_app.config).name,
        **dispatch_status(),
    )


@bp.route("/outbox/<int:message_id>")
def outbox_message(message_id: int):
    message = db.session.get(Message, message_id) or abort(404)
    return render_template("manage/outbox_message.html", message=message)


@bp.route("/email-templates")
def email_templates():
    languages = round_languages()
    texts = {
        kind: [(lang, *template_for(db.session, kind, lang)) for lang in languages]
        for kind in DEFAULT_TEMPLATES
    }
    return render_template("manage/email_templates.html", texts=texts, language_name=language_name)


def _template_language() -> str:
    """The language of the message text being edited (``?language=``, English by default;
    404 for a language rounds do not offer)."""
    language = request.args.get("language") or "en"
    if language not in round_languages():
        abort(404)
    return language


@bp.route(
    "/email-templates/<any(invitation, reminder, escalation, closing_soon):kind>",
    methods=["GET", "POST"],
)
def email_template_edit(kind: str):
    message_kind = MessageKind(kind)
    language = _template_language()
    form = EmailTemplateForm()
    if request.method == "GET":
        form.subject.data, form.body.data = template_for(db.session, message_kind, language)
    elif form.validate_on_submit():
        if request.form.get("restore"):
            form.subject.data, form.body.data = default_template(message_kind, language)
        before_subject, before_body = template_for(db.session, message_kind, language)
        try:
            save_template(db.session, message_kind, form.subject.data, form.body.data, language)
        except TemplateProblem as error:
            db.session.rollback()
            form.body.errors.append(str(error))
        else:
            audit(
                "message_text.update",
                None,
                f"{message_kind.value}{'' if language == 'en' else f' ({language})'}: "
                f"subject {before_subject!r} -> {form.subject.data!r}"
                + ("; text changed" if before_body != form.body.data else ""),
            )
            db.session.commit()
            flash(
                f"The {message_kind.label.lower()} text is saved; it applies to messages "
                "planned from now on.",
                "success",
            )
            return redirect(url_for("manage.email_templates"))
    return render_template(
        "manage/email_template_form.html",
        form=form,
        kind=message_kind,
        language=language,
        language_label=language_name(language),
        placeholders=PLACEHOLDERS[message_kind],
    ), 400 if request.method == "POST" else 200


@bp.route("/rounds/<int:round_id>")
def round_detail(round_id: int):
    survey_round = round_or_404(round_id)
    accepting = survey_round.accepts_answers(clock.today())
    invitations = invitation_page(
        db.session, survey_round, page_arg(), current_app.config["INVITATIONS_PER_PAGE"]
    )
    record = None
    if accepting and survey_round.kind is QuestionnaireKind.NEEDS_ASSESSMENT:
        record = RecordNeedsForm(prefix="record")
        record.member.choices = _unanswered_members(survey_round)
    return render_template(
        "manage/round.html",
        round=survey_round,
        confirm=ConfirmForm(),
        close=CloseRoundForm(prefix="close"),
        accepting=accepting,
        stats=round_stats(db.session, [survey_round.id])[survey_round.id],
        invitations=invitations,
        link=open_link(survey_round),
        extend=ExtendRoundForm(closes_on=survey_round.closes_on),
        record=record,
        **dispatch_status(),
    )


def _unanswered_members(survey_round: SurveyRound) -> list[tuple[str, str]]:
    """The active Members whose needs assessment has not been submitted in this round
    (its own query: the page shows one page of the invitations)."""
    return [(m.code, f"{m.name} ({m.code})") for m in unanswered_members(db.session, survey_round)]


@bp.route("/rounds/<int:round_id>/record", methods=["POST"])
def round_record(round_id: int):
    """Answer an administration's needs assessment on its behalf: the staff member's
    browser answers through that Member's invitation, as its contact point would."""
    survey_round = round_or_404(round_id)
    if survey_round.kind is not QuestionnaireKind.NEEDS_ASSESSMENT:
        abort(404)
    form = RecordNeedsForm(prefix="record")
    form.member.choices = _unanswered_members(survey_round)
    if not survey_round.accepts_answers(clock.today()):
        flash("This round does not accept answers now: extend or reopen it first.", "error")
    elif not form.validate_on_submit():
        flash("Choose an administration whose answers are not in yet.", "error")
    else:
        member = db.session.scalar(select(Member).where(Member.code == form.member.data))
        invitation = member_invitation(
            db.session, survey_round, member, journey_settings().invitation_key
        )
        if invitation is None:  # a Member the round does not ask
            db.session.rollback()
            flash(f"This round does not ask {member.name}.", "error")
        else:
            audit("invitation.record", invitation, f"answers of {member.code} recorded by staff")
            db.session.commit()
            bind_invitation(invitation)
            return redirect(url_for("respond.landing", slug=survey_round.slug))
    return redirect(url_for("manage.round_detail", round_id=round_id))
