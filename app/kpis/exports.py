"""Exports: the year's KPI table (CSV, XLSX), a round's raw responses (CSV, XLSX, with
repeat groups apart) and the per-activity evaluation report (PDF).

Every cell that comes from a respondent is neutralised for spreadsheets: text starting
with =, +, -, @, a tab or a carriage return gets a leading apostrophe, so no spreadsheet
runs it as a formula. Response exports stream: responses are read in batches and written
row by row, so memory stays flat however many there are.
"""

from __future__ import annotations

import csv
import io
import math
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.common.names import ascii_slug
from app.kpis.figures import KpiReport
from app.models import (
    Activity,
    ActivityKind,
    Answer,
    Member,
    Response,
    ResponseStatus,
    SurveyRound,
    WorkPlanItem,
)
from app.surveys.answers import OTHER_ITEM
from app.surveys.model import Definition, text_in
from app.workplan.activities import item_code_key

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BATCH = 1000
CSV_CHUNK = 256 * 1024


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would run as a formula, made inert."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return neutralise(value)


# -- KPI table ------------------------------------------------------------------------------

# How a figure is written: a count, a share (0-1, a percentage in the XLSX), a mean
# (2 decimals) or a score (NPS, 1 decimal).
COUNT, SHARE, MEAN, SCORE = "count", "share", "mean", "score"
KIND_ORDER = {kind.value: index for index, kind in enumerate(ActivityKind)}
KIND_LABELS = dict(ActivityKind.choices())
ROUND_KINDS = {
    "needs_assessment": "Needs assessments",
    "evaluation": "Participant evaluations",
    "follow_up": "Follow-up surveys",
}
KPI_HEADER = ["Work-plan item", "Indicator", "Breakdown"]
BY_ITEM = "CB activities delivered, by work-plan item"


@dataclass(frozen=True)
class KpiLine:
    """One row of the KPI table: an indicator (``part`` empty) or one category of its
    breakdown, with this year's figure, the previous year's and the change."""

    item: str
    indicator: str
    part: str
    kind: str
    value: Any
    previous: Any
    change: Any


def _figures(r: KpiReport) -> dict[tuple[str, str, str], tuple[str, Any]]:
    """(item, indicator, breakdown category) -> (kind, figure), in the table's order."""
    surveys, activities, evaluation = r.surveys, r.activities, r.evaluation
    details = r.activity_details
    rounds, delivered, by_item = "Survey rounds conducted", "CB activities delivered", BY_ITEM
    dimensions = "Evaluation dimensions (mean, 1-5)"
    return {
        ("3-(f)", rounds, ""): (COUNT, surveys["rounds"]),
        **{
            ("3-(f)", rounds, label): (COUNT, surveys["by_kind"][kind])
            for kind, label in ROUND_KINDS.items()
        },
        ("3-(f)", "Invitations", ""): (COUNT, surveys["invitations"]),
        ("3-(f)", "Responses", ""): (COUNT, surveys["responses"]),
        ("3-(f)", "Response rate", ""): (SHARE, surveys["response_rate"]),
        ("3-(g)", delivered, ""): (COUNT, activities["delivered"]),
        **{
            ("3-(g)", delivered, KIND_LABELS.get(kind, kind)): (COUNT, n)
            for kind, n in activities["by_kind"].items()
        },
        ("3-(g)", by_item, ""): (COUNT, activities["delivered"]),
        **{("3-(g)", by_item, code): (COUNT, n) for code, n in details["by_item"].items()},
        ("3-(g)", "Participants", ""): (COUNT, activities["participants"]),
        ("3-(e)", "Women's share of participants", ""): (SHARE, activities["women_share"]),
        ("3-(g)", "Members reached", ""): (COUNT, activities["members_reached"]),
        ("3-(k)", "Activities for Small Island Economies", ""): (COUNT, details["sie_activities"]),
        ("3-(b)", "Experts used", ""): (COUNT, details["experts"]),
        ("3-(b)", "Experts used", "WCO-accredited"): (COUNT, details["accredited_experts"]),
        ("3-(g)", "High-priority needs covered", ""): (SHARE, activities["needs_coverage"]),
        ("3-(h)", "Evaluation responses", ""): (COUNT, evaluation.responses),
        ("3-(h)", "Evaluation response rate", ""): (SHARE, evaluation.response_rate),
        ("3-(h)", "Overall satisfaction (mean, 1-5)", ""): (MEAN, evaluation.overall_mean),
        ("3-(h)", "Satisfied (4 or 5)", ""): (SHARE, evaluation.top2_share),
        ("3-(h)", "Net Promoter Score", ""): (SCORE, evaluation.nps),
        ("3-(h)", "Knowledge gain (after minus before)", ""): (MEAN, evaluation.knowledge_gain),
        **{
            ("3-(h)", dimensions, name.replace("_", " ").capitalize()): (MEAN, value)
            for name, value in evaluation.dimensions.items()
        },
        ("3-(i)", "Findings flagged", ""): (COUNT, r.post_action["findings"]),
        ("3-(i)", "Findings with a planning action", ""): (COUNT, r.post_action["actioned"]),
        ("3-(i)", "Planning actions", ""): (COUNT, r.post_action["actions"]),
        ("3-(j)", "Tangible results verified", ""): (COUNT, r.tangible["verified"]),
        ("3-(j)", "Tangible results awaiting review", ""): (COUNT, r.tangible["reported"]),
        ("3-(j)", "Tangible results rejected", ""): (COUNT, r.tangible["rejected"]),
    }


