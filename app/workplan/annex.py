"""Read the text extracted from the Annual Work Plan annex (a three-column PDF table) into
pillars, items and raw activity bullets.

The extraction interleaves the columns: an item's text (column 1), its activities (column 2,
one "➢" bullet each) and its KPI (column 3) follow one another, but a page break can cut any
of them, and after the repeated table header the text resumes with whatever column was cut
first. The reader therefore keeps up to three open streams per item (item text until its
"(RSP ...)" reference, the current bullet, the KPI) and routes each continuation line to one
of them using the cues a person reading the page would use: blank lines, capitalisation, a
bullet that is obviously unfinished, and page breaks.

This module only reads text; `app.workplan.merging` turns bullets into activities.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

BULLET_CHARS = "➢•▪●"
HEADER_START = "Specific Actions of ROCB A/P"
HEADER_LINES = (
    re.compile(r"^\(Relevance to A/P RSP \d{4}\s*-\s*\d{4}\)$"),
    re.compile(r"^Annual Work Plan for \d{4}\s*-\s*\d{4}$"),
    re.compile(r"^RSP Key Performance$"),
    re.compile(r"^Indicator$"),
)
FOOTER_LINES = (
    re.compile(r"^ROCB A/P Annual Report \d{4}\s*/\s*\d{4}$"),
    re.compile(r"^\d{1,3}$"),  # page number
    re.compile(r"^Annex [IVX]+$"),
)
TITLE_LINE = re.compile(r"^ROCB A/P Annual Work Plan \((\d{4})\s*-\s*(\d{4})\)$")
PILLAR_HEADING = re.compile(r"(?:^|\s)(\d)\.\s+([A-Z][^()➢]*?)\s*$")
ITEM_START = re.compile(r"^([a-z]{1,2})\)\s+(.*)$")
RSP_REFERENCE = re.compile(
    r"\((?P<ref>(?:RSP\s*)?\d+\.\d+\.\d+[^()]*?milestones?)\s*\)", re.IGNORECASE
)
SEE_ALSO = re.compile(r"\(\s*See\s+also\b", re.IGNORECASE)
# A line that starts a new column-3 entry: "Number of ...", "(2) Members that ...".
KPI_START = re.compile(r"^(?:\(\d\)\s*)?[A-Z][a-z]")
CONNECTIVES = frozenset(
    "and or of for the in on to with a an by from via at as into based including".split()  # noqa: SIM905
)


def item_letters() -> list[str]:
    """a, b, ..., z, aa, bb, ..., zz: the item letters in plan order."""
    singles = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    return singles + [c * 2 for c in singles]


LETTER_POSITION = {letter: index for index, letter in enumerate(item_letters())}


@dataclass
class ParseWarning:
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass
class RawBullet:
    line: int
    item_code: str
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return join_wrapped(self.lines)


@dataclass
class ParsedItem:
    code: str
    pillar: int
    letter: str
    line: int
    text_lines: list[str] = field(default_factory=list)
    rsp: str = ""
    kpi_lines: list[str] = field(default_factory=list)
    bullets: list[RawBullet] = field(default_factory=list)

    @property
    def position(self) -> int:
        return self.pillar * 100 + LETTER_POSITION[self.letter]

    @property
    def title(self) -> str:
        return join_wrapped(self.text_lines)

    @property
    def kpi(self) -> str:
        return re.sub(r"\((\d)\)(?=\S)", r"(\1) ", join_wrapped(self.kpi_lines))


@dataclass
class ParsedPillar:
    number: int
    title: str
    line: int


@dataclass
class AnnexText:
    pillars: list[ParsedPillar]
    items: list[ParsedItem]
    warnings: list[ParseWarning]
    document_year: str | None = None


def join_wrapped(lines: list[str]) -> str:
    """Join wrapped lines: a word cut after a hyphen ("E-" / "commerce", "1-" / "(b)")
    joins without a space, everything else with one."""
    text = ""
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if not text:
            text = line
        elif re.search(r"\w-$", text):
            text += line
        else:
            text += " " + line
    return re.sub(r"\s+", " ", text).strip()


def repair_ordinals(text: str) -> str:
    """ "23nd" -> "23rd", "2กd" -> "2nd": the suffix follows from the number."""

    def suffix(number: int) -> str:
        if 10 <= number % 100 <= 20:
            return "th"
        return {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")

    def fix(match: re.Match[str]) -> str:
        number = int(match.group(1))
        return f"{number}{suffix(number)}"

    return re.sub(r"\b(\d+)(?:st|nd|rd|th|[^\x00-\x7f\s]+d|[^\x00-\x7f\s]+)\b", fix, text)


def paren_balance(text: str) -> int:
    return text.count("(") - text.count(")")


def bullet_is_closed(text: str) -> bool:
    """A bullet that ends with its closing bracket cannot continue on the next line."""
    return text.rstrip().endswith(")") and paren_balance(text) <= 0


def text_is_unfinished(text: str) -> bool:
    """Text (a bullet, a KPI) that visibly stops mid-phrase (open bracket, trailing comma or hyphen,
    a dangling "for", "and", "the" ...)."""
    stripped = text.rstrip()
    if paren_balance(stripped) > 0:
        return True
    if stripped.endswith((",", "-", "–", "&", "/", ":")):
        return True
    words = stripped.split()
    return bool(words) and words[-1].lower() in CONNECTIVES


def split_trailing_kpi(bullet_text: str, new_line: str) -> tuple[str, str]:
    """A bullet line can carry column-3 text after its closed "(See also ...)":
    "➢ National workshop on rules of origin for Bhutan (See also 1-(j)) Number of Members".
    Returns (part that belongs to the bullet, trailing KPI text)."""
    combined = f"{bullet_text} {new_line}" if bullet_text else new_line
    offset = len(combined) - len(new_line)
    match = SEE_ALSO.search(combined)
    if not match:
        return new_line, ""
    depth = 0
    for index in range(match.start(), len(combined)):
        char = combined[index]
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                # Swallow extra closing brackets ("3-(k)))") before looking for a tail.
                end = index + 1
                while end < len(combined) and combined[end] in ") ":
                    end += 1
                tail = combined[end:].strip()
                if end > offset and tail and KPI_START.match(tail):
                    cut = max(end - offset, 0)
                    return new_line[:cut].rstrip(), tail
                return new_line, ""
    return new_line, ""


class AnnexReader:
    """One pass over the lines; see the module docstring for the routing rules."""

    def __init__(self, text: str):
        self.lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self.pillars: list[ParsedPillar] = []
        self.items: list[ParsedItem] = []
        self.warnings: list[ParseWarning] = []
        self.document_year: str | None = None
        self.pillar: int = 0
        self.item: ParsedItem | None = None
        self.item_open = False  # item text continues until its RSP reference
        self.bullet: RawBullet | None = None
        self.last: str | None = None  # 'item', 'rsp', 'bullet' or 'kpi'
        self.blank_before = False
        self.page_break = False

    # -- structure -------------------------------------------------------------------------
    def read(self) -> AnnexText:
        index = 0
        while index < len(self.lines):
            number = index + 1
            line = self.lines[index].strip()
            index += 1
            if not line:
                self.blank_before = True
                continue
            if HEADER_START in line:
                before = line.split(HEADER_START, 1)[0].strip()
                if before:
                    self.content(before, number)
                index = self.skip_header(index)
                continue
            if any(p.match(line) for p in FOOTER_LINES):
                continue
            title = TITLE_LINE.match(line)
            if title:
                self.document_year = f"{title.group(1)}-{title.group(2)}"
                continue
            heading = self.pillar_heading(line, index)
            if heading:
                before, number_, heading_text = heading
                if before:
                    self.content(before, number)
                self.start_pillar(number_, heading_text, number)
                continue
            self.content(line, number)
        return AnnexText(self.pillars, self.items, self.warnings, self.document_year)

    def skip_header(self, index: int) -> int:
        while index < len(self.lines):
            line = self.lines[index].strip()
            if line and not any(p.match(line) for p in HEADER_LINES):
                break
            index += 1
        self.page_break = True
        self.blank_before = True
        return index

    def pillar_heading(self, line: str, next_index: int) -> tuple[str, int, str] | None:
        """A heading "2. Further develop partnerships ..." (possibly run into the end of
        the previous line), recognised only when its number is above the current pillar's
        and the table header follows within a few lines."""
        match = PILLAR_HEADING.search(line)
        if not match or int(match.group(1)) <= self.pillar:
            return None
        following = [s.strip() for s in self.lines[next_index : next_index + 8] if s.strip()]
        if not any(s.startswith(HEADER_START) for s in following[:3]):
            return None
        return line[: match.start()].strip(), int(match.group(1)), match.group(2).strip()

    def start_pillar(self, number: int, title: str, line: int) -> None:
        self.close_item()
        if number != self.pillar + 1:
            self.warnings.append(
                ParseWarning(line, f"pillar {number} follows pillar {self.pillar}")
            )
        self.pillar = number
        self.pillars.append(ParsedPillar(number, title, line))
        self.item = None
        self.last = None

    def close_item(self) -> None:
        if self.item is not None and not self.item.rsp:
            self.warnings.append(
                ParseWarning(self.item.line, f"item {self.item.code} has no RSP reference")
            )

    def start_item(self, letter: str, rest: str, line: int) -> None:
        self.close_item()
        if self.pillar == 0:
            self.warnings.append(ParseWarning(line, "item found before any pillar heading"))
            self.pillar = 1
            self.pillars.append(ParsedPillar(1, "", line))
        previous = self.item.letter if self.item and self.item.pillar == self.pillar else None
        expected = item_letters()[LETTER_POSITION[previous] + 1] if previous else "a"
        if letter != expected:
            self.warnings.append(
                ParseWarning(
                    line,
                    f"item {self.pillar}-({letter}) follows "
                    f"{self.pillar}-({previous or '-'}); expected ({expected})",
                )
            )
        self.item = ParsedItem(f"{self.pillar}-({letter})", self.pillar, letter, line)
        self.items.append(self.item)
        self.item_open = True
        self.bullet = None
        self.last = "item"
        self.add_item_text(rest)

    def is_next_item(self, letter: str) -> bool:
        if letter not in LETTER_POSITION:
            return False
        if self.item is None or self.item.pillar != self.pillar:
            return True
        return LETTER_POSITION[letter] > LETTER_POSITION[self.item.letter]

    # -- content lines -----------------------------------------------------------------------
    def content(self, line: str, number: int) -> None:
        item_start = ITEM_START.match(line)
        if item_start and self.is_next_item(item_start.group(1)):
            self.start_item(item_start.group(1), item_start.group(2), number)
        elif line[0] in BULLET_CHARS:
            self.start_bullets(line, number)
        elif self.item is None:
            self.warnings.append(ParseWarning(number, f"text outside any item ignored: {line!r}"))
        else:
            self.continuation(line, number)
        self.blank_before = False
        self.page_break = False

    def start_bullets(self, line: str, number: int) -> None:
        if self.item is None:
            self.warnings.append(ParseWarning(number, "activity found before any item"))
            return
        for part in filter(None, (p.strip() for p in re.split(f"[{BULLET_CHARS}]", line))):
            self.bullet = RawBullet(number, self.item.code)
            self.item.bullets.append(self.bullet)
            self.last = "bullet"
            self.add_bullet_text(part)

    def continuation(self, line: str, number: int) -> None:
        if RSP_REFERENCE.search(line) and self.item_open:
            self.add_item_text(line)
            return
        if SEE_ALSO.search(line) and self.bullet and not bullet_is_closed(self.bullet.text):
            # Cross-references only ever end a bullet: "for" / "Lao People's Dem. Rep.
            # (See also 1-(ii))" continues it even after a blank line.
            self.add_bullet_text(line)
            return
        target = self.column_after_page_break() if self.page_break else self.column_of(line)
        if target == "item":
            self.add_item_text(line)
        elif target == "bullet":
            self.add_bullet_text(line)
        else:
            self.add_kpi(line)

    def column_after_page_break(self) -> str:
        """After the table header the page resumes with its leftmost unfinished column."""
        if self.item_open:
            return "item"
        if self.bullet and text_is_unfinished(self.bullet.text):
            return "bullet"
        return "kpi"

    def column_of(self, line: str) -> str:
        """Which column a continuation line belongs to, from what the previous line was."""
        starts_kpi = bool(self.blank_before and KPI_START.match(line))
        if self.last == "item":
            return "kpi" if starts_kpi else "item"
        if self.last == "bullet":
            assert self.bullet is not None
            return "kpi" if bullet_is_closed(self.bullet.text) or starts_kpi else "bullet"
        if self.last == "rsp":
            unfinished = self.bullet and text_is_unfinished(self.bullet.text)
            return "bullet" if unfinished else "kpi"
        return "kpi"

    def add_item_text(self, text: str) -> None:
        assert self.item is not None
        match = RSP_REFERENCE.search(text)
        if match:
            before, after = text[: match.start()].strip(), text[match.end() :].strip()
            if before:
                self.item.text_lines.append(before)
            ref = re.sub(r"\s+", " ", match.group("ref")).strip()
            if not ref.upper().startswith("RSP"):
                ref = f"RSP {ref}"
            self.item.rsp = repair_ordinals(re.sub(r"\s*[–-]\s*", " – ", ref, count=1))
            self.item_open = False
            self.last = "rsp"
            if after:
                self.add_kpi(after)
            return
        self.item.text_lines.append(text)
        self.last = "item"

    def add_bullet_text(self, text: str) -> None:
        assert self.item is not None and self.bullet is not None
        own, trailing = split_trailing_kpi(self.bullet.text, text)
        self.bullet.lines.append(own)
        self.last = "bullet"
        if trailing:
            self.add_kpi(trailing)

    def add_kpi(self, text: str) -> None:
        assert self.item is not None
        lines = self.item.kpi_lines
        if (
            lines
            and self.blank_before
            and KPI_START.match(text)
            and not text.startswith("(")
            and not text_is_unfinished(lines[-1])
        ):
            # A second, unnumbered indicator in the same cell: keep the two apart.
            lines[-1] = lines[-1].rstrip(" ;") + ";"
        lines.append(text)
        self.last = "kpi"


def read_annex(text: str) -> AnnexText:
    return AnnexReader(text).read()
