"""The evaluation report of one activity as an A4 PDF (fpdf2): the same headings, counts,
percentages and comments as the report page, every label and comment wrapped to its
column, in the scripts participants write in.

Text is written in Noto Sans (Latin, Vietnamese, Cyrillic, Greek); characters it lacks
come from fallback fonts, one per script (Thai, Lao, Khmer, Myanmar, Sinhala, Devanagari,
Bengali, and a Chinese/Japanese/Korean font), and HarfBuzz shapes each run of text so
that vowel signs, stacked consonants and conjuncts are drawn as they are read. Only the
fallback fonts whose script occurs in the report are loaded: the CJK font is large."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

from app.kpis.activity_report import ActivityReport, QuestionResult

FONT_DIR = Path(__file__).resolve().parents[2] / "static" / "fonts" / "noto"
BASE_FONTS = {"": "NotoSans-Regular.ttf", "B": "NotoSans-Bold.ttf"}


@dataclass(frozen=True)
class Fallback:
    family: str
    file: str
    ranges: tuple[tuple[int, int], ...]  # the script's Unicode blocks

    def needed(self, characters: set[int]) -> bool:
        return any(low <= c <= high for c in characters for low, high in self.ranges)


FALLBACKS = (
    Fallback("NotoSansThai", "NotoSansThai-Regular.ttf", ((0x0E00, 0x0E7F),)),
    Fallback("NotoSansLao", "NotoSansLao-Regular.ttf", ((0x0E80, 0x0EFF),)),
    Fallback("NotoSansKhmer", "NotoSansKhmer-Regular.ttf", ((0x1780, 0x17FF), (0x19E0, 0x19FF))),
    Fallback(
        "NotoSansMyanmar",
        "NotoSansMyanmar-Regular.ttf",
        ((0x1000, 0x109F), (0xA9E0, 0xA9FF), (0xAA60, 0xAA7F)),
    ),
    Fallback("NotoSansSinhala", "NotoSansSinhala-Regular.ttf", ((0x0D80, 0x0DFF),)),
    Fallback(
        "NotoSansDevanagari",
        "NotoSansDevanagari-Regular.ttf",
        ((0x0900, 0x097F), (0xA8E0, 0xA8FF)),
    ),
    Fallback("NotoSansBengali", "NotoSansBengali-Regular.ttf", ((0x0980, 0x09FF),)),
    Fallback(
        "NotoSansCJK",
        "NotoSansCJKsc-Regular-subset.otf",
        (
            (0x1100, 0x11FF),  # Hangul Jamo
            (0x2E80, 0x2FDF),  # CJK radicals
            (0x3000, 0x9FFF),  # CJK punctuation, kana, Bopomofo, Hangul compatibility, ideographs
            (0xAC00, 0xD7AF),  # Hangul syllables
            (0xF900, 0xFAFF),  # CJK compatibility ideographs
            (0xFF00, 0xFFEF),  # full-width forms
        ),
    ),
)

INK = (34, 34, 34)
MUTED = (90, 90, 90)
BAR = (11, 79, 138)
LINE = (210, 214, 220)
LABEL_WIDTH = 62  # mm: a choice's label, wrapped within it
FIGURE_WIDTH = 24  # mm: "12 (100%)" after the widest bar
LINE_HEIGHT = 4.6


class FontsMissing(RuntimeError):
    """A font file the PDF needs is not where the settings say."""


class ReportPdf(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(format="A4")
        self.report_title = title

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("NotoSans", "", 8)
        self.set_text_color(*MUTED)
        width = self.w - self.l_margin - self.r_margin
        self.cell(width / 2, 5, self.report_title[:90], align="L")
        self.cell(width / 2, 5, f"Page {self.page_no()} of {{nb}}", align="R")


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
        _paragraph(
            pdf,
            f"Fewer than {report.min_group} responses: results are not shown, so that no "
            "one's answers can be recognised.",
        )
        return
    for section, questions in report.sections:
        if section:
            _section_title(pdf, section)
        for question in questions:
            _question(pdf, question)
    if report.comments:
        _section_title(pdf, "Comments")
    for label, texts in report.comments:
        _comments(pdf, label, texts)


def close_fonts(pdf: FPDF) -> None:
    """Close the font files fpdf2 keeps open (it does after writing a document, not when
    writing fails)."""
    for font in pdf.fonts.values():
        close = getattr(font, "close", None)
        if close is not None:
            close()


def load_fonts(pdf: FPDF, font_dir: Path, texts: Iterable[str]) -> None:
    """Noto Sans, and the fallback fonts of the scripts that occur in ``texts``; text
    shaping on. Raises FontsMissing naming the file and the folder when one is missing."""
    characters = {ord(c) for text in texts for c in text}
    fallbacks = [f for f in FALLBACKS if f.needed(characters)]
    files = [*BASE_FONTS.values(), *(f.file for f in fallbacks)]
    missing = [name for name in files if not (font_dir / name).is_file()]
    if missing:
        raise FontsMissing(
            f"The PDF report needs the font file(s) {', '.join(missing)} in {font_dir} "
            "(setting PDF_FONT_DIR); see README, 'Fonts of the PDF reports'."
        )
    for style, name in BASE_FONTS.items():
        pdf.add_font("NotoSans", style, str(font_dir / name))
    for fallback in fallbacks:
        pdf.add_font(fallback.family, "", str(font_dir / fallback.file))
    # Bold text in a script without a bold font is written in its regular font.
    pdf.set_fallback_fonts([f.family for f in fallbacks], exact_match=False)
    pdf.set_text_shaping(True)


def _texts(report: ActivityReport) -> list[str]:
    texts = [report.activity.title, report.subtitle, report.figures]
    for question in report.questions:
        texts += [question.label, question.section, *(label for label, _ in question.counts)]
    for label, comments in report.comments:
        texts += [label, *comments]
    return texts


def _width(pdf: FPDF) -> float:
    return pdf.w - pdf.l_margin - pdf.r_margin


def _heading(pdf: FPDF, report: ActivityReport) -> None:
    pdf.set_text_color(*INK)
    pdf.set_font("NotoSans", "B", 16)
    pdf.multi_cell(_width(pdf), 7.5, "Evaluation report", align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("NotoSans", "B", 12.5)
    pdf.multi_cell(
        _width(pdf), 6.5, report.activity.title, align="L", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font("NotoSans", "", 10)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(_width(pdf), 5.5, report.subtitle, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    pdf.multi_cell(_width(pdf), 5.5, report.figures, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _paragraph(pdf: FPDF, text: str) -> None:
    pdf.set_font("NotoSans", "", 10)
    pdf.multi_cell(_width(pdf), 5.5, text, align="L", new_x="LMARGIN", new_y="NEXT")


def _section_title(pdf: FPDF, title: str) -> None:
    pdf.set_font("NotoSans", "B", 12)
    if pdf.will_page_break(30):  # a section title is not left alone at a page's foot
        pdf.add_page()
    pdf.ln(2)
    pdf.set_draw_color(*LINE)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(1.5)
    pdf.multi_cell(_width(pdf), 6.5, title, align="L", new_x="LMARGIN", new_y="NEXT")


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
    title_height = _lines(pdf, _width(pdf), question.label) * 5.2
    block = title_height + 7 + sum(h + 0.6 for h in heights)
    if pdf.will_page_break(block) and block < pdf.eph:
        pdf.add_page()
    pdf.ln(1.5)
    pdf.multi_cell(_width(pdf), 5.2, question.label, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("NotoSans", "", 8.5)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(_width(pdf), 4.6, question.summary, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    pdf.ln(0.8)
    bar_room = _width(pdf) - LABEL_WIDTH - FIGURE_WIDTH - 3
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
    if pdf.will_page_break(5.2 * _lines(pdf, _width(pdf), label) + 10):
        pdf.add_page()
    pdf.ln(2)
    pdf.multi_cell(_width(pdf), 5.2, label, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("NotoSans", "", 9.5)
    for text in texts:
        pdf.set_x(pdf.l_margin)
        pdf.cell(5, 5, "•")
        pdf.multi_cell(_width(pdf) - 5, 5, text, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    pdf.ln(1)
