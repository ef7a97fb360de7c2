"""The question rows of an XLSForm import: a row's app type, its fields, its conditions
translated into the app's condition language, its constraints, matrix rows."""

from __future__ import annotations

import json
import re
from typing import Any

from app.surveys.definitions import CONSTRAINTS_BY_TYPE, QUESTION_KEY
from app.surveys.expressions import ExpressionError, parse
from app.surveys.xlsform_columns import (
    MATRIX_ROW_TYPE,
    SECTION_FOLLOW_UP_INTRO_TYPE,
    SECTION_INTRO_TYPE,
    XlsformProblem,
    constraint_formula,
)
from app.surveys.xlsform_read import Row

# The app types a `question_type` cell may give, by the XLSForm type they stand on.
APP_TYPES = {
    "text": {"text", "long_text"},
    "select_one": {
        "single_choice",
        "yes_no",
        "likert",
        "rating",
        "member",
        "activity",
        "work_plan_item",
    },
    "select_multiple": {"multiple_choice"},
    "note": {"note", SECTION_INTRO_TYPE, SECTION_FOLLOW_UP_INTRO_TYPE},
}
OWN_CHOICES = ("yes_no", "rating", "member", "activity", "work_plan_item")  # no `choices`
INLINE = "inline"  # a list written into the question that uses it
LIKERT_VALUES = ["1", "2", "3", "4", "5"]
YES = {"yes", "true", "true()", "1"}
NO = {"", "no", "false", "false()", "0"}
_REFERENCE = re.compile(r"\$\{\s*([^}\s]*)\s*\}")
_DATE_CALL = re.compile(r"\bdate\(\s*('[^']*'|\"[^\"]*\")\s*\)")
_RATING_END = re.compile(r"^\s*(?:0|10)\s*[–-]\s*")


