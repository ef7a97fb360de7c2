"""Reading an uploaded CSV or XLSX table (participant lists, response history) as a stream
of rows, with its limits enforced while reading, and the error a table import reports for
one cell.

A file never costs more than its limits: rows are read one at a time and the reading stops
at the first row past the limit; an XLSX sheet's claimed dimension is ignored (a sheet that
claims A1:XFD3000 is not padded to 16,384 columns); an XLSX archive whose uncompressed size
is out of proportion is refused before it is opened.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, BinaryIO

# The longest line of a CSV file read, and the most cells an XLSX row may store (a sheet
# keeps empty but formatted cells too), in characters and cells.
MAX_LINE = 256 * 1024
MAX_STORED_CELLS = 1_000


class TableFileError(ValueError):
    """The file as a whole cannot be read (format, encoding, size); nothing was written."""


@dataclass
class RowError:
    """What is wrong with one cell of an imported table, by row (as a spreadsheet numbers
    it, the header being row 1) and column name."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


@dataclass(frozen=True)
class TableLimits:
    """How much of a table is read. ``rows`` counts the rows that hold something, after
    the header; ``blank_rows`` is how many empty rows are tolerated besides (formatting
    often leaves some); ``what`` names the rows in the error message."""

    rows: int
    columns: int = 300
    blank_rows: int = 10_000
    what: str = "rows"
    # An XLSX file is a zip archive: what it may unpack to, in all and per stored byte.
    uncompressed_bytes: int = 100 * 1024 * 1024
    compression_ratio: int = 100

    @classmethod
    def for_rows(cls, rows: int, what: str, bytes_per_row: int = 2048, **other) -> TableLimits:
        """Limits for a list of ``rows`` rows, its archive sized to match (at least 4 MB)."""
        size = max(4 * 1024 * 1024, rows * bytes_per_row)
        return cls(rows=rows, what=what, uncompressed_bytes=size, **other)


