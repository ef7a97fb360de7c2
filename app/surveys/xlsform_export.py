"""A questionnaire version as an XLSForm workbook (survey, choices and settings sheets)
that ODK, KoboToolbox, SurveyCTO and pyxform read.

| app type | XLSForm |
|---|---|
| section | `begin_group` with `appearance` field-list (one page), its intro a `note` |
| note, text, integer, decimal, date | the same type |
| long_text | `text`, `appearance` multiline |
| yes_no | `select_one yes_no` |
| single_choice | `select_one <list>` (`appearance` minimal above 12 choices, as the app) |
| multiple_choice | `select_multiple <list>`, `or_other` when it has "Other" |
| likert | `select_one <list>`, `appearance` likert |
| rating | `select_one rating_<key>` (0 to 10, the ends labelled), `appearance` likert |
| matrix | `begin_group` `appearance` table-list: one `select_one <list>` per row |
| repeat | `begin_repeat` ... `end_repeat` |
| member, activity, work_plan_item | `select_one` from the lists of the moment |

Conditions are already written in XLSForm's syntax (`${q}`, `selected()`); constraints
become one `constraint` (their conjunction) and one `constraint_message` per language.
`xlsform_columns` describes the extra columns that make the way back exact.
"""

from __future__ import annotations

import json
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from app.surveys.model import PickerOptions
from app.surveys.xlsform_columns import (
    MATRIX_ROW_TYPE,
    SECTION_FOLLOW_UP_INTRO_TYPE,
    SECTION_INTRO_TYPE,
    SECTION_TYPE,
    TRANSLATED,
    constraint_formula,
    constraint_messages,
    language_column,
    stated_constraints,
    xlsform_expression,
)

SURVEY_COLUMNS = ("type", "name", *TRANSLATED, "required", "relevant", "constraint")
EXTRA_COLUMNS = ("appearance", "question_type", "kpi", "level", "app_settings")
# Types whose XLSForm reading is exact without the question_type column.
PLAIN_TYPES = ("note", "text", "integer", "decimal", "date", "single_choice", "multiple_choice")
PICKER_LISTS = {"member": "members", "activity": "activities", "work_plan_item": "work_plan_items"}
RATING_VALUES = [str(n) for n in range(11)]
MINIMAL_ABOVE = 12


