"""Staff pages: the plan-year overview, activities, Members (administrators edit them)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import Select, select

from app.accounts.users import contact_points_by_member
from app.common import clock
from app.common.audit import changes, snapshot
from app.common.choices import select_choices
from app.extensions import db
from app.kpis.drilldown import ActivityBreakdown, counted_activity_ids, drill_filters
from app.kpis.scope import KpiError, Scope
from app.manage.blueprint import bp
from app.manage.forms import ActivityFilterForm, ActivityForm, MemberForm, PlanFilterForm
from app.models import ActivityKind, ActivityStatus, Member, Modality, PlanYear
from app.surveys.rounds import activity_rounds
from app.web.access import admin_required
from app.web.audit import audit
from app.web.forms import ConfirmForm
from app.web.lookups import activity_or_404, plan_year_or_404, this_plan_year
from app.web.params import enum_arg, page_arg
from app.workplan.activities import (
    ActivityData,
    ActivityError,
    ActivityFilters,
    create_activity,
    list_activities,
    participant_counts,
    plan_overview,
    update_activity,
    year_items,
)
from app.workplan.members import (
    MemberData,
    MemberError,
    member_overview,
    members_by_name,
    members_by_subregion,
    update_member,
)
from app.workplan.plan_years import list_plan_years

ACTIVITY_FIELDS = (
    "title",
    "kind",
    "status",
    "modality",
    "starts_on",
    "ends_on",
    "venue",
    "experts",
    "accredited_experts",
    "follow_up_months",
    "members",
    "items",
)


@bp.route("/")
def home():
    plan_year = this_plan_year()
    if plan_year is None:
        return render_template("manage/no_plan.html")
    return redirect(url_for("manage.plan", label=plan_year.label))


PLAN_FILTERS = ("item", "kind", "modality", "status")


@bp.route("/plan/<label>")
def plan(label: str):
    """The plan year's activities, each once with the items it serves as tags, filtered
    by the GET parameters item, kind, modality and status."""
    plan_year = plan_year_or_404(label)
    filters = ActivityFilters(
        item=(request.args.get("item") or "").strip() or None,
        kind=enum_arg("kind", ActivityKind),
        modality=enum_arg("modality", Modality),
        status=enum_arg("status", ActivityStatus),
    )
    overview = plan_overview(db.session, plan_year, filters)
    codes = [item.code for item in overview.items]
    if filters.item and filters.item not in codes:
        abort(
            400, f"Parameter item: {filters.item!r} is not an item of the {plan_year.label} plan."
        )
    form = PlanFilterForm(request.args)
    form.item.choices = select_choices(
        [("", "Any item"), *((i.code, f"{i.code} {_short(i.title)}") for i in overview.items)]
    )
    args = {k: request.args[k] for k in PLAN_FILTERS if request.args.get(k)}
    return render_template(
        "manage/plan.html",
        plan_year=plan_year,
        plan_years=list_plan_years(db.session),
        overview=overview,
        form=form,
        args=args,
        chosen_item=next((i for i in overview.items if i.code == filters.item), None),
    )


def _short(text: str, limit: int = 60) -> str:
    """An item's title cut to fit a select on a phone (the full text is on the page)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _filter_choices(form: ActivityFilterForm, plan_year: PlanYear) -> None:
    items = year_items(db.session, plan_year)
    form.item.choices = select_choices([("", "Any item"), *((i.code, i.code) for i in items)])
    form.member.choices = select_choices(
        [
            ("", "Any Member"),
            *((m.code, f"{m.name} ({m.code})") for m in members_by_name(db.session)),
        ]
    )


# The query parameters of a link from a dashboard figure that the filter form does not
# show: kept in hidden fields, so filtering further stays within the figure's records.
COUNTED_ONLY = ("counted", "subregion", "modality", "host_subregion", "pillar", "serves", "sie")


