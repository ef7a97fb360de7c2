"""Loading earlier years' answers into a round (`flask responses import ROUND_ID FILE`).

The file has one row per response and one column per question key, named as in the forms
and the exports: ``key``, ``key-other``, ``key-<row>`` for matrix rows, ``key-<n>-<sub>``
for repeat entries (n from 0); a multiple choice lists its values separated by ";".
Optional columns: ``_member`` (ISO code the response speaks for) and ``_submitted_at``. A
second row of labels, as the exports write it, is skipped.

Every row is checked with the round's own questionnaire version, section by section, by
the same rules as the web forms. If any row has an error, nothing is imported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from app.common import clock
from app.common.tables import RowError, TableFileError, TableLimits, read_table, text_of
from app.models import Member, SurveyRound
from app.surveys.answers import clean, missing_answers
from app.surveys.model import Definition, visible_sections
from app.surveys.responses import store_submitted
from app.surveys.rounds import picker_options
from app.surveys.section_state import receive_section

META = ("_response_id", "_submitted_at", "_member")
# A year of a WCO-wide programme is about 25,000 responses; a questionnaire with matrices
# and repeat groups has a few hundred columns.
HISTORY_LIMITS = TableLimits.for_rows(100_000, "responses", bytes_per_row=16_384, columns=1_000)


@dataclass
class HistoryImport:
    rows: int = 0
    imported: int = 0
    problems: list[RowError] = field(default_factory=list)


def _formdata(header: list[str], cells: list[str], multiple: set[str]) -> MultiDict:
    data: MultiDict[str, str] = MultiDict()
    for name, value in zip(header, cells, strict=False):
        if not name or name in META or value == "":
            continue
        if name in multiple:
            for part in (p.strip() for p in value.split(";")):
                if part:
                    data.add(name, part)
        else:
            data.add(name, value)
    return data


def import_history(
    session: Session,
    survey_round: SurveyRound,
    filename: str,
    stream: BinaryIO,
    now: datetime | None = None,
    limits: TableLimits = HISTORY_LIMITS,
) -> HistoryImport:
    """Check every row of the file, then store them all, or nothing if any row is wrong.
    A row without ``_submitted_at`` is recorded as submitted at ``now``."""
    now = now or clock.utcnow()
    result = HistoryImport()
    table = read_table(filename, stream, limits)
    first = next(table, None)
    if first is None:
        raise TableFileError(f"{filename} is empty: row 1 must name the columns.")
    header = [text_of(c) for c in first]
    definition = Definition.from_json(survey_round.version.definition)
    known = _known_columns(definition)
    unknown = [h for h in header if h and h not in META and not _matches(h, known)]
    if unknown:
        raise TableFileError(
            f"{filename}: row 1 has columns that are not question keys of "
            f"{survey_round.version.label}: {', '.join(unknown)}"
        )
    multiple = {q.key for q in definition.questions() if q.type == "multiple_choice"}
    pickers = picker_options(session, survey_round.plan_year)
    members = dict(session.execute(select(Member.code, Member.id)).all())
    prepared = []
    for number, raw in enumerate(table, start=2):
        cells = [text_of(c) for c in raw]
        if not any(cells) or (number == 2 and cells[0] == "Response"):
            continue  # an empty row, or the labels row of an export
        result.rows += 1
        data = _formdata(header, cells, multiple)
        values, problems = _validate(definition, data, pickers, number)
        meta = dict(zip(header, cells, strict=False))
        member_id = None
        if meta.get("_member"):
            member_id = members.get(meta["_member"].upper())
            if member_id is None:
                problems.append(
                    RowError(number, "_member", f"{meta['_member']!r} is not a Member code")
                )
        submitted_at = now
        if meta.get("_submitted_at"):
            try:
                submitted_at = datetime.fromisoformat(meta["_submitted_at"])
                if submitted_at.tzinfo is None:
                    submitted_at = submitted_at.replace(tzinfo=UTC)
            except ValueError:
                problems.append(
                    RowError(number, "_submitted_at", "a date and time written YYYY-MM-DD HH:MM")
                )
        result.problems.extend(problems)
        prepared.append((values, member_id, submitted_at))
    if result.problems:
        return result
    for values, member_id, submitted_at in prepared:
        store_submitted(session, survey_round, definition, values, submitted_at, member_id)
        result.imported += 1
    return result


def _validate(definition: Definition, data: MultiDict, pickers, number: int):
    problems: list[RowError] = []
    values: dict = {}
    # Sections in order, each checked with the answers of the ones before (conditions).
    for section in definition.sections:
        if section not in visible_sections(definition, values):
            continue
        state = receive_section(definition, section, "en", pickers, values, data)
        for anchor, _label, message in state.errors:
            column = anchor.rsplit("-", 1)[0] if anchor.endswith("-0") else anchor
            problems.append(RowError(number, column, message))
        values.update(state.answers)
    values = clean(definition, values)
    if not problems:
        for _section, key, message in missing_answers(definition, values):
            problems.append(RowError(number, key, message))
    return values, problems


def _known_columns(definition: Definition) -> set[str]:
    names = set()
    for question in definition.questions():
        names.add(question.key)
        if question.type == "multiple_choice" and question.other:
            names.add(f"{question.key}-other")
        for row in question.rows:
            names.add(f"{question.key}-{row['key']}")
        for child in question.questions:
            names.add(f"{question.key}-*-{child.key}")
    return names


def _matches(name: str, known: set[str]) -> bool:
    if name in known:
        return True
    parts = name.split("-")
    return (
        len(parts) == 3
        and re.fullmatch(r"[0-9]{1,3}", parts[1]) is not None
        and f"{parts[0]}-*-{parts[2]}" in known
    )
