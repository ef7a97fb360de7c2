"""The evaluation report of one activity: distributions per question, comments, and the
minimum group size below which nothing but counts is shown. Used by the report page and
its PDF."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.common.names import ascii_slug
from app.models import (
    Activity,
    Answer,
    Attendance,
    QuestionnaireKind,
    Response,
    ResponseStatus,
    SurveyRound,
)
from app.surveys.model import Definition, Question, text_in

DISTRIBUTED = ("likert", "rating", "single_choice", "yes_no", "multiple_choice")


@dataclass
class QuestionResult:
    key: str
    label: str
    type: str
    counts: list[tuple[str, int]]  # (choice label, count) in scale order
    answered: int
    mean: float | None = None
    section: str = ""  # the questionnaire's title of the section the question is in
    nps: Nps | None = None  # for the question that asks whether one would recommend

    @property
    def rows(self) -> list[tuple[str, int, str]]:
        """(choice label, count, share of the answers as "44%") in scale order: what the
        page and the PDF both print."""
        return [(label, number, percent(number, self.answered)) for label, number in self.counts]

    @property
    def summary(self) -> str:
        """The line under the question: answers, and the mean or the NPS."""
        answers = f"{self.answered} answer{'' if self.answered == 1 else 's'}"
        if self.nps is not None:
            return f"{answers}, {self.nps.text}"
        if self.mean is not None:
            return f"{answers}, mean {self.mean}"
        return answers


@dataclass(frozen=True)
class Nps:
    """Net Promoter Score of a 0-10 "would you recommend" question: the percentage of
    promoters (9 or 10) minus the percentage of detractors (0 to 6), as in KPI 3-(h)."""

    promoters: int
    passives: int
    detractors: int

    @property
    def score(self) -> int:
        rated = self.promoters + self.passives + self.detractors
        return round((self.promoters - self.detractors) * 100 / rated) if rated else 0

    @property
    def text(self) -> str:
        return (
            f"NPS {self.score:+d} ({self.promoters} promoters, {self.passives} passives, "
            f"{self.detractors} detractors)"
        )

    @classmethod
    def of(cls, counts: dict[int, int]) -> Nps:
        return cls(
            promoters=sum(n for score, n in counts.items() if score >= 9),
            passives=sum(n for score, n in counts.items() if 7 <= score <= 8),
            detractors=sum(n for score, n in counts.items() if score <= 6),
        )


def percent(part: int, whole: int) -> str:
    """A share as a whole percentage ("44%"), rounded half up; "0%" of nothing."""
    if not whole:
        return "0%"
    return f"{(Decimal(part) * 100 / whole).quantize(Decimal(1), rounding='ROUND_HALF_UP')}%"


@dataclass
class ActivityReport:
    activity: Activity
    participants: int
    responses: int
    min_group: int
    questions: list[QuestionResult] = field(default_factory=list)
    comments: list[tuple[str, list[str]]] = field(default_factory=list)

    @property
    def sections(self) -> list[tuple[str, list[QuestionResult]]]:
        """The questions under their section titles, in questionnaire order."""
        grouped: list[tuple[str, list[QuestionResult]]] = []
        for question in self.questions:
            if not grouped or grouped[-1][0] != question.section:
                grouped.append((question.section, []))
            grouped[-1][1].append(question)
        return grouped

    @property
    def subtitle(self) -> str:
        """Plan year, dates and venue of the activity, in one line."""
        activity = self.activity
        parts = [f"Plan year {activity.plan_year.label}"]
        if activity.starts_on:
            ends_on = activity.ends_on or activity.starts_on
            parts.append(
                activity.starts_on.isoformat()
                if ends_on == activity.starts_on
                else f"{activity.starts_on.isoformat()} to {ends_on.isoformat()}"
            )
        if activity.venue:
            parts.append(activity.venue)
        return " · ".join(parts)

    @property
    def figures(self) -> str:
        """Participants, responses and the response rate, in one sentence."""
        rate = f" ({percent(self.responses, self.participants)})" if self.participants else ""
        return f"{self.participants} participants, {self.responses} responses{rate}."

    def file_name(self, extension: str) -> str:
        """A download name that says what and when, safe on any file system:
        ``evaluation-2025-09-15-regional-workshop-on-risk.pdf`` (the title in ASCII
        letters and digits, cut at 60 characters; the activity's number when the title
        has none)."""
        slug = ascii_slug(self.activity.title)
        when = self.activity.starts_on.isoformat() if self.activity.starts_on else ""
        name = "-".join(
            part for part in ("evaluation", when, slug or f"activity-{self.activity.id}") if part
        )
        return f"{name}.{extension}"

    @property
    def suppressed(self) -> bool:
        return self.responses < self.min_group

    @property
    def response_rate(self) -> float | None:
        return round(self.responses / self.participants, 4) if self.participants else None


def activity_report(session: Session, activity: Activity, min_group: int) -> ActivityReport:
    rounds = session.scalars(
        select(SurveyRound)
        .where(
            SurveyRound.activity_id == activity.id, SurveyRound.kind == QuestionnaireKind.EVALUATION
        )
        .order_by(SurveyRound.id)
    ).all()
    response_ids = select(Response.id).where(
        Response.round_id.in_([r.id for r in rounds] or [-1]),
        Response.status == ResponseStatus.SUBMITTED,
    )
    responses = session.scalar(select(func.count()).select_from(response_ids.subquery())) or 0
    participants = (
        session.scalar(
            select(func.count())
            .select_from(Attendance)
            .where(Attendance.activity_id == activity.id)
        )
        or 0
    )
    report = ActivityReport(activity, participants, responses, min_group)
    if report.suppressed or not rounds:
        return report
    definition = Definition.from_json(rounds[-1].version.definition)
    counts: dict[tuple[str, str], int] = {}
    for key, item, number, choice, total in session.execute(
        select(
            Answer.question_key, Answer.item, Answer.value_number, Answer.value_choice, func.count()
        )
        .where(Answer.response_id.in_(response_ids), Answer.entry == 0)
        .group_by(Answer.question_key, Answer.item, Answer.value_number, Answer.value_choice)
    ):
        value = choice if choice is not None else (str(int(number)) if number is not None else item)
        if key in {q.key for q in definition.questions() if q.type == "multiple_choice"}:
            value = item
        counts[(key, value)] = counts.get((key, value), 0) + total
    for section in definition.sections:
        for question in section.questions:
            if question.type in DISTRIBUTED:
                result = _distribution(question, counts)
                result.section = text_in(section.title)
                report.questions.append(result)
    comment_keys = [
        q for q in definition.questions() if q.type == "long_text" and q.kpi != "action_plan"
    ]
    texts: dict[str, list[str]] = {}
    for key, text in session.execute(
        select(Answer.question_key, Answer.value_text)
        .where(
            Answer.response_id.in_(response_ids),
            Answer.question_key.in_([q.key for q in comment_keys] or ["-"]),
            Answer.value_text.is_not(None),
        )
        .order_by(Answer.question_key, Answer.id)
    ):
        texts.setdefault(key, []).append(text or "")
    report.comments = [(text_in(q.label), texts[q.key]) for q in comment_keys if q.key in texts]
    return report


def _distribution(question: Question, counts: dict[tuple[str, str], int]) -> QuestionResult:
    """A question's answers per choice, in scale order, with its mean (likert, rating) or
    its NPS (the question the questionnaire marks ``kpi: recommend``)."""
    if question.type == "rating":
        # The ends carry the questionnaire's words: "0 – Not at all likely".
        ends = {0: text_in(question.low_label), 10: text_in(question.high_label)}
        scale = [(str(v), f"{v} – {ends[v]}" if ends.get(v) else str(v)) for v in range(11)]
    elif question.type == "yes_no":
        scale = [("yes", "Yes"), ("no", "No")]
    else:
        scale = [(c.value, text_in(c.label)) for c in question.choices]
        if question.type == "multiple_choice" and question.other:
            scale.append(("other", "Other"))
    rows = [(label, counts.get((question.key, value), 0)) for value, label in scale]
    answered = sum(n for _, n in rows)
    result = QuestionResult(question.key, text_in(question.label), question.type, rows, answered)
    if question.kpi == "recommend" and question.type == "rating":
        result.nps = Nps.of({int(v): counts.get((question.key, v), 0) for v, _ in scale})
    elif question.type in ("likert", "rating") and answered:
        total = sum(Decimal(v) * counts.get((question.key, v), 0) for v, _ in scale)
        result.mean = round(float(total / answered), 2)
    return result
