"""The files of an analysis-ready export (`analysis.py` names the columns): a zip of CSV,
SPSS (.sav) or Stata (.dta) files with the codebook, or one XLSX workbook.

CSV: one header row, then one row per response, streamed into the zip batch by batch.
SPSS and Stata: pyreadstat writes a pandas frame, so the values are gathered column by
column into numpy arrays (a float per number, not a Python object per cell) and the frame
is built once from them; see docs/exports.md for what that costs per response. numpy,
pandas and pyreadstat are imported only when such a file is written, so that a worker that
never writes one does not carry them.
"""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

if TYPE_CHECKING:  # imported where used: numpy and pandas weigh ~60 MB in every worker
    import numpy as np
    import pandas as pd

from app.kpis.analysis import (
    CODED,
    DATE,
    MOMENT,
    NUMBER,
    SPSS_VALUE_LABEL,
    SPSS_VARIABLE_LABEL,
    STATA_VALUE_LABEL,
    STATA_VARIABLE_LABEL,
    AnalysisPlan,
    Column,
    analysis_plan,
    analysis_rows,
    clip,
    format_names,
)
from app.kpis.exports import cell, xlsx_file
from app.models import Activity, PlanYear, Questionnaire, QuestionnaireVersion, SurveyRound
from app.surveys.answers import OTHER_ITEM
from app.surveys.model import text_in

FORMATS = ("csv", "sav", "dta", "xlsx")
CHUNK_ROWS = 5000
ORDINAL_TYPES = ("likert", "rating", "matrix")
STATA_VERSION = 14  # file format release 118


class AnalysisExportError(ValueError):
    """Nothing to export for what was asked (an unknown questionnaire or year, no round)."""


# -- what to export ------------------------------------------------------------------------


def round_plan(session: Session, survey_round: SurveyRound) -> AnalysisPlan:
    return analysis_plan([survey_round], _activity_labels(session, [survey_round]))


def year_rounds(session: Session, key: str, year: PlanYear) -> list[SurveyRound]:
    return list(
        session.scalars(
            select(SurveyRound)
            .join(QuestionnaireVersion, QuestionnaireVersion.id == SurveyRound.version_id)
            .join(Questionnaire, Questionnaire.id == QuestionnaireVersion.questionnaire_id)
            .where(Questionnaire.key == key, SurveyRound.plan_year_id == year.id)
            .order_by(SurveyRound.id)
        )
    )


def year_plan(session: Session, key: str, year: PlanYear) -> AnalysisPlan:
    """Every round of questionnaire ``key`` in ``year``, in one set of files."""
    rounds = year_rounds(session, key, year)
    if not rounds:
        raise AnalysisExportError(f"questionnaire {key!r} has no round in plan year {year.label}")
    return analysis_plan(rounds, _activity_labels(session, rounds))


def questionnaire_years(session: Session) -> list[tuple[str, str, str, int]]:
    """(questionnaire key, its latest title, plan year, number of rounds) for every
    questionnaire and plan year that have rounds, newest year first: the year exports."""
    rows = session.execute(
        select(Questionnaire.key, PlanYear.label, func.count(SurveyRound.id))
        .join(QuestionnaireVersion, QuestionnaireVersion.id == SurveyRound.version_id)
        .join(Questionnaire, Questionnaire.id == QuestionnaireVersion.questionnaire_id)
        .join(PlanYear, PlanYear.id == SurveyRound.plan_year_id)
        .group_by(Questionnaire.key, PlanYear.label)
        .order_by(PlanYear.label.desc(), Questionnaire.key)
    ).all()
    titles = dict(
        session.execute(
            select(Questionnaire.key, QuestionnaireVersion.title)
            .join(QuestionnaireVersion, QuestionnaireVersion.questionnaire_id == Questionnaire.id)
            .order_by(QuestionnaireVersion.number)
        ).all()
    )
    return [(key, titles[key], year, count) for key, year, count in rows]


def _activity_labels(session: Session, rounds: list[SurveyRound]) -> dict[int, str]:
    """Titles of the activities an activity picker of these rounds could name."""
    years = {r.plan_year_id for r in rounds}
    return dict(
        session.execute(
            select(Activity.id, Activity.title).where(Activity.plan_year_id.in_(years))
        ).all()
    )


def export_name(what: str, moment: datetime) -> str:
    """``<what>-analysis-<date of the export>``, e.g. participant-evaluation-2025-2026-
    analysis-20260115."""
    return f"{what}-analysis-{moment:%Y%m%d}"


# -- the files -------------------------------------------------------------------------------


