"""Staff pages: questionnaires, their versions and previews, survey rounds."""

from __future__ import annotations

import json
from datetime import timedelta

import flask_babel
from flask import Response, abort, flash, g, redirect, render_template, request, url_for

from app.common import clock
from app.common.choices import select_choices
from app.extensions import db
from app.kpis.analysis_files import questionnaire_years
from app.kpis.drilldown import counted_rounds
from app.kpis.scope import KpiError, KpiFilters, Scope
from app.manage.blueprint import bp
from app.manage.forms import CloseRoundForm, RoundForm
from app.models import Activity, PlanYear, QuestionnaireKind, QuestionnaireVersion
from app.surveys.answers import clean, values_from_json, values_to_json
from app.surveys.responses import next_section
from app.surveys.rounds import (
    NewRound,
    RoundError,
    close_round,
    create_round,
    list_rounds,
    open_round,
    picker_options,
    round_stats,
)
from app.surveys.section_state import display_section, receive_section
from app.surveys.versions import all_versions, definition_of, list_questionnaires
from app.surveys.xlsform_export import xlsform_bytes
from app.web.audit import audit
from app.web.forms import ConfirmForm
from app.web.lookups import round_or_404, version_or_404
from app.web.params import enum_arg, plan_year_arg
from app.workplan.activities import cb_activities_newest_year_first
from app.workplan.plan_years import list_plan_years


def _counted_rounds() -> dict | None:
    """With ``figure`` (a link from a KPI figure): the rounds it counts, for the plan
    year and the dashboard's filters, and what the page says about them; None otherwise."""
    figure = request.args.get("figure")
    if not figure:
        return None
    plan_year = plan_year_arg()
    try:
        scope = Scope(db.session, plan_year, KpiFilters.parse(request.args), clock.today())
        rounds = counted_rounds(scope, figure, enum_arg("round_kind", QuestionnaireKind))
    except KpiError as error:
        abort(400, f"Cannot list these rounds: {error}")
    return {
        "rounds": rounds,
        "year": plan_year.label,
        "filters": {k: v for k, v in scope.filters.as_dict().items() if v},
        "figure": figure,
        "round_kind": request.args.get("round_kind"),
    }


@bp.route("/surveys")
def surveys():
    counted = _counted_rounds()
    rounds = list_rounds(db.session, newest_first=True) if counted is None else []
    return render_template(
        "manage/surveys.html",
        questionnaires=list_questionnaires(db.session),
        rounds=rounds,
        stats=round_stats(db.session, [r.id for r in rounds]),
        analysis_years=questionnaire_years(db.session),
        counted=counted["rounds"] if counted else None,
        counted_year=counted["year"] if counted else None,
        counted_filters=counted["filters"] if counted else {},
        figure=counted["figure"] if counted else None,
        round_kind=counted["round_kind"] if counted else None,
    )


@bp.route("/surveys/<key>/v<int:number>")
def survey_version(key: str, number: int):
    version = version_or_404(key, number)
    return render_template(
        "manage/survey_version.html", version=version, definition=definition_of(version)
    )


@bp.route("/surveys/<key>/v<int:number>/preview/<int:index>", methods=["GET", "POST"])
def survey_preview(key: str, number: int, index: int):
    """The version exactly as respondents see it; answers travel with the page (in a
    hidden field) and nothing is stored."""
    version = version_or_404(key, number)
    definition = definition_of(version)
    if not 0 <= index < len(definition.sections):
        abort(404)
    lang = request.args.get("lang") if request.args.get("lang") in definition.languages else "en"
    g.lang = lang  # the interface's texts in the previewed language too
    flask_babel.refresh()
    try:
        answers = values_from_json(
            definition, json.loads(request.form.get("preview_answers") or "{}")
        )
    except ValueError:
        answers = {}
    pickers = picker_options(db.session, next(iter(list_plan_years(db.session)), None))
    section = definition.sections[index]
    status = 200
    message = None
    if request.method == "GET":
        state = display_section(definition, section, lang, pickers, answers)
    else:
        action = request.form.get("action", "next")
        state = receive_section(definition, section, lang, pickers, answers, request.form, action)
        if state.errors:
            status = 400
        elif state.accepted:
            answers = clean(definition, {**state.other_answers, **state.answers})
            target = next_section(definition, answers, index, action)
            if target is None:
                message = (
                    "All sections are valid: a respondent's answers would be "
                    "submitted now. Nothing was stored."
                )
                target = index
            state = display_section(definition, definition.sections[target], lang, pickers, answers)
    return render_template(
        "respond/section.html",
        round=None,
        state=state,
        version=version,
        preview_url=url_for(
            "manage.survey_preview",
            key=key,
            number=number,
            index=state.section.index,
            lang=lang,
        ),
        preview_answers=json.dumps(values_to_json(answers)),
        preview_message=message,
    ), status


