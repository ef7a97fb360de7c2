"""What the XLSForm export and import share: the sheets' columns, language columns such as
``label::English (en)``, the problems an import names by sheet, row and column, and the
rendering of a question's constraints as one XLSForm ``constraint``.

Columns XLSForm tools do not know are ignored by them (pyxform, ODK, Kobo); the export
writes four of them so that a questionnaire comes back from its XLSForm unchanged:
``question_type`` (the app's type where XLSForm has no exact one: long_text, yes_no,
likert, rating, matrix, the pickers, a section), ``kpi``, ``level`` and ``app_settings``
(JSON: a repeat's min, max and "add" label, a rating's end labels, constraints with one
message each, the questionnaire's title, intro and thanks in every language).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Languages by code, for the XLSForm column names (`label::French (fr)`); a language not
# listed is written with its code as its name (`label::xx (xx)`).
LANGUAGE_NAMES = {
    "en": "English",
    "fr": "French",
    "es": "Spanish",
    "pt": "Portuguese",
    "ar": "Arabic",
    "zh": "Chinese",
    "ru": "Russian",
    "ja": "Japanese",
    "ko": "Korean",
    "id": "Indonesian",
    "ms": "Malay",
    "th": "Thai",
    "vi": "Vietnamese",
    "mn": "Mongolian",
    "ne": "Nepali",
    "bn": "Bengali",
    "hi": "Hindi",
    "fa": "Persian",
    "ur": "Urdu",
    "si": "Sinhala",
    "dv": "Dhivehi",
    "dz": "Dzongkha",
    "km": "Khmer",
    "lo": "Lao",
    "my": "Burmese",
    "tl": "Filipino",
    "to": "Tongan",
    "sm": "Samoan",
    "fj": "Fijian",
    "bi": "Bislama",
    "tet": "Tetum",
}
_CODE_IN_NAME = re.compile(r"\(([a-z]{2})\)\s*$", re.IGNORECASE)

TRANSLATED = ("label", "hint", "constraint_message")
SECTION_TYPE = "section"
SECTION_INTRO_TYPE = "section_intro"
SECTION_FOLLOW_UP_INTRO_TYPE = "section_follow_up_intro"
MATRIX_ROW_TYPE = "matrix_row"


def language_column(column: str, code: str) -> str:
    return f"{column}::{LANGUAGE_NAMES.get(code, code)} ({code})"


def language_code(name: str) -> str | None:
    """`English (en)` -> en, `French` -> fr, `fr` -> fr; None for a language not known."""
    name = name.strip()
    match = _CODE_IN_NAME.search(name)
    if match:
        return match.group(1).lower()
    if name.lower() in LANGUAGE_NAMES:
        return name.lower()
    by_name = {v.lower(): k for k, v in LANGUAGE_NAMES.items() if len(k) == 2}
    return by_name.get(name.lower())


@dataclass(frozen=True)
class XlsformProblem:
    """Something in an XLSForm the import cannot take, and where it is."""

    sheet: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.sheet} sheet"
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


# -- expressions and constraints ------------------------------------------------------------

_DATE_TEXT = re.compile(r"(?<!date\()(['\"])(\d{4}-\d{2}-\d{2})\1")


def xlsform_expression(source: str | None) -> str | None:
    """An app condition in XLSForm: the same syntax, but a date written as text
    (`'2015-01-01'`, which the app compares as text) becomes `date('2015-01-01')`, which
    ODK compares as a date. The import turns it back."""
    return _DATE_TEXT.sub(r"date('\2')", source) if source else source


def _quoted(text: str) -> str:
    return f'"{text}"' if "'" in text else f"'{text}'"


def _constraint_part(name: str, value: object, qtype: str) -> str:
    if name == "min_length":
        return f"string-length(.) >= {value}"
    if name == "max_length":
        return f"string-length(.) <= {value}"
    if name == "pattern":
        return f"regex(., {_quoted(str(value))})"
    if name == "expression":
        return f"({xlsform_expression(str(value))})"
    operator = ">=" if name == "min" else "<="
    if qtype == "multiple_choice":
        return f"count-selected(.) {operator} {value}"
    if qtype == "date":
        return f". {operator} date('{value}')"
    return f". {operator} {value}"


CONSTRAINT_ORDER = ("min_length", "max_length", "pattern", "min", "max", "expression")
DEFAULT_TEXT_MAX = {"text": 500, "long_text": 5000}


def stated_constraints(qtype: str, constraints: dict) -> dict:
    """The constraints a definition states: without the default text length the checker
    adds by itself (500 or 5000 characters, no message)."""
    stated = dict(constraints)
    default = DEFAULT_TEXT_MAX.get(qtype)
    if default is not None and stated.get("max_length") == {"value": default, "message": None}:
        del stated["max_length"]
    return stated


def constraint_formula(qtype: str, constraints: dict) -> str:
    """The constraints as one XLSForm ``constraint`` (their conjunction); empty if none."""
    parts = [
        _constraint_part(name, constraints[name]["value"], qtype)
        for name in CONSTRAINT_ORDER
        if name in constraints and constraints[name].get("value") is not None
    ]
    if len(parts) == 1 and parts[0].startswith("("):
        return parts[0][1:-1]
    return " and ".join(parts)


def constraint_messages(constraints: dict, languages: list[str]) -> dict[str, str]:
    """One XLSForm ``constraint_message`` per language: the constraints' own messages,
    joined (a missing translation falls back to English, as on the respondent pages)."""
    messages: dict[str, str] = {}
    for code in languages:
        texts: list[str] = []
        for name in CONSTRAINT_ORDER:
            message = (constraints.get(name) or {}).get("message")
            text = (message or {}).get(code) or (message or {}).get("en")
            if text and text not in texts:
                texts.append(text)
        if texts:
            messages[code] = " ".join(texts)
    return messages
