"""Staff pages for the KPIs: the plan-year dashboard, the needs heatmap, the tangible-results
register, the post-action log, the per-activity evaluation report, and the exports."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import markdown
from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.kpis import exports
from app.kpis.activity_report import activity_report, report_pdf
from app.kpis.figures import compute_kpis, needs_coverage, previous_year_label
from app.kpis.findings import ActionError, FindingRules, add_action, refresh_findings
from app.kpis.results_register import ReviewError, review_result
from app.kpis.scope import KpiError, KpiFilters, Scope
from app.manage.blueprint import bp
from app.manage.forms import ActionForm, ConfirmForm, ReviewForm
from app.manage.views_activities import activity_or_404, current_plan_year
from app.manage.views_journeys import round_or_404
from app.models import (
    Activity,
    ActivityKind,
    Answer,
    Finding,
    Member,
    Modality,
    PlanYear,
    QuestionnaireKind,
    ResponseStatus,
    ResultStatus,
    SubRegion,
    SurveyRound,
    TangibleResult,
    WorkPlanItem,
)
from app.models import Response as SurveyResponse
from app.workplan.plan_years import get_plan_year, list_plan_years

CHART_LABELS = {
    **dict(ActivityKind.choices()),
    **dict(SubRegion.choices()),
    **dict(Modality.choices()),
    "not_set": "Not set",
}


@bp.app_template_filter("labelled")
def labelled(pairs, prefix: str = "") -> list[tuple[str, object]]:
    """Chart bars named for people: stored keys (kinds, sub-regions, modalities) become
    their labels; other keys get ``prefix`` ("Pillar 1")."""
    return [(CHART_LABELS.get(str(key)) or f"{prefix}{key}", value) for key, value in pairs]


def _year_label() -> str:
    label = request.args.get("year")
    if label:
        return label
    plan_year = current_plan_year()
    if plan_year is None:
        abort(404)
    return plan_year.label


def _min_group() -> int:
    return int(current_app.config["MIN_GROUP_SIZE"])


def _reports(label: str, filters: KpiFilters):
    report = compute_kpis(db.session, label, filters, _min_group())
    plan_year = get_plan_year(db.session, label)
    previous = None
    previous_label = previous_year_label(plan_year)
    if get_plan_year(db.session, previous_label) is not None:
        # Compared on the totals only.
        previous = compute_kpis(db.session, previous_label, filters, _min_group(), breakdown=False)
    return report, previous


@bp.route("/kpis")
def kpis():
    label = _year_label()
    try:
        filters = KpiFilters.parse(request.args)
        report, previous = _reports(label, filters)
    except (KpiError, ValueError) as error:
        flash(f"Cannot show these KPIs: {error}", "error")
        return redirect(url_for("manage.kpis", year=None))
    items = db.session.scalars(
        select(WorkPlanItem)
        .where(WorkPlanItem.plan_year_id == get_plan_year(db.session, label).id)
        .order_by(WorkPlanItem.position)
    ).all()
    return render_template(
        "manage/kpis.html",
        report=report,
        previous=previous,
        filters=filters,
        plan_years=list_plan_years(db.session),
        items=items,
        members=db.session.scalars(select(Member).order_by(Member.name)).all(),
        subregions=list(SubRegion),
        args={k: v for k, v in request.args.items() if v},
        min_group=_min_group(),
        confirm=ConfirmForm(),
        titles=_titles(report.evaluation_by_activity),
    )


def _titles(groups: dict) -> dict[int, str]:
    if not groups:
        return {}
    return dict(
        db.session.execute(
            select(Activity.id, Activity.title).where(Activity.id.in_(list(groups)))
        ).all()
    )


@bp.route("/kpis/definitions")
def kpi_definitions():
    """docs/kpis.md, the one explanation of every figure, as a page."""
    path = Path(current_app.root_path).parent / "docs" / "kpis.md"
    html = markdown.markdown(path.read_text(encoding="utf-8"), extensions=["tables"])
    return render_template("manage/kpi_definitions.html", content=Markup(html))


@bp.route("/kpis.<any(csv, xlsx):fmt>")
def kpis_export(fmt: str):
    label = _year_label()
    try:
        report, previous = _reports(label, KpiFilters.parse(request.args))
    except (KpiError, ValueError) as error:
        abort(400, str(error))
    rows = exports.kpi_rows(report, previous)
    name = f"kpis-{label}"
    if fmt == "csv":
        return Response(
            exports.csv_lines(rows),
            mimetype="text/csv",
            headers={"Content-Disposition": f"attachment; filename={name}.csv"},
        )
    handle = exports.xlsx_file({f"KPIs {label}": iter(rows)})
    return Response(
        exports.file_chunks(handle),
        mimetype=("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        headers={"Content-Disposition": f"attachment; filename={name}.xlsx"},
    )


def _rules() -> FindingRules:
    config = current_app.config
    return FindingRules(
        low_score=float(config["LOW_SCORE_THRESHOLD"]),
        barrier_min_reports=int(config["BARRIER_MIN_REPORTS"]),
        min_group=_min_group(),
    )


@bp.route("/post-action", methods=["GET"])
def post_action():
    label = _year_label()
    plan_year = get_plan_year(db.session, label) or abort(404)
    findings = db.session.scalars(
        select(Finding)
        .where(Finding.plan_year_id == plan_year.id)
        .order_by(Finding.current.desc(), Finding.kind, Finding.id)
        .options(
            selectinload(Finding.actions),
            selectinload(Finding.activity),
            selectinload(Finding.member),
        )
    ).all()
    return render_template(
        "manage/post_action.html",
        plan_year=plan_year,
        findings=findings,
        form=ActionForm(),
        confirm=ConfirmForm(),
        rules=_rules(),
    )


@bp.route("/post-action/refresh", methods=["POST"])
def findings_refresh():
    label = _year_label()
    if ConfirmForm().validate_on_submit():
        result = refresh_findings(db.session, label, _rules())
        db.session.commit()
        flash(
            f"Findings checked: {result.created} new, {result.current} current, "
            f"{result.retired} no longer found.",
            "success",
        )
    return redirect(url_for("manage.post_action", year=label))


@bp.route("/findings/<int:finding_id>/actions", methods=["POST"])
def finding_action(finding_id: int):
    finding = db.session.get(Finding, finding_id) or abort(404)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            add_action(
                db.session,
                finding,
                form.decision.data,
                current_user,
                item_code=form.item.data or None,
                activity_id=form.activity.data or None,
            )
        except ActionError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash("Planning action recorded.", "success")
    else:
        flash("Write what was decided (and, if you give one, a valid activity number).", "error")
    return redirect(url_for("manage.post_action", year=finding.plan_year.label))


@bp.route("/needs")
def needs():
    label = _year_label()
    plan_year = get_plan_year(db.session, label) or abort(404)
    scope = Scope(db.session, plan_year, KpiFilters(), date.today())
    coverage, uncovered, high = needs_coverage(scope)
    priorities = _priorities(scope)
    uncovered_set = {(u["member"], u["area"]) for u in uncovered}
    areas = sorted(scope.roles.areas)
    members = sorted({code for code, _ in priorities})
    return render_template(
        "manage/needs.html",
        plan_year=plan_year,
        coverage=coverage,
        uncovered=uncovered_set,
        high=high,
        areas=areas,
        area_labels=scope.roles.area_labels,
        members=members,
        priorities=priorities,
    )


def _priorities(scope: Scope) -> dict[tuple[str, str], str]:
    """(Member code, area) -> priority, from the year's submitted needs assessments."""
    keys = scope.roles.of("need_priority")
    rows = db.session.execute(
        select(Member.code, Answer.item, Answer.value_choice)
        .select_from(Answer)
        .join(SurveyResponse, SurveyResponse.id == Answer.response_id)
        .join(SurveyRound, SurveyRound.id == SurveyResponse.round_id)
        .join(Member, Member.id == SurveyResponse.member_id)
        .where(
            SurveyRound.plan_year_id == scope.plan_year.id,
            SurveyRound.kind == QuestionnaireKind.NEEDS_ASSESSMENT,
            SurveyResponse.status == ResponseStatus.SUBMITTED,
            Answer.question_key.in_(keys or ["-"]),
        )
    )
    return {(code, area): priority for code, area, priority in rows}