def _part_order(key: tuple[str, str, str]) -> tuple:
    """Breakdown categories in a stable order whichever year has them: kinds as the plan
    lists them, items in the natural order of their codes, the rest by name."""
    _item, indicator, part = key
    if not part:
        return ()
    kinds = {label: KIND_ORDER[kind] for kind, label in KIND_LABELS.items() if kind in KIND_ORDER}
    if part in kinds and indicator.startswith("CB activities delivered"):
        return (0, kinds[part])
    if indicator == BY_ITEM:
        return (1, item_code_key(part))
    return (2,)  # as the report lists them (sorted() keeps that order)


def kpi_lines(report: KpiReport, previous: KpiReport | None) -> list[KpiLine]:
    """The table for the Annual Report. A category either year has is a row (one only
    in the previous year too); when the previous year is stored, a count missing from
    one year is 0 there, so its change is a number (+1, not blank). Rates and means
    stay empty when there is nothing to divide (docs/kpis.md)."""
    now = _figures(report)
    before = _figures(previous) if previous is not None else {}
    # Each indicator's rows together: the indicator, then the union of its categories.
    order: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for key in [*now, *before]:
        rows = order.setdefault(key[:2], [])
        if key not in rows:
            rows.append(key)
    # Items by their code in both years, named with this year's text (else last year's).
    titles = {
        **(previous.activity_details.get("item_titles", {}) if previous else {}),
        **report.activity_details.get("item_titles", {}),
    }
    lines = []
    for rows in order.values():
        head, parts = rows[0], sorted(rows[1:], key=_part_order)
        for key in [head, *parts]:
            kind = (now.get(key) or before[key])[0]
            value = now[key][1] if key in now else (0 if kind == COUNT else None)
            old = None
            if previous is not None:
                old = before[key][1] if key in before else (0 if kind == COUNT else None)
            item, indicator, part = key
            if indicator == BY_ITEM and part:
                part = f"{part} {titles.get(part, '')}".strip()
            change = _change(kind, value, old)
            lines.append(KpiLine(item, indicator, part, kind, value, old, change))
    return lines


def _change(kind: str, value: Any, old: Any) -> float | int | None:
    if not isinstance(value, (int, float)) or not isinstance(old, (int, float)):
        return None
    digits = {COUNT: 0, SHARE: 4, MEAN: 2, SCORE: 1}[kind]
    change = round(value - old, digits)
    return int(change) if kind == COUNT else change


def kpi_rows(report: KpiReport, previous: KpiReport | None) -> list[list[Any]]:
    """The KPI table as plain rows (the CSV): a header, then one row per `KpiLine`."""
    rows: list[list[Any]] = [
        [*KPI_HEADER, report.year, previous.year if previous else "Previous year", "Change"]
    ]
    for line in kpi_lines(report, previous):
        rows.append([line.item, line.indicator, line.part, line.value, line.previous, line.change])
    return rows


# Number formats of the XLSX: the figure, and its change (signed).
XLSX_FORMATS = {
    COUNT: ("#,##0", "+#,##0;-#,##0;0"),
    SHARE: ("0.0%", "+0.0%;-0.0%;0.0%"),
    MEAN: ("0.00", "+0.00;-0.00;0.00"),
    SCORE: ("0.0", "+0.0;-0.0;0.0"),
}
KPI_WIDTHS = {"A": 15, "B": 44, "C": 46, "D": 13, "E": 13, "F": 11}