def _round_choices(form: RoundForm) -> None:
    form.version.choices = select_choices(
        (v.id, f"{v.questionnaire.key} v{v.number}: {v.title}") for v in all_versions(db.session)
    )
    form.activity.choices = select_choices(
        [
            (0, "No activity (needs assessment)"),
            *(
                (a.id, f"{a.plan_year.label} · {a.title}")
                for a in cb_activities_newest_year_first(db.session)
            ),
        ]
    )
    form.plan_year.choices = select_choices((y.id, y.label) for y in list_plan_years(db.session))


@bp.route("/rounds/new", methods=["GET", "POST"])
def round_new():
    form = RoundForm()
    _round_choices(form)
    if request.method == "GET":
        form.version.data = request.args.get("version", type=int)
        form.activity.data = request.args.get("activity", type=int) or 0
        form.opens_on.data = clock.today()
        form.closes_on.data = clock.today() + timedelta(days=14)
    if form.validate_on_submit():
        version = db.session.get(QuestionnaireVersion, form.version.data)
        activity = db.session.get(Activity, form.activity.data) if form.activity.data else None
        try:
            survey_round = create_round(
                db.session,
                NewRound(
                    version=version,
                    opens_on=form.opens_on.data,
                    closes_on=form.closes_on.data,
                    activity=activity,
                    plan_year=db.session.get(PlanYear, form.plan_year.data),
                    title=form.title.data or "",
                    open_now=form.open_now.data,
                ),
            )
        except RoundError as error:
            db.session.rollback()
            getattr(form, error.field).errors.append(error.message)
        else:
            audit("round.create", survey_round, survey_round.title)
            db.session.commit()
            flash("Round created.", "success")
            return redirect(url_for("manage.round_detail", round_id=survey_round.id))
    return render_template(
        "manage/round_form.html", form=form
    ), 400 if request.method == "POST" else 200


@bp.route("/rounds/<int:round_id>/<any(open, close):change>", methods=["POST"])
def round_change(round_id: int, change: str):
    """Open or close a round; closing needs its confirmation box ticked."""
    survey_round = round_or_404(round_id)
    form = CloseRoundForm(prefix="close") if change == "close" else ConfirmForm()
    if form.validate_on_submit():
        (open_round if change == "open" else close_round)(db.session, survey_round)
        audit(f"round.{change}", survey_round, survey_round.title)
        db.session.commit()
        flash(
            "Round opened."
            if change == "open"
            else "Round closed: it no longer accepts answers; nothing was deleted.",
            "info",
        )
    elif change == "close":
        flash("Not closed: tick “Yes, stop accepting answers now” to close the round.", "error")
    return redirect(url_for("manage.round_detail", round_id=round_id))


@bp.route("/surveys/<key>/v<int:number>/xlsform")
def survey_xlsform(key: str, number: int):
    """The version as an XLSForm, its pickers filled with the newest plan year's lists."""
    version = version_or_404(key, number)
    pickers = picker_options(db.session, next(iter(list_plan_years(db.session)), None))
    data = xlsform_bytes(version.definition, version.number, pickers)
    audit("download.xlsform", version.questionnaire, f"{key} v{number}")
    db.session.commit()
    return Response(
        data,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename={key}-v{number}.xlsx"},
    )
