"""The scope a KPI is computed over: a plan year, filters, and the questions that carry
each KPI role in the questionnaire versions the year used.

Filters mean (docs/kpis.md says the same in words):
- ``kind``, ``modality``, ``item``: only activities of that kind, modality, or serving that
  work-plan item (and the rounds, answers, results and findings about them);
- ``member`` or ``subregion``: only that Member's (or those Members') people and answers:
  its participants, the responses it gave (a response speaks for a Member when it came
  through a personal invitation of a round that is not anonymous), its needs, its results;
  activities count when they hosted that Member or had its participants.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, and_, exists, false, or_, select, true
from sqlalchemy.orm import Session

from app.models import (
    Activity,
    ActivityKind,
    Answer,
    Attendance,
    Member,
    Modality,
    Participant,
    PlanYear,
    QuestionnaireKind,
    QuestionnaireVersion,
    Response,
    ResponseStatus,
    SubRegion,
    SurveyRound,
    WorkPlanItem,
    activity_items,
    activity_members,
)
from app.surveys.model import Definition, text_in


class KpiError(ValueError):
    pass


@dataclass(frozen=True)
class KpiFilters:
    member: str | None = None  # ISO code
    subregion: SubRegion | None = None
    item: str | None = None  # work-plan item code
    kind: ActivityKind | None = None
    modality: Modality | None = None

    def __post_init__(self) -> None:
        # Accept plain strings too (tests, scripts): store enums and upper-case codes.
        for name, enum_class in (
            ("subregion", SubRegion),
            ("kind", ActivityKind),
            ("modality", Modality),
        ):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, enum_class(value))
        if self.member:
            object.__setattr__(self, "member", self.member.strip().upper())

    @classmethod
    def parse(cls, values) -> KpiFilters:
        """From query-string values; anything unknown is a KpiError naming the filter."""

        def pick(enum_class, name):
            value = (values.get(name) or "").strip()
            if not value:
                return None
            try:
                return enum_class(value)
            except ValueError:
                raise KpiError(
                    f"{name}: {value!r} is not one of {', '.join(e.value for e in enum_class)}"
                ) from None

        return cls(
            member=(values.get("member") or "").strip().upper() or None,
            subregion=pick(SubRegion, "subregion"),
            item=(values.get("item") or "").strip() or None,
            kind=pick(ActivityKind, "kind"),
            modality=pick(Modality, "modality"),
        )

    def as_dict(self) -> dict:
        return {
            "member": self.member,
            "subregion": self.subregion.value if self.subregion else None,
            "item": self.item,
            "kind": self.kind.value if self.kind else None,
            "modality": self.modality.value if self.modality else None,
        }

    @property
    def on_activities(self) -> bool:
        return bool(self.item or self.kind or self.modality)

    @property
    def on_members(self) -> bool:
        return bool(self.member or self.subregion)


@dataclass
class RoleKeys:
    """Question keys carrying each KPI role in the versions a year used."""

    keys: dict[str, set[str]] = field(default_factory=dict)
    # dimension name -> [(question key, matrix row or "")]
    dimensions: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    # thematic area -> work-plan item codes (from the needs questionnaire's rows)
    areas: dict[str, set[str]] = field(default_factory=dict)
    # thematic area -> its label in the needs questionnaire
    area_labels: dict[str, str] = field(default_factory=dict)
    # tangible-result category -> its label in the follow-up questionnaire
    category_labels: dict[str, str] = field(default_factory=dict)
    # overall-satisfaction score ("1" to "5") -> its label ("Very dissatisfied")
    score_labels: dict[str, str] = field(default_factory=dict)

    def of(self, role: str) -> set[str]:
        return self.keys.get(role, set())

    def _add_choice_labels(self, question) -> None:
        """The labels people read for the scores of overall satisfaction and for the
        categories of tangible results."""
        labels = {
            "overall_satisfaction": self.score_labels,
            "tangible_result_category": self.category_labels,
        }.get(question.kpi or "")
        if labels is None:
            return
        for choice in question.choices:
            value = str(choice.value)
            labels.setdefault(value, text_in(choice.label) or value.replace("_", " "))

    def add(self, definition: Definition) -> None:
        for question in definition.all_questions():
            if question.kpi:
                if question.kpi.startswith("dimension:") and question.type == "likert":
                    self.dimensions.setdefault(question.kpi.split(":", 1)[1], set()).add(
                        (question.key, "")
                    )
                else:
                    self.keys.setdefault(question.kpi, set()).add(question.key)
            for row in question.rows:
                if row.get("kpi", "") and row["kpi"].startswith("dimension:"):
                    self.dimensions.setdefault(row["kpi"].split(":", 1)[1], set()).add(
                        (question.key, row["key"])
                    )
            self._add_choice_labels(question)
            if question.kpi == "need_priority":
                choices = {c.value: c for lst in definition.choice_lists.values() for c in lst}
                for row in question.rows:
                    self.area_labels.setdefault(
                        row["key"],
                        text_in(row.get("label")) or row["key"].replace("_", " "),
                    )
                    mapped = choices.get(row["key"])
                    if mapped is not None and mapped.items:
                        self.areas.setdefault(row["key"], set()).update(mapped.items)


class Scope:
    """One plan year and its filters, as reusable SQL pieces."""

    def __init__(self, session: Session, plan_year: PlanYear, filters: KpiFilters, today: date):
        self.session = session
        self.plan_year = plan_year
        self.filters = filters
        self.today = today
        self.member_ids = self._member_ids()
        self.roles = self._role_keys()

    def _member_ids(self) -> list[int] | None:
        if not self.filters.on_members:
            return None
        query = select(Member.id)
        if self.filters.member:
            query = query.where(Member.code == self.filters.member)
        if self.filters.subregion:
            query = query.where(Member.subregion == self.filters.subregion)
        ids = list(self.session.scalars(query))
        if self.filters.member and not ids:
            raise KpiError(f"member: no Member with the code {self.filters.member!r}")
        return ids

    def _role_keys(self) -> RoleKeys:
        return year_role_keys(self.session, self.plan_year)

    # -- activities ------------------------------------------------------------------------
    def activity_filter(self):
        """A condition on Activity for the activity filters and the Member filter."""
        conditions = [
            Activity.plan_year_id == self.plan_year.id,
            *self._kind_modality_item(self.plan_year.id),
        ]
        if self.member_ids is not None:
            conditions.append(
                or_(
                    exists().where(
                        activity_members.c.activity_id == Activity.id,
                        activity_members.c.member_id.in_(self.member_ids),
                    ),
                    exists().where(
                        Attendance.activity_id == Activity.id,
                        Attendance.participant_id == Participant.id,
                        Participant.member_id.in_(self.member_ids),
                    ),
                )
            )
        return and_(*conditions)

    def matching_activity_ids(self) -> Select:
        """Activities of any plan year that match the kind, modality and item filters
        (an item by its code): the rounds a year counts by their dates may be about an
        activity of the year before."""
        return select(Activity.id).where(*self._kind_modality_item(None))

    def _kind_modality_item(self, plan_year_id: int | None) -> list:
        """Conditions on Activity for the kind, modality and item filters; the item is
        looked for among ``plan_year_id``'s items, or any year's items with that code."""
        conditions = []
        if self.filters.kind:
            conditions.append(Activity.kind == self.filters.kind)
        if self.filters.modality:
            conditions.append(Activity.modality == self.filters.modality)
        if self.filters.item:
            item = [
                activity_items.c.activity_id == Activity.id,
                activity_items.c.work_plan_item_id == WorkPlanItem.id,
                WorkPlanItem.code == self.filters.item,
            ]
            if plan_year_id is not None:
                item.append(WorkPlanItem.plan_year_id == plan_year_id)
            conditions.append(exists().where(*item))
        return conditions

    def activity_ids(self) -> Select:
        return select(Activity.id).where(self.activity_filter())

    def delivered_cb_ids(self) -> Select:
        from app.models import ActivityStatus

        return select(Activity.id).where(
            self.activity_filter(),
            Activity.status == ActivityStatus.DELIVERED,
            Activity.counts_as_cb_activity,
        )

    def answers(self, kind: QuestionnaireKind, role: str, *columns) -> Select:
        """``select(*columns)`` over the submitted answers, in the plan year's rounds of
        ``kind``, to the questions that carry the KPI ``role`` (Answer, Response and
        SurveyRound joined; the caller adds its own conditions and grouping)."""
        return (
            select(*columns)
            .select_from(Answer)
            .join(Response, Response.id == Answer.response_id)
            .join(SurveyRound, SurveyRound.id == Response.round_id)
            .where(
                SurveyRound.plan_year_id == self.plan_year.id,
                SurveyRound.kind == kind,
                Response.status == ResponseStatus.SUBMITTED,
                Answer.question_key.in_(self.roles.of(role) or ["-"]),
            )
        )

    def member_condition(self, column):
        """``column`` (a member id) within the Member filter; true when unfiltered."""
        if self.member_ids is None:
            return true()
        if not self.member_ids:
            return false()
        return column.in_(self.member_ids)


def year_role_keys(session: Session, plan_year: PlanYear) -> RoleKeys:
    """The KPI roles and labels of every questionnaire version the year's rounds use."""
    roles = RoleKeys()
    definitions = session.scalars(
        select(QuestionnaireVersion.definition).where(
            QuestionnaireVersion.id.in_(
                select(SurveyRound.version_id).where(SurveyRound.plan_year_id == plan_year.id)
            )
        )
    )
    for data in definitions:
        roles.add(Definition.from_json(data))
    return roles
