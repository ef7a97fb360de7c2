"""The evaluation report of one activity as an A4 PDF (fpdf2): the same headings, counts,
percentages and comments as the report page, every label and comment wrapped to its
column, in the scripts participants write in.

Text is written in Noto Sans (Latin, Vietnamese, Cyrillic, Greek); characters it lacks
come from fallback fonts, one per script (Thai, Lao, Khmer, Myanmar, Sinhala, Devanagari,
Bengali, and a Chinese/Japanese/Korean font), and HarfBuzz shapes each run of text so
that vowel signs, stacked consonants and conjuncts are drawn as they are read. Only the
fallback fonts whose script occurs in the report are loaded: the CJK font is large."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from app.common.pdf import (
    FONT_DIR,
    INK,
    MUTED,
    FontsMissing,
    ReportPdf,
    close_fonts,
    load_fonts,
    paragraph,
    section_title,
    width,
)

__all__ = ["FONT_DIR", "FontsMissing", "close_fonts", "load_fonts", "report_pdf"]
from app.kpis.activity_report import ActivityReport, QuestionResult

BAR = (11, 79, 138)
LABEL_WIDTH = 62  # mm: a choice's label, wrapped within it
FIGURE_WIDTH = 24  # mm: "12 (100%)" after the widest bar
LINE_HEIGHT = 4.6


def report_pdf(report: ActivityReport, font_dir: Path | str = FONT_DIR) -> bytes:
    pdf = ReportPdf(f"Evaluation report: {report.activity.title}")
    try:
        load_fonts(pdf, Path(font_dir), _texts(report))
        _write(pdf, report)
        return bytes(pdf.output())
    finally:
        close_fonts(pdf)


def _write(pdf: FPDF, report: ActivityReport) -> None:
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_margins(18, 16, 18)
    pdf.add_page()
    _heading(pdf, report)
    if report.suppressed:
        paragraph(
            pdf,
            f"Fewer than {report.min_group} responses: results are not shown, so that no "
            "one's answers can be recognised.",
        )
        return
    for section, questions in report.sections:
        if section:
            section_title(pdf, section)
        for question in questions:
            _question(pdf, question)
    if report.comments:
        section_title(pdf, "Comments")
    for label, texts in report.comments:
        _comments(pdf, label, texts)


def _texts(report: ActivityReport) -> list[str]:
    texts = [report.activity.title, report.subtitle, report.figures]
    for question in report.questions:
        texts += [question.label, question.section, *(label for label, _ in question.counts)]
    for label, comments in report.comments:
        texts += [label, *comments]
    return texts


def _heading(pdf: FPDF, report: ActivityReport) -> None:
    pdf.set_text_color(*INK)
    pdf.set_font("NotoSans", "B", 16)
    pdf.multi_cell(width(pdf), 7.5, "Evaluation report", align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("NotoSans", "B", 12.5)
    pdf.multi_cell(width(pdf), 6.5, report.activity.title, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("NotoSans", "", 10)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(width(pdf), 5.5, report.subtitle, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    pdf.multi_cell(width(pdf), 5.5, report.figures, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _lines(pdf: FPDF, width: float, text: str) -> int:
    lines = pdf.multi_cell(width, LINE_HEIGHT, text, dry_run=True, output="LINES")
    assert isinstance(lines, list)
    return len(lines)


def _question(pdf: FPDF, question: QuestionResult) -> None:
    """The question, its summary line, then one row per choice: the label wrapped in its
    column, a bar as long as the choice's share of the answers, the count and share. A
    question starts on a new page when it would not fit on what is left of this one."""
    pdf.set_font("NotoSans", "", 9)
    heights = [
        _lines(pdf, LABEL_WIDTH, label) * LINE_HEIGHT
        for label in (label for label, _ in question.counts)
    ]
    pdf.set_font("NotoSans", "B", 10)
    title_height = _lines(pdf, width(pdf), question.label) * 5.2
    block = title_height + 7 + sum(h + 0.6 for h in heights)
    if pdf.will_page_break(block) and block < pdf.eph:
        pdf.add_page()
    pdf.ln(1.5)
    pdf.multi_cell(width(pdf), 5.2, question.label, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("NotoSans", "", 8.5)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(width(pdf), 4.6, question.summary, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    pdf.ln(0.8)
    bar_room = width(pdf) - LABEL_WIDTH - FIGURE_WIDTH - 3
    pdf.set_font("NotoSans", "", 9)
    for (label, number, share), height in zip(question.rows, heights, strict=True):
        if pdf.will_page_break(height + 0.6):
            pdf.add_page()
        top = pdf.get_y()
        pdf.multi_cell(LABEL_WIDTH, LINE_HEIGHT, label, align="L", new_x="RIGHT", new_y="TOP")
        bar = bar_room * number / question.answered if question.answered else 0
        left = pdf.l_margin + LABEL_WIDTH + 2
        if bar > 0:
            pdf.set_fill_color(*BAR)
            pdf.rect(left, top + 0.6, bar, LINE_HEIGHT - 1.2, style="F")
        pdf.set_xy(left + bar + 1.5, top)
        pdf.cell(FIGURE_WIDTH, LINE_HEIGHT, f"{number} ({share})")
        pdf.set_xy(pdf.l_margin, top + height + 0.6)
    pdf.ln(2)


def _comments(pdf: FPDF, label: str, texts: list[str]) -> None:
    """A free-text question and every answer to it, each in full, wrapped."""
    pdf.set_font("NotoSans", "B", 10)
    if pdf.will_page_break(5.2 * _lines(pdf, width(pdf), label) + 10):
        pdf.add_page()
    pdf.ln(2)
    pdf.multi_cell(width(pdf), 5.2, label, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("NotoSans", "", 9.5)
    for text in texts:
        pdf.set_x(pdf.l_margin)
        pdf.cell(5, 5, "•")
        pdf.multi_cell(width(pdf) - 5, 5, text, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    pdf.ln(1)
