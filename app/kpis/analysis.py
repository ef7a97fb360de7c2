"""Analysis-ready exports: the columns of one round, or of every round of a questionnaire
in a plan year, named once and the same in every file (see docs/exports.md).

One header row of names made from question keys, so a column keeps its name across
versions and rounds: ``key`` for a one-value question, ``key__choice`` (0/1) for each
choice of a multiple choice and ``key__other_text`` for its "other" text, ``key__row``
for each row of a matrix. Repeat groups go to a long table keyed by ``response_id``,
``group`` and ``entry``. SPSS and Stata limit names (64 bytes, 32 characters) and
labels: `format_names` renames deterministically, and the codebook shows every name.

The plan reads the stored versions only; `analysis_rows` reads the responses in batches
(`exports.response_batches`) and yields one row at a time.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.kpis.exports import response_batches
from app.models import SurveyRound
from app.surveys.answers import OTHER_ITEM
from app.surveys.model import Definition, Question, text_in

# What a column holds: a number, a text, a date, a moment, or a code of a choice list.
NUMBER, TEXT, DATE, MOMENT, CODED = "number", "text", "date", "datetime", "coded"
SELECTED = {
    0: {"en": "Not selected", "fr": "Non sélectionné"},
    1: {"en": "Selected", "fr": "Sélectionné"},
}
OTHER_TEXT = "other_text"
MEMBER = "response_member"  # the respondent's administration (not a question's answer)
SEPARATOR = "__"

# SPSS and Stata limits on names and labels (bytes for SPSS, characters for Stata).
SPSS_NAME, STATA_NAME = 64, 32
STATA_LABEL_SET_DIGITS = 4
SPSS_VARIABLE_LABEL, SPSS_VALUE_LABEL = 256, 120
STATA_VARIABLE_LABEL, STATA_VALUE_LABEL = 80, 32000
SPSS_RESERVED = {"all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne", "not", "or", "to", "with"}
STATA_RESERVED = {
    "_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int", "long",
    "_n", "_N", "_pi", "_pred", "_rc", "_skip", "strl", "using", "with",
}  # fmt: skip


@dataclass
class Column:
    """One column of the file. ``codes`` maps a stored value to its numeric code in .sav
    and .dta (coded columns); ``labels`` gives each code its label by language."""

    name: str
    key: str = ""
    item: str = ""
    qtype: str = ""
    storage: str = TEXT
    question: dict = field(default_factory=dict)
    part: dict = field(default_factory=dict)  # the choice or matrix row, by language
    kpi: str = ""
    level: str = ""
    codes: dict[str, int] = field(default_factory=dict)
    labels: dict[int, dict] = field(default_factory=dict)
    values: dict[int, str] = field(default_factory=dict)  # code -> stored value

    def label(self, lang: str = "en") -> str:
        """The variable label: the question, then the choice or row it is about."""
        question = text_in(self.question, lang)
        if self.item == OTHER_ITEM:
            return f"{question} (other, specify)"
        part = text_in(self.part, lang)
        return f"{question}: {part}" if part else question

    def code_of(self, value: Any) -> int:
        """The numeric code of a stored value; a value no version lists (changed by hand
        in the database) gets the next free code, labelled with the value itself."""
        text = _plain(value)
        if text not in self.codes:
            code = max([0, *self.codes.values(), *self.labels]) + 1
            self.codes[text] = code
            self.labels[code] = {"en": text}
            self.values[code] = text
        return self.codes[text]


@dataclass
class AnalysisPlan:
    """What an export of some rounds contains: its rounds (oldest first), the response
    columns and the repeat columns, and the languages of the labels."""

    rounds: list[SurveyRound]
    columns: list[Column]
    repeat_columns: list[Column]
    languages: list[str]
    anonymous: dict[int, bool]
    lang: str = "en"  # the language of the labels in .sav and .dta files

    def in_language(self, lang: str) -> AnalysisPlan:
        """The plan with its .sav and .dta labels in ``lang`` (English where a text has
        no translation); ValueError for a language the questionnaire does not use."""
        if lang not in self.languages:
            raise ValueError(
                f"the questionnaire has no labels in {lang!r} "
                f"(its languages: {', '.join(self.languages)})"
            )
        self.lang = lang
        return self

    @property
    def has_member(self) -> bool:
        return any(c.name == MEMBER and not c.key for c in self.columns)


def analysis_plan(
    rounds: Sequence[SurveyRound], activity_labels: dict[int, str] | None = None
) -> AnalysisPlan:
    """The columns of the rounds' files: the union over the versions they pin, newest
    version first (a question dropped later keeps its column, after the newer ones).
    ``activity_labels`` label the codes of activity pickers (activity id -> title)."""
    if not rounds:
        raise ValueError("no round to export")
    ordered = sorted(rounds, key=lambda r: r.id)
    versions = {r.version_id: r.version for r in ordered}
    definitions = [
        Definition.from_json(v.definition)
        for v in sorted(versions.values(), key=lambda v: v.number, reverse=True)
    ]
    languages: list[str] = []
    for definition in definitions:
        languages.extend(lang for lang in definition.languages if lang not in languages)
    columns = [
        Column("response_id", storage=NUMBER, question={"en": "Response id"}),
        Column("round_id", storage=NUMBER, question={"en": "Survey round id"}),
        Column("version", storage=NUMBER, question={"en": "Questionnaire version"}),
        Column("submitted_at", storage=MOMENT, question={"en": "Submitted at (UTC)"}),
    ]
    if not all(r.anonymous for r in ordered):
        # Anonymous rounds never export the Member: not even an empty column when every
        # round is anonymous, and an empty cell for their rows otherwise.
        columns.append(
            Column(MEMBER, storage=TEXT, question={"en": "Member administration of the response"})
        )
    repeat_columns = [
        Column("response_id", storage=NUMBER, question={"en": "Response id"}),
        Column("round_id", storage=NUMBER, question={"en": "Survey round id"}),
        Column("group", storage=TEXT, question={"en": "Repeat group (question key)"}),
        Column("entry", storage=NUMBER, question={"en": "Entry number within the group"}),
    ]
    merged: dict[tuple[str, str], Column] = {}
    for definition in definitions:
        for question in definition.questions():
            if question.type == "repeat":
                for child in question.questions:
                    _merge(
                        merged,
                        repeat_columns,
                        _question_columns(definition, child, activity_labels),
                    )
            elif question.type != "note":
                _merge(merged, columns, _question_columns(definition, question, activity_labels))
    _unique_names(columns)
    _unique_names(repeat_columns)
    return AnalysisPlan(
        ordered, columns, repeat_columns, languages, {r.id: r.anonymous for r in ordered}
    )


def _merge(merged: dict, target: list[Column], new: list[Column]) -> None:
    """Add the columns not seen yet; a coded column seen in another version gains the
    choices only that version lists (after the ones it had)."""
    for column in new:
        seen = merged.get((column.key, column.item))
        if seen is None:
            merged[(column.key, column.item)] = column
            target.append(column)
            continue
        for value, code in column.codes.items():
            if value not in seen.codes:
                code = code if code not in seen.labels else max(seen.labels) + 1
                seen.codes[value] = code
                seen.labels[code] = column.labels[column.codes[value]]
                seen.values[code] = value


def _question_columns(
    definition: Definition, question: Question, activity_labels: dict[int, str] | None
) -> list[Column]:
    base: dict[str, Any] = {
        "key": question.key,
        "qtype": question.type,
        "question": question.label,
        "kpi": question.kpi or "",
        "level": question.level or "",
    }
    qtype = question.type
    if qtype == "multiple_choice":
        choices = [(c.value, c.label) for c in question.choices]
        if question.other:
            choices.append(("other", {"en": "Other", "fr": "Autre"}))
        columns = [
            Column(
                f"{question.key}{SEPARATOR}{_safe(value)}",
                item=value,
                storage=CODED,
                part=label,
                codes={"0": 0, "1": 1},
                labels=dict(SELECTED),
                values={0: "0", 1: "1"},
                **base,
            )
            for value, label in choices
        ]
        if question.other:
            columns.append(
                Column(
                    f"{question.key}{SEPARATOR}{OTHER_TEXT}", item=OTHER_ITEM, storage=TEXT, **base
                )
            )
        return columns
    if qtype == "matrix":
        scale = _coded([(c.value, c.label) for c in question.choices])
        return [
            Column(
                f"{question.key}{SEPARATOR}{_safe(row['key'])}",
                item=row["key"],
                storage=CODED,
                part=row["label"],
                **{**base, "kpi": row.get("kpi") or base["kpi"]},
                **scale,
            )
            for row in question.rows
        ]
    return [Column(question.key, **base, **_one_value(definition, question, activity_labels))]


def _one_value(
    definition: Definition, question: Question, activity_labels: dict[int, str] | None
) -> dict[str, Any]:
    """How the answer of a one-value question is stored in the column."""
    qtype = question.type
    if qtype in ("single_choice", "likert"):
        return {"storage": CODED, **_coded([(c.value, c.label) for c in question.choices])}
    if qtype == "yes_no":
        texts = {c.value: c.label for c in definition.choice_lists.get("yes_no", [])}
        return {
            "storage": CODED,
            "codes": {"yes": 1, "no": 0},
            "labels": {1: texts.get("yes", {"en": "Yes"}), 0: texts.get("no", {"en": "No"})},
            "values": {1: "yes", 0: "no"},
        }
    if qtype == "rating":
        ends = {0: question.low_label, 10: question.high_label}
        labels: dict[int, dict] = {code: label for code, label in ends.items() if label}
        return {"storage": NUMBER, "labels": labels, "values": {c: str(c) for c in labels}}
    if qtype == "activity":
        titles = sorted((activity_labels or {}).items())
        picked: dict[int, dict] = {k: {"en": v} for k, v in titles}
        return {"storage": NUMBER, "labels": picked, "values": {c: str(c) for c in picked}}
    if qtype in ("integer", "decimal"):
        return {"storage": NUMBER}
    if qtype == "date":
        return {"storage": DATE}
    return {"storage": TEXT}  # text, long_text, member, work_plan_item


def _coded(choices: list[tuple[str, dict]]) -> dict[str, Any]:
    """Codes of a choice list: the values themselves when every one is a whole number
    (a 1-5 scale keeps 1-5), otherwise 1, 2, ... in the list's order."""
    whole = all(re.fullmatch(r"-?\d{1,9}", value) for value, _ in choices)
    codes = {value: int(value) if whole else n for n, (value, _) in enumerate(choices, start=1)}
    return {
        "codes": codes,
        "labels": {codes[value]: label for value, label in choices},
        "values": {codes[value]: value for value, _ in choices},
    }


