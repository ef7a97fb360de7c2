"""Answers in memory (see `app.surveys.model`) and as typed rows in the ``answers`` table."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext, ngettext

from app.surveys.model import (
    NUMBER_TYPES,
    OTHER_SUFFIX,
    Definition,
    Question,
    is_empty,
    prune_hidden,
    visible_children,
    visible_questions,
)

OTHER_ITEM = "__other__"


def _number(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def rows_for(question: Question, value: Any, entry: int = 0) -> list[dict]:
    """The answer rows of one question (without response_id)."""
    base = {"question_key": question.key, "entry": entry, "item": ""}
    qtype = question.type
    if is_empty(value) or qtype == "note":
        return []
    if qtype in ("text", "long_text"):
        return [{**base, "value_text": str(value)}]
    if qtype in NUMBER_TYPES:
        return [{**base, "value_number": _number(value)}]
    if qtype == "date":
        return [{**base, "value_date": value}]
    if qtype in ("yes_no", "single_choice", "member", "work_plan_item"):
        return [{**base, "value_choice": str(value)}]
    if qtype == "activity":
        return [{**base, "value_number": Decimal(int(value))}]
    if qtype == "multiple_choice":
        return [{**base, "item": str(v), "value_choice": str(v)} for v in value]
    if qtype == "matrix":
        return [
            {**base, "item": row, "value_choice": str(choice), "value_number": _number(choice)}
            for row, choice in value.items()
            if not is_empty(choice)
        ]
    if qtype == "repeat":
        rows = []
        for index, item in enumerate(value, start=1):
            for child in question.questions:
                rows.extend(rows_for(child, item.get(child.key), entry=index))
        return rows
    raise ValueError(f"unknown question type {qtype!r}")


def answer_rows(
    definition: Definition, questions: list[Question], values: dict[str, Any]
) -> list[dict]:
    rows: list[dict] = []
    for question in questions:
        rows.extend(rows_for(question, values.get(question.key)))
        other = values.get(question.key + OTHER_SUFFIX)
        if (
            question.type == "multiple_choice"
            and other
            and "other" in (values.get(question.key) or [])
        ):
            rows.append(
                {"question_key": question.key, "entry": 0, "item": OTHER_ITEM, "value_text": other}
            )
    return rows


def values_from_rows(definition: Definition, rows: Sequence[Any]) -> dict[str, Any]:
    """Answers rebuilt from stored rows (the inverse of `answer_rows`): `Answer` objects or
    result rows with the same column names."""
    values: dict[str, Any] = {}
    by_key = {q.key: q for q in definition.all_questions()}
    parents = {child.key: q for q in definition.questions() for child in q.questions}
    for row in sorted(rows, key=lambda r: (r.entry, r.question_key, r.item)):
        question = by_key.get(row.question_key)
        if question is None:
            continue
        value = _row_value(question, row)
        if row.entry and row.question_key in parents:
            entries = values.setdefault(parents[row.question_key].key, [])
            while len(entries) < row.entry:
                entries.append({})
            entries[row.entry - 1][question.key] = value
        elif question.type == "multiple_choice":
            if row.item == OTHER_ITEM:
                values[question.key + OTHER_SUFFIX] = row.value_text
            else:
                values.setdefault(question.key, []).append(row.value_choice)
        elif question.type == "matrix":
            values.setdefault(question.key, {})[row.item] = row.value_choice
        else:
            values[question.key] = value
    for question in definition.questions():
        if question.type == "multiple_choice" and question.key in values:
            order = question.choice_values()
            values[question.key].sort(key=lambda v: order.index(v) if v in order else 99)
    return values


def _row_value(question: Question, row: Any) -> Any:
    qtype = question.type
    if qtype in ("text", "long_text"):
        return row.value_text
    if qtype in ("integer", "likert", "rating"):
        return None if row.value_number is None else Decimal(int(row.value_number))
    if qtype == "decimal":
        return None if row.value_number is None else row.value_number.normalize()
    if qtype == "date":
        return row.value_date
    if qtype == "activity":
        return None if row.value_number is None else int(row.value_number)
    return row.value_choice


def missing_answers(definition: Definition, values: dict[str, Any]) -> list[tuple[int, str, str]]:
    """(section index, question key, message) for every visible required question left
    empty, and every repeat group with fewer entries than its minimum."""
    shown = visible_questions(definition, values)
    problems = []
    for section in definition.sections:
        for question in section.questions:
            if question.key not in shown:
                continue
            value = values.get(question.key)
            if question.type == "repeat":
                entries = value or []
                if len(entries) < question.min:
                    problems.append(
                        (
                            section.index,
                            question.key,
                            ngettext(
                                "Add at least %(num)d entry.",
                                "Add at least %(num)d entries.",
                                question.min,
                            ),
                        )
                    )
                for entry in entries:
                    visible = visible_children(question, entry, values)
                    for child in question.questions:
                        if (
                            child.key in visible
                            and child.required
                            and is_empty(entry.get(child.key))
                        ):
                            problems.append(
                                (section.index, question.key, gettext("Complete every entry."))
                            )
                            break
            elif question.required and (
                is_empty(value)
                or (
                    question.type == "matrix"
                    and any(is_empty((value or {}).get(r["key"])) for r in question.rows)
                )
            ):
                problems.append((section.index, question.key, gettext("Answer this question.")))
    return problems


def clean(definition: Definition, values: dict[str, Any]) -> dict[str, Any]:
    """Answers with hidden questions' answers discarded and empty values dropped."""
    return {k: v for k, v in prune_hidden(definition, values).items() if not is_empty(v)}


def to_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def values_to_json(values: dict[str, Any]) -> dict[str, Any]:
    """Answers as JSON-safe values (numbers as strings, dates as ISO text)."""

    def convert(value: Any) -> Any:
        if isinstance(value, Decimal):
            return format(value.normalize(), "f")
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, list):
            return [convert(v) for v in value]
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        return value

    return {k: convert(v) for k, v in values.items()}


def values_from_json(definition: Definition, data: Any) -> dict[str, Any]:
    """The inverse of `values_to_json`, checking types: anything malformed is dropped."""
    if not isinstance(data, dict):
        return {}
    values: dict[str, Any] = {}
    questions = {q.key: q for q in definition.questions()}
    for key, raw in data.items():
        base = str(key).removesuffix(OTHER_SUFFIX)
        question = questions.get(base)
        if question is None:
            continue
        if key != base:
            if isinstance(raw, str):
                values[key] = raw
            continue
        value = _from_json(question, raw)
        if value is not None:
            values[key] = value
    return values


def _from_json(question: Question, raw: Any) -> Any:
    qtype = question.type
    if qtype == "repeat":
        if not isinstance(raw, list):
            return None
        entries = []
        for item in raw:
            if isinstance(item, dict):
                entry = {c.key: _from_json(c, item.get(c.key)) for c in question.questions}
                entries.append({k: v for k, v in entry.items() if v is not None})
        return entries
    if qtype == "matrix":
        return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else None
    if qtype == "multiple_choice":
        return [str(v) for v in raw] if isinstance(raw, list) else None
    if qtype in NUMBER_TYPES:
        return _number(raw) if isinstance(raw, (str, int, float)) else None
    if qtype == "date":
        return to_date(raw)
    if qtype == "activity":
        return (
            int(raw)
            if isinstance(raw, int)
            or (isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 10)
            else None
        )
    return str(raw) if isinstance(raw, (str, int)) else None