class QuestionRows:
    """Mixed into the import's builder, which owns the state these methods read."""

    result: Any
    lists: dict[str, list[dict]]
    list_users: dict[str, set[str]]
    names: set[str]
    calculations: dict[str, str]
    row_of_key: dict[str, Row]
    group: dict | None
    section: dict | None
    _settings: dict[int, dict]

    def problem(self, row: Row | None, column: str | None, message: str, sheet="survey") -> None:
        header = row.header(column) if row and column else column
        self.result.problems.append(
            XlsformProblem(sheet, row.number if row else None, header, message)
        )

    def add(self, question: dict) -> None:
        raise NotImplementedError

    def inner_relevant(self, relevant: str | None) -> str | None:
        raise NotImplementedError

    # -- one question row ---------------------------------------------------------------------
    def question(self, row: Row, base: str, arguments: list[str]) -> None:
        if self.group is not None and self.group["type"] == "matrix":
            self.matrix_row(row, base, arguments)
            return
        app = self.app_type(row, base, arguments)
        if app in (SECTION_INTRO_TYPE, SECTION_FOLLOW_UP_INTRO_TYPE):
            if self.section is not None and not self.section["questions"]:
                name = "intro" if app == SECTION_INTRO_TYPE else "follow_up_intro"
                self.section[name] = row.texts.get("label")
                return
            app = "note"
        if app is None:
            return
        question = self.question_fields(row, app)
        if question is None:
            return
        if base in ("select_one", "select_multiple"):
            self.choices(row, question, arguments)
        if app == "rating":
            self.rating_ends(row, question, arguments[0])
        self.constraints(row, question)
        self.add(question)

    def app_type(self, row: Row, base: str, arguments: list[str]) -> str | None:
        given = row.get("question_type")
        if (
            base in ("select_one", "select_multiple")
            and arguments
            and arguments[0] not in self.lists
        ):
            self.problem(row, "type", f"choice list {arguments[0]!r} is not in the choices sheet")
            return None
        if base in ("select_one", "select_multiple") and not arguments:
            self.problem(row, "type", f"{base} needs the name of a choice list after it")
            return None
        if given:
            if given not in APP_TYPES.get(base, {base}):
                self.problem(row, "question_type", f"{given!r} cannot stand on a {base} row")
                return None
            return given
        if base == "text":
            return "long_text" if "multiline" in row.get("appearance") else "text"
        if base == "select_one":
            values = [c["value"] for c in self.lists[arguments[0]]]
            likert = "likert" in row.get("appearance") and values == LIKERT_VALUES
            return "likert" if likert else "single_choice"
        return "multiple_choice" if base == "select_multiple" else base

    def question_fields(self, row: Row, app: str) -> dict | None:
        name = row.get("name")
        if not name:
            self.problem(row, "name", "a question needs a name")
            return None
        if not QUESTION_KEY.match(name):
            self.problem(
                row,
                "name",
                f"{name!r} must be lowercase letters, digits and _, starting with a letter "
                "(63 at most)",
            )
            return None
        if name in self.row_of_key:
            self.problem(
                row, "name", f"{name!r} is used twice (also row {self.row_of_key[name].number})"
            )
            return None
        self.row_of_key[name] = row
        if not row.texts.get("label"):
            self.problem(row, "label", "a question needs a label")
        question: dict[str, Any] = {
            "key": name,
            "type": app,
            "label": row.texts.get("label"),
            "hint": row.texts.get("hint"),
            "relevant": self.expression(row, "relevant"),
        }
        if self.group is None:  # inside a repeat or matrix, the group carries them
            question["relevant"] = self.inner_relevant(question["relevant"])
        if app != "note":
            question["required"] = self.required(row)
            question["kpi"] = row.get("kpi") or None
            question["level"] = row.get("level") or None
        return question

    def required(self, row: Row) -> bool:
        value = row.get("required").lower()
        if value not in YES | NO:
            self.problem(
                row,
                "required",
                f"{row.get('required')!r}: required must be yes or no (a condition is not "
                "supported)",
            )
        return value in YES

    def choices(self, row: Row, question: dict, arguments: list[str]) -> None:
        name, extra = arguments[0], arguments[1:]
        inline = bool(self.app_settings(row).get("inline_choices"))
        self.list_users.setdefault(name, set()).add(INLINE if inline else question["type"])
        if question["type"] not in OWN_CHOICES:
            question["choices"] = [dict(c) for c in self.lists[name]] if inline else name
        if extra == ["or_other"] and question["type"] == "multiple_choice":
            question["other"] = True
        elif extra == ["or_other"]:
            self.problem(row, "type", "or_other is supported on select_multiple only")
        elif extra:
            self.problem(row, "type", f"{' '.join(extra)!r} after the list name is not supported")

    def rating_ends(self, row: Row, question: dict, list_name: str) -> None:
        settings = self.app_settings(row)
        for end, field in ((0, "low_label"), (-1, "high_label")):
            if field in settings:
                question[field] = settings[field]
                continue
            label = self.lists[list_name][end]["label"]
            texts = {code: _RATING_END.sub("", text) for code, text in label.items()}
            question[field] = texts if any(_RATING_END.match(t) for t in label.values()) else None

    def constraints(self, row: Row, question: dict) -> None:
        formula = row.get("constraint")
        if not formula:
            return
        if question["type"] not in CONSTRAINTS_BY_TYPE:
            self.problem(
                row, "constraint", f"a constraint on a {question['type']} is not supported"
            )
            return
        stated = self.app_settings(row).get("constraints")
        if stated and constraint_formula(question["type"], stated) == formula:
            question["constraints"] = stated
            return
        value = self.expression(row, "constraint")
        if value is not None:
            message = row.texts.get("constraint_message")
            question["constraints"] = {"expression": {"value": value, "message": message}}

    def matrix_row(self, row: Row, base: str, arguments: list[str]) -> None:
        matrix = self.group
        assert matrix is not None
        if base != "select_one" or not arguments or arguments[0] not in self.lists:
            self.problem(
                row, "type", "a table-list group (a matrix) holds select_one questions only"
            )
            return
        if matrix["list"] not in (None, arguments[0]):
            self.problem(
                row,
                "type",
                f"the rows of a matrix share one choice list ({matrix['list']!r} above)",
            )
            return
        for column in ("relevant", "constraint"):
            if row.get(column):
                self.problem(row, column, f"a matrix row cannot have its own {column}")
        name = row.get("name")
        if row.get("question_type") not in ("", MATRIX_ROW_TYPE) or not QUESTION_KEY.match(name):
            self.problem(row, "name", f"{name!r} must be lowercase letters, digits and _")
            return
        self.list_users.setdefault(arguments[0], set()).add(
            INLINE if matrix["inline"] else "matrix"
        )
        matrix["list"] = arguments[0]
        matrix["choices"] = (
            [dict(c) for c in self.lists[arguments[0]]] if matrix["inline"] else arguments[0]
        )
        matrix["required"] = matrix["required"] and self.required(row)
        matrix["rows"].append(
            {"key": name, "label": row.texts.get("label"), "kpi": row.get("kpi") or None}
        )

    # -- cells ----------------------------------------------------------------------------
    def app_settings(self, row: Row) -> dict:
        if row.number not in self._settings:
            self._settings[row.number] = {}
            if row.get("app_settings"):
                try:
                    settings = json.loads(row.get("app_settings"))
                except ValueError:
                    self.problem(row, "app_settings", "not valid JSON")
                else:
                    self._settings[row.number] = settings if isinstance(settings, dict) else {}
        return self._settings[row.number]

    def expression(self, row: Row, column: str) -> str | None:
        """The row's XLSForm expression in ``column``, in the app's condition language:
        calculations written in, `date('…')` as the text it compares as."""
        source = row.get(column)
        if not source:
            return None
        text = _REFERENCE.sub(lambda m: self.calculations.get(m.group(1), m.group(0)), source)
        text = _DATE_CALL.sub(r"\1", text)
        try:
            parsed = parse(text)
        except ExpressionError as error:
            self.problem(row, column, f"cannot take {source!r}: {error}")
            return None
        unknown = sorted(parsed.references - self.names)
        if unknown:
            self.problem(
                row, column, f"{source!r} refers to ${{{unknown[0]}}}, which is not in this form"
            )
            return None
        return text
