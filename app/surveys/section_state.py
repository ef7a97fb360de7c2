"""What a section page needs to render: questions with their fields, texts in the
respondent's language, conditions for the browser, progress, and the error summary."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from app.surveys.expressions import to_json
from app.surveys.forms import error_list, focus_id, section_values
from app.surveys.model import (
    Definition,
    Question,
    Section,
    expression_values,
    text_in,
    visible_questions,
)


@dataclass
class QuestionView:
    question: Question
    field: Any
    other_field: Any
    label: str
    hint: str
    relevant: str | None  # JSON for data-relevant
    focus_id: str
    low_label: str = ""
    high_label: str = ""
    add_label: str = ""
    children: dict | None = None  # repeat groups: sub-question key -> (question, relevant)


def _json_default(value: Any):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value))


def section_context(
    definition: Definition,
    section: Section,
    form,
    lang: str,
    indexes: list[int],
    other_answers: dict[str, Any],
) -> dict:
    views = []
    section_keys = {q.key for q in section.questions}
    shown = visible_questions(definition, {**other_answers, **section_values(form, section)})
    for question in section.questions:
        field = form._fields.get(f"q__{question.key}")
        same_section = question.relevant is not None and bool(
            question.relevant.references & section_keys
        )
        if question.key not in shown and not same_section:
            # Decided by answers in other sections: the browser could not change it.
            continue
        children = None
        if question.type == "repeat":
            children = {
                child.key: (
                    child,
                    json.dumps(to_json(child.relevant.tree)) if child.relevant else None,
                )
                for child in question.questions
            }
        views.append(
            QuestionView(
                question=question,
                field=field,
                other_field=form._fields.get(f"q__{question.key}__other"),
                label=text_in(question.label, lang),
                hint=text_in(question.hint, lang),
                relevant=json.dumps(to_json(question.relevant.tree)) if question.relevant else None,
                focus_id=focus_id(field) if field is not None else f"q-{question.key}",
                low_label=text_in(question.low_label, lang),
                high_label=text_in(question.high_label, lang),
                add_label=text_in(question.add_label, lang) or "Add another",
                children=children,
            )
        )
    position = indexes.index(section.index) + 1 if section.index in indexes else 1
    return {
        "definition": definition,
        "section": section,
        "form": form,
        "lang": lang,
        "title": text_in(section.title, lang),
        "intro": text_in(section.intro, lang),
        "questions": views,
        "position": position,
        "total": len(indexes),
        "previous_index": indexes[position - 2] if position > 1 else None,
        "errors": error_list(form, section),
        "context_json": json.dumps(expression_values(other_answers), default=_json_default),
    }