def kpi_file_name(year: str, filters: dict[str, Any], today: date, extension: str) -> str:
    """``rocb-kpis-2025-2026-<filters>-<date>.<extension>``: what, for whom and when."""
    parts = ["rocb-kpis", year, *(str(v) for v in filters.values() if v), today.isoformat()]
    name = "-".join(parts)
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in name)
    return f"{safe}.{extension}"


def kpi_xlsx(
    report: KpiReport, previous: KpiReport | None, notes: list[str]
) -> tempfile.SpooledTemporaryFile:
    """The KPI table as a workbook formatted for the Annual Report: set column widths,
    bold indicators with their breakdown rows beneath (the indicator repeated in grey,
    the category in its own column), percentages for rates, signed changes, the header
    frozen and filterable; ``notes`` (year, filters, date) on a second sheet."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"KPIs {report.year}"[:31]
    header = kpi_rows(report, previous)[0]
    sheet.append(header)
    for column in sheet[1]:
        column.font = Font(bold=True, color="FFFFFF")
        column.fill = PatternFill("solid", fgColor="0B4F8A")
        column.alignment = Alignment(vertical="center", wrap_text=True)
    for line in kpi_lines(report, previous):
        sheet.append([line.item, line.indicator, line.part, line.value, line.previous, line.change])
        row = sheet[sheet.max_row]
        figure, change = XLSX_FORMATS[line.kind]
        for column in row[3:5]:
            column.number_format = figure
        row[5].number_format = change
        if line.part:
            row[1].font = Font(color="666666")
        else:
            for column in row[:3]:
                column.font = Font(bold=True)
        for column in row:
            column.alignment = Alignment(wrap_text=True, vertical="top")
        # Spreadsheets do not size wrapped rows on opening: room for every line of text.
        lines = max(
            math.ceil(len(str(row[index].value or "")) / (KPI_WIDTHS[letter] - 2))
            for index, letter in ((1, "B"), (2, "C"))
        )
        if lines > 1:
            sheet.row_dimensions[sheet.max_row].height = 15 * lines
    for letter, width in KPI_WIDTHS.items():
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "D2"
    # Printed (or saved as PDF): landscape, every column on one page wide, the header
    # repeated on each page.
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"
    sheet.auto_filter.ref = f"A1:F{sheet.max_row}"
    return _with_about(workbook, notes)


def _with_about(workbook: Workbook, notes: list[str]) -> tempfile.SpooledTemporaryFile:
    """The workbook with ``notes`` (what, for whom, when) on an "About" sheet, saved into
    a temporary file and returned open at its start (file_chunks() streams and closes it)."""
    about = workbook.create_sheet("About")
    about.column_dimensions["A"].width = 100
    for note in notes:
        about.append([neutralise(note)])
    handle = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    workbook.save(handle)
    handle.seek(0)
    return handle


def csv_lines(rows, chunk: int = CSV_CHUNK) -> Iterator[str]:
    """The rows as CSV after a byte-order mark (spreadsheets then read the file as
    UTF-8), in pieces of about ``chunk`` characters: a download is a few hundred writes,
    not one per row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff"
    for row in rows:
        writer.writerow([cell(v) for v in row])
        if buffer.tell() >= chunk:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate(0)
    if buffer.tell():
        yield buffer.getvalue()


def xlsx_file(sheets: dict[str, Iterator[list[Any]]]) -> tempfile.SpooledTemporaryFile:
    """A workbook written row by row (openpyxl write-only mode) into a temporary file."""
    workbook = Workbook(write_only=True)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title=title[:31])
        for row in rows:
            sheet.append([cell(v) for v in row])
    # Returned open: file_chunks() streams and closes it.
    handle = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    workbook.save(handle)
    handle.seek(0)
    return handle


def file_chunks(handle, size: int = 64 * 1024) -> Iterator[bytes]:
    try:
        while chunk := handle.read(size):
            yield chunk
    finally:
        handle.close()


# -- a round's responses --------------------------------------------------------------------


