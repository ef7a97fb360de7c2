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
        sample = text.read(4096)
        # Complete the sample's last line, so that sniffing and reading see whole lines.
        sample += text.readline()
        try:
            dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
                sample, delimiters=",;\t"
            )
        except csv.Error:
            dialect = csv.excel
        lines = itertools.chain(io.StringIO(sample), text)
        yield from csv.reader(lines, dialect)
    except UnicodeDecodeError:
        raise TableFileError(
            f"{filename} is not UTF-8 text: in your spreadsheet, save it as 'CSV UTF-8' and "
            "upload it again."
        ) from None
    except csv.Error as error:
        raise TableFileError(f"{filename} cannot be read as CSV: {error}.") from None


def _xlsx_rows(filename: str, stream: BinaryIO, limits: TableLimits) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    unreadable = TableFileError(
        f"{filename} is not a readable .xlsx workbook: open it in your spreadsheet and save it "
        "again as Excel Workbook (.xlsx)."
    )
    # An uploaded file is a seekable spooled file: read it in place rather than copy it.
    data: BinaryIO = stream if stream.seekable() else io.BytesIO(stream.read())
    _check_archive(filename, data, limits, unreadable)
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
