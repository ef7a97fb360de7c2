"""One section of a questionnaire as a respondent sees it, computed once.

A :class:`SectionState` holds the section's form (filled from stored answers or from a
post), the answers of the other sections that its conditions read, which sections are
visible, and, once checked, the section's accepted answers and errors. The respondent
pages, the staff preview and the history import all build it with :func:`display_section`
or :func:`receive_section`, and the section template renders from it alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any

from flask_babel import gettext
from werkzeug.datastructures import MultiDict

from app.surveys.expressions import to_json
from app.surveys.forms import (
    SectionForm,
    build_section_form,
    change_entries,
    error_list,
    focus_id,
    matrix_problems,
    section_values,
    validate_section,
)
from app.surveys.model import (
    OTHER_SUFFIX,
    Definition,
    PickerOptions,
    Question,
    Section,
    expression_values,
    text_in,
    visible_questions,
    visible_sections,
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
    problems: list[str] = field(default_factory=list)  # a matrix's messages, rows grouped


@dataclass
class SectionState:
    """A section's form with everything its page, or an import, needs to know.

    ``answers`` are the section's visible, typed answers once the form has been checked
    (``checked``); ``entries_changed`` says the post only added or removed a repeat entry.
    """

    definition: Definition
    section: Section
    form: SectionForm
    lang: str
    other_answers: dict[str, Any]
    indexes: list[int]
    answers: dict[str, Any] = field(default_factory=dict)
    checked: bool = False
    entries_changed: bool = False

    @property
    def accepted(self) -> bool:
        """The post can be saved: it was checked and nothing is wrong."""
        return self.checked and not self.entries_changed and not self.errors

    @cached_property
    def errors(self) -> list[tuple[str, str, str]]:
        """(anchor id, question label, message) in page order, for the error summary."""
        return error_list(self.form, self.section)

    @property
    def title(self) -> str:
        return text_in(self.section.title, self.lang)

    @property
    def intro(self) -> str:
        return text_in(self.section.intro, self.lang)

    @property
    def follow_up_intro(self) -> str:
        """Said only to a respondent the office can come back to (the page decides)."""
        return text_in(self.section.follow_up_intro, self.lang)

    @property
    def position(self) -> int:
        """1-based place of this section among the visible ones."""
        return self.indexes.index(self.section.index) + 1

    @property
    def total(self) -> int:
        return len(self.indexes)

    @property
    def previous_index(self) -> int | None:
        return self.indexes[self.position - 2] if self.position > 1 else None

    @property
    def is_last(self) -> bool:
        return self.section.index == self.indexes[-1]

    @property
    def shows_action_plan(self) -> bool:
        """The section asks how far the respondent got with their action plan."""
        return any(q.kpi == "action_plan_progress" for q in self.section.questions)

    @property
    def context_json(self) -> str:
        """The other sections' answers, for the browser's evaluation of conditions."""
        return json.dumps(expression_values(self.other_answers), default=_json_default)

    @cached_property
    def questions(self) -> list[QuestionView]:
        """The questions to render, with their fields and texts in the page's language.

        A question hidden by answers of another section is left out (the browser could not
        reveal it); one that depends on this section stays, for the browser to show or hide.
        """
        section = self.section
        keys = {q.key for q in section.questions}
        values = {**self.other_answers, **section_values(self.form, section)}
        shown = visible_questions(self.definition, values)
        views = []
        for question in section.questions:
            same_section = question.relevant is not None and bool(
                question.relevant.references & keys
            )
            if question.key not in shown and not same_section:
                continue
            views.append(self._view(question))
        return views

    def _view(self, question: Question) -> QuestionView:
        lang = self.lang
        field = self.form._fields.get(f"q__{question.key}")
        children = None
        problems = []
        if question.type == "matrix" and field is not None:
            problems = [message for _, message in matrix_problems(field)]
        if question.type == "repeat":
            children = {child.key: (child, _relevant_json(child)) for child in question.questions}
        return QuestionView(
            question=question,
            field=field,
            other_field=self.form._fields.get(f"q__{question.key}__other"),
            label=text_in(question.label, lang),
            hint=text_in(question.hint, lang),
            relevant=_relevant_json(question),
            focus_id=focus_id(field) if field is not None else f"q-{question.key}",
            low_label=text_in(question.low_label, lang),
            high_label=text_in(question.high_label, lang),
            add_label=text_in(question.add_label, lang) or gettext("Add another"),
            children=children,
            problems=problems,
        )


def display_section(
    definition: Definition,
    section: Section,
    lang: str,
    pickers: PickerOptions,
    answers: dict[str, Any],
    *,
    defaults: dict[str, Any] | None = None,
    check: bool = False,
) -> SectionState:
    """The section filled with the stored ``answers`` (of every section).

    ``defaults`` pre-fill questions that have no answer yet; ``check`` validates the
    section at once, marking the answers still missing (after a refused submit).
    """
    data = {**(defaults or {}), **answers}
    form = build_section_form(definition, section, lang, pickers, data=data)
    state = _state(definition, section, form, lang, answers)
    if check:
        _check(state, partial=False)
    return state


def receive_section(
    definition: Definition,
    section: Section,
    lang: str,
    pickers: PickerOptions,
    answers: dict[str, Any],
    formdata: MultiDict,
    action: str = "next",
) -> SectionState:
    """A posted section. ``action`` is ``next``, ``submit``, ``previous`` or ``save``
    (required answers are not demanded when going back or saving to finish later), or
    ``add:<key>`` / ``remove:<key>:<n>`` for a repeat entry (the form is shown again,
    unchecked)."""
    form = build_section_form(definition, section, lang, pickers, formdata=formdata)
    state = _state(definition, section, form, lang, answers)
    if action.startswith(("add:", "remove:")):
        change_entries(form, action)
        state.entries_changed = True
    else:
        _check(state, partial=action in ("previous", "save"))
    return state


def _state(
    definition: Definition, section: Section, form: SectionForm, lang: str, answers: dict
) -> SectionState:
    keys = {q.key for q in section.questions}
    other = {k: v for k, v in answers.items() if k.split(OTHER_SUFFIX)[0] not in keys}
    indexes = [s.index for s in visible_sections(definition, answers)]
    if section.index not in indexes:
        indexes = sorted({*indexes, section.index})
    return SectionState(definition, section, form, lang, other, indexes)


def _check(state: SectionState, partial: bool) -> None:
    state.answers = validate_section(
        state.form, state.definition, state.section, state.other_answers, partial=partial
    )
    state.checked = True
    state.__dict__.pop("errors", None)  # computed again from the validated form


def _relevant_json(question: Question) -> str | None:
    return json.dumps(to_json(question.relevant.tree)) if question.relevant else None


def _json_default(value: Any):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value))
