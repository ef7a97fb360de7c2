"""Reading an XLSForm workbook's sheets into rows with their row numbers: the survey rows,
the choice lists and the settings, with texts gathered by language. What cannot be read
is collected as problems naming the sheet, row and column."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import IO, Any

from openpyxl import load_workbook

from app.surveys.xlsform_columns import TRANSLATED, XlsformProblem, language_code

# Columns the import reads; the others are listed in IGNORED or refused when filled.
SURVEY_READ = {
    "type",
    "name",
    "required",
    "relevant",
    "constraint",
    "appearance",
    "calculation",
    "question_type",
    "kpi",
    "level",
    "app_settings",
    *TRANSLATED,
}
# Filled in, these change what is asked or stored: the import cannot honour them.
SURVEY_REFUSED = {
    "choice_filter": "filtered choices are not supported",
    "repeat_count": "a fixed number of repeats is not supported (the app uses min and max)",
    "default": "default answers are not supported",
    "read_only": "read-only questions are not supported",
    "trigger": "triggered calculations are not supported",
    "parameters": "question parameters are not supported",
    "image": "media in questions are not supported",
    "audio": "media in questions are not supported",
    "video": "media in questions are not supported",
    "media": "media in questions are not supported",
}
# Presentation only: read past with a notice.
SURVEY_NOTICED = {"required_message", "guidance_hint", "label_short"}
ALIASES = {"list name": "list_name", "value": "name", "caption": "label", "id_string": "form_id"}
MAX_ROWS = 5000


@dataclass
class Row:
    number: int
    cells: dict[str, Any]
    texts: dict[str, dict[str, str]] = field(default_factory=dict)  # column -> {lang: text}
    columns: dict[str, str] = field(default_factory=dict)  # column -> its header as written

    def get(self, column: str) -> str:
        value = self.cells.get(column)
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value).strip()

    def header(self, column: str) -> str:
        return self.columns.get(column, column)


@dataclass
class Workbook:
    survey: list[Row]
    choices: list[Row]
    settings: Row | None
    problems: list[XlsformProblem]
    notices: list[str]
    languages: set[str]


def read_workbook(stream: IO[bytes]) -> Workbook:
    """The sheets of an XLSForm (.xlsx); a file that is not one is a single problem."""
    result = Workbook([], [], None, [], [], set())
    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is not .xlsx
        result.problems.append(
            XlsformProblem("workbook", None, None, f"not an .xlsx workbook ({error})")
        )
        return result
    sheets = {name.strip().lower(): book[name] for name in book.sheetnames}
    if "survey" not in sheets:
        result.problems.append(XlsformProblem("workbook", None, None, "no sheet named 'survey'"))
        return result
    default = "en"
    if "settings" in sheets:
        settings = _rows(sheets["settings"], "settings", result)
        result.settings = settings[0] if settings else None
        named = result.settings.get("default_language") if result.settings else ""
        if named:
            default = language_code(named) or default
    result.survey = _rows(sheets["survey"], "survey", result, default)
    if "choices" in sheets:
        result.choices = _rows(sheets["choices"], "choices", result, default)
    book.close()
    return result


def _header(value: Any) -> str:
    text = re.sub(r"\s+", " ", str(value or "")).strip()
    base, _, language = text.partition("::")
    base = base.strip().lower()
    base = ALIASES.get(base, base)
    return f"{base}::{language.strip()}" if language else base


def _rows(sheet: Any, name: str, book: Workbook, default: str = "en") -> list[Row]:
    rows = sheet.iter_rows(values_only=True)
    headers = [_header(value) for value in next(rows, ())]
    found: list[Row] = []
    for number, values in enumerate(rows, start=2):
        if number > MAX_ROWS:
            book.problems.append(
                XlsformProblem(name, number, None, f"more than {MAX_ROWS} rows: not read further")
            )
            break
        if all(value is None or str(value).strip() == "" for value in values):
            continue
        row = Row(number, {})
        for header, value in zip(headers, values, strict=False):
            if header and value is not None and str(value).strip() != "":
                _cell(row, header, value, name, book, default)
        found.append(row)
    return found


def _cell(row: Row, header: str, value: Any, sheet: str, book: Workbook, default: str) -> None:
    base, _, language = header.partition("::")
    if base in TRANSLATED:
        code = language_code(language) if language else default
        if code is None:
            book.problems.append(
                XlsformProblem(
                    sheet,
                    row.number,
                    header,
                    f"unknown language {language!r}: write it as 'Name (xx)' "
                    "with its two-letter code, e.g. label::French (fr)",
                )
            )
            return
        book.languages.add(code)
        row.texts.setdefault(base, {})[code] = str(value).strip()
        row.columns.setdefault(base, header)
        return
    row.cells[header] = value
    row.columns[header] = header