@bp.route("/results")
def results():
    label = _year_label()
    plan_year = get_plan_year(db.session, label) or abort(404)
    status = request.args.get("status")
    query = (
        select(TangibleResult)
        .where(TangibleResult.plan_year_id == plan_year.id)
        .options(
            selectinload(TangibleResult.activity),
            selectinload(TangibleResult.member),
            selectinload(TangibleResult.reviewed_by),
        )
        .order_by(TangibleResult.status, TangibleResult.id)
    )
    if status in ResultStatus._value2member_map_:
        query = query.where(TangibleResult.status == ResultStatus(status))
    return render_template(
        "manage/results.html",
        plan_year=plan_year,
        results=db.session.scalars(query).all(),
        status=status,
        form=ReviewForm(),
    )


@bp.route("/results/<int:result_id>/review", methods=["POST"])
def result_review(result_id: int):
    result = db.session.get(TangibleResult, result_id) or abort(404)
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            review_result(
                db.session,
                result,
                ResultStatus(form.status.data),
                current_user,
                form.reason.data or "",
            )
        except ReviewError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(f"Result {result.id}: {result.status.label.lower()}.", "success")
    return redirect(
        url_for("manage.results", year=db.session.get(PlanYear, result.plan_year_id).label)
    )


@bp.route("/activities/<int:activity_id>/report")
def activity_evaluation(activity_id: int):
    activity = activity_or_404(activity_id)
    return render_template(
        "manage/activity_report.html", report=activity_report(db.session, activity, _min_group())
    )


@bp.route("/activities/<int:activity_id>/report.pdf")
def activity_evaluation_pdf(activity_id: int):
    activity = activity_or_404(activity_id)
    pdf = report_pdf(activity_report(db.session, activity, _min_group()))
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f"attachment; filename=evaluation-{activity.id}.pdf"},
    )


@bp.route("/rounds/<int:round_id>/<any(responses, repeats):part>.<any(csv, xlsx):fmt>")
def round_export(round_id: int, part: str, fmt: str):
    survey_round = round_or_404(round_id)
    name = f"round-{round_id}-{part}"
    if fmt == "csv":
        rows = (exports.response_rows if part == "responses" else exports.repeat_rows)(
            db.session, survey_round
        )
        # The rows are read while the response streams: keep the request's session open.
        return Response(
            stream_with_context(exports.csv_lines(rows)),
            mimetype="text/csv",
            headers={"Content-Disposition": f"attachment; filename={name}.csv"},
        )
    handle = exports.xlsx_file(
        {
            "Responses": exports.response_rows(db.session, survey_round),
            "Repeat groups": exports.repeat_rows(db.session, survey_round),
        }
    )
    return Response(
        exports.file_chunks(handle),
        mimetype=("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        headers={"Content-Disposition": f"attachment; filename=round-{round_id}.xlsx"},
    )
