"""A respondent's answers as an A4 PDF (fpdf2, the fonts of `app.common.pdf`): the
questionnaire's title, the round, then each section's questions with their answers, a
matrix as a two-column table in the questionnaire's order."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from app.common.pdf import (
    FONT_DIR,
    INK,
    LINE,
    MUTED,
    ReportPdf,
    close_fonts,
    load_fonts,
    paragraph,
    section_title,
    width,
)
from app.surveys.readback import ReadAnswer, ReadSection


def answers_pdf(
    title: str,
    lines: list[str],
    sections: list[ReadSection],
    pages: str = "Page {page} of {total}",
    font_dir: Path | str = FONT_DIR,
) -> bytes:
    """``title`` on top, then ``lines`` (the round, when it was submitted...), then the
    answers. ``pages`` is the footer's "Page {page} of {total}" in the reader's language."""
    pdf = ReportPdf(title, pages)
    try:
        load_fonts(pdf, Path(font_dir), _texts(title, lines, sections))
        pdf.set_auto_page_break(True, margin=18)
        pdf.set_margins(18, 16, 18)
        pdf.add_page()
        pdf.set_text_color(*INK)
        pdf.set_font("NotoSans", "B", 15)
        pdf.multi_cell(width(pdf), 7.5, title, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(*MUTED)
        for line in lines:
            paragraph(pdf, line)
        pdf.set_text_color(*INK)
        pdf.ln(2)
        for section in sections:
            section_title(pdf, section.title)
            for answer in section.answers:
                _answer(pdf, answer)
        return bytes(pdf.output())
    finally:
        close_fonts(pdf)


def _texts(title: str, lines: list[str], sections: list[ReadSection]) -> list[str]:
    texts = [title, *lines]
    for section in sections:
        texts.append(section.title)
        for answer in section.answers:
            texts += [answer.label, answer.text()]
    return texts


def _answer(pdf: FPDF, answer: ReadAnswer) -> None:
    pdf.set_font("NotoSans", "B", 10)
    if pdf.will_page_break(14):
        pdf.add_page()
    pdf.ln(1.5)
    pdf.multi_cell(width(pdf), 5.2, answer.label, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("NotoSans", "", 10)
    if answer.rows:
        _table(pdf, answer.rows)
    elif answer.entries:
        for number, entry in enumerate(answer.entries, start=1):
            pdf.set_font("NotoSans", "B", 9.5)
            pdf.multi_cell(width(pdf), 5, f"{number}.", new_x="LMARGIN", new_y="NEXT")
            _table(pdf, entry)
    else:
        if not answer.answered:
            pdf.set_text_color(*MUTED)
        pdf.multi_cell(width(pdf), 5.2, answer.value, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(*INK)
    pdf.ln(1)


def _table(pdf: FPDF, rows: list[tuple[str, str]]) -> None:
    """Two columns (statement, answer), each wrapped, ruled between rows."""
    pdf.set_font("NotoSans", "", 9.5)
    left = width(pdf) * 0.62
    right = width(pdf) - left
    pdf.set_draw_color(*LINE)
    for label, value in rows:
        height = max(_lines(pdf, left - 2, label), _lines(pdf, right, value)) * 4.8
        if pdf.will_page_break(height + 1.2):
            pdf.add_page()
        top = pdf.get_y()
        pdf.multi_cell(left - 2, 4.8, label, align="L", new_x="RIGHT", new_y="TOP")
        pdf.set_xy(pdf.l_margin + left, top)
        pdf.multi_cell(right, 4.8, value, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(top + height + 0.6)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(0.6)


def _lines(pdf: FPDF, column: float, text: str) -> int:
    lines = pdf.multi_cell(column, 4.8, text, dry_run=True, output="LINES")
    assert isinstance(lines, list)
    return len(lines)
