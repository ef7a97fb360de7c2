"""Staff pages for the KPIs: the plan-year dashboard, the needs heatmap, the tangible-results
register, the post-action log, the per-activity evaluation report, and the exports."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
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
from app.common.choices import select_choices
from app.extensions import db
from app.kpis import exports
from app.kpis.activity_report import activity_report
from app.kpis.cache import year_kpis
from app.kpis.drilldown import (
    NO_CATEGORY,
    counted_members,
    counted_participants,
    counted_result_conditions,
)
from app.kpis.figures import findings_in_scope, previous_year_label
from app.kpis.findings import ActionError, add_action, refresh_findings
from app.kpis.needs import need_answers, need_priorities, needs_coverage
from app.kpis.post_action_log import (
    FilterError,
    FindingFilters,
    FindingLog,
    Picks,
    action_activities,
    action_items,
    action_years,
    check_picks,
    filtered_findings,
)
from app.kpis.report_pdf import FontsMissing, report_pdf
from app.kpis.response_csv import response_csv
from app.kpis.results_register import (
    DECISIONS,
    ReviewError,
    results_by_ids,
    review_results,
    year_results,
)
from app.kpis.scope import KpiError, KpiFilters, Scope, year_role_keys
from app.manage.blueprint import bp
from app.manage.forms import ActionForm, PostActionFilterForm, ReviewForm
from app.models import (
    ActivityKind,
    Finding,
    FindingKind,
    Gender,
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
from app.web.params import enum_arg, page_arg, plan_year_arg
from app.web.settings import finding_rules, min_group_size
from app.workplan.activities import activity_titles, item_code_key, year_items
from app.workplan.members import members_by_name
from app.workplan.plan_years import get_plan_year, list_plan_years

CHART_LABELS = {
    **dict(ActivityKind.choices()),
    **dict(SubRegion.choices()),
    **dict(Modality.choices()),
    "not_set": "Not set",
}


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


PARTICIPANTS_PER_PAGE = 200
ROUND_KINDS = (
    ("needs_assessment", "Needs assessments"),
    ("evaluation", "Evaluations"),
    ("follow_up", "Follow-ups"),
)


def _drill(report) -> Callable[..., str]:
    """``link(endpoint, **narrowing)``: the address of the list behind a figure, with the
    dashboard's filters carried along (the narrowing of a bar or row wins)."""
    carried = {k: v for k, v in report.filters.as_dict().items() if v}

    def link(endpoint: str, **narrowing) -> str:
        params = {**carried, **narrowing}
        if endpoint == "manage.post_action" and carried:
            # The log has filters of its own (a finding's kind, Member, item): the
            # dashboard's ride under their own names and keep the findings 3-(i) counts.
            params = {**{f"{KPI_PREFIX}{k}": v for k, v in carried.items()}, **narrowing}
            params["counted"] = "kpi"
        return url_for(endpoint, **{k: v for k, v in params.items() if v is not None})

    return link


