"""Questionnaire definitions: checking a YAML file and turning it into the normalised JSON
that is hashed, stored as an immutable version, and read back by `app.surveys.model`.

Every problem in a file is collected (file, line, question key, what is wrong) before
anything is stored: a file with any error is never loaded, even partly. The format is
documented in `surveys/README.md`.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from app.surveys.expressions import ExpressionError, parse
from app.surveys.model import CHOICE_TYPES
from app.surveys.yaml_lines import LineList, LineMap, load_with_lines

KINDS = ("needs_assessment", "evaluation", "follow_up", "other")
LEVELS = ("reaction", "learning", "behaviour", "results", "return_on_investment")
QUESTION_TYPES = (
    "note",
    "text",
    "long_text",
    "integer",
    "decimal",
    "date",
    "yes_no",
    "single_choice",
    "multiple_choice",
    "likert",
    "rating",
    "matrix",
    "repeat",
    "member",
    "activity",
    "work_plan_item",
)
# KPI roles and the question types that may carry them.
KPI_ROLES = {
    "overall_satisfaction": ("likert",),
    "recommend": ("rating",),
    "knowledge_before": ("likert",),
    "knowledge_after": ("likert",),
    "dimension": ("likert", "matrix"),  # written dimension:<name>
    "need_priority": ("matrix",),
    "tangible_result": ("repeat",),
    "tangible_result_category": ("single_choice",),
    "tangible_result_description": ("text", "long_text"),
    "tangible_result_date": ("date",),
    "tangible_result_evidence": ("text",),
    "action_plan": ("text", "long_text"),
    "action_plan_progress": ("single_choice", "likert"),
    "barrier": ("multiple_choice", "single_choice"),
    "efficiency_improvement": ("likert",),
    "respondent_member": ("member",),
    "preferred_modality": ("single_choice",),
}
COMMON_FIELDS = {"key", "type", "label", "hint", "required", "relevant", "kpi", "level"}
TYPE_FIELDS = {
    "note": {"key", "type", "label", "hint", "relevant"},
    "text": COMMON_FIELDS | {"constraints"},
    "long_text": COMMON_FIELDS | {"constraints"},
    "integer": COMMON_FIELDS | {"constraints"},
    "decimal": COMMON_FIELDS | {"constraints"},
    "date": COMMON_FIELDS | {"constraints"},
    "yes_no": COMMON_FIELDS,
    "single_choice": COMMON_FIELDS | {"choices"},
    "multiple_choice": COMMON_FIELDS | {"choices", "other", "constraints"},
    "likert": COMMON_FIELDS | {"choices"},
    "rating": COMMON_FIELDS | {"low_label", "high_label"},
    "matrix": COMMON_FIELDS | {"rows", "rows_from", "choices"},
    "repeat": {
        "key",
        "type",
        "label",
        "hint",
        "relevant",
        "kpi",
        "level",
        "questions",
        "min",
        "max",
        "add_label",
    },
    "member": COMMON_FIELDS,
    "activity": COMMON_FIELDS,
    "work_plan_item": COMMON_FIELDS,
}
CONSTRAINTS_BY_TYPE = {
    "text": {"min_length", "max_length", "pattern", "expression"},
    "long_text": {"min_length", "max_length", "pattern", "expression"},
    "integer": {"min", "max", "expression"},
    "decimal": {"min", "max", "expression"},
    "date": {"min", "max", "expression"},
    "multiple_choice": {"min", "max", "expression"},
}
TOP_FIELDS = {"key", "kind", "title", "intro", "thanks", "choice_lists", "sections"}
# follow_up_intro: said only to respondents the office can come back to (a personal link
# in a round that is not anonymous), e.g. "we will show you this plan in six months".
SECTION_FIELDS = {"key", "title", "intro", "follow_up_intro", "relevant", "questions"}
CHOICE_FIELDS = {"value", "label", "items"}
ROW_FIELDS = {"key", "label", "kpi"}
QUESTION_KEY = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
DEFINITION_KEY = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
CHOICE_VALUE = re.compile(r"^[A-Za-z0-9_.]{1,64}$")
LANGUAGE = re.compile(r"^[a-z]{2}$")
DEFAULT_TEXT_MAX = {"text": 500, "long_text": 5000}

BUILT_IN_LISTS = {
    "agree5": [
        {"value": "1", "label": {"en": "Strongly disagree", "fr": "Pas du tout d'accord"}},
        {"value": "2", "label": {"en": "Disagree", "fr": "Pas d'accord"}},
        {
            "value": "3",
            "label": {"en": "Neither agree nor disagree", "fr": "Ni d'accord ni pas d'accord"},
        },
        {"value": "4", "label": {"en": "Agree", "fr": "D'accord"}},
        {"value": "5", "label": {"en": "Strongly agree", "fr": "Tout à fait d'accord"}},
    ],
    "yes_no": [
        {"value": "yes", "label": {"en": "Yes", "fr": "Oui"}},
        {"value": "no", "label": {"en": "No", "fr": "Non"}},
    ],
}


@dataclass
class DefinitionError:
    file: str
    line: int | None
    key: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        what = f"question {self.key!r}: " if self.key else ""
        return f"{where}: {what}{self.message}"


@dataclass
class LoadedDefinition:
    path: str
    source: str
    data: dict | None = None
    errors: list[DefinitionError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.data is not None and not self.errors

    @property
    def content(self) -> dict:
        """The checked definition (only for a file that loaded without errors)."""
        if self.data is None or self.errors:
            raise ValueError(f"{self.path} has errors: it has no content to store")
        return self.data

    @property
    def content_hash(self) -> str:
        return content_hash(self.data or {})


def content_hash(data: dict) -> str:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def load_definition_file(path: Path) -> LoadedDefinition:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        loaded = LoadedDefinition(str(path), "")
        loaded.errors.append(DefinitionError(str(path), None, None, f"cannot read: {error}"))
        return loaded
    return load_definition_text(text, str(path))


def load_definition_text(text: str, filename: str = "<text>") -> LoadedDefinition:
    loaded = LoadedDefinition(filename, text)
    raw, problems = load_with_lines(text)
    for problem in problems:
        loaded.errors.append(DefinitionError(filename, problem.line, None, problem.message))
    if raw is None or loaded.errors:
        return loaded
    checker = _Checker(filename)
    data = checker.definition(raw)
    loaded.errors.extend(checker.errors)
    if not checker.errors:
        loaded.data = data
    return loaded


class _Checker:
    def __init__(self, filename: str):
        self.filename = filename
        self.errors: list[DefinitionError] = []
        self.languages: set[str] = set()

    def error(self, line: int | None, message: str, key: str | None = None) -> None:
        self.errors.append(DefinitionError(self.filename, line, key, message))

    # -- helpers ---------------------------------------------------------------------------
    def unknown_fields(
        self, raw: LineMap, allowed: set[str], what: str, key: str | None = None
    ) -> None:
        for name in raw:
            if name not in allowed:
                self.error(
                    raw.line_of(name),
                    f"unknown field {name!r} in {what} (allowed: {', '.join(sorted(allowed))})",
                    key,
                )

    def text(
        self, raw: LineMap, name: str, what: str, key: str | None = None, required: bool = False
    ) -> dict | None:
        if name not in raw or raw[name] is None:
            if required:
                self.error(raw.line, f"{what} needs a {name!r}", key)
            return None
        value = raw[name]
        line = raw.line_of(name)
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            text = str(value).strip()
            if not text:
                self.error(line, f"{name!r} is empty", key)
                return None
            return {"en": text}
        if isinstance(value, LineMap):
            result = {}
            for language, translated in value.items():
                if not LANGUAGE.match(language):
                    self.error(
                        value.line_of(language),
                        f"{language!r} is not a two-letter language code",
                        key,
                    )
                elif not isinstance(translated, str) or not translated.strip():
                    self.error(
                        value.line_of(language), f"the {language!r} text of {name!r} is empty", key
                    )
                else:
                    result[language] = translated.strip()
                    self.languages.add(language)
            if "en" not in result:
                self.error(line, f"{name!r} needs an English ('en') text", key)
                return None
            return result
        self.error(line, f"{name!r} must be text, or texts by language", key)
        return None

    def boolean(self, raw: LineMap, name: str, key: str | None) -> bool:
        value = raw.get(name, False)
        if not isinstance(value, bool):
            self.error(raw.line_of(name), f"{name!r} must be true or false", key)
            return False
        return value

    def integer(self, raw: LineMap, name: str, key: str | None, minimum: int = 0) -> int | None:
        if name not in raw:
            return None
        value = raw[name]
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            self.error(
                raw.line_of(name), f"{name!r} must be a whole number of at least {minimum}", key
            )
            return None
        return value

    def expression(
        self,
        raw: LineMap,
        name: str,
        key: str | None,
        allowed: set[str],
        later: set[str],
        in_repeat: set[str],
    ) -> str | None:
        source = raw.get(name)
        if source is None:
            return None
        line = raw.line_of(name)
        if not isinstance(source, str):
            self.error(line, f"{name!r} must be an expression in quotes", key)
            return None
        try:
            parsed = parse(source)
        except ExpressionError as error:
            self.error(line, f"bad expression in {name!r}: {error}", key)
            return None
        for reference in sorted(parsed.references):
            if reference in allowed:
                continue
            if reference in later:
                self.error(
                    line,
                    f"{name!r} refers to ${{{reference}}}, which comes later; a "
                    "condition can only use earlier answers",
                    key,
                )
            elif reference in in_repeat:
                self.error(
                    line,
                    f"{name!r} refers to ${{{reference}}}, which is inside a repeat "
                    "group and has one answer per entry",
                    key,
                )
            else:
                self.error(line, f"{name!r} refers to unknown question ${{{reference}}}", key)
        return source

    # -- structure -------------------------------------------------------------------------
    def definition(self, raw: object) -> dict | None:
        if not isinstance(raw, LineMap):
            self.error(None, "the file must be a mapping with key, kind, title and sections")
            return None
        self.unknown_fields(raw, TOP_FIELDS, "the questionnaire")
        key = raw.get("key")
        if not isinstance(key, str) or not DEFINITION_KEY.match(key):
            self.error(
                raw.line_of("key"),
                "'key' must be lowercase letters, digits and "
                "hyphens, starting with a letter (e.g. "
                "participant-evaluation)",
            )
        kind = raw.get("kind")
        if kind not in KINDS:
            self.error(raw.line_of("kind"), f"'kind' must be one of {', '.join(KINDS)}")
        title = self.text(raw, "title", "the questionnaire", required=True)
        intro = self.text(raw, "intro", "the questionnaire")
        thanks = self.text(raw, "thanks", "the questionnaire")
        choice_lists = self.choice_lists(raw.get("choice_lists"), raw)
        sections_raw = raw.get("sections")
        if not isinstance(sections_raw, LineList) or not sections_raw:
            self.error(raw.line_of("sections"), "'sections' must be a list of at least one section")
            return None
        all_keys = self.collect_keys(sections_raw)
        sections = []
        section_keys: set[str] = set()
        seen: set[str] = set()
        for raw_section in sections_raw:
            section = self.section(raw_section, section_keys, seen, all_keys, choice_lists)
            if section:
                sections.append(section)
        return {
            "key": key,
            "kind": kind,
            "title": title,
            "intro": intro,
            "thanks": thanks,
            "languages": sorted(self.languages | {"en"}),
            "choice_lists": choice_lists,
            "sections": sections,
        }

    def collect_keys(self, sections_raw: LineList) -> dict[str, str]:
        """Every question key with where it lives ('top' or 'repeat'), in file order."""
        keys: dict[str, str] = {}
        for raw_section in sections_raw:
            if not isinstance(raw_section, LineMap):
                continue
            for raw_question in raw_section.get("questions") or []:
                if not isinstance(raw_question, LineMap):
                    continue
                keys.setdefault(str(raw_question.get("key")), "top")
                for child in raw_question.get("questions") or []:
                    if isinstance(child, LineMap):
                        keys.setdefault(str(child.get("key")), "repeat")
        return keys

    def choice_lists(self, raw: object, parent: LineMap) -> dict[str, list]:
        lists = {name: [dict(c) for c in choices] for name, choices in BUILT_IN_LISTS.items()}
        if raw is None:
            return lists
        if not isinstance(raw, LineMap):
            self.error(
                parent.line_of("choice_lists"), "'choice_lists' must map names to lists of choices"
            )
            return lists
        for name, choices in raw.items():
            if not QUESTION_KEY.match(name):
                self.error(
                    raw.line_of(name),
                    f"choice list name {name!r} must be lowercase letters, digits and underscores",
                )
                continue
            lists[name] = self.choices(choices, raw.line_of(name), f"choice list {name!r}", None)
        return lists

    def choices(self, raw: object, line: int, what: str, key: str | None) -> list[dict]:
        if not isinstance(raw, LineList) or not raw:
            self.error(line, f"{what} must be a list of at least one choice", key)
            return []
        result: list[dict] = []
        values: set[str] = set()
        for item in raw:
            if not isinstance(item, LineMap):
                self.error(
                    getattr(item, "line", line),
                    f"each choice of {what} needs a value and a label",
                    key,
                )
                continue
            self.unknown_fields(item, CHOICE_FIELDS, f"a choice of {what}", key)
            value = item.get("value")
            value = (
                str(value)
                if isinstance(value, (str, int)) and not isinstance(value, bool)
                else None
            )
            if value is None or not CHOICE_VALUE.match(value):
                self.error(
                    item.line_of("value"),
                    f"a choice of {what} needs a 'value' of letters, digits, '_' or '.'",
                    key,
                )
                continue
            if value in values:
                self.error(
                    item.line_of("value"), f"choice value {value!r} appears twice in {what}", key
                )
            values.add(value)
            choice: dict[str, object] = {
                "value": value,
                "label": self.text(item, "label", f"choice {value!r}", key, required=True),
            }
            if "items" in item:
                codes = item["items"]
                if not isinstance(codes, LineList) or not all(isinstance(c, str) for c in codes):
                    self.error(
                        item.line_of("items"),
                        "'items' must be a list of work-plan item codes such as 1-(a)",
                        key,
                    )
                else:
                    choice["items"] = list(codes)
            result.append(choice)
        return result

    def section(
        self,
        raw: object,
        section_keys: set[str],
        seen: set[str],
        all_keys: dict[str, str],
        lists: dict,
    ) -> dict | None:
        if not isinstance(raw, LineMap):
            self.error(getattr(raw, "line", None), "each section must be a mapping")
            return None
        self.unknown_fields(raw, SECTION_FIELDS, "a section")
        key = raw.get("key")
        if not isinstance(key, str) or not QUESTION_KEY.match(key):
            self.error(
                raw.line_of("key"),
                "a section needs a 'key' of lowercase letters, digits and underscores",
            )
            key = f"section_{len(section_keys) + 1}"
        elif key in section_keys:
            self.error(raw.line_of("key"), f"section key {key!r} is used twice")
        section_keys.add(key)
        later = {k for k, where in all_keys.items() if k not in seen and where == "top"}
        in_repeat = {k for k, where in all_keys.items() if where == "repeat"}
        relevant = self.expression(raw, "relevant", None, seen - in_repeat, later, in_repeat)
        questions_raw = raw.get("questions")
        if not isinstance(questions_raw, LineList) or not questions_raw:
            self.error(raw.line_of("questions"), f"section {key!r} needs a list of questions")
            questions_raw = LineList()
        questions = []
        for raw_question in questions_raw:
            question = self.question(raw_question, seen, all_keys, lists, repeat=None)
            if question:
                questions.append(question)
        section = {
            "key": key,
            "title": self.text(raw, "title", f"section {key!r}", required=True),
            "intro": self.text(raw, "intro", f"section {key!r}"),
            "relevant": relevant,
            "questions": questions,
        }
        follow_up_intro = self.text(raw, "follow_up_intro", f"section {key!r}")
        if follow_up_intro:  # only when given: other versions' stored form stays the same
            section["follow_up_intro"] = follow_up_intro
        return section

    def question(
        self,
        raw: object,
        seen: set[str],
        all_keys: dict[str, str],
        lists: dict,
        repeat: dict | None,
    ) -> dict | None:
        identity = self.question_identity(raw, seen, repeat)
        if identity is None:
            return None
        assert isinstance(raw, LineMap)
        key, qtype = identity
        allowed, later, in_repeat = self.referable_keys(seen, all_keys, repeat)
        relevant = self.expression(raw, "relevant", key, allowed, later | {key}, in_repeat)
        question: dict = {
            "key": key,
            "type": qtype,
            "label": self.text(raw, "label", "a question", key, required=True),
            "hint": self.text(raw, "hint", "a question", key),
            "relevant": relevant,
        }
        if qtype != "note":
            question["required"] = (
                self.boolean(raw, "required", key) if qtype != "repeat" else False
            )
            question["kpi"] = self.kpi(raw, qtype, key, repeat)
            level = raw.get("level")
            if level is not None and level not in LEVELS:
                self.error(raw.line_of("level"), f"'level' must be one of {', '.join(LEVELS)}", key)
            question["level"] = level
        seen.add(key)
        self.type_fields(raw, question, lists)
        if qtype in CONSTRAINTS_BY_TYPE:
            question["constraints"] = self.constraints(raw, qtype, key, allowed, later, in_repeat)
        if qtype == "repeat":
            self.repeat(raw, question, seen, all_keys, lists)
        return question

    def question_identity(
        self, raw: object, seen: set[str], repeat: dict | None
    ) -> tuple[str, str] | None:
        """The question's key and type, checked; None (with the error reported) when the
        question cannot be read further."""
        if not isinstance(raw, LineMap):
            self.error(getattr(raw, "line", None), "each question must be a mapping")
            return None
        key = raw.get("key")
        if not isinstance(key, str) or not QUESTION_KEY.match(key):
            self.error(
                raw.line_of("key"),
                "a question needs a 'key' of lowercase letters, "
                "digits and underscores (at most 63)",
                str(key) if key else None,
            )
            return None
        if key in seen:
            self.error(raw.line_of("key"), "this key is used twice in the questionnaire", key)
            return None
        qtype = raw.get("type")
        if qtype not in QUESTION_TYPES:
            self.error(
                raw.line_of("type"),
                f"unknown type {qtype!r} (types: {', '.join(QUESTION_TYPES)})",
                key,
            )
            seen.add(key)
            return None
        if repeat is not None and qtype in ("repeat", "matrix"):
            self.error(raw.line_of("type"), f"a {qtype} cannot be inside a repeat group", key)
        self.unknown_fields(raw, TYPE_FIELDS[qtype], f"a {qtype} question", key)
        return key, qtype

    @staticmethod
    def referable_keys(
        seen: set[str], all_keys: dict[str, str], repeat: dict | None
    ) -> tuple[set[str], set[str], set[str]]:
        """For the question being read: the keys its expressions may refer to (earlier
        questions, and its siblings in a repeat group), the keys of later questions, and
        the keys inside other repeat groups (both refused, with their own messages)."""
        later = {k for k, where in all_keys.items() if k not in seen and where == "top"}
        in_repeat = {k for k, where in all_keys.items() if where == "repeat"}
        allowed = {k for k in seen if all_keys.get(k) == "top"}
        if repeat is not None:
            allowed |= repeat["siblings"]
            later |= {k for k in repeat["all"] if k not in repeat["siblings"]}
            in_repeat -= repeat["all"]
        return allowed, later, in_repeat

    def type_fields(self, raw: LineMap, question: dict, lists: dict) -> None:
        """The fields only some question types have: choices, "other", scale ends, rows."""
        key, qtype = question["key"], question["type"]
        if qtype in CHOICE_TYPES:
            question["choices"] = self.choice_reference(raw, qtype, key, lists)
        if qtype == "multiple_choice":
            question["other"] = self.boolean(raw, "other", key)
            if question["other"] and any(
                c["value"] == "other" for c in lists.get(question["choices"] or "", [])
            ):
                self.error(
                    raw.line_of("other"),
                    "with 'other: true' the list must not have its own 'other' choice",
                    key,
                )
        if qtype == "rating":
            question["low_label"] = self.text(raw, "low_label", "a rating", key)
            question["high_label"] = self.text(raw, "high_label", "a rating", key)
        if qtype == "matrix":
            question["rows"] = self.rows(raw, key, lists)

    def kpi(self, raw: LineMap, qtype: str, key: str, repeat: dict | None) -> str | None:
        role = raw.get("kpi")
        if role is None:
            return None
        base = str(role).split(":", 1)[0]
        if base not in KPI_ROLES:
            self.error(
                raw.line_of("kpi"),
                f"unknown KPI role {role!r} (roles: "
                f"{', '.join(sorted(KPI_ROLES))}, dimension:<name>)",
                key,
            )
            return None
        if base == "dimension" and not re.fullmatch(r"dimension:[a-z][a-z0-9_]*", str(role)):
            self.error(
                raw.line_of("kpi"),
                "write a dimension as dimension:<name>, e.g. dimension:content",
                key,
            )
            return None
        if qtype not in KPI_ROLES[base]:
            self.error(
                raw.line_of("kpi"),
                f"KPI role {base!r} needs a question of type {' or '.join(KPI_ROLES[base])}",
                key,
            )
        if base.startswith("tangible_result_") and repeat is None:
            self.error(
                raw.line_of("kpi"),
                f"KPI role {base!r} belongs inside the tangible results repeat group",
                key,
            )
        return str(role)

    def choice_reference(self, raw: LineMap, qtype: str, key: str, lists: dict) -> str | None:
        choices = raw.get("choices")
        if choices is None:
            if qtype in ("likert", "matrix"):
                return "agree5"
            self.error(
                raw.line,
                f"a {qtype} question needs 'choices' (a list, or the name of a choice list)",
                key,
            )
            return None
        if isinstance(choices, str):
            if choices not in lists:
                self.error(raw.line_of("choices"), f"unknown choice list {choices!r}", key)
                return None
            name = choices
        else:
            name = f"~{key}"
            lists[name] = self.choices(choices, raw.line_of("choices"), f"question {key!r}", key)
        if qtype == "likert":
            values = [c["value"] for c in lists.get(name, [])]
            if values != ["1", "2", "3", "4", "5"]:
                self.error(
                    raw.line_of("choices"), "a likert scale has the values 1 to 5 in order", key
                )
        return name

    def rows(self, raw: LineMap, key: str, lists: dict) -> list[dict]:
        if "rows_from" in raw:
            name = raw["rows_from"]
            if name not in lists:
                self.error(raw.line_of("rows_from"), f"unknown choice list {name!r}", key)
                return []
            return [{"key": c["value"], "label": c["label"], "kpi": None} for c in lists[name]]
        rows_raw = raw.get("rows")
        if not isinstance(rows_raw, LineList) or not rows_raw:
            self.error(raw.line, "a matrix needs 'rows' (or 'rows_from' a choice list)", key)
            return []
        rows: list[dict] = []
        for row in rows_raw:
            if not isinstance(row, LineMap):
                self.error(getattr(row, "line", raw.line), "each row needs a key and a label", key)
                continue
            self.unknown_fields(row, ROW_FIELDS, "a matrix row", key)
            row_key = row.get("key")
            if not isinstance(row_key, str) or not QUESTION_KEY.match(row_key):
                self.error(
                    row.line_of("key"),
                    "a row needs a 'key' of lowercase letters, digits and underscores",
                    key,
                )
                continue
            if any(r["key"] == row_key for r in rows):
                self.error(row.line_of("key"), f"row key {row_key!r} is used twice", key)
            role = row.get("kpi")
            if role is not None and not re.fullmatch(r"dimension:[a-z][a-z0-9_]*", str(role)):
                self.error(
                    row.line_of("kpi"),
                    "a matrix row can only carry a dimension:<name> KPI role",
                    key,
                )
                role = None
            rows.append(
                {
                    "key": row_key,
                    "label": self.text(row, "label", f"row {row_key!r}", key, required=True),
                    "kpi": role,
                }
            )
        return rows

    def constraints(
        self,
        raw: LineMap,
        qtype: str,
        key: str,
        allowed: set[str],
        later: set[str],
        in_repeat: set[str],
    ) -> dict:
        constraints_raw = raw.get("constraints")
        result: dict = {}
        if qtype in DEFAULT_TEXT_MAX:
            result["max_length"] = {"value": DEFAULT_TEXT_MAX[qtype], "message": None}
        if constraints_raw is None:
            return result
        if not isinstance(constraints_raw, LineMap):
            self.error(
                raw.line_of("constraints"),
                "'constraints' must map names (min, max, ...) to values",
                key,
            )
            return result
        for name, spec in constraints_raw.items():
            line = constraints_raw.line_of(name)
            if name not in CONSTRAINTS_BY_TYPE[qtype]:
                self.error(
                    line,
                    f"constraint {name!r} does not apply to a {qtype} question "
                    f"(use {', '.join(sorted(CONSTRAINTS_BY_TYPE[qtype]))})",
                    key,
                )
                continue
            message = None
            value = spec
            if isinstance(spec, LineMap):
                self.unknown_fields(spec, {"value", "message"}, f"constraint {name!r}", key)
                value = spec.get("value")
                message = self.text(spec, "message", f"constraint {name!r}", key)
            result[name] = {
                "value": self.constraint_value(
                    name, value, qtype, key, line, allowed, later, in_repeat
                ),
                "message": message,
            }
        return result

    def constraint_value(self, name, value, qtype, key, line, allowed, later, in_repeat):
        if name in ("min_length", "max_length") or (
            name in ("min", "max") and qtype in ("integer", "multiple_choice")
        ):
            if not isinstance(value, int) or isinstance(value, bool):
                self.error(line, f"constraint {name!r} needs a whole number", key)
            return value
        if name in ("min", "max") and qtype == "decimal":
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                self.error(line, f"constraint {name!r} needs a number", key)
            return value
        if name in ("min", "max") and qtype == "date":
            import datetime

            if not isinstance(value, datetime.date):
                self.error(line, f"constraint {name!r} needs a date written YYYY-MM-DD", key)
                return None
            return value.isoformat()
        if name == "pattern":
            try:
                re.compile(str(value))
            except re.error as error:
                self.error(line, f"bad pattern: {error}", key)
            return str(value)
        holder = LineMap({"expression": value})
        holder.line, holder.key_lines = line, {"expression": line}
        return self.expression(holder, "expression", key, allowed | {key}, later - {key}, in_repeat)

    def repeat(
        self, raw: LineMap, question: dict, seen: set[str], all_keys: dict, lists: dict
    ) -> None:
        key = question["key"]
        minimum = self.integer(raw, "min", key) or 0
        maximum = self.integer(raw, "max", key, minimum=1)
        if maximum is None:
            maximum = 20
        if minimum > maximum:
            self.error(raw.line_of("min"), "'min' is larger than 'max'", key)
        question["min"], question["max"] = minimum, maximum
        question["add_label"] = self.text(raw, "add_label", "a repeat group", key)
        children_raw = raw.get("questions")
        if not isinstance(children_raw, LineList) or not children_raw:
            self.error(raw.line, "a repeat group needs its own list of 'questions'", key)
            question["questions"] = []
            return
        names = {str(c.get("key")) for c in children_raw if isinstance(c, LineMap)}
        context = {"siblings": set(), "all": names}
        children = []
        for child_raw in children_raw:
            child = self.question(child_raw, seen, all_keys, lists, repeat=context)
            if child:
                children.append(child)
                context["siblings"].add(child["key"])
        question["questions"] = children
