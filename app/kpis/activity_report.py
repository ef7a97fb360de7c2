"""The evaluation report of one activity: distributions per question, comments, and the
minimum group size below which nothing but counts is shown. Used by the report page and
its PDF."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import (
    Activity,
    Answer,
    Attendance,
    QuestionnaireKind,
    Response,
    ResponseStatus,
    SurveyRound,
)
from app.surveys.model import Definition, text_in

FONTS = Path(__file__).resolve().parents[2] / "static" / "fonts"
DISTRIBUTED = ("likert", "rating", "single_choice", "yes_no", "multiple_choice")


@dataclass
class QuestionResult:
    key: str
    label: str
    type: str
    counts: list[tuple[str, int]]  # (choice label, count) in scale order
    answered: int
    mean: float | None = None


@dataclass
class ActivityReport:
    activity: Activity
    participants: int
    responses: int
    min_group: int
    questions: list[QuestionResult] = field(default_factory=list)
    comments: list[tuple[str, list[str]]] = field(default_factory=list)

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
    for question in definition.questions():
        if question.type not in DISTRIBUTED:
            continue
        if question.type == "rating":
            scale = [(str(v), str(v)) for v in range(11)]
        elif question.type == "yes_no":
            scale = [("yes", "Yes"), ("no", "No")]
        else:
            scale = [(c.value, text_in(c.label)) for c in question.choices]
            if question.type == "multiple_choice" and question.other:
                scale.append(("other", "Other"))
        rows = [(label, counts.get((question.key, value), 0)) for value, label in scale]
        answered = sum(n for _, n in rows)
        mean = None
        if question.type in ("likert", "rating") and answered:
            mean = round(
                float(
                    sum(Decimal(v) * counts.get((question.key, v), 0) for v, _ in scale) / answered
                ),
                2,
            )
        report.questions.append(
            QuestionResult(
                question.key, text_in(question.label), question.type, rows, answered, mean
            )
        )
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


def report_pdf(report: ActivityReport) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.set_font("DejaVu", "B", 15)
    pdf.multi_cell(width, 8, f"Evaluation report: {report.activity.title}")
    pdf.set_font("DejaVu", "", 10)
    dates = ""
    if report.activity.starts_on:
        dates = (
            f"{report.activity.starts_on.isoformat()} to "
            f"{(report.activity.ends_on or report.activity.starts_on).isoformat()}, "
        )
    rate = f"{report.response_rate:.0%}" if report.response_rate is not None else "n/a"
    pdf.multi_cell(
        width,
        6,
        f"{dates}{report.participants} participants, "
        f"{report.responses} responses (response rate {rate}).",
    )
    pdf.ln(2)
    if report.suppressed:
        pdf.multi_cell(
            width,
            6,
            f"Fewer than {report.min_group} responses: results are not "
            "shown, so that no one's answers can be recognised.",
        )
        return bytes(pdf.output())
    for question in report.questions:
        pdf.set_font("DejaVu", "B", 10)
        title = question.label + (f" (mean {question.mean})" if question.mean is not None else "")
        pdf.multi_cell(width, 6, title)
        pdf.set_font("DejaVu", "", 9)
        for label, number in question.counts:
            share = number / question.answered if question.answered else 0
            pdf.cell(70, 5, label[:45])
            pdf.set_fill_color(11, 79, 138)
            bar = max(share * 80, 0.2)
            pdf.cell(bar, 4, "", fill=True)
            pdf.cell(90 - bar, 5, f"  {number} ({share:.0%})", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    for label, texts in report.comments:
        pdf.set_font("DejaVu", "B", 10)
        pdf.multi_cell(width, 6, label)
        pdf.set_font("DejaVu", "", 9)
        for text in texts:
            pdf.multi_cell(width, 5, f"• {text}")
        pdf.ln(2)
    return bytes(pdf.output())
