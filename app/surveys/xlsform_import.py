"""An XLSForm workbook turned into a questionnaire file (the YAML of `surveys/`).

Groups at the top level become sections (questions outside any group are gathered into
sections of their own); `begin_repeat` becomes a repeat group; a `table-list` group of
`select_one` questions on one list becomes a matrix; `calculate` rows are written into the
conditions that use them, when the condition language can say them. Everything the app
cannot take is a problem naming its sheet, row and column; with any problem, nothing is
produced. The file produced is checked by `app.surveys.definitions` like any other, and
its errors are reported at the rows they come from.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import IO, Any

from app.surveys.definitions import (
    BUILT_IN_LISTS,
    CHOICE_VALUE,
    DEFINITION_KEY,
    KINDS,
    QUESTION_KEY,
    load_definition_text,
)
from app.surveys.expressions import parse
from app.surveys.xlsform_columns import (
    XlsformProblem,
)
from app.surveys.xlsform_groups import GroupRows, humanised, new_section, stem
from app.surveys.xlsform_questions import INLINE, OWN_CHOICES
from app.surveys.xlsform_read import (
    SURVEY_NOTICED,
    SURVEY_READ,
    SURVEY_REFUSED,
    Row,
    Workbook,
    read_workbook,
)
from app.surveys.xlsform_yaml import definition_yaml

QUESTION_TYPES = {"text", "integer", "decimal", "date", "note", "select_one", "select_multiple"}
TYPE_ALIASES = {"int": "integer", "select one": "select_one", "select multiple": "select_multiple"}
METADATA_TYPES = {
    "start",
    "end",
    "today",
    "deviceid",
    "phonenumber",
    "username",
    "email",
    "simserial",
    "subscriberid",
    "audit",
    "start-geopoint",
}
# Where a checked definition's error comes from: its field, as an XLSForm column.
_FIELD = re.compile(r"^(?:bad expression in )?'(\w+)'|^(?:unknown )?KPI (role)")
_COLUMN_OF_FIELD = {
    "expression": "constraint",
    "choices": "type",
    "min": "app_settings",
    "role": "kpi",
}


@dataclass
class ImportResult:
    key: str | None = None
    yaml_text: str | None = None
    problems: list[XlsformProblem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and self.yaml_text is not None


def import_xlsform(stream: IO[bytes], filename: str, key: str | None = None) -> ImportResult:
    """The questionnaire file of the XLSForm in ``stream``, or the problems that stop it."""
    book = read_workbook(stream)
    result = ImportResult(problems=list(book.problems), notices=list(book.notices))
    if result.problems:
        return result
    builder = _Builder(book, result)
    content = builder.definition(filename, key)
    if result.problems or content is None:
        return result
    text = definition_yaml(content)
    loaded = load_definition_text(text, f"{content['key']}.yaml")
    for error in loaded.errors:
        row = builder.row_of_key.get(error.key or "")
        field = _FIELD.match(error.message)
        name = (field.group(1) or field.group(2)) if field and row else None
        column = _COLUMN_OF_FIELD.get(name, name) if name else None
        result.problems.append(
            XlsformProblem(
                "survey",
                row.number if row else None,
                row.header(column) if row and column else None,
                error.message,
            )
        )
    if not result.problems:
        result.key, result.yaml_text = content["key"], text
    return result


def _type_of(row: Row) -> tuple[str, list[str]]:
    """The row's type and its arguments: `select_one areas or_other` -> select_one, [areas,
    or_other]. The type is read in any case; a list's name as written."""
    text = re.sub(r"\s+", " ", row.get("type"))
    for alias, name in TYPE_ALIASES.items():
        if text.lower() == alias or text.lower().startswith(alias + " "):
            text = name + text[len(alias) :]
    if re.fullmatch(r"(begin|end) (group|repeat)", text.lower()):
        text = text.lower().replace(" ", "_")
    base, *arguments = text.split(" ")
    return base.lower(), [arguments[0], *(a.lower() for a in arguments[1:])] if arguments else []


