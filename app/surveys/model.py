"""A stored questionnaire version, read back as objects: sections, questions, choices,
parsed conditions, and the rules that decide which questions a respondent sees.

Answer values used throughout (in memory):
  text, long_text         str
  integer, decimal,
  likert, rating          Decimal
  date                    datetime.date
  yes_no, single_choice,
  member, work_plan_item  str (choice value, ISO code, item code)
  activity                int (activity id)
  multiple_choice         list[str]; the "other" text under "<key>-other"
  matrix                  dict[row key, str]
  repeat                  list[dict[sub key, value]]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.surveys.expressions import Expression, is_true, parse, to_json
from app.surveys.languages import complete_languages

# Question types by what their answer is made of (one place for every module that asks).
CHOICE_TYPES = ("single_choice", "multiple_choice", "likert", "matrix")  # take a choice list
PICKER_TYPES = ("member", "activity", "work_plan_item")  # choices come from the database
# One value picked among options: an empty post means "no answer".
SINGLE_CHOICE_TYPES = ("single_choice", "yes_no", "likert", "rating", *PICKER_TYPES)
# Answers that must be one (or, for multiple_choice, some) of a known set of values.
OPTION_TYPES = (*SINGLE_CHOICE_TYPES, "multiple_choice")
NUMBER_TYPES = ("integer", "decimal", "likert", "rating")
OTHER_SUFFIX = "-other"


def text_in(texts: dict | None, lang: str = "en") -> str:
    if not texts:
        return ""
    return texts.get(lang) or texts.get("en") or ""


@dataclass(frozen=True)
class Choice:
    value: str
    label: dict
    items: tuple[str, ...] = ()


@dataclass
class Question:
    key: str
    type: str
    label: dict
    hint: dict | None = None
    required: bool = False
    relevant: Expression | None = None
    kpi: str | None = None
    level: str | None = None
    choices: list[Choice] = field(default_factory=list)
    other: bool = False
    rows: list[dict] = field(default_factory=list)
    constraints: dict = field(default_factory=dict)
    low_label: dict | None = None
    high_label: dict | None = None
    min: int = 0
    max: int = 0
    add_label: dict | None = None
    questions: list[Question] = field(default_factory=list)
    constraint_expression: Expression | None = None

    @property
    def is_input(self) -> bool:
        return self.type != "note"

    def choice_values(self) -> list[str]:
        return [c.value for c in self.choices]

    def relevant_json(self) -> list | None:
        return to_json(self.relevant.tree) if self.relevant else None


@dataclass
class Section:
    key: str
    title: dict
    intro: dict | None
    relevant: Expression | None
    questions: list[Question]
    index: int = 0
    # Said only to respondents the office can come back to (see `definitions`).
    follow_up_intro: dict | None = None


@dataclass
class Definition:
    key: str
    kind: str
    title: dict
    intro: dict | None
    thanks: dict | None
    languages: list[str]
    choice_lists: dict[str, list[Choice]]
    sections: list[Section]
    # The declared languages every text is written in (app/surveys/languages.py).
    complete_languages: list[str] = field(default_factory=lambda: ["en"])

    @classmethod
    def from_json(cls, data: dict) -> Definition:
        lists = {
            name: [Choice(c["value"], c["label"], tuple(c.get("items", ()))) for c in choices]
            for name, choices in data["choice_lists"].items()
        }
        sections = [
            Section(
                key=s["key"],
                title=s["title"],
                intro=s.get("intro"),
                relevant=parse(s["relevant"]) if s.get("relevant") else None,
                questions=[_question(q, lists) for q in s["questions"]],
                index=index,
                follow_up_intro=s.get("follow_up_intro"),
            )
            for index, s in enumerate(data["sections"])
        ]
        return cls(
            data["key"],
            data["kind"],
            data["title"],
            data.get("intro"),
            data.get("thanks"),
            data.get("languages", ["en"]),
            lists,
            sections,
            complete_languages(data),
        )

    def questions(self) -> list[Question]:
        """Top-level questions in order (repeat groups, not their children)."""
        return [q for s in self.sections for q in s.questions]

    def all_questions(self) -> list[Question]:
        found = []
        for question in self.questions():
            found.append(question)
            found.extend(question.questions)
        return found

    def question(self, key: str) -> Question | None:
        return next((q for q in self.all_questions() if q.key == key), None)

    def with_role(self, role: str) -> list[Question]:
        return [q for q in self.all_questions() if q.kpi == role]


def _question(data: dict, lists: dict[str, list[Choice]]) -> Question:
    constraints = dict(data.get("constraints") or {})
    expression = constraints.get("expression")
    return Question(
        key=data["key"],
        type=data["type"],
        label=data["label"],
        hint=data.get("hint"),
        required=data.get("required", False),
        relevant=parse(data["relevant"]) if data.get("relevant") else None,
        kpi=data.get("kpi"),
        level=data.get("level"),
        choices=list(lists.get(data.get("choices") or "", [])),
        other=data.get("other", False),
        rows=data.get("rows", []),
        constraints=constraints,
        low_label=data.get("low_label"),
        high_label=data.get("high_label"),
        min=data.get("min", 0),
        max=data.get("max", 0),
        add_label=data.get("add_label"),
        questions=[_question(child, lists) for child in data.get("questions", [])],
        constraint_expression=parse(expression["value"])
        if expression and expression.get("value")
        else None,
    )


@dataclass
class PickerOptions:
    """Choices for the Member, activity and work-plan item pickers, as (value, label)."""

    members: list[tuple[str, str]] = field(default_factory=list)
    activities: list[tuple[int, str]] = field(default_factory=list)
    items: list[tuple[str, str]] = field(default_factory=list)


# -- visibility ------------------------------------------------------------------------------


def expression_values(answers: dict[str, Any]) -> dict[str, Any]:
    """The values conditions can read: everything but matrices and repeat groups."""
    return {
        k: v
        for k, v in answers.items()
        if not isinstance(v, (dict, list))
        or (isinstance(v, list) and all(isinstance(x, str) for x in v))
    }


def visible_questions(definition: Definition, answers: dict[str, Any]) -> set[str]:
    """Keys of the top-level questions a respondent sees, given ``answers``.

    Conditions only read earlier answers, so one pass in order decides everything; the
    answer to a hidden question counts as empty for the questions after it.
    """
    visible: set[str] = set()
    seen: dict[str, Any] = {}
    for section in definition.sections:
        section_shown = section.relevant is None or is_true(
            section.relevant, expression_values(seen)
        )
        for question in section.questions:
            shown = section_shown and (
                question.relevant is None or is_true(question.relevant, expression_values(seen))
            )
            if shown:
                visible.add(question.key)
                if question.key in answers:
                    seen[question.key] = answers[question.key]
    return visible


def visible_sections(definition: Definition, answers: dict[str, Any]) -> list[Section]:
    shown = visible_questions(definition, answers)
    return [s for s in definition.sections if any(q.key in shown for q in s.questions)]


def visible_children(question: Question, entry: dict[str, Any], outer: dict[str, Any]) -> set[str]:
    """Sub-questions of a repeat group shown for one entry."""
    visible: set[str] = set()
    values = dict(expression_values(outer))
    for child in question.questions:
        if child.relevant is None or is_true(child.relevant, expression_values(values)):
            visible.add(child.key)
            if child.key in entry:
                values[child.key] = entry[child.key]
    return visible


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def prune_hidden(definition: Definition, answers: dict[str, Any]) -> dict[str, Any]:
    """``answers`` without the answers to questions that are hidden (they are discarded)."""
    shown = visible_questions(definition, answers)
    kept: dict[str, Any] = {}
    for question in definition.questions():
        if question.key not in shown:
            continue
        if question.key in answers:
            value = answers[question.key]
            if question.type == "repeat":
                value = [
                    {
                        k: v
                        for k, v in entry.items()
                        if k in visible_children(question, entry, answers)
                    }
                    for entry in value
                ]
            kept[question.key] = value
        other = question.key + OTHER_SUFFIX
        if other in answers and "other" in (answers.get(question.key) or []):
            kept[other] = answers[other]
    return kept