def read_table(filename: str, stream: BinaryIO, limits: TableLimits) -> Iterator[list[Any]]:
    """The rows of the file's first sheet, as lists of cell values (the header first, blank
    rows included), in order. Raises TableFileError, naming the file and the problem, as
    soon as the file is unreadable or passes one of ``limits``."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix == "csv":
        rows = _csv_rows(filename, stream, limits)
    elif suffix in ("xlsx", "xlsm"):
        rows = _xlsx_rows(filename, stream, limits)
    else:
        raise TableFileError(
            f"{filename!r} is neither a .csv nor a .xlsx file: save it as one of them."
        )
    return _limited(filename, rows, limits)


def _limited(filename: str, rows: Iterator[list[Any]], limits: TableLimits) -> Iterator[list]:
    filled = blank = 0
    for number, cells in enumerate(rows, start=1):
        if len(cells) > limits.columns and any(
            text_of(c) for c in itertools.islice(cells, limits.columns, None)
        ):
            raise TableFileError(
                f"{filename}, row {number}: more than {limits.columns} columns; only "
                "the columns of the list may be filled in."
            )
        cells = list(cells[: limits.columns])
        if any(text_of(c) for c in cells):
            filled += 1
            if filled > limits.rows + 1:  # the header is not counted
                raise TableFileError(
                    f"{filename} has more than {limits.rows} {limits.what}; "
                    "split it into smaller files."
                )
        else:
            blank += 1
            if blank > limits.blank_rows:
                raise TableFileError(
                    f"{filename}, row {number}: more than {limits.blank_rows:,} empty rows; "
                    "delete the empty rows and upload it again."
                )
        yield cells


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


def _csv_rows(filename: str, stream: BinaryIO, limits: TableLimits) -> Iterator[list[str]]:
    # A StreamReader decodes as it reads and, unlike io.TextIOWrapper, never closes the
    # caller's stream when it is dropped half-way.
    text = codecs.getreader("utf-8-sig")(stream)
    try:
        lines = _bounded_lines(filename, text)
        header = next(lines, "")
        if not header:
            return
        # The delimiter is the header's most frequent one (a comma when none is there):
        # counted, not guessed by csv.Sniffer, whose patterns slow down on crafted text.
        counts = {d: header.count(d) for d in (",", ";", "\t")}
        delimiter = max(counts, key=lambda d: (counts[d], d == ","))
        yield from csv.reader(itertools.chain([header], lines), delimiter=delimiter)
    except UnicodeDecodeError:
        raise TableFileError(
            f"{filename} is not UTF-8 text: in your spreadsheet, save it as 'CSV UTF-8' and "
            "upload it again."
        ) from None
    except csv.Error as error:
        raise TableFileError(f"{filename} cannot be read as CSV: {error}.") from None


def _bounded_lines(filename: str, text: codecs.StreamReader) -> Iterator[str]:
    """The file's lines, none longer than MAX_LINE characters (a table's row is a few
    kilobytes; a longer line is an attack on the reader, not a list)."""
    number = 0
    while True:
        line = text.readline(MAX_LINE + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE:
            raise TableFileError(
                f"{filename}, line {number}: longer than {MAX_LINE // 1024} KB; a list's rows "
                "are much shorter. Save the list again from your spreadsheet."
            )
        yield line


def _xlsx_rows(filename: str, stream: BinaryIO, limits: TableLimits) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    unreadable = TableFileError(
        f"{filename} is not a readable .xlsx workbook: open it in your spreadsheet and save it "
        "again as Excel Workbook (.xlsx)."
    )
    # An uploaded file is a seekable spooled file: read it in place rather than copy it.
    data: BinaryIO = stream if stream.seekable() else io.BytesIO(stream.read())
    _check_archive(filename, data, limits, unreadable)
    _check_rows_stored(filename, data, limits, unreadable)
    try:
        workbook = load_workbook(data, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, IndexError):
        raise unreadable from None
    try:
        # The sheet's claimed dimension is not trusted: rows are read as they are stored,
        # each at most one column past the limit (enough to tell that it passes it).
        sheet.reset_dimensions()
        for row in sheet.iter_rows(max_col=limits.columns + 1, values_only=True):
            yield list(row)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise TableFileError(f"{filename} cannot be read: {error}") from None
    finally:
        workbook.close()


def _check_archive(
    filename: str, data: BinaryIO, limits: TableLimits, unreadable: TableFileError
) -> None:
    """Refuse an archive that would unpack to far more than it weighs (a zip bomb)."""
    try:
        with zipfile.ZipFile(data) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile:
        raise unreadable from None
    unpacked = sum(m.file_size for m in members)
    packed = max(sum(m.compress_size for m in members), 1)
    if unpacked > limits.uncompressed_bytes or unpacked / packed > limits.compression_ratio:
        raise TableFileError(
            f"{filename} unpacks to {unpacked / 1024 / 1024:.0f} MB from "
            f"{packed / 1024 / 1024:.1f} MB: that is not an ordinary spreadsheet. Save the "
            "list again from your spreadsheet, or split it."
        )
    data.seek(0)


def _check_rows_stored(
    filename: str, data: BinaryIO, limits: TableLimits, unreadable: TableFileError
) -> None:
    """Count the cells each row of the first sheet stores before openpyxl reads it (it
    builds every stored cell of a row, wanted or not): a row storing far more cells than
    a list has columns is refused. A streaming scan that keeps nothing."""
    from xml.etree.ElementTree import ParseError, iterparse

    sheet = _first_sheet_member(data)
    if sheet is None:
        raise unreadable
    cell_limit = max(MAX_STORED_CELLS, 2 * limits.columns)
    try:
        with zipfile.ZipFile(data) as archive, archive.open(sheet) as xml:
            cells = rows = 0
            for _event, element in iterparse(xml, events=("end",)):
                tag = element.tag.rsplit("}", 1)[-1]
                if tag == "c":
                    cells += 1
                    if cells > cell_limit:
                        raise TableFileError(
                            f"{filename}, row {rows + 1}: it stores more than {cell_limit:,} "
                            "cells; only the columns of the list may be filled in."
                        )
                elif tag == "row":
                    rows, cells = rows + 1, 0
                    element.clear()
    except (ParseError, zipfile.BadZipFile, KeyError):
        raise unreadable from None
    data.seek(0)


def _first_sheet_member(data: BinaryIO) -> str | None:
    """The archive member of the workbook's first sheet (as openpyxl reads it)."""
    import re

    with zipfile.ZipFile(data) as archive:
        names = set(archive.namelist())
        try:
            workbook = archive.read("xl/workbook.xml").decode("utf-8", "replace")
            relations = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
        except KeyError:
            return None
    data.seek(0)
    first = re.search(r"<(?:\w+:)?sheet\b[^>]*\br:id=\"([^\"]+)\"", workbook)
    if first is None:
        return None
    target = re.search(
        rf"<Relationship\b[^>]*\bId=\"{re.escape(first.group(1))}\"[^>]*\bTarget=\"([^\"]+)\"",
        relations,
    ) or re.search(
        rf"<Relationship\b[^>]*\bTarget=\"([^\"]+)\"[^>]*\bId=\"{re.escape(first.group(1))}\"",
        relations,
    )
    if target is None:
        return None
    path = target.group(1).lstrip("/")
    member = path if path.startswith("xl/") else f"xl/{path}"
    return member if member in names else None