def _counted(plan_year: PlanYear) -> tuple[Select, list[str]] | None:
    """With ``counted=delivered`` (a link from the KPI dashboard), the delivered
    capacity-building activities that figure counts, with the dashboard's filters and
    the bar or row followed, and those conditions in words; None otherwise."""
    if request.args.get("counted") != "delivered":
        return None
    filters = drill_filters(request.args)
    breakdown = ActivityBreakdown.parse(request.args)
    scope = Scope(db.session, plan_year, filters, clock.today())
    notes = []
    if filters.member:
        name = db.session.scalar(select(Member.name).where(Member.code == filters.member))
        notes.append(f"Member: {name} ({filters.member}), as host or through its participants")
    if filters.subregion:
        notes.append(f"Sub-region: {filters.subregion.label}, as host or through participants")
    if filters.kind:
        notes.append(f"Kind: {filters.kind.label}")
    if filters.modality or breakdown.no_modality:
        notes.append(f"Modality: {filters.modality.label if filters.modality else 'not set'}")
    for code in (filters.item, breakdown.serves):
        if code:
            notes.append(f"Serves work-plan item {code}")
    if breakdown.pillar is not None:
        notes.append(f"Serves an item of pillar {breakdown.pillar}")
    if breakdown.host_subregion:
        notes.append(f"A host Member in {breakdown.host_subregion.label}")
    if breakdown.small_islands:
        notes.append("A Small Island Economy among the host Members")
    return counted_activity_ids(scope, breakdown), notes


@bp.route("/plan/<label>/activities")
def activities(label: str):
    plan_year = plan_year_or_404(label)
    form = ActivityFilterForm(request.args)
    _filter_choices(form, plan_year)
    form.validate()
    try:
        counted = _counted(plan_year)
    except KpiError as error:
        abort(400, f"Cannot show these activities: {error}")
    filters = ActivityFilters(
        year=plan_year.label,
        item=request.args.get("item") or None,
        member=request.args.get("member") or None,
        kind=enum_arg("kind", ActivityKind),
        status=enum_arg("status", ActivityStatus),
        text=(request.args.get("q") or "").strip()[:100] or None,
    )
    if counted is not None:
        # The dashboard's filters mean what they mean there (a Member as host or through
        # its participants): the figure's own selection applies them.
        filters.item = filters.member = filters.kind = None
        filters.within = counted[0]
    page = page_arg()
    per_page = current_app.config["ACTIVITIES_PER_PAGE"]
    rows, total = list_activities(db.session, filters, page, per_page)
    pages = max((total + per_page - 1) // per_page, 1)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "manage/activities.html",
        plan_year=plan_year,
        form=form,
        activities=rows,
        counts=participant_counts(db.session, [a.id for a in rows]),
        total=total,
        page=page,
        pages=pages,
        args=args,
        filtered=any(args.values()),
        counted_notes=counted[1] if counted is not None else None,
        counted_hidden={k: args[k] for k in COUNTED_ONLY if k in args},
    )


def _form_choices(form: ActivityForm, plan_year: PlanYear) -> dict:
    members = members_by_subregion(db.session)
    items = year_items(db.session, plan_year)
    form.members.choices = select_choices((m.id, f"{m.name} ({m.code})") for m in members)
    form.items.choices = select_choices((i.id, f"{i.code} {i.title}") for i in items)
    member_groups: dict[str, list] = {}
    for member in members:
        member_groups.setdefault(member.subregion.label, []).append(
            (member.id, f"{member.name} ({member.code})")
        )
    item_groups: dict[str, list] = {}
    for item in items:
        item_groups.setdefault(f"Pillar {item.pillar}", []).append(
            (item.id, f"{item.code} {item.title}")
        )
    return {
        "items": items,
        "member_groups": list(member_groups.items()),
        "item_groups": list(item_groups.items()),
    }


def _data_from(form: ActivityForm) -> ActivityData:
    return ActivityData(
        title=form.title.data or "",
        kind=form.kind.data,
        status=form.status.data,
        modality=form.modality.data,
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        venue=form.venue.data or "",
        experts=form.experts.data or 0,
        accredited_experts=form.accredited_experts.data or 0,
        follow_up_months=form.follow_up_months.data or "",
        member_ids=list(form.members.data or []),
        item_ids=list(form.items.data or []),
    )


