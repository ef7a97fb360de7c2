"""Staff pages for the KPIs: the plan-year dashboard, the needs heatmap, the tangible-results
register, the post-action log, the per-activity evaluation report, and the exports."""

from __future__ import annotations

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

from app.common import clock
from app.common.audit import changes, snapshot
from app.extensions import db
from app.kpis import exports
from app.kpis.activity_report import activity_report
from app.kpis.cache import year_kpis
from app.kpis.figures import previous_year_label
from app.kpis.findings import ActionError, add_action, refresh_findings, year_findings
from app.kpis.needs import need_priorities, needs_coverage
from app.kpis.report_pdf import FontsMissing, report_pdf
from app.kpis.response_csv import response_csv
from app.kpis.results_register import ReviewError, review_result, year_results
from app.kpis.scope import KpiError, KpiFilters, Scope
from app.manage.blueprint import bp
from app.manage.forms import ActionForm, ReviewForm
from app.models import (
    ActivityKind,
    Finding,
    Modality,
    PlanYear,
    ResultStatus,
    SubRegion,
    TangibleResult,
)
from app.surveys.model import Definition
from app.web.audit import audit
from app.web.forms import ConfirmForm
from app.web.lookups import activity_or_404, round_or_404
from app.web.params import enum_arg, plan_year_arg
from app.web.settings import finding_rules, min_group_size
from app.workplan.activities import activity_titles, year_items
from app.workplan.members import members_by_name
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


def _reports(label: str, filters: KpiFilters):
    """The year's KPIs and the previous year's totals (closed years come from the kept
    reports: `app.kpis.cache`)."""
    report = year_kpis(db.session, label, filters, min_group_size(), clock.today())
    plan_year = get_plan_year(db.session, label)
    previous = None
    previous_label = previous_year_label(plan_year)
    if get_plan_year(db.session, previous_label) is not None:
        # Compared on the totals only.
        previous = year_kpis(
            db.session, previous_label, filters, min_group_size(), clock.today(), breakdown=False
        )
    return report, previous


@bp.route("/kpis")
def kpis():
    label = plan_year_arg().label
    try:
        filters = KpiFilters.parse(request.args)
        report, previous = _reports(label, filters)
    except (KpiError, ValueError) as error:
        flash(f"Cannot show these KPIs: {error}", "error")
        return redirect(url_for("manage.kpis", year=None))
    db.session.commit()  # the reports computed for closed years are kept
    items = year_items(db.session, get_plan_year(db.session, label))
    return render_template(
        "manage/kpis.html",
        report=report,
        previous=previous,
        filters=filters,
        plan_years=list_plan_years(db.session),
        items=items,
        members=members_by_name(db.session),
        subregions=list(SubRegion),
        args={k: v for k, v in request.args.items() if v},
        min_group=min_group_size(),
        confirm=ConfirmForm(),
        titles=activity_titles(db.session, report.evaluation_by_activity),
        item_lines=[
            line
            for line in exports.kpi_lines(report, previous)
            if line.indicator == exports.BY_ITEM and line.part
        ],
    )


@bp.route("/kpis/definitions")
def kpi_definitions():
    """docs/kpis.md, the one explanation of every figure, as a page."""
    path = Path(current_app.root_path).parent / "docs" / "kpis.md"
    html = markdown.markdown(path.read_text(encoding="utf-8"), extensions=["tables"])
    return render_template("manage/kpi_definitions.html", content=Markup(html))