def response_columns(definition: Definition) -> list[tuple[str, str, str, str]]:
    """(column, question key, item, label) for every non-repeat answer column."""
    columns = []
    for question in definition.questions():
        label = text_in(question.label)
        if question.type in ("note", "repeat"):
            continue
        if question.type == "matrix":
            for row in question.rows:
                columns.append(
                    (
                        f"{question.key}-{row['key']}",
                        question.key,
                        row["key"],
                        f"{label}: {text_in(row['label'])}",
                    )
                )
            continue
        columns.append((question.key, question.key, "", label))
        if question.type == "multiple_choice" and question.other:
            columns.append((f"{question.key}-other", question.key, OTHER_ITEM, f"{label} (other)"))
    return columns


def repeat_columns(definition: Definition) -> list[tuple[str, list]]:
    return [(q.key, q.questions) for q in definition.questions() if q.type == "repeat"]


def stored_number(value: Any) -> Any:
    """A stored number as a spreadsheet number: whole numbers as int."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def response_batches(session: Session, round_id: int):
    """Submitted responses in id order, BATCH at a time, each with its answers as
    (question key, entry, item, value) tuples. Core rows, not ORM objects, so nothing
    accumulates in the session and memory stays flat."""
    connection = session.connection()
    last = 0
    while True:
        responses = connection.execute(
            select(Response.id, Response.submitted_at, Member.code)
            .outerjoin(Member, Member.id == Response.member_id)
            .where(
                Response.round_id == round_id,
                Response.status == ResponseStatus.SUBMITTED,
                Response.id > last,
            )
            .order_by(Response.id)
            .limit(BATCH)
        ).all()
        if not responses:
            return
        answers: dict[int, list] = {r[0]: [] for r in responses}
        # The batch's answers by id range (not a list of a thousand ids); the join keeps
        # them to this round's submitted responses.
        rows = connection.execute(
            select(
                Answer.response_id,
                Answer.question_key,
                Answer.entry,
                Answer.item,
                Answer.value_text,
                Answer.value_number,
                Answer.value_date,
                Answer.value_choice,
            )
            .join(Response, Response.id == Answer.response_id)
            .where(
                Response.round_id == round_id,
                Response.status == ResponseStatus.SUBMITTED,
                Response.id.between(responses[0][0], responses[-1][0]),
                Answer.response_id.between(responses[0][0], responses[-1][0]),
            )
            .order_by(Answer.response_id, Answer.entry, Answer.id)
        ).all()  # one fetch per batch: much faster than row by row
        for response_id, key, entry, item, text, number, day, choice in rows:
            value: object
            if text is not None:
                value = text
            elif number is not None:
                value = stored_number(number)
            elif day is not None:
                value = day
            else:
                value = choice
            answers[response_id].append((key, entry, item, value))
        yield responses, answers
        last = responses[-1][0]


# The Member column's key in the label maps of `answer_labels`.
MEMBER_COLUMN = "_member"


def answer_labels(
    session: Session, definition: Definition, plan_year_id: int
) -> dict[str, dict[Any, str]]:
    """For every question whose answer is stored as a code, code (as text) -> what a person reads:
    choice labels (English), "Yes"/"No", Member names with their code, activity titles,
    work-plan items with their text; under `MEMBER_COLUMN` the Members themselves. A code
    missing from its map (a choice dropped from the questionnaire) is shown as stored."""
    members = {
        code: f"{name} ({code})"
        for code, name in session.execute(select(Member.code, Member.name)).all()
    }
    yes_no = {c.value: text_in(c.label) for c in definition.choice_lists.get("yes_no", [])}
    pickers: dict[str, dict[Any, str]] = {"member": members}
    types = {q.type for q in definition.all_questions()}
    if "activity" in types:
        pickers["activity"] = {
            str(activity_id): title
            for activity_id, title in session.execute(
                select(Activity.id, Activity.title).where(Activity.plan_year_id == plan_year_id)
            ).all()
        }
    if "work_plan_item" in types:
        pickers["work_plan_item"] = {
            code: f"{code} {title}"
            for code, title in session.execute(
                select(WorkPlanItem.code, WorkPlanItem.title).where(
                    WorkPlanItem.plan_year_id == plan_year_id
                )
            ).all()
        }
    labels: dict[str, dict[Any, str]] = {MEMBER_COLUMN: members}
    for question in definition.all_questions():
        if question.choices:
            labels[question.key] = {c.value: text_in(c.label) for c in question.choices}
        elif question.type == "yes_no":
            labels[question.key] = yes_no or {"yes": "Yes", "no": "No"}
        elif question.type in pickers:
            labels[question.key] = pickers[question.type]
    return labels


def labelled(labels: dict[str, str], value: Any) -> Any:
    """The label of a stored code (a number such as a 1-5 scale point looked up as
    text); the value itself when it has none."""
    return labels.get(value if isinstance(value, str) else str(value), value)


def response_rows(
    session: Session,
    survey_round: SurveyRound,
    labels: dict[str, dict[Any, str]] | None = None,
) -> Iterator[list[Any]]:
    """One row per submitted response: keys, then labels, then the answers, as stored
    (codes) or, with ``labels`` (`answer_labels`), as people read them. What is needed
    from the round is read now; the rows are produced as they are consumed."""
    definition = Definition.from_json(survey_round.version.definition)
    columns = response_columns(definition)
    multiple = {q.key for q in definition.questions() if q.type == "multiple_choice"}
    return _response_rows(
        session, survey_round.id, survey_round.anonymous, columns, multiple, labels or {}
    )


def _response_rows(session, round_id, anonymous, columns, multiple, labels):
    yield ["_response_id", "_submitted_at", MEMBER_COLUMN, *(c[0] for c in columns)]
    yield ["Response", "Submitted", "Member", *(c[3] for c in columns)]
    members = labels.get(MEMBER_COLUMN, {})
    for responses, answers in response_batches(session, round_id):
        for response_id, submitted_at, member in responses:
            values: dict[tuple[str, str], Any] = {}
            for key, entry, item, value in answers[response_id]:
                if entry:
                    continue
                if key in multiple and item != OTHER_ITEM:
                    chosen = values.get((key, ""))
                    item = labelled(labels.get(key, {}), item)
                    values[(key, "")] = f"{chosen}; {item}" if chosen else item
                elif key in labels and key not in multiple:
                    values[(key, item)] = labelled(labels[key], value)
                else:
                    values[(key, item)] = value
            yield [
                response_id,
                submitted_at,
                None if anonymous or member is None else members.get(member, member),
                *(values.get((c[1], c[2])) for c in columns),
            ]


def repeat_rows(
    session: Session,
    survey_round: SurveyRound,
    labels: dict[str, dict[Any, str]] | None = None,
) -> Iterator[list[Any]]:
    """One row per repeat entry: response, group, entry number, then its answers (codes,
    or with ``labels`` what people read, as in `response_rows`)."""
    definition = Definition.from_json(survey_round.version.definition)
    groups = repeat_columns(definition)
    keys = sorted({child.key for _, children in groups for child in children})
    titles = {child.key: text_in(child.label) for _, children in groups for child in children}
    group_of = {child.key: group for group, children in groups for child in children}
    return _repeat_rows(session, survey_round.id, keys, titles, group_of, labels or {})


def _repeat_rows(session, round_id, keys, titles, group_of, labels):
    yield ["_response_id", "_group", "_entry", *keys]
    yield ["Response", "Group", "Entry", *(titles[k] for k in keys)]
    for responses, answers in response_batches(session, round_id):
        for response_id, _submitted, _member in responses:
            entries: dict[tuple[str, int], dict[str, Any]] = {}
            for key, entry, _item, value in answers[response_id]:
                if entry and key in group_of:
                    shown = labelled(labels[key], value) if key in labels else value
                    entries.setdefault((group_of[key], entry), {})[key] = shown
            for (group, entry), item in sorted(entries.items()):
                yield [response_id, group, entry, *(item.get(k) for k in keys)]


# Widths (characters) of the response workbook's columns, within these bounds: what the
# answers need (`answer_widths`), the label when nothing is known (labels wrap in the header).
NARROWEST, WIDEST = 10, 45
FIXED_WIDTHS = {"_response_id": 10, "_submitted_at": 17, MEMBER_COLUMN: 30, "_group": 18}
TYPE_WIDTHS = {"text": 30, "long_text": WIDEST, "date": 12, "integer": 10, "decimal": 10}


def answer_widths(definition: Definition, labels: dict[str, dict[str, str]]) -> dict[str, int]:
    """Column key -> a width that shows its answers: by type for text, dates and numbers,
    by the longest label (or code) for choices and pickers."""
    widths = dict(FIXED_WIDTHS)
    for question in definition.all_questions():
        shown = labels.get(question.key) or {c.value: c.value for c in question.choices}
        if question.type in TYPE_WIDTHS:
            width = TYPE_WIDTHS[question.type]
        elif shown:
            width = max(len(text) for text in shown.values()) + 2
            if question.type == "multiple_choice":
                width = WIDEST  # several labels, joined by "; "
        else:
            width = 12
        widths[question.key] = width
        for row in question.rows:
            widths[f"{question.key}-{row['key']}"] = width
        if question.other:
            widths[f"{question.key}-other"] = TYPE_WIDTHS["text"]
    return widths


DATE_FORMAT, MOMENT_FORMAT = "yyyy-mm-dd", "yyyy-mm-dd hh:mm"


def response_xlsx(
    sheets: dict[str, Iterator[list[Any]]], notes: list[str], widths: dict[str, int] | None = None
) -> tempfile.SpooledTemporaryFile:
    """A round's responses as a workbook people can read and sort: each sheet's rows are
    `response_rows`/`repeat_rows` (keys, labels, answers). The question labels make the
    first row (bold, wrapped, frozen, filterable), the keys the second (grey); dates and
    submission times are real dates (times in UTC), numbers numbers, text neutralised;
    ``notes`` (round, values as labels or codes, date) on an "About" sheet; ``widths``
    (`answer_widths`) by column key. Written row by row (write-only mode), so memory stays
    flat however many responses there are."""
    workbook = Workbook(write_only=True)
    bold = Font(bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor="0B4F8A")
    grey = Font(color="666666", italic=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title=title[:31])
        keys = next(rows)
        labels = next(rows)
        lines = 1
        for index, (key, label) in enumerate(zip(keys, labels, strict=True), start=1):
            known = (widths or {}).get(key) or len(str(label)) + 2
            width = min(WIDEST, max(NARROWEST, known))
            sheet.column_dimensions[get_column_letter(index)].width = width
            lines = max(lines, math.ceil(len(str(label)) / (width - 2)))
        # Spreadsheets do not size a wrapped row on opening: room for the longest label.
        sheet.row_dimensions[1].height = 15 * min(lines, 8)
        sheet.page_setup.orientation = "landscape"
        sheet.print_title_rows = "1:2"
        sheet.freeze_panes = "B3"
        sheet.append([_styled(sheet, label, bold, fill, wrap) for label in labels])
        sheet.append([_styled(sheet, key, grey) for key in keys])
        count = 0
        for row in rows:
            sheet.append([_typed(sheet, value) for value in row])
            count += 1
        sheet.auto_filter.ref = f"A2:{get_column_letter(max(1, len(keys)))}{count + 2}"
    return _with_about(workbook, notes)


def _styled(sheet, value: Any, font: Font, fill: PatternFill | None = None, align=None):
    styled = WriteOnlyCell(sheet, value=neutralise(value))
    styled.font = font
    if fill is not None:
        styled.fill = fill
    if align is not None:
        styled.alignment = align
    return styled


def _typed(sheet, value: Any) -> Any:
    """A value as a spreadsheet cell of its own type: dates and times with their format
    (times in UTC without the zone, which spreadsheets cannot store), whole numbers as
    integers, text neutralised, nothing as an empty cell."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        dated = WriteOnlyCell(sheet, value=value)
        dated.number_format = MOMENT_FORMAT
        return dated
    if isinstance(value, date):
        dated = WriteOnlyCell(sheet, value=value)
        dated.number_format = DATE_FORMAT
        return dated
    if value is None:
        return None
    return cell(value)


def round_about(survey_round: SurveyRound) -> str:
    """What a round's downloads hold, in a file name: the questionnaire kind, the
    activity's start date and title (the plan year for a round about no activity) and the
    round, e.g. ``evaluation-2025-09-15-regional-workshop-on-risk-round-4``."""
    activity = survey_round.activity
    about: list[str] = [survey_round.kind.value.replace("_", "-")]
    if activity is not None:
        if activity.starts_on:
            about.append(activity.starts_on.isoformat())
        about.append(ascii_slug(activity.title) or f"activity-{activity.id}")
    else:
        about.append(survey_round.plan_year.label)
    about.append(f"round-{survey_round.id}")
    return "-".join(about)


def round_file_stem(survey_round: SurveyRound, part: str, today: date) -> str:
    """`round_about`, the part and the day of the export:
    ``evaluation-2025-09-15-regional-workshop-on-risk-round-4-responses-2026-01-15``."""
    return f"{round_about(survey_round)}-{part}-{today.isoformat()}"