def _safe(text: str) -> str:
    """A choice value or row key as part of a name: letters, digits and _ only."""
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def _unique_names(columns: list[Column]) -> None:
    """Two columns never share a name: a later one gets _2, _3, ..."""
    seen: set[str] = set()
    for column in columns:
        name, n = column.name, 1
        while name in seen:
            n += 1
            name = f"{column.name}_{n}"
        column.name = name
        seen.add(name)


# -- SPSS and Stata names ------------------------------------------------------------------


def format_name(name: str, limit: int, reserved: set[str]) -> str:
    """``name`` as SPSS (limit 64) or Stata (limit 32) accepts it, the same every time:
    characters other than letters, digits and _ become _; a name that does not start
    with a letter gets a leading "v"; a reserved word gets a trailing "_"; a name still
    too long keeps its first ``limit - 9`` characters, then "_" and the first 8 hex
    digits of the SHA-1 of the full name (so it does not depend on the other columns)."""
    safe = _safe(name)
    if not safe[:1].isalpha() or not safe[:1].isascii():
        safe = "v" + safe
    if safe.lower() in reserved or safe in reserved:
        safe += "_"
    if len(safe) > limit:
        digest = hashlib.sha1(name.encode()).hexdigest()[:8]
        safe = f"{safe[: limit - 9]}_{digest}"
    return safe