class _Builder(GroupRows):
    def __init__(self, book: Workbook, result: ImportResult):
        self.book = book
        self.result = result
        self.row_of_key: dict[str, Row] = {}
        self.bad_values: dict[str, list[Row]] = {}
        self.lists = self.choice_lists()
        self.calculations: dict[str, str] = {}
        self.names = {row.get("name") for row in book.survey if row.get("name")}
        self.sections: list[dict] = []
        self.section: dict | None = None
        self.group: dict | None = None  # an open matrix or repeat inside the section
        self.list_users: dict[str, set[str]] = {}
        self.title: dict = {}
        self._settings: dict[int, dict] = {}
        self.open: list[str] = []  # the kinds of the groups open at this row
        self.inner: list[str | None] = []  # relevants of groups flattened into a section

    # -- choices --------------------------------------------------------------------------
    def choice_lists(self) -> dict[str, list[dict]]:
        lists: dict[str, list[dict]] = {}
        for row in self.book.choices:
            name, value = row.get("list_name"), row.get("name")
            if not name or not QUESTION_KEY.match(name):
                self.problem(
                    row,
                    "list_name",
                    f"list name {name!r} must be lowercase letters, digits and _",
                    "choices",
                )
                continue
            if not CHOICE_VALUE.match(value):
                # Refused only if the list is kept: the lists of the pickers are not.
                self.bad_values.setdefault(name, []).append(row)
            if any(c["value"] == value for c in lists.get(name, [])):
                self.problem(row, "name", f"{value!r} appears twice in list {name!r}", "choices")
            label = row.texts.get("label")
            if not label:
                self.problem(row, "label", f"choice {value!r} has no label", "choices")
                continue
            choice: dict[str, Any] = {"value": value, "label": label}
            if row.get("items"):
                choice["items"] = [code.strip() for code in row.get("items").split(",")]
            lists.setdefault(name, []).append(choice)
        return lists

    # -- the whole form ---------------------------------------------------------------------
    def definition(self, filename: str, key: str | None) -> dict | None:
        settings = self.book.settings
        texts = self.settings_texts(settings)
        form_title = settings.get("form_title") if settings else ""
        self.title = texts.get("title") or {"en": form_title or humanised(filename)}
        self.columns()
        for row in self.book.survey:
            self.row(row)
        if self.open:
            self.problem(None, None, f"a {self.open[-1]} is not closed (end_group, end_repeat)")
        lists = {
            name: choices
            for name, choices in self.lists.items()
            if (not self.list_users.get(name) or self.list_users[name] - {*OWN_CHOICES, INLINE})
            and not _is_built_in(name, choices)
        }
        for name in lists:
            for row in self.bad_values.get(name, []):
                self.problem(
                    row,
                    "name",
                    f"choice name {row.get('name')!r} must be letters, digits, _ or . (64 at most)",
                    "choices",
                )
        intro = texts.get("intro") or self.leading_notes()
        return {
            "key": self.definition_key(settings, key, filename),
            "kind": self.kind(settings),
            "title": self.title,
            "intro": intro,
            "thanks": texts.get("thanks"),
            "choice_lists": lists,
            "sections": [
                {k: v for k, v in s.items() if k not in ("open", "implicit")} for s in self.sections
            ],
        }

    def leading_notes(self) -> dict | None:
        """The notes a form opens with, outside any group and shown always, as the
        questionnaire's intro (rather than a page of their own)."""
        first = self.sections[0] if self.sections else None
        if first is None or not first["implicit"] or len(self.sections) == 1:
            return None
        notes = first["questions"]
        if not all(q["type"] == "note" and not q["relevant"] and not q["hint"] for q in notes):
            return None
        self.sections.pop(0)
        languages = {code for note in notes for code in note["label"] or {}}
        return {
            code: "\n\n".join(
                (note["label"] or {}).get(code) or (note["label"] or {}).get("en", "")
                for note in notes
            )
            for code in languages
        }

    def settings_texts(self, settings: Row | None) -> dict:
        if settings is None or not settings.get("app_settings"):
            return {}
        try:
            texts = json.loads(settings.get("app_settings"))
        except ValueError:
            self.problem(settings, "app_settings", "not valid JSON", "settings")
            return {}
        return texts if isinstance(texts, dict) else {}

    def definition_key(self, settings: Row | None, key: str | None, filename: str) -> str:
        raw = key or (settings.get("form_id") if settings else "") or stem(filename)
        normal = re.sub(r"[\s_]+", "-", raw.strip().lower())
        if not DEFINITION_KEY.match(normal):
            where = (None, "--key") if key or settings is None else (settings, "form_id")
            self.problem(
                where[0],
                where[1],
                f"{raw!r} cannot be a questionnaire key: lowercase letters, digits and "
                "hyphens, starting with a letter (give one with --key)",
                "settings",
            )
        return normal

    def kind(self, settings: Row | None) -> str:
        kind = settings.get("kind") if settings else ""
        if kind and kind not in KINDS:
            self.problem(settings, "kind", f"kind must be one of {', '.join(KINDS)}", "settings")
        return kind or "other"

    def columns(self) -> None:
        """Refused columns where they are filled in; a notice for the ones read past."""
        seen: set[str] = set()
        for row in self.book.survey:
            for column in [*row.cells, *row.texts]:
                base = column.split("::")[0]
                if base in SURVEY_REFUSED:
                    self.problem(row, column, SURVEY_REFUSED[base])
                elif base not in SURVEY_READ and base not in seen and not base.startswith("$"):
                    seen.add(base)
                    what = (
                        "presentation only"
                        if base in SURVEY_NOTICED
                        else "not a column the app reads"
                    )
                    self.result.notices.append(f"survey sheet, column {column}: {what}; ignored")

    # -- rows -------------------------------------------------------------------------------
    def row(self, row: Row) -> None:
        base, arguments = _type_of(row)
        if not base:
            if row.get("name") or row.texts:
                self.problem(row, "type", "this row has no type")
            return
        if base in ("begin_group", "end_group", "begin_repeat", "end_repeat"):
            self.structure(row, base)
        elif base == "calculate":
            self.calculate(row)
        elif base in METADATA_TYPES:
            self.result.notices.append(
                f"survey sheet, row {row.number}: {base!r} is device metadata; the app "
                "records its own times (skipped)"
            )
        elif base not in QUESTION_TYPES:
            hint = " (choices from a file: copy them into the choices sheet)"
            self.problem(
                row,
                "type",
                f"{row.get('type')!r} is not supported"
                + (hint if base.endswith("_from_file") else ""),
            )
        else:
            self.question(row, base, arguments)

    def calculate(self, row: Row) -> None:
        name = row.get("name")
        formula = self.expression(row, "calculation")
        if formula is None:
            if not row.get("calculation"):
                self.problem(row, "calculation", "a calculate row needs a calculation")
            return
        if parse(formula).uses_current_value:
            self.problem(row, "calculation", "'.' has no meaning in a calculation")
            return
        self.calculations[name] = f"({formula})"
        self.result.notices.append(
            f"survey sheet, row {row.number}: calculate {name!r} is written into the "
            "conditions that use it"
        )

    def add(self, question: dict) -> None:
        if self.group is not None and self.group["type"] == "repeat":
            self.group["questions"].append(question)
            return
        if self.section is None or not self.section["open"]:
            taken = {s["key"] for s in self.sections} | self.names
            number = len(self.sections) + 1
            while f"section_{number}" in taken:
                number += 1
            self.sections.append(new_section(f"section_{number}", self.title, implicit=True))
            self.section = self.sections[-1]
        self.section["questions"].append(question)


def _is_built_in(name: str, choices: list[dict]) -> bool:
    """Whether a list is the built-in list of that name, in the languages the form has
    (a form in English alone carries only the English labels of `agree5`)."""
    built_in = BUILT_IN_LISTS.get(name)
    if built_in is None or [c["value"] for c in built_in] != [c["value"] for c in choices]:
        return False
    labels: list[Any] = [c["label"] for c in built_in]
    return all(
        not choice.get("items")
        and all(own.get(code) == text for code, text in choice["label"].items())
        for choice, own in zip(choices, labels, strict=True)
    )
