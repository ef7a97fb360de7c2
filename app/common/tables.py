"""Reading a CSV or XLSX file into rows of cells (participant lists, response history),
and the error a table import reports for one cell."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, BinaryIO


class TableFileError(ValueError):
    """The file as a whole cannot be read (format, encoding); nothing was written."""


@dataclass
class RowError:
    """What is wrong with one cell of an imported table, by row (as a spreadsheet numbers
    it, the header being row 1) and column name."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


def read_table(filename: str, stream: BinaryIO) -> list[list[Any]]:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix == "csv":
        return _read_csv(stream)
    if suffix in ("xlsx", "xlsm"):
        return _read_xlsx(stream)
    raise TableFileError(
        f"{filename!r} is neither a .csv nor a .xlsx file: save it as one of them."
    )


def text_of(value: Any) -> str:
    """A cell as text: dates as YYYY-MM-DD, whole numbers without ".0"."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_csv(stream: BinaryIO) -> list[list[str]]:
    raw = stream.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TableFileError(
            "The CSV file is not UTF-8 text: in your spreadsheet, save it as "
            "'CSV UTF-8' and upload it again."
        ) from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return list(csv.reader(io.StringIO(text), dialect))
    except csv.Error as error:
        raise TableFileError(f"The CSV file cannot be read: {error}.") from None


def _read_xlsx(stream: BinaryIO) -> list[list[Any]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(stream.read()), read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError):
        raise TableFileError(
            "The file is not a readable .xlsx workbook: open it in your spreadsheet and "
            "save it again as Excel Workbook (.xlsx)."
        ) from None
    try:
        return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()