def format_names(columns: Sequence[Column], fmt: str) -> list[str]:
    """The names of the columns in a .sav ("sav") or .dta ("dta") file, unique ignoring
    case (SPSS does not tell case apart): a clash gets _2, _3, ... within the limit.

    In a .dta a column with value labels has at most 28 characters: pyreadstat names
    its label set after it, with a number (0, 1, ...) appended, and Stata's 32 count
    that name too (room for 10,000 labelled columns)."""
    sav = fmt == "sav"
    reserved = SPSS_RESERVED if sav else STATA_RESERVED
    names: list[str] = []
    seen: set[str] = set()
    for column in columns:
        labelled = bool(getattr(column, "labels", None)) and not sav
        limit = SPSS_NAME if sav else STATA_NAME - (STATA_LABEL_SET_DIGITS if labelled else 0)
        name = base = format_name(column.name, limit, reserved)
        n = 1
        while name.lower() in seen:
            n += 1
            suffix = f"_{n}"
            name = base[: limit - len(suffix)] + suffix
        seen.add(name.lower())
        names.append(name)
    return names


def clip(text: str, limit: int, in_bytes: bool = False) -> str:
    """``text`` cut to ``limit`` characters (or UTF-8 bytes, never inside a character)."""
    if not in_bytes:
        return text[:limit]
    return text.encode()[:limit].decode(errors="ignore")