class _Sheets:
    """The rows of the three sheets, built while walking the definition."""

    def __init__(self, content: dict, pickers: PickerOptions):
        self.content = content
        self.languages = ["en", *(code for code in content["languages"] if code != "en")]
        self.survey: list[dict[str, Any]] = []
        self.lists: dict[str, list[dict]] = dict(content["choice_lists"])
        self.names = set(_all_keys(content))
        self.picker_lists: dict[str, str] = {}
        self.inline: dict[str, str] = {}  # `~<key>` -> the name the XLSForm gives it
        self.pickers = pickers

    # -- naming ---------------------------------------------------------------------------
    def unique(self, wanted: str, taken: set[str] | dict) -> str:
        name, number = wanted, 2
        while name in taken:
            name, number = f"{wanted}_{number}", number + 1
        return name

    def texts(self, row: dict, column: str, texts: dict | None) -> None:
        for code, text in (texts or {}).items():
            row[language_column(column, code)] = text

    # -- rows -----------------------------------------------------------------------------
    def section(self, section: dict) -> None:
        row = {
            "type": "begin_group",
            "name": section["key"],
            "appearance": "field-list",
            "relevant": xlsform_expression(section.get("relevant")),
            "question_type": SECTION_TYPE,
        }
        self.texts(row, "label", section["title"])
        self.survey.append(row)
        if section.get("intro"):
            intro = {
                "type": "note",
                "name": self.unique(f"{section['key']}_intro", self.names),
                "question_type": SECTION_INTRO_TYPE,
            }
            self.names.add(intro["name"])
            self.texts(intro, "label", section["intro"])
            self.survey.append(intro)
        if section.get("follow_up_intro"):
            promise = {
                "type": "note",
                "name": self.unique(f"{section['key']}_follow_up_intro", self.names),
                "question_type": SECTION_FOLLOW_UP_INTRO_TYPE,
            }
            self.names.add(promise["name"])
            self.texts(promise, "label", section["follow_up_intro"])
            self.survey.append(promise)
        for question in section["questions"]:
            self.question(question)
        self.survey.append({"type": "end_group"})

    def question(self, question: dict) -> None:
        qtype = question["type"]
        if qtype == "matrix":
            self.matrix(question)
            return
        row = self.common(question)
        settings: dict[str, Any] = {}
        if qtype == "repeat":
            row["type"] = "begin_repeat"
            settings = {"min": question["min"], "max": question["max"]}
            if question.get("add_label"):
                settings["add_label"] = question["add_label"]
        else:
            row["type"], appearance = self.xlsform_type(question)
            if appearance:
                row["appearance"] = appearance
        if qtype == "rating":
            settings = {"low_label": question["low_label"], "high_label": question["high_label"]}
        if str(question.get("choices", "")).startswith("~"):
            settings["inline_choices"] = True
        constraints = stated_constraints(qtype, question.get("constraints") or {})
        if constraints:
            row["constraint"] = constraint_formula(qtype, constraints)
            self.texts(row, "constraint_message", constraint_messages(constraints, self.languages))
            settings["constraints"] = constraints
        if settings:
            row["app_settings"] = json.dumps(settings, ensure_ascii=False, sort_keys=True)
        self.survey.append(row)
        if qtype == "repeat":
            for child in question["questions"]:
                self.question(child)
            self.survey.append({"type": "end_repeat"})

    def common(self, question: dict) -> dict[str, Any]:
        row: dict[str, Any] = {
            "name": question["key"],
            "relevant": xlsform_expression(question.get("relevant")),
            "required": "yes" if question.get("required") else None,
            "kpi": question.get("kpi"),
            "level": question.get("level"),
        }
        if question["type"] not in PLAIN_TYPES:
            row["question_type"] = question["type"]
        self.texts(row, "label", question["label"])
        self.texts(row, "hint", question.get("hint"))
        return row

    def xlsform_type(self, question: dict) -> tuple[str, str | None]:
        """The XLSForm type of a question that is not a group, and its appearance."""
        qtype = question["type"]
        if qtype in ("note", "text", "integer", "decimal", "date"):
            return qtype, None
        if qtype == "long_text":
            return "text", "multiline"
        if qtype == "yes_no":
            return "select_one yes_no", None
        if qtype == "multiple_choice":
            other = " or_other" if question.get("other") else ""
            return f"select_multiple {self.list_of(question)}{other}", None
        if qtype == "single_choice":
            name = self.list_of(question)
            return f"select_one {name}", "minimal" if len(
                self.lists[name]
            ) > MINIMAL_ABOVE else None
        if qtype == "likert":
            return f"select_one {self.list_of(question)}", "likert"
        if qtype == "rating":
            return f"select_one {self.rating_list(question)}", "likert"
        return f"select_one {self.picker_list(qtype)}", "minimal"

    def matrix(self, question: dict) -> None:
        group = self.common(question)
        group.update(type="begin_group", appearance="table-list", required=None)
        if question["choices"].startswith("~"):
            group["app_settings"] = json.dumps({"inline_choices": True})
        self.survey.append(group)
        for matrix_row in question["rows"]:
            row: dict[str, Any] = {
                "type": f"select_one {self.list_of(question)}",
                "name": matrix_row["key"],
                "required": "yes" if question.get("required") else None,
                "kpi": matrix_row.get("kpi"),
                "question_type": MATRIX_ROW_TYPE,
            }
            self.texts(row, "label", matrix_row["label"])
            self.survey.append(row)
        self.survey.append({"type": "end_group"})

    # -- generated choice lists -------------------------------------------------------------
    def list_of(self, question: dict) -> str:
        """The XLSForm list of a question's choices. A list written in the question itself
        (stored as `~<key>`) gets a name XLSForm takes: `<key>_choices`."""
        name = question["choices"]
        if not name.startswith("~"):
            return name
        if name not in self.inline:
            self.inline[name] = self.unique(f"{question['key']}_choices", self.lists)
            self.lists[self.inline[name]] = self.lists.pop(name)
        return self.inline[name]

    def rating_list(self, question: dict) -> str:
        name = self.unique(f"rating_{question['key']}", self.lists)
        choices = [{"value": value, "label": {"en": value}} for value in RATING_VALUES]
        for end, label in ((0, question.get("low_label")), (10, question.get("high_label"))):
            if label:
                choices[end]["label"] = {code: f"{end} – {text}" for code, text in label.items()}
        self.lists[name] = choices
        return name

    def picker_list(self, qtype: str) -> str:
        if qtype in self.picker_lists:
            return self.picker_lists[qtype]
        name = self.unique(PICKER_LISTS[qtype], self.lists)
        options: list[tuple[Any, str]] = list(
            self.pickers.members
            if qtype == "member"
            else self.pickers.activities
            if qtype == "activity"
            else self.pickers.items
        )
        # XLSForm wants at least one choice; the app fills the list when it asks.
        self.lists[name] = [
            {"value": str(value), "label": {"en": label}} for value, label in options
        ] or [{"value": "none", "label": {"en": "(none when this file was made)"}}]
        self.picker_lists[qtype] = name
        return name


