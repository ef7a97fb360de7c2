"""Answers read back to a person, in questionnaire order and in words: the review before
the final submit, the respondent's copy (page, PDF, email) and a contact point's view of
their administration's needs assessment.

Choices read as their labels, pickers as the Member's name, the activity's title or the
work-plan item, a matrix as one row per statement in the questionnaire's order, a repeat
group as one block per entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Answer, Response
from app.surveys.answers import values_from_rows
from app.surveys.model import (
    OTHER_SUFFIX,
    PICKER_TYPES,
    Definition,
    PickerOptions,
    Question,
    text_in,
    visible_children,
    visible_questions,
)


@dataclass
class ReadAnswer:
    """One question and its answer: ``value`` in words, or ``rows`` (a matrix: statement,
    choice) or ``entries`` (a repeat group: per entry, its questions and answers)."""

    key: str
    label: str
    value: str = ""
    answered: bool = True
    rows: list[tuple[str, str]] = field(default_factory=list)
    entries: list[list[tuple[str, str]]] = field(default_factory=list)

    def text(self) -> str:
        """The answer as plain text (for the PDF and the email)."""
        if self.rows:
            return "\n".join(f"{row}: {choice}" for row, choice in self.rows)
        if self.entries:
            return "\n".join(
                f"{index}. " + "; ".join(f"{label}: {value}" for label, value in entry)
                for index, entry in enumerate(self.entries, start=1)
            )
        return self.value


@dataclass
class ReadSection:
    index: int
    title: str
    answers: list[ReadAnswer]


def picker_kinds(definition: Definition) -> set[str]:
    """The picker lists a readback of ``definition`` needs (none for most)."""
    return {q.type for q in definition.all_questions() if q.type in PICKER_TYPES}


def read_answers(
    definition: Definition,
    values: dict[str, Any],
    lang: str = "en",
    pickers: PickerOptions | None = None,
    *,
    unanswered: bool = True,
) -> list[ReadSection]:
    """Every visible question of ``definition`` with its answer in ``values``, by section.
    With ``unanswered`` a visible question without an answer reads "Not answered";
    without, it is left out (and so is a section left empty)."""
    pickers = pickers or PickerOptions()
    shown = visible_questions(definition, values)
    sections = []
    for section in definition.sections:
        read = []
        for question in section.questions:
            if question.key not in shown or not question.is_input:
                continue
            if question.key not in values:
                if unanswered:
                    read.append(
                        ReadAnswer(
                            question.key,
                            text_in(question.label, lang),
                            gettext("Not answered"),
                            answered=False,
                        )
                    )
                continue
            read.append(_read(question, values, lang, pickers))
        if read:
            sections.append(ReadSection(section.index, text_in(section.title, lang), read))
    return sections


def response_answers(
    session: Session, response: Response, lang: str, pickers: PickerOptions
) -> list[ReadSection]:
    """A stored response's answered questions, read back (a contact point's portal)."""
    definition = Definition.from_json(response.version.definition)
    values = values_from_rows(
        definition, list(session.scalars(select(Answer).where(Answer.response_id == response.id)))
    )
    return read_answers(definition, values, lang, pickers, unanswered=False)


def _read(question: Question, values: dict[str, Any], lang: str, pickers) -> ReadAnswer:
    value = values[question.key]
    label = text_in(question.label, lang)
    if question.type == "matrix":
        rows = [
            (text_in(row["label"], lang), _choice(question, value[row["key"]], lang, pickers))
            for row in question.rows
            if row["key"] in value
        ]
        return ReadAnswer(question.key, label, rows=rows)
    if question.type == "repeat":
        entries = []
        for entry in value:
            shown = visible_children(question, entry, values)
            entries.append(
                [
                    (text_in(child.label, lang), _words(child, entry[child.key], lang, pickers))
                    for child in question.questions
                    if child.key in shown and child.key in entry
                ]
            )
        return ReadAnswer(question.key, label, entries=entries)
    words = _words(question, value, lang, pickers)
    other = values.get(question.key + OTHER_SUFFIX)
    if other:
        words = f"{words} ({other})"
    return ReadAnswer(question.key, label, words)


def _words(question: Question, value: Any, lang: str, pickers: PickerOptions) -> str:
    if question.type == "multiple_choice":
        return ", ".join(_choice(question, v, lang, pickers) for v in value)
    if isinstance(value, Decimal):
        number = format(value.normalize(), "f")
        # A Likert answer is stored as its number: it reads as its label.
        return _choice(question, number, lang, pickers) if question.choices else number
    if isinstance(value, date):
        return value.isoformat()
    return _choice(question, value, lang, pickers)


def _choice(question: Question, value: Any, lang: str, pickers: PickerOptions) -> str:
    text = str(value)
    if question.type == "yes_no":
        return {"yes": gettext("Yes"), "no": gettext("No")}.get(text, text)
    if question.type == "member":
        return dict(pickers.members).get(text, text)
    if question.type == "activity":
        return {str(k): v for k, v in pickers.activities}.get(text, text)
    if question.type == "work_plan_item":
        return dict(pickers.items).get(text, text)
    if text == "other" and question.other:
        return gettext("Other")
    labels = {c.value: text_in(c.label, lang) for c in question.choices}
    return labels.get(text, text)