# -- rows ------------------------------------------------------------------------------------


def analysis_rows(
    session: Session, plan: AnalysisPlan
) -> Iterator[tuple[list[Any], list[list[Any]]]]:
    """For each submitted response of the plan's rounds, in round then id order: its row
    (a value per column, None when unanswered) and its repeat rows. Values are as stored:
    numbers as int or float, dates, choice values as text, 0/1 for the choices of an
    answered multiple choice."""
    slots = {(c.key, c.item): n for n, c in enumerate(plan.columns) if c.key}
    repeat_slots = {(c.key, c.item): n for n, c in enumerate(plan.repeat_columns) if c.key}
    multiple: dict[str, list[str]] = {}
    for c in plan.columns + plan.repeat_columns:
        if c.qtype == "multiple_choice":
            choices = multiple.setdefault(c.key, [])
            if c.item != OTHER_ITEM:
                choices.append(c.item)
    group_of = {
        child.key: question.key
        for survey_round in plan.rounds
        for question in Definition.from_json(survey_round.version.definition).questions()
        if question.type == "repeat"
        for child in question.questions
    }
    for survey_round in plan.rounds:
        hide_member = survey_round.anonymous
        for responses, answers in response_batches(session, survey_round.id):
            for response_id, submitted_at, member in responses:
                row: list[Any] = [None] * len(plan.columns)
                row[:4] = [
                    response_id,
                    survey_round.id,
                    survey_round.version.number,
                    _utc(submitted_at),
                ]
                if plan.has_member:
                    row[4] = None if hide_member else member
                entries: dict[tuple[str, int], list[Any]] = {}
                for key, entry, item, value in answers[response_id]:
                    if entry == 0:
                        _place(row, slots, multiple, key, item, value)
                    elif key in group_of:
                        cells = entries.get((group_of[key], entry))
                        if cells is None:
                            cells = [None] * len(plan.repeat_columns)
                            cells[:4] = [response_id, survey_round.id, group_of[key], entry]
                            entries[(group_of[key], entry)] = cells
                        _place(cells, repeat_slots, multiple, key, item, value)
                yield row, [entries[k] for k in sorted(entries)]


def _place(row: list[Any], slots: dict, multiple: dict, key: str, item: str, value: Any) -> None:
    """Put one stored answer in its cell. Any answer of a multiple choice (a choice or
    the "other" text) makes every choice column of it 0 or 1; no answer leaves them empty."""
    if key in multiple:
        for choice in multiple[key]:
            slot = slots.get((key, choice))
            if slot is not None and row[slot] is None:
                row[slot] = 0
        if item != OTHER_ITEM:
            slot = slots.get((key, item))
            if slot is not None:
                row[slot] = 1
            return
    slot = slots.get((key, item))
    if slot is not None:
        row[slot] = value


def _utc(moment: datetime | None) -> datetime | None:
    """A stored moment as UTC without a zone (SQLite stores it so; PostgreSQL gives it
    with the connection's zone)."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _plain(value: Any) -> str:
    """A stored value as the text of a choice value: 4 for 4.0, "4" for Decimal 4."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