def _charts(report, link, member_names: dict[str, str]) -> dict[str, list]:
    """Each chart of the dashboard as (label, figure, link to its records) rows."""
    year, details, tangible = report.year, report.activity_details, report.tangible

    def delivered(**narrowing) -> str:
        return link("manage.activities", label=year, counted="delivered", **narrowing)

    def verified(**narrowing) -> str:
        return link("manage.results", year=year, status="verified", **narrowing)

    def label(key) -> str:
        return CHART_LABELS.get(str(key), str(key))

    def delivered_by(figures: dict, name: str, ordered: bool = True) -> list:
        pairs = sorted(figures.items()) if ordered else figures.items()
        return [(label(k), n, delivered(**{name: k})) for k, n in pairs]

    def category(key: str) -> str:
        return report.category_labels.get(key) or key.replace("_", " ").capitalize() or "Not given"

    scores = report.score_labels
    return {
        "rounds": [
            (
                name,
                report.surveys["by_kind"][kind],
                link("manage.surveys", year=year, figure="surveys", round_kind=kind),
            )
            for kind, name in ROUND_KINDS
        ],
        "kind": delivered_by(report.activities["by_kind"], "kind"),
        "subregion": delivered_by(details["by_subregion"], "host_subregion", ordered=False),
        "pillar": [
            (f"Pillar {k}", n, delivered(pillar=k))
            for k, n in sorted(details["by_pillar"].items(), key=lambda pair: int(pair[0]))
        ],
        "modality": delivered_by(details["by_modality"], "modality"),
        "scores": [
            (f"{score} {scores[score]}" if score in scores else score, n, None)
            for score, n in report.evaluation.distribution.items()
        ],
        "by_member": [
            (f"{member_names.get(code, code)} ({code})", n, verified(member=code))
            for code, n in tangible["by_member"].items()
        ],
        "by_category": [
            (category(k), n, verified(category=k or NO_CATEGORY))
            for k, n in tangible["by_category"].items()
        ],
        "by_item": [
            (code, n, verified(serves=code)) for code, n in report.tangible_by_item.items()
        ],
    }


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
    members = members_by_name(db.session)
    member_names = {m.code: m.name for m in members}
    link = _drill(report)
    item_titles = {i.code: i.title for i in items}
    return render_template(
        "manage/kpis.html",
        report=report,
        previous=previous,
        filters=filters,
        plan_years=list_plan_years(db.session),
        items=items,
        members=members,
        member_names=member_names,
        subregions=list(SubRegion),
        args={k: v for k, v in request.args.items() if v},
        min_group=min_group_size(),
        confirm=ConfirmForm(),
        titles=activity_titles(db.session, report.evaluation_by_activity),
        item_lines=[
            (line, line.part.split(" ", 1)[0])
            for line in exports.kpi_lines(report, previous)
            if line.indicator == exports.BY_ITEM and line.part
        ],
        evaluation_items=[
            (code, item_titles.get(code, ""), group)
            for code, group in sorted(
                report.evaluation_by_item.items(), key=lambda pair: item_code_key(pair[0])
            )
        ],
        link=link,
        charts=_charts(report, link, member_names),
    )


def _figure_scope() -> Scope:
    """The plan year and dashboard filters of a link from a figure (400 when not valid)."""
    plan_year = plan_year_arg()
    try:
        return Scope(db.session, plan_year, KpiFilters.parse(request.args), clock.today())
    except KpiError as error:
        abort(400, f"Cannot list these records: {error}")


