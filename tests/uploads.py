"""Spreadsheets that attack the reader: a sheet whose claimed dimension is huge, a very
long list, and a zip bomb. Used by the tests and by bench/uploads.py."""

from __future__ import annotations

import io
import os
import re
import zipfile

from openpyxl import Workbook


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def dimension_bomb(last_row: int = 3000, claimed: str = "XFD") -> bytes:
    """A valid list (header and one participant) plus one cell in row ``last_row``, in a
    sheet that claims the dimension A1:<claimed><last_row> (16,384 columns for XFD)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["name", "member"])
    sheet.append(["Ana Sharma", "NPL"])
    sheet.cell(row=last_row, column=1, value="x")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _rewrite_sheet(
        buffer.getvalue(),
        lambda xml: re.sub(
            rb'<dimension ref="[^"]*"\s*/>',
            f'<dimension ref="A1:{claimed}{last_row}"/>'.encode(),
            xml,
        ),
    )


def zip_bomb(megabytes: int = 200) -> bytes:
    """A workbook whose sheet unpacks to ``megabytes`` of whitespace (a few hundred KB
    compressed)."""
    padding = b" " * (megabytes * 1024 * 1024)
    return _rewrite_sheet(
        xlsx_bytes([["name", "member"], ["Ana Sharma", "NPL"]]),
        lambda xml: xml.replace(b"<sheetData>", b"<sheetData>" + padding, 1),
    )


def long_csv(rows: int) -> bytes:
    return ("name,member\n" + "".join(f"Person {n},FJI\n" for n in range(rows))).encode()


def _rewrite_sheet(data: bytes, change) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = change(content)
            target.writestr(item, content)
    return out.getvalue()


def wide_row(cells: int = 2_300_000, padding: int = 200_000) -> bytes:
    """A valid list plus one row storing ``cells`` empty cells, with an incompressible
    member added so that the archive's overall ratio looks ordinary."""
    out = io.BytesIO()
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes([["name", "member"], ["Ana", "NPL"]])))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                row = b"<row>" + b"<c/>" * cells + b"</row>"
                content = content.replace(b"</sheetData>", row + b"</sheetData>", 1)
            target.writestr(item, content)
        target.writestr(
            zipfile.ZipInfo("xl/media/padding.bin"), os.urandom(padding), zipfile.ZIP_STORED
        )
    return out.getvalue()


def sniffer_bomb(repeats: int = 40_000) -> bytes:
    """A CSV whose second line makes csv.Sniffer's patterns backtrack for minutes."""
    return ("name,member\n" + ',"a' * repeats + "\n").encode()


def one_long_line(megabytes: float = 4.9) -> bytes:
    """Millions of empty fields on one line."""
    return b"name,member\n" + b"," * int(megabytes * 1024 * 1024) + b"\n"