def _all_keys(content: dict) -> list[str]:
    keys = []
    for section in content["sections"]:
        keys.append(section["key"])
        for question in section["questions"]:
            keys.append(question["key"])
            keys.extend(child["key"] for child in question.get("questions", []))
            keys.extend(row["key"] for row in question.get("rows", []))
    return keys


def build_workbook(content: dict, version_number: int | None, pickers: PickerOptions) -> Workbook:
    """The XLSForm of a checked definition (``QuestionnaireVersion.definition``)."""
    sheets = _Sheets(content, pickers)
    for section in content["sections"]:
        sheets.section(section)
    workbook = Workbook()
    survey = workbook.active
    assert survey is not None
    survey.title = "survey"
    columns = [
        column
        for base in SURVEY_COLUMNS
        for column in (
            [language_column(base, code) for code in sheets.languages]
            if base in TRANSLATED
            else [base]
        )
    ]
    columns += list(EXTRA_COLUMNS)
    _write(survey, columns, sheets.survey)
    choices = workbook.create_sheet("choices")
    choice_rows = [
        {
            "list_name": name,
            "name": choice["value"],
            **{language_column("label", code): text for code, text in choice["label"].items()},
            "items": ", ".join(choice.get("items") or ()) or None,
        }
        for name, listed in sheets.lists.items()
        for choice in listed
    ]
    labels = [language_column("label", code) for code in sheets.languages]
    _write(choices, ["list_name", "name", *labels, "items"], choice_rows)
    settings = workbook.create_sheet("settings")
    texts = {name: content.get(name) for name in ("title", "intro", "thanks") if content.get(name)}
    _write(
        settings,
        ["form_title", "form_id", "version", "default_language", "style", "kind", "app_settings"],
        [
            {
                "form_title": content["title"]["en"],
                "form_id": content["key"],
                "version": str(version_number) if version_number else None,
                "default_language": language_column("label", "en").split("::", 1)[1],
                "style": "pages",
                "kind": content["kind"],
                "app_settings": json.dumps(texts, ensure_ascii=False, sort_keys=True),
            }
        ],
    )
    return workbook


def _write(sheet: Any, columns: list[str], rows: list[dict]) -> None:
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row.get(column) for column in columns])
    sheet.freeze_panes = "A2"


def xlsform_bytes(content: dict, version_number: int | None, pickers: PickerOptions) -> bytes:
    stream = BytesIO()
    build_workbook(content, version_number, pickers).save(stream)
    return stream.getvalue()
