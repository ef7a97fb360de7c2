"""A submitted response read back to a person: each section's answered questions with
their answers in words."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Answer, Response
from app.surveys.answers import values_from_rows
from app.surveys.model import Definition, text_in


@dataclass
class AnsweredQuestion:
    label: str
    value: str


def readable_answers(session: Session, response: Response) -> list[tuple[str, list]]:
    """(section title, [AnsweredQuestion]) for showing a response back."""
    definition = Definition.from_json(response.version.definition)
    values = values_from_rows(
        definition, list(session.scalars(select(Answer).where(Answer.response_id == response.id)))
    )
    sections = []
    for section in definition.sections:
        shown = []
        for question in section.questions:
            if question.key in values:
                shown.append(
                    AnsweredQuestion(
                        text_in(question.label), _readable(question, values[question.key])
                    )
                )
        if shown:
            sections.append((text_in(section.title), shown))
    return sections


def _readable(question, value: Any) -> str:
    labels = {c.value: text_in(c.label) for c in question.choices}
    if question.type == "matrix":
        rows = {r["key"]: text_in(r["label"]) for r in question.rows}
        return "; ".join(f"{rows.get(k, k)}: {labels.get(v, v)}" for k, v in value.items())
    if question.type == "multiple_choice":
        return ", ".join(labels.get(v, v) for v in value)
    if question.type == "repeat":
        return " | ".join(", ".join(str(v) for v in entry.values()) for entry in value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return labels.get(str(value), str(value))