@bp.route("/plan/<label>/activities/new", methods=["GET", "POST"])
def activity_new(label: str):
    plan_year = plan_year_or_404(label)
    form = ActivityForm()
    options = _form_choices(form, plan_year)
    if request.method == "GET":
        item_code = request.args.get("item")
        preselected = [i.id for i in options["items"] if i.code == item_code]
        form.items.data = preselected
    if form.validate_on_submit():
        try:
            activity = create_activity(db.session, plan_year, _data_from(form))
        except ActivityError as error:
            db.session.rollback()
            getattr(form, error.field).errors.append(error.message)
        else:
            audit("activity.create", activity, activity.title)
            db.session.commit()
            flash(f"Activity “{activity.title}” created.", "success")
            return redirect(url_for("manage.activity", activity_id=activity.id))
    return _render_form(form, options, plan_year, None)


@bp.route("/activities/<int:activity_id>")
def activity(activity_id: int):
    activity = activity_or_404(activity_id)
    return render_template(
        "manage/activity.html",
        activity=activity,
        participant_count=participant_counts(db.session, [activity.id]).get(activity.id, 0),
        rounds=activity_rounds(db.session, activity),
        confirm=ConfirmForm(),
    )


@bp.route("/activities/<int:activity_id>/edit", methods=["GET", "POST"])
def activity_edit(activity_id: int):
    activity = activity_or_404(activity_id)
    form = ActivityForm(obj=activity if request.method == "GET" else None)
    options = _form_choices(form, activity.plan_year)
    if request.method == "GET":
        form.members.data = [m.id for m in activity.members]
        form.items.data = [i.id for i in activity.items]
    if form.validate_on_submit():
        before = snapshot(activity, ACTIVITY_FIELDS)
        try:
            update_activity(db.session, activity, _data_from(form))
        except ActivityError as error:
            db.session.rollback()
            getattr(form, error.field).errors.append(error.message)
        else:
            audit("activity.update", activity, changes(before, activity))
            db.session.commit()
            flash("Changes saved.", "success")
            return redirect(url_for("manage.activity", activity_id=activity.id))
    return _render_form(form, options, activity.plan_year, activity)


def _render_form(form, options, plan_year, activity):
    status = 400 if request.method == "POST" else 200
    return (
        render_template(
            "manage/activity_form.html",
            form=form,
            plan_year=plan_year,
            activity=activity,
            member_groups=options["member_groups"],
            item_groups=options["item_groups"],
        ),
        status,
    )


MEMBER_FIELDS = ("name", "is_small_island_economy", "active", "joined_on")


@bp.route("/members")
def members():
    return render_template(
        "manage/members.html",
        groups=member_overview(db.session),
        contact_points=contact_points_by_member(db.session),
        may_edit=current_user.is_admin,
    )


@bp.route("/members/<code>/edit", methods=["GET", "POST"])
@admin_required
def member_edit(code: str):
    """Administrators change a Member's name, flags and joining date; other staff get 403."""
    member = db.session.scalar(select(Member).where(Member.code == code.upper())) or abort(404)
    form = MemberForm(obj=member if request.method == "GET" else None)
    if form.validate_on_submit():
        before = snapshot(member, MEMBER_FIELDS)
        try:
            update_member(
                db.session,
                member,
                MemberData(
                    name=form.name.data or "",
                    is_small_island_economy=bool(form.is_small_island_economy.data),
                    active=bool(form.active.data),
                    joined_on=form.joined_on.data,
                ),
                clock.today(),
            )
        except MemberError as error:
            db.session.rollback()
            getattr(form, error.field).errors.append(error.message)
        else:
            audit("member.update", member, changes(before, member))
            db.session.commit()
            flash(f"{member.name} ({member.code}) saved.", "success")
            return redirect(url_for("manage.members", _anchor=f"member-{member.code}"))
    return (
        render_template("manage/member_form.html", member=member, form=form),
        400 if request.method == "POST" else 200,
    )


@bp.route("/activities")
def activities_current():
    plan_year = this_plan_year()
    if plan_year is None:
        return render_template("manage/no_plan.html")
    return redirect(url_for("manage.activities", label=plan_year.label, **request.args))
