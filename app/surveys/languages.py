"""Which languages a questionnaire is complete in, and the texts each language lacks.

A questionnaire file declares a language by writing any text in it (``label: {en: ...,
fr: ...}``). It is complete in that language when every text a respondent can see has
it: the questionnaire's title, introduction and thank-you text, each section's title and
introduction, each question's label, hint, scale ends (low_label, high_label), "add"
button (add_label) and constraint messages, each matrix row and each choice of the lists
the questions use. ``flask surveys validate`` lists what is missing; a round offers a
language only when its version is complete in it (and the ROUND_LANGUAGES setting lists
it).
"""

from __future__ import annotations

from dataclasses import dataclass

QUESTION_TEXTS = ("label", "hint", "low_label", "high_label", "add_label")


@dataclass(frozen=True)
class MissingText:
    language: str
    where: str  # e.g. "question 'relevance'", "choice 'aeo' of list 'areas'"
    field: str  # e.g. "label", "message of constraint 'min'"

    def __str__(self) -> str:
        return f"{self.where}: no {self.language!r} text for its {self.field}"


def _missing(texts: object, languages: list[str], where: str, field: str) -> list[MissingText]:
    if not isinstance(texts, dict) or not texts:
        return []
    return [MissingText(lang, where, field) for lang in languages if not texts.get(lang)]


def missing_texts(data: dict) -> list[MissingText]:
    """Every text missing in a language the questionnaire declares, in file order, from
    its checked (normalised) content."""
    languages = [lang for lang in data.get("languages", ["en"]) if lang != "en"]
    if not languages:
        return []
    found: list[MissingText] = []
    for name in ("title", "intro", "thanks"):
        found += _missing(data.get(name), languages, "the questionnaire", name)
    used_lists: dict[str, list[str]] = {}
    for section in data.get("sections", []):
        where = f"section {section['key']!r}"
        for name in ("title", "intro", "follow_up_intro"):
            found += _missing(section.get(name), languages, where, name)
        for question in section.get("questions", []):
            found += _question_texts(question, languages, used_lists)
    lists = data.get("choice_lists", {})
    for list_name, users in used_lists.items():
        for choice in lists.get(list_name, []):
            where = (
                f"choice {choice['value']!r} of list {list_name!r} (question "
                + ", ".join(repr(user) for user in users)
                + ")"
            )
            found += _missing(choice.get("label"), languages, where, "label")
    return found


def _question_texts(
    question: dict, languages: list[str], used_lists: dict[str, list[str]]
) -> list[MissingText]:
    where = f"question {question['key']!r}"
    found: list[MissingText] = []
    for name in QUESTION_TEXTS:
        found += _missing(question.get(name), languages, where, name)
    for row in question.get("rows") or []:
        found += _missing(row.get("label"), languages, f"row {row['key']!r} of {where}", "label")
    for name, constraint in (question.get("constraints") or {}).items():
        if isinstance(constraint, dict):
            found += _missing(
                constraint.get("message"), languages, where, f"message of constraint {name!r}"
            )
    choices = question.get("choices")
    if isinstance(choices, str):
        used_lists.setdefault(choices, [])
        if question["key"] not in used_lists[choices]:
            used_lists[choices].append(question["key"])
    elif question.get("type") == "yes_no":
        used_lists.setdefault("yes_no", []).append(question["key"])
    for child in question.get("questions") or []:
        found += _question_texts(child, languages, used_lists)
    return found


def complete_languages(data: dict) -> list[str]:
    """The declared languages nothing is missing in (English always)."""
    incomplete = {missing.language for missing in missing_texts(data)}
    return [lang for lang in data.get("languages", ["en"]) if lang not in incomplete]