@bp.route("/kpis/participants")
def kpi_participants():
    """The people 3-(g) counts as participants (``gender=female``: the women of the
    women's share), each once, with the dashboard's filters."""
    scope = _figure_scope()
    gender = enum_arg("gender", Gender)
    page = page_arg()
    rows, total = counted_participants(scope, gender, page, PARTICIPANTS_PER_PAGE)
    return render_template(
        "manage/kpi_participants.html",
        scope=scope,
        carried={k: v for k, v in scope.filters.as_dict().items() if v},
        gender=gender,
        rows=rows,
        total=total,
        page=page,
        pages=max((total + PARTICIPANTS_PER_PAGE - 1) // PARTICIPANTS_PER_PAGE, 1),
        members=None,
    )


@bp.route("/kpis/members-reached")
def kpi_members_reached():
    """The Members 3-(g) counts as reached, each with its participants."""
    scope = _figure_scope()
    return render_template(
        "manage/kpi_participants.html",
        scope=scope,
        carried={k: v for k, v in scope.filters.as_dict().items() if v},
        members=counted_members(scope),
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


def _post_action_page(
    plan_year: PlanYear, log: FindingLog, draft: dict | None = None, status: int = 200
):
    """The post-action log; ``draft`` refills the action form a pick was refused in."""
    filter_form = PostActionFilterForm(request.args)
    kpi_args = _kpi_args() if log.filters.within is not None else {}
    items = action_items(db.session, plan_year)
    filter_form.kind.choices = select_choices([("", "Any kind"), *FindingKind.choices()])
    filter_form.member.choices = select_choices(
        [
            ("", "Any Member"),
            *((m.code, f"{m.name} ({m.code})") for m in members_by_name(db.session)),
        ]
    )
    filter_form.item.choices = select_choices(
        [("", "Any item"), *((item.code, label) for label, item in items)]
    )
    return (
        render_template(
            "manage/post_action.html",
            plan_year=plan_year,
            plan_years=list_plan_years(db.session),
            log=log,
            filter_form=filter_form,
            form=ActionForm(),
            confirm=ConfirmForm(),
            rules=finding_rules(),
            item_options=[label for label, _ in items],
            activity_options=[label for label, _ in action_activities(db.session, plan_year)],
            activity_years=[y.label for y in action_years(db.session, plan_year)],
            draft=draft or {},
            kpi_args=kpi_args,
            log_args={**log.filters.as_args(), **kpi_args},
        ),
        status,
    )


@bp.route("/post-action", methods=["GET"])
def post_action():
    plan_year = plan_year_arg()
    try:
        filters = _log_filters(plan_year)
        log = filtered_findings(db.session, plan_year, filters, clock.today())
    except FilterError as error:
        abort(400, f"Parameter {error}.")
    return _post_action_page(plan_year, log)


def _log_filters(plan_year: PlanYear) -> FindingFilters:
    """The post-action log's filters from the query string, kept to the findings a KPI
    3-(i) figure counts when the log was opened from one (FilterError names a bad one)."""
    filters = FindingFilters.parse(request.args)
    counted = _counted_findings(plan_year)
    if counted is not None:
        filters = dataclasses.replace(filters, within=findings_in_scope(counted))
    return filters


def _kpi_args() -> dict[str, str]:
    """``counted=kpi`` and the dashboard's ``kpi_*`` filters of the request, to carry on."""
    if request.args.get("counted") != "kpi":
        return {}
    return {
        k: v for k, v in request.args.items() if (k == "counted" or k.startswith(KPI_PREFIX)) and v
    }


# The dashboard's filters, on the post-action log (whose own filters take the plain names).
KPI_PREFIX = "kpi_"


def _counted_findings(plan_year: PlanYear) -> Scope | None:
    """With ``counted=kpi``, the scope of the KPI 3-(i) figure a link comes from (the
    dashboard's filters as ``kpi_member``, ``kpi_item``...); None otherwise. FilterError
    names a filter that is not valid."""
    if request.args.get("counted") != "kpi":
        return None
    values = {
        k.removeprefix(KPI_PREFIX): v.strip()
        for k, v in request.args.items()
        if k.startswith(KPI_PREFIX) and v.strip()
    }
    try:
        return Scope(db.session, plan_year, KpiFilters.parse(values), clock.today())
    except KpiError as error:
        raise FilterError(f"kpi_{error} (the dashboard's filters of KPI 3-(i))") from None


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
    """Record a planning action. The filters of the log it was sent from ride in the query
    string, to go back to the same view; a refused pick shows the form again, filled."""
    finding = db.session.get(Finding, finding_id) or abort(404)
    plan_year = finding.plan_year
    try:
        filters = _log_filters(plan_year)
        filtered_findings(db.session, plan_year, filters, clock.today())
    except FilterError:
        filters = FindingFilters()  # a bad filter in the address: back to the whole log
    form = ActionForm()
    picks = Picks()
    if not form.validate_on_submit():
        errors = {name: messages[0] for name, messages in form.errors.items() if messages}
        if "csrf_token" in errors:
            errors["decision"] = "The form had expired: send it again."
    else:
        picks = check_picks(db.session, plan_year, form.item.data, form.activity.data)
        errors = picks.errors
    if not errors:
        try:
            action = add_action(
                db.session,
                finding,
                form.decision.data,
                current_user,
                item_id=picks.item.id if picks.item is not None else None,
                activity_id=picks.activity_id,
            )
        except ActionError as error:
            db.session.rollback()
            errors["decision"] = str(error)
        else:
            audit("finding.action", finding, action.decision[:500])
            db.session.commit()
            flash("Planning action recorded.", "success")
            return redirect(
                url_for(
                    "manage.post_action",
                    year=plan_year.label,
                    **filters.as_args(),
                    **(_kpi_args() if filters.within is not None else {}),
                    _anchor=f"finding-{finding.id}",
                )
            )
    flash("The planning action was not recorded: " + " ".join(errors.values()), "error")
    log = filtered_findings(db.session, plan_year, filters, clock.today())
    if finding not in log.findings:  # the form stays in view, whatever the filters
        log.findings.insert(0, finding)
    draft = {
        "finding": finding.id,
        "decision": form.decision.data or "",
        "item": form.item.data or "",
        "activity": form.activity.data or "",
        "errors": errors,
    }
    return _post_action_page(plan_year, log, draft, 422)


@bp.route("/needs")
def needs():
    """The heatmap of the year's needs; with ``member``, ``area`` or ``priority`` (a cell,
    or a figure of the dashboard, whose filters come along), the answers behind it."""
    plan_year = plan_year_arg()
    area = (request.args.get("area") or "").strip()[:64] or None
    priority = (request.args.get("priority") or "").strip()[:32] or None
    try:
        filters = KpiFilters.parse(request.args)
        scope = Scope(db.session, plan_year, filters, clock.today())
    except KpiError as error:
        abort(400, f"Cannot show these needs: {error}")
    coverage, uncovered, high = needs_coverage(scope)
    priorities = need_priorities(scope)
    uncovered_set = {(u["member"], u["area"]) for u in uncovered}
    areas = sorted(scope.roles.areas, key=lambda key: scope.roles.area_labels.get(key, key))
    if area is not None and area not in scope.roles.area_labels:
        abort(400, f"Cannot show these needs: area {area!r} is not an area of the questionnaire")
    carried = {k: v for k, v in filters.as_dict().items() if v}
    drilled = bool(area or priority or carried)
    # Rows by Member name (members_by_name), as people look them up.
    member_names = {m.code: m.name for m in members_by_name(db.session)}
    answered = {code for code, _area in priorities}
    return render_template(
        "manage/needs.html",
        plan_year=plan_year,
        coverage=coverage,
        uncovered=uncovered_set,
        high=high,
        areas=areas,
        area_labels=scope.roles.area_labels,
        members=[code for code in member_names if code in answered],
        member_names=member_names,
        priorities=priorities,
        carried=carried,
        cell_filters={k: v for k, v in carried.items() if k != "member"},
        area=area,
        priority=priority,
        answers=need_answers(scope, area=area, priority=priority) if drilled else None,
    )


RESULT_NARROWING = ("member", "subregion", "item", "kind", "modality", "category", "serves")


def _results_page(plan_year: PlanYear, status: str | None, draft: dict | None = None):
    """The register; ``draft`` (ticked ids, or the one result, decision, reason, error)
    shows a refused review again as it was sent, with its error beside it. From a KPI
    3-(j) figure, the results it counts (the dashboard's filters, a Member, category or
    work-plan item of its charts)."""
    chosen = ResultStatus(status) if status else None
    narrowed = {k: request.args[k].strip() for k in RESULT_NARROWING if request.args.get(k)}
    try:
        scope = Scope(db.session, plan_year, KpiFilters.parse(narrowed), clock.today())
    except KpiError as error:
        abort(400, f"Cannot list these results: {error}")
    conditions = counted_result_conditions(
        scope, None, narrowed.get("category"), narrowed.get("serves")
    )
    return render_template(
        "manage/results.html",
        plan_year=plan_year,
        results=year_results(db.session, plan_year, chosen, conditions if narrowed else ()),
        status=status,
        categories=scope.roles.category_labels,
        decisions=[(s.value, label) for s, label in DECISIONS.items()],
        form=ReviewForm(formdata=None),
        draft=draft or {},
        narrowed=narrowed,
    ), (422 if draft else 200)


@bp.route("/results")
def results():
    chosen = enum_arg("status", ResultStatus)
    return _results_page(plan_year_arg(), chosen.value if chosen else None)


@bp.route("/results/<int:result_id>/review", methods=["POST"])
def result_review(result_id: int):
    result = db.session.get(TangibleResult, result_id) or abort(404)
    label = db.session.get(PlanYear, result.plan_year_id).label
    return _review(ReviewForm(), [result.id], label, single=True)


@bp.route("/results/review", methods=["POST"])
def results_review():
    """The same decision for the ticked results of the register."""
    form = ReviewForm()
    return _review(form, form.ids.data or [], plan_year_arg().label, single=False)


def _review_form_error(form: ReviewForm) -> str:
    if form.status.errors:
        return form.status.errors[-1]
    if form.ids.errors:
        return "The ticked results could not be read: reload the page."
    if form.reason.errors:
        return "Reason: at most 2,000 characters. Nothing was changed."
    return "The form had expired: nothing was changed. Send it again."


def _review(form: ReviewForm, ids: list[int], label: str, single: bool):
    """Check the decision, show what it will change, and record it once confirmed: one
    audit entry per result, as for a single decision."""
    shown = form.shown.data if form.shown.data in {s.value for s in ResultStatus} else None
    back = url_for(
        "manage.results",
        year=label,
        status=shown,
        **{k: request.args[k] for k in RESULT_NARROWING if request.args.get(k)},
        _anchor=f"result-{ids[0]}" if single and ids else None,
    )
    reason = (form.reason.data or "").strip()
    decision = ResultStatus(form.status.data) if form.validate_on_submit() else None
    error = _review_form_error(form) if decision is None else ""
    if decision is not None:
        try:
            results = results_by_ids(db.session, ids)
            if results[0].plan_year_id != get_plan_year(db.session, label).id:
                raise ReviewError(
                    f"These results do not belong to plan year {label}: nothing was changed."
                )
            if decision is ResultStatus.REJECTED and not reason:
                raise ReviewError(
                    "Say why the result"
                    + (" is" if len(results) == 1 else "s are")
                    + " rejected (the respondent's administration may ask): nothing was "
                    "changed."
                )
        except ReviewError as failure:
            error = str(failure)
    if error or decision is None:
        flash(error, "error")
        draft = {
            "ids": set(ids),
            "single": ids[0] if single and ids else None,
            "status": form.status.data if decision else None,
            "reason": form.reason.data or "",
            "error": error,
        }
        return _results_page(get_plan_year(db.session, label), shown, draft)
    if form.confirmed.data != "yes":
        return render_template(
            "manage/results_confirm.html",
            plan_year=get_plan_year(db.session, label),
            results=results,
            decision=decision,
            verb=DECISIONS[decision],
            reason=reason,
            shown=shown,
            single=single,
            back=back,
            categories=year_role_keys(db.session, get_plan_year(db.session, label)).category_labels,
            action=request.full_path.rstrip("?"),
            form=form,
        )
    befores = [snapshot(r, ("status", "reason")) for r in results]
    review_results(db.session, results, decision, current_user, reason)
    for before, result in zip(befores, results, strict=True):
        summary = changes(before, result) or f"status: {result.status.value!r} (unchanged)"
        if len(results) > 1:
            summary += f"; reviewed with {len(results) - 1} other result(s)"
        audit("result.review", result, summary)
    db.session.commit()
    if len(results) == 1:
        flash(f"Result {results[0].id}: {decision.label.lower()}.", "success")
    else:
        flash(f"{len(results)} results: {decision.label.lower()}.", "success")
    return redirect(back)


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
    definition = Definition.from_json(survey_round.version.definition)
    labels = None
    if values == "labels":
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
        exports.answer_widths(definition, labels or {}),
    )
    return Response(
        exports.file_chunks(handle),
        mimetype=("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        headers={"Content-Disposition": f"attachment; filename={stem}.xlsx"},
    )
