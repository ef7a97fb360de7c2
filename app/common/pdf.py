"""What every PDF of the app shares (fpdf2): Noto Sans and the fallback fonts of the
scripts participants write in, loaded only when the text needs them, with HarfBuzz text
shaping so that vowel signs, stacked consonants and conjuncts are drawn as they are read;
and closing the font files afterwards. The CJK font is large: it is loaded only for a
document with Chinese, Japanese or Korean text."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

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


class FontsMissing(RuntimeError):
    """A font file the PDF needs is not where the settings say."""


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
            f"The PDF needs the font file(s) {', '.join(missing)} in {font_dir} "
            "(setting PDF_FONT_DIR); see README, 'Fonts of the PDF reports'."
        )
    for style, name in BASE_FONTS.items():
        pdf.add_font("NotoSans", style, str(font_dir / name))
    for fallback in fallbacks:
        pdf.add_font(fallback.family, "", str(font_dir / fallback.file))
    # Bold text in a script without a bold font is written in its regular font.
    pdf.set_fallback_fonts([f.family for f in fallbacks], exact_match=False)
    pdf.set_text_shaping(True)


INK = (34, 34, 34)
MUTED = (90, 90, 90)
LINE = (210, 214, 220)


class ReportPdf(FPDF):
    """An A4 document whose every page ends with its title and "Page n of N"."""

    def __init__(self, title: str, pages: str = "Page {page} of {total}") -> None:
        super().__init__(format="A4")
        self.report_title = title
        self.pages_text = pages  # "{page}" and "{total}" are filled in (the caller translates it)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("NotoSans", "", 8)
        self.set_text_color(*MUTED)
        width = self.w - self.l_margin - self.r_margin
        self.cell(width / 2, 5, self.report_title[:90], align="L")
        pages = self.pages_text.format(page=self.page_no(), total="{nb}")
        self.cell(width / 2, 5, pages, align="R")


def width(pdf: FPDF) -> float:
    return pdf.w - pdf.l_margin - pdf.r_margin


def paragraph(pdf: FPDF, text: str) -> None:
    pdf.set_font("NotoSans", "", 10)
    pdf.multi_cell(width(pdf), 5.5, text, align="L", new_x="LMARGIN", new_y="NEXT")


def section_title(pdf: FPDF, title: str) -> None:
    pdf.set_font("NotoSans", "B", 12)
    if pdf.will_page_break(30):  # a section title is not left alone at a page's foot
        pdf.add_page()
    pdf.ln(2)
    pdf.set_draw_color(*LINE)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(1.5)
    pdf.multi_cell(width(pdf), 6.5, title, align="L", new_x="LMARGIN", new_y="NEXT")