@bp.route("/kpis.<any(csv, xlsx):fmt>")
def kpis_export(fmt: str):
    label = plan_year_arg().label
    try:
        report, previous = _reports(label, KpiFilters.parse(request.args))
    except (KpiError, ValueError) as error:
        abort(400, str(error))
    today = clock.today()
    name = exports.kpi_file_name(label, report.filters.as_dict(), today, fmt)
    audit("download.kpis", None, f"{label} as {fmt.upper()}")
    db.session.commit()
    disposition = {"Content-Disposition": f"attachment; filename={name}"}
    if fmt == "csv":
        rows = exports.kpi_rows(report, previous)
        return Response(exports.csv_lines(rows), mimetype="text/csv", headers=disposition)
    filters = ", ".join(f"{k}: {v}" for k, v in report.filters.as_dict().items() if v)
    notes = [
        f"ROCB A/P KPIs, plan year {label}",
        f"Compared with: {previous.year}" if previous else "No earlier plan year stored.",
        f"Filters: {filters or 'none (all Members, all activities)'}",
        f"Produced on {today.isoformat()}",
        "How each figure is counted: docs/kpis.md (KPIs > How each figure is computed).",
        "Rates are percentages; an empty cell has nothing to divide (not zero).",
    ]
    handle = exports.kpi_xlsx(report, previous, notes)
    return Response(
        exports.file_chunks(handle),
        mimetype=("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        headers=disposition,
    )


@bp.route("/post-action", methods=["GET"])
def post_action():
    plan_year = plan_year_arg()
    findings = year_findings(db.session, plan_year)
    return render_template(
        "manage/post_action.html",
        plan_year=plan_year,
        findings=findings,
        form=ActionForm(),
        confirm=ConfirmForm(),
        rules=finding_rules(),
    )


@bp.route("/post-action/refresh", methods=["POST"])
def findings_refresh():
    label = plan_year_arg().label
    if ConfirmForm().validate_on_submit():
        result = refresh_findings(db.session, label, finding_rules(), clock.today())
        audit(
            "findings.refresh",
            None,
            f"{label}: {result.created} new, {result.current} current, {result.retired} retired",
        )
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
            action = add_action(
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
            audit("finding.action", finding, action.decision[:500])
            db.session.commit()
            flash("Planning action recorded.", "success")
    else:
        flash("Write what was decided (and, if you give one, a valid activity number).", "error")
    return redirect(url_for("manage.post_action", year=finding.plan_year.label))


@bp.route("/needs")
def needs():
    plan_year = plan_year_arg()
    scope = Scope(db.session, plan_year, KpiFilters(), clock.today())
    coverage, uncovered, high = needs_coverage(scope)
    priorities = need_priorities(scope)
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


@bp.route("/results")
def results():
    plan_year = plan_year_arg()
    chosen = enum_arg("status", ResultStatus)
    status = chosen.value if chosen else None
    return render_template(
        "manage/results.html",
        plan_year=plan_year,
        results=year_results(db.session, plan_year, chosen),
        status=status,
        form=ReviewForm(),
    )


@bp.route("/results/<int:result_id>/review", methods=["POST"])
def result_review(result_id: int):
    result = db.session.get(TangibleResult, result_id) or abort(404)
    form = ReviewForm()
    if form.validate_on_submit():
        before = snapshot(result, ("status", "reason"))
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
            audit("result.review", result, changes(before, result))
            db.session.commit()
            flash(f"Result {result.id}: {result.status.label.lower()}.", "success")
    return redirect(
        url_for("manage.results", year=db.session.get(PlanYear, result.plan_year_id).label)
    )


@bp.route("/activities/<int:activity_id>/report")
def activity_evaluation(activity_id: int):
    activity = activity_or_404(activity_id)
    return render_template(
        "manage/activity_report.html",
        report=activity_report(db.session, activity, min_group_size()),
    )


@bp.route("/activities/<int:activity_id>/report.pdf")
def activity_evaluation_pdf(activity_id: int):
    activity = activity_or_404(activity_id)
    report = activity_report(db.session, activity, min_group_size())
    try:
        pdf = report_pdf(report, current_app.config["PDF_FONT_DIR"])
    except FontsMissing as error:
        current_app.logger.error("evaluation report PDF: %s", error)
        flash(f"The PDF could not be written: {error}", "error")
        return redirect(url_for("manage.activity_evaluation", activity_id=activity.id))
    audit("download.evaluation_report", activity, "PDF")
    db.session.commit()
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f"attachment; filename={report.file_name('pdf')}"},
    )


@bp.route("/rounds/<int:round_id>/<any(responses, repeats):part>.<any(csv, xlsx):fmt>")
def round_export(round_id: int, part: str, fmt: str):
    """A round's submitted responses. CSV: codes as stored (for analysis tools). XLSX:
    both sheets, with ``?values=labels`` (the default: choice labels, Member names,
    activity titles) or ``?values=codes``, real dates, widths and a frozen header."""
    survey_round = round_or_404(round_id)
    values = request.args.get("values", "labels")
    if fmt == "xlsx" and values not in ("labels", "codes"):
        abort(400, f"Parameter values: {values!r} is not one of labels, codes.")
    stem = exports.round_file_stem(survey_round, part, clock.today())
    detail = f" with {values}" if fmt == "xlsx" else ""
    audit("download.responses", survey_round, f"{part} as {fmt.upper()}{detail}")
    db.session.commit()
    if fmt == "csv":
        if part == "responses":
            text = response_csv(db.session, survey_round)
        else:
            text = exports.csv_lines(exports.repeat_rows(db.session, survey_round))
        # The rows are read while the response streams: keep the request's session open.
        return Response(
            stream_with_context(text),
            mimetype="text/csv",
            headers={"Content-Disposition": f"attachment; filename={stem}.csv"},
        )
    labels = None
    if values == "labels":
        definition = Definition.from_json(survey_round.version.definition)
        labels = exports.answer_labels(db.session, definition, survey_round.plan_year_id)
    notes = [
        f"Responses of survey round {survey_round.id}: {survey_round.title}",
        f"Plan year {survey_round.plan_year.label}; questionnaire "
        f"{survey_round.version.questionnaire.key} version {survey_round.version.number}",
        "Answers as labels (choice texts, Member names, activity titles)"
        if labels
        else "Answers as codes (as stored; the codebook is in the analysis exports)",
        "Submitted: date and time in UTC"
        + ("; anonymous round: the day only, no Member" if survey_round.anonymous else ""),
        "Submitted responses only; an empty cell is a question not answered or not shown.",
        f"Produced on {clock.today().isoformat()}",
    ]
    handle = exports.response_xlsx(
        {
            "Responses": exports.response_rows(db.session, survey_round, labels),
            "Repeat groups": exports.repeat_rows(db.session, survey_round, labels),
        },
        notes,
    )
    return Response(
        exports.file_chunks(handle),
        mimetype=("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        headers={"Content-Disposition": f"attachment; filename={stem}.xlsx"},
    )