def write_export(session: Session, plan: AnalysisPlan, fmt: str, name: str, out: IO[bytes]) -> None:
    """Write the export in ``fmt`` to ``out``: a zip for csv, sav and dta (the responses,
    the repeat entries when the questionnaire has repeat groups, the codebook), an XLSX
    workbook (sheets Responses, Repeats, Codebook) for xlsx."""
    if fmt not in FORMATS:
        raise AnalysisExportError(f"unknown format {fmt!r} (formats: {', '.join(FORMATS)})")
    if fmt == "xlsx":
        sheets: dict[str, Iterator[list[Any]]] = {"Responses": _csv_rows(session, plan, 0)}
        if _has_repeats(plan):
            sheets["Repeats"] = _csv_rows(session, plan, 1)
        sheets["Codebook"] = codebook_rows(plan)
        handle = xlsx_file(sheets)
        try:
            while chunk := handle.read(64 * 1024):
                out.write(chunk)
        finally:
            handle.close()
        return
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        if fmt == "csv":
            _write_csvs(session, plan, name, archive)
        else:
            _write_stat(session, plan, fmt, name, archive)
        with archive.open(f"{name}-codebook.csv", "w") as entry:
            _write_rows(entry, codebook_rows(plan))


def export_file(session: Session, plan: AnalysisPlan, fmt: str, name: str):
    """The export in a temporary file (in memory while small), positioned at its start."""
    handle = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    write_export(session, plan, fmt, name, handle)
    handle.seek(0)
    return handle


def file_name(name: str, fmt: str) -> str:
    return f"{name}.xlsx" if fmt == "xlsx" else f"{name}-{fmt}.zip"


def _has_repeats(plan: AnalysisPlan) -> bool:
    return len(plan.repeat_columns) > 4


def _csv_rows(session: Session, plan: AnalysisPlan, part: int) -> Iterator[list[Any]]:
    """The header row and the rows of the responses (part 0) or repeat entries (1)."""
    columns = plan.repeat_columns if part else plan.columns
    yield [c.name for c in columns]
    for row, repeats in analysis_rows(session, plan):
        if part:
            yield from repeats
        else:
            yield row


def _write_rows(binary: IO[bytes], rows) -> None:
    """Rows as CSV into a binary file; cells through `exports.cell` (formula guard, ISO
    dates). UTF-8 without a byte-order mark: R's read.csv and Python's csv module would
    read the mark into the first column's name (the XLSX is the file for spreadsheets)."""
    text = io.TextIOWrapper(binary, encoding="utf-8", newline="")
    writer = csv.writer(text)
    for row in rows:
        writer.writerow([cell(v) for v in row])
    text.flush()
    text.detach()


def _write_csvs(session: Session, plan: AnalysisPlan, name: str, archive: zipfile.ZipFile) -> None:
    """The responses CSV straight into the zip, the repeat entries into a temporary file
    meanwhile (one pass over the responses), then copied in."""
    with tempfile.TemporaryFile() as spill:
        with archive.open(f"{name}.csv", "w") as entry:
            main = io.TextIOWrapper(entry, encoding="utf-8", newline="")
            repeats = io.TextIOWrapper(spill, encoding="utf-8", newline="")
            main_writer, repeat_writer = csv.writer(main), csv.writer(repeats)
            main_writer.writerow([c.name for c in plan.columns])
            repeat_writer.writerow([c.name for c in plan.repeat_columns])
            for row, entries in analysis_rows(session, plan):
                main_writer.writerow([cell(v) for v in row])
                repeat_writer.writerows([cell(v) for v in item] for item in entries)
            main.flush()
            main.detach()
            repeats.flush()
            repeats.detach()
        if _has_repeats(plan):
            spill.seek(0)
            with archive.open(f"{name}-repeats.csv", "w") as target:
                while chunk := spill.read(1024 * 1024):
                    target.write(chunk)


# -- SPSS and Stata --------------------------------------------------------------------------


class _ColumnStore:
    """The values of some columns, gathered CHUNK_ROWS rows at a time into arrays."""

    def __init__(self, columns: list[Column]):
        self.columns = columns
        self.chunks: list[list[np.ndarray]] = [[] for _ in columns]
        self.pending: list[list[Any]] = []

    def add(self, row: list[Any]) -> None:
        self.pending.append(row)
        if len(self.pending) >= CHUNK_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        for index, column in enumerate(self.columns):
            self.chunks[index].append(_array(column, [row[index] for row in self.pending]))
        self.pending = []

    def frame(self, names: list[str]) -> pd.DataFrame:
        import numpy as np
        import pandas as pd

        self.flush()
        data = {}
        for name, column, chunks in zip(names, self.columns, self.chunks, strict=True):
            data[name] = np.concatenate(chunks) if chunks else _array(column, [])
            chunks.clear()  # the frame holds the values now
        return pd.DataFrame(data, copy=False)


def _array(column: Column, values: list[Any]) -> np.ndarray:
    """The values of one column as SPSS and Stata take them: numbers (codes for coded
    columns) as floats with NaN for missing, dates and moments as objects, texts as
    strings with "" for missing (Stata has no missing text)."""
    import numpy as np

    if column.storage == CODED:
        return np.array([np.nan if v is None else column.code_of(v) for v in values], dtype=float)
    if column.storage == NUMBER:
        return np.array([_number(v) for v in values], dtype=float)
    if column.storage in (DATE, MOMENT):
        kind = datetime if column.storage == MOMENT else date
        return np.array([v if isinstance(v, kind) else None for v in values], dtype=object)
    return np.array(["" if v is None else str(v) for v in values], dtype=object)


