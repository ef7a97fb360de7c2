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
import tempfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.kpis.figures import KpiReport
from app.models import Answer, Member, Response, ResponseStatus, SurveyRound
from app.surveys.answers import OTHER_ITEM
from app.surveys.model import Definition, text_in

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


def kpi_rows(report: KpiReport, previous: KpiReport | None) -> list[list[Any]]:
    """The table for the Annual Report: item, indicator, value, previous year, change."""

    def figures(r: KpiReport | None) -> dict[str, Any]:
        if r is None:
            return {}
        surveys, activities, evaluation = r.surveys, r.activities, r.evaluation
        return {
            "Survey rounds conducted": surveys["rounds"],
            "  needs assessments": surveys["by_kind"]["needs_assessment"],
            "  participant evaluations": surveys["by_kind"]["evaluation"],
            "  follow-up surveys": surveys["by_kind"]["follow_up"],
            "Invitations": surveys["invitations"],
            "Responses": surveys["responses"],
            "Response rate": surveys["response_rate"],
            "CB activities delivered": activities["delivered"],
            **{f"  {kind.replace('_', ' ')}": n for kind, n in activities["by_kind"].items()},
            "Participants": activities["participants"],
            "Women's share of participants (3-(e))": activities["women_share"],
            "Members reached": activities["members_reached"],
            "Activities for Small Island Economies (3-(k))": r.activity_details["sie_activities"],
            "Experts used (3-(b))": r.activity_details["experts"],
            "  of whom accredited": r.activity_details["accredited_experts"],
            "High-priority needs covered": activities["needs_coverage"],
            "Evaluation responses": evaluation.responses,
            "Evaluation response rate": evaluation.response_rate,
            "Overall satisfaction (mean, 1-5)": evaluation.overall_mean,
            "Satisfied (4 or 5)": evaluation.top2_share,
            "Net Promoter Score": evaluation.nps,
            "Knowledge gain (after minus before)": evaluation.knowledge_gain,
            **{f"  {name}": value for name, value in evaluation.dimensions.items()},
            "Findings flagged": r.post_action["findings"],
            "Findings with a planning action": r.post_action["actioned"],
            "Planning actions": r.post_action["actions"],
            "Tangible results verified": r.tangible["verified"],
            "Tangible results awaiting review": r.tangible["reported"],
            "Tangible results rejected": r.tangible["rejected"],
        }

    items = {
        "Survey rounds conducted": "3-(f)",
        "CB activities delivered": "3-(g)",
        "Evaluation responses": "3-(h)",
        "Findings flagged": "3-(i)",
        "Tangible results verified": "3-(j)",
    }
    now, before = figures(report), figures(previous)
    rows: list[list[object]] = [
        [
            "Work-plan item",
            "Indicator",
            report.year,
            previous.year if previous else "Previous year",
            "Change",
        ]
    ]
    item = ""
    for name, value in now.items():
        item = items.get(name, item)
        old = before.get(name)
        change = (
            round(value - old, 4)
            if isinstance(value, (int, float)) and isinstance(old, (int, float))
            else ""
        )
        rows.append(
            [item, name, "" if value is None else value, "" if old is None else old, change]
        )
    return rows


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


def response_rows(session: Session, survey_round: SurveyRound) -> Iterator[list[Any]]:
    """One row per submitted response: keys, then labels, then the answers. What is needed
    from the round is read now; the rows are produced as they are consumed."""
    definition = Definition.from_json(survey_round.version.definition)
    columns = response_columns(definition)
    multiple = {q.key for q in definition.questions() if q.type == "multiple_choice"}
    return _response_rows(session, survey_round.id, survey_round.anonymous, columns, multiple)


def _response_rows(session, round_id, anonymous, columns, multiple):
    yield ["_response_id", "_submitted_at", "_member", *(c[0] for c in columns)]
    yield ["Response", "Submitted", "Member", *(c[3] for c in columns)]
    for responses, answers in response_batches(session, round_id):
        for response_id, submitted_at, member in responses:
            values: dict[tuple[str, str], Any] = {}
            for key, entry, item, value in answers[response_id]:
                if entry:
                    continue
                if key in multiple and item != OTHER_ITEM:
                    chosen = values.get((key, ""))
                    values[(key, "")] = f"{chosen}; {item}" if chosen else item
                else:
                    values[(key, item)] = value
            yield [
                response_id,
                submitted_at,
                None if anonymous else member,
                *(values.get((c[1], c[2])) for c in columns),
            ]


def repeat_rows(session: Session, survey_round: SurveyRound) -> Iterator[list[Any]]:
    """One row per repeat entry: response, group, entry number, then its answers."""
    definition = Definition.from_json(survey_round.version.definition)
    groups = repeat_columns(definition)
    keys = sorted({child.key for _, children in groups for child in children})
    labels = {child.key: text_in(child.label) for _, children in groups for child in children}
    group_of = {child.key: group for group, children in groups for child in children}
    return _repeat_rows(session, survey_round.id, keys, labels, group_of)


def _repeat_rows(session, round_id, keys, labels, group_of):
    yield ["_response_id", "_group", "_entry", *keys]
    yield ["Response", "Group", "Entry", *(labels[k] for k in keys)]
    for responses, answers in response_batches(session, round_id):
        for response_id, _submitted, _member in responses:
            entries: dict[tuple[str, int], dict[str, Any]] = {}
            for key, entry, _item, value in answers[response_id]:
                if entry and key in group_of:
                    entries.setdefault((group_of[key], entry), {})[key] = value
            for (group, entry), item in sorted(entries.items()):
                yield [response_id, group, entry, *(item.get(k) for k in keys)]