def _number(value: Any) -> float:
    if isinstance(value, (int, float, Decimal)):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")  # None, or a text under a key that was a number in another version


def _write_stat(session: Session, plan: AnalysisPlan, fmt: str, name: str, archive) -> None:
    stores = [_ColumnStore(plan.columns)]
    if _has_repeats(plan):
        stores.append(_ColumnStore(plan.repeat_columns))
    for row, entries in analysis_rows(session, plan):
        stores[0].add(row)
        if len(stores) > 1:
            for item in entries:
                stores[1].add(item)
    with tempfile.TemporaryDirectory() as folder:
        for store, suffix in zip(stores, ("", "-repeats"), strict=False):
            path = Path(folder) / f"{name}{suffix}.{fmt}"
            _write_frame(store, fmt, path, plan.lang)
            store.chunks = []
            archive.write(path, path.name)
            path.unlink()


def _write_frame(store: _ColumnStore, fmt: str, path: Path, lang: str) -> None:
    import pyreadstat

    names = format_names(store.columns, fmt)
    frame = store.frame(names)
    labels, value_labels = stat_labels(store.columns, names, fmt, lang)
    if fmt == "sav":
        pyreadstat.write_sav(
            frame,
            str(path),
            column_labels=labels,
            variable_value_labels=value_labels,
            variable_measure={n: _measure(c) for n, c in zip(names, store.columns, strict=True)},
        )
    else:
        # Release 118 (Stata 14 and later) rather than pyreadstat's default 119 (Stata 15
        # and later, made for more than 32,767 variables): UTF-8 either way.
        pyreadstat.write_dta(
            frame,
            str(path),
            column_labels=labels,
            variable_value_labels=value_labels,
            version=STATA_VERSION,
        )


def stat_labels(
    columns: list[Column], names: list[str], fmt: str, lang: str = "en"
) -> tuple[dict, dict]:
    """Variable labels and value labels in ``lang`` (English where a text has no
    translation, else its first text) within the format's limits."""
    sav = fmt == "sav"
    label_limit = SPSS_VARIABLE_LABEL if sav else STATA_VARIABLE_LABEL
    value_limit = SPSS_VALUE_LABEL if sav else STATA_VALUE_LABEL
    labels = {n: clip(c.label(lang), label_limit, sav) for n, c in zip(names, columns, strict=True)}
    value_labels = {
        n: {
            code: clip(_first(text, lang), value_limit, sav)
            for code, text in sorted(c.labels.items())
        }
        for n, c in zip(names, columns, strict=True)
        if c.labels and c.storage in (CODED, NUMBER)
    }
    return labels, value_labels


def _first(texts: dict, lang: str) -> str:
    return texts.get(lang) or texts.get("en") or next(iter(texts.values()), "")


def _measure(column: Column) -> str:
    if column.qtype in ORDINAL_TYPES:
        return "ordinal"
    if column.storage in (NUMBER, DATE, MOMENT):
        return "scale"
    return "nominal"


# -- the codebook ----------------------------------------------------------------------------


def codebook_rows(plan: AnalysisPlan) -> Iterator[list[Any]]:
    """One row per column without value labels, one per code of a column with them:
    its names in CSV, SPSS and Stata, its question, type, KPI role, variable label, and
    the value as stored (and in the CSV), its code in .sav/.dta, its label by language."""
    languages = plan.languages or ["en"]
    yield [
        "table",
        "column",
        "spss_name",
        "stata_name",
        "question_key",
        "item",
        "question_type",
        "storage",
        "kpi_role",
        "level",
        *(f"question_{lang}" for lang in languages),
        "variable_label",
        "value",
        "code",
        *(f"value_label_{lang}" for lang in languages),
    ]
    for table, columns in (("responses", plan.columns), ("repeats", plan.repeat_columns)):
        if table == "repeats" and not _has_repeats(plan):
            continue
        sav, dta = format_names(columns, "sav"), format_names(columns, "dta")
        for column, sav_name, dta_name in zip(columns, sav, dta, strict=True):
            start = [
                table,
                column.name,
                sav_name,
                dta_name,
                column.key,
                "other (text)" if column.item == OTHER_ITEM else column.item,
                column.qtype,
                column.storage,
                column.kpi,
                column.level,
                *(text_in(column.question, lang) for lang in languages),
                column.label(plan.lang),
            ]
            if not column.labels:
                yield [*start, "", "", *("" for _ in languages)]
                continue
            for code, texts in sorted(column.labels.items()):
                value = column.values.get(code, str(code))
                yield [*start, value, code, *(text_in(texts, lang) for lang in languages)]
