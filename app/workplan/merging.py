"""Turn the plan's activity bullets into distinct activities.

One activity is usually listed under several items, each time with a "(See also ...)"
list naming the others, and the copies do not always agree: abbreviations ("National WS on
PCA" / "National workshop on PCA"), typos ("workhop"), a country list that differs by a name
("for Fiji and Indonesia" / "for Fiji"), a place added ("... Training in Zamiin Uud"). Copies
are merged when their normalised titles match, or when the part before "for <Members>"
matches and the Member lists overlap; every activity is linked to the union of the items it
is listed under and cross-referenced to, and each disagreement is reported as a warning.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from app.models.enums import ActivityKind
from app.workplan.annex import (
    SEE_ALSO,
    ParsedItem,
    ParseWarning,
    RawBullet,
    repair_ordinals,
)
from app.workplan.members import MemberDirectory, fold

TYPOS = {
    "workhop": "workshop",
    "wokshop": "workshop",
    "worshop": "workshop",
    "programe": "programme",
}
# Abbreviations expanded when comparing titles (not in the stored title).
ABBREVIATIONS = {
    "ws": "workshop",
    "wss": "workshops",
    "rm": "risk management",
    "sw": "single window",
    "natl": "national",
}
# Bullets that describe a standing task rather than an event.
ONGOING_PREFIXES = (
    "upon request",
    "encourage",
    "continue",
    "take every",
    "explore",
    "work with",
    "conduct",
    "utilize",
    "utilise",
    "maintain",
    "issue",
    "as appropriate",
    "participate",
    "promote",
    "support members",
    "share",
    "seek",
    "monitor",
)
NAME_CONNECTORS = {"and", "&", "the", "of"}


@dataclass
class MemberExtraction:
    codes: set[str]
    unknown: list[str]
    # The title without its trailing "for <Members>" list, when it had one.
    subject: str


@dataclass
class BulletInfo:
    bullet: RawBullet
    title: str
    references: list[str]
    kind: ActivityKind
    members: set[str]
    unknown_members: list[str]
    key: str
    subject_key: str


@dataclass
class PlannedActivity:
    title: str
    kind: ActivityKind
    members: set[str]
    items: set[str]
    keys: set[str]
    bullets: list[BulletInfo] = field(default_factory=list)

    @property
    def key(self) -> str:
        return title_key(self.title)

    @property
    def first_line(self) -> int:
        return min(b.bullet.line for b in self.bullets)


def split_cross_references(text: str) -> tuple[str, str]:
    """("National workshop ... for Tonga", "1-(a), (b), (c) ,(dd), and 3-(k)")."""
    match = SEE_ALSO.search(text)
    if not match:
        return text, ""
    references = text[match.end() :].strip()
    while references.endswith(")") and references.count(")") > references.count("("):
        references = references[:-1].rstrip()
    return text[: match.start()], references


def parse_cross_references(text: str, pillar: int) -> list[str]:
    """Item codes in "1-(b), (c), (dd), and 3-(k)": a bare "(c)" takes the pillar of the
    code before it, or the listing item's pillar when it comes first."""
    codes: list[str] = []
    current = pillar
    for match in re.finditer(r"(?:(\d)\s*-?\s*)?\(\s*([a-z]{1,2})\s*\)", text):
        if match.group(1):
            current = int(match.group(1))
        code = f"{current}-({match.group(2)})"
        if code not in codes:
            codes.append(code)
    return codes


def fix_typos(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        word = match.group(0)
        fixed = TYPOS[word.lower()]
        return fixed.capitalize() if word[0].isupper() else fixed

    pattern = r"\b(?:" + "|".join(TYPOS) + r")\b"
    return re.sub(pattern, replace, text, flags=re.IGNORECASE)


def clean_title(text: str) -> str:
    title = re.sub(r"\s+", " ", text).strip()
    title = title.rstrip(" ,;")
    while title.endswith(")") and title.count(")") > title.count("("):
        title = title[:-1].rstrip()
    return repair_ordinals(fix_typos(title))


def title_key(title: str) -> str:
    """The comparable form of a title: folded, punctuation-free, abbreviations expanded."""
    text = fold(fix_typos(title)).replace("'", "")
    words = re.sub(r"[^\w]+", " ", text).split()
    return " ".join(ABBREVIATIONS.get(word, word) for word in words)


# The kind of an activity from its (folded) title: the first pattern that matches wins.
KIND_RULES = (
    (re.compile(r"master trainer"), ActivityKind.MASTER_TRAINER_PROGRAMME),
    (re.compile(r"accreditation"), ActivityKind.ACCREDITATION),
    (re.compile(r"\b(meetings?|conference|dialogues?)\b|^attend "), ActivityKind.MEETING),
    (re.compile(r"\bnational (workshop|ws)\b"), ActivityKind.NATIONAL_WORKSHOP),
    (re.compile(r"\bsub-?regional\b"), ActivityKind.SUB_REGIONAL_WORKSHOP),
    (re.compile(r"\b(regional (workshops?|ws)|masterclass)\b"), ActivityKind.REGIONAL_WORKSHOP),
    (re.compile(r"\btraining\b"), ActivityKind.TRAINING),
    (re.compile(r"\bnational\b"), ActivityKind.NATIONAL_WORKSHOP),
    (re.compile(r"\bregional\b"), ActivityKind.REGIONAL_WORKSHOP),
)


def classify_kind(title: str, member_count: int) -> ActivityKind:
    text = fold(fix_typos(title))
    if text.startswith(ONGOING_PREFIXES):
        return ActivityKind.ONGOING_ACTION
    for pattern, kind in KIND_RULES:
        if pattern.search(text):
            return kind
    # A workshop or mission without a stated scope: national when it serves one Member.
    if member_count == 1:
        return ActivityKind.NATIONAL_WORKSHOP
    if re.search(r"\b(workshops?|ws)\b", text):
        return ActivityKind.REGIONAL_WORKSHOP
    return ActivityKind.TRAINING


def _is_name_like(piece: str) -> bool:
    words = piece.replace(",", " ").split()
    return bool(words) and all(
        w[0].isupper() or w[0].isdigit() or w.lower() in NAME_CONNECTORS for w in words
    )


def extract_members(title: str, directory: MemberDirectory) -> MemberExtraction:
    """Host/beneficiary Members named in a title.

    The list after the last "for" is read as names ("for Lao People's Dem. Rep., Vanuatu,
    Timor-Leste, Philippines and Vietnam", "for AP region" = every active Member); a name
    there that is not a Member is reported as unknown. When the text after "for" is not a
    list of names ("for ASEAN member countries in enhancing knowledge ..."), Member names
    anywhere in the title count ("PCCP - Mongolia, Basic Theoretical Training").
    """
    matches_for = list(re.finditer(r"\bfor\b", title))
    if matches_for:
        last = matches_for[-1]
        tail = title[last.end() :]
        matches = directory.find(tail)
        leftover = tail
        for match in reversed(matches):
            leftover = leftover[: match.start] + "," + leftover[match.end :]
        pieces = [p.strip() for p in re.split(r",|\band\b|&", leftover)]
        pieces = [re.sub(r"^(the|and)\s+", "", p, flags=re.IGNORECASE).strip() for p in pieces]
        pieces = [p for p in pieces if p and p.lower() not in NAME_CONNECTORS]
        if all(_is_name_like(p) for p in pieces):
            codes = {code for match in matches for code in match.codes}
            return MemberExtraction(codes, pieces, title[: last.start()].strip())
    matches = directory.find(title)
    return MemberExtraction({c for m in matches for c in m.codes}, [], title)


def describe_bullet(bullet: RawBullet, pillar: int, directory: MemberDirectory) -> BulletInfo:
    raw_title, references = split_cross_references(bullet.text)
    title = clean_title(raw_title)
    extraction = extract_members(title, directory)
    kind = classify_kind(title, len(extraction.codes))
    if kind is ActivityKind.ONGOING_ACTION:
        # A standing task names no host: "Encourage AP members ..." is not for everyone.
        extraction = MemberExtraction(set(), [], title)
    return BulletInfo(
        bullet=bullet,
        title=title,
        references=parse_cross_references(references, pillar),
        kind=kind,
        members=extraction.codes,
        unknown_members=extraction.unknown,
        key=title_key(title),
        subject_key=title_key(extraction.subject),
    )


def same_activity(a: BulletInfo, b: BulletInfo) -> bool:
    if a.key == b.key:
        return True
    if a.subject_key == b.subject_key and a.subject_key != a.key:
        return bool(a.members & b.members)
    words_a, words_b = a.subject_key.split(), b.subject_key.split()
    shorter, longer = sorted((words_a, words_b), key=len)
    return bool(a.members) and a.members == b.members and longer[: len(shorter)] == shorter


def build_activities(
    items: list[ParsedItem], directory: MemberDirectory
) -> tuple[list[PlannedActivity], list[ParseWarning]]:
    warnings: list[ParseWarning] = []
    infos = [
        describe_bullet(bullet, item.pillar, directory) for item in items for bullet in item.bullets
    ]
    known_items = {item.code for item in items}
    for info in infos:
        for code in info.references:
            if code not in known_items:
                warnings.append(
                    ParseWarning(
                        info.bullet.line,
                        f"cross-reference to unknown item {code} in {info.title!r}",
                    )
                )

    groups = _group(infos)
    activities = [_merge(group, known_items, warnings) for group in groups]
    activities.sort(key=lambda activity: activity.first_line)
    return activities, warnings


def _group(infos: list[BulletInfo]) -> list[list[BulletInfo]]:
    parent = list(range(len(infos)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(infos)):
        for j in range(i + 1, len(infos)):
            if same_activity(infos[i], infos[j]):
                parent[root(j)] = root(i)
    groups: dict[int, list[BulletInfo]] = {}
    for index, info in enumerate(infos):
        groups.setdefault(root(index), []).append(info)
    return list(groups.values())


def _merge(
    group: list[BulletInfo], known_items: set[str], warnings: list[ParseWarning]
) -> PlannedActivity:
    counts = Counter(info.title for info in group)
    # The fullest Member list, then one without unknown names, then the most frequent
    # wording, then the longest (abbreviations spelled out), then the first.
    best = min(
        group,
        key=lambda i: (
            -len(i.members),
            len(i.unknown_members),
            -counts[i.title],
            -len(i.title),
            i.bullet.line,
        ),
    )
    listed = {info.bullet.item_code for info in group}
    referenced = {code for info in group for code in info.references if code in known_items}
    activity = PlannedActivity(
        title=best.title,
        kind=best.kind,
        members={code for info in group for code in info.members},
        items=listed | referenced,
        keys={info.key for info in group},
        bullets=group,
    )
    lines = ", ".join(str(info.bullet.line) for info in group)
    unknown: dict[str, list[int]] = {}
    for info in group:
        for name in info.unknown_members:
            unknown.setdefault(name, []).append(info.bullet.line)
    for name, name_lines in unknown.items():
        warnings.append(
            ParseWarning(
                name_lines[0],
                f"unknown Member name {name!r} in {activity.title!r} "
                f"(line{'s' if len(name_lines) > 1 else ''} "
                f"{', '.join(map(str, name_lines))}); not linked to a Member",
            )
        )
    titles = sorted({info.title for info in group})
    if len(titles) > 1:
        warnings.append(
            ParseWarning(
                best.bullet.line,
                f"taken as one activity (lines {lines}): "
                + " / ".join(repr(t) for t in titles)
                + (
                    f"; Members differ, kept all of {', '.join(sorted(activity.members))}"
                    if len({frozenset(i.members) for i in group}) > 1
                    else ""
                ),
            )
        )
    disagreements = []
    for info in group:
        expected = {info.bullet.item_code, *(c for c in info.references if c in known_items)}
        missing = activity.items - expected
        if missing:
            disagreements.append(
                f"line {info.bullet.line} under {info.bullet.item_code} omits "
                + ", ".join(sorted(missing, key=item_order))
            )
    unlisted = sorted(referenced - listed, key=item_order)
    if unlisted:
        disagreements.append(f"cross-referenced to {', '.join(unlisted)} but not listed there")
    if disagreements:
        warnings.append(
            ParseWarning(
                best.bullet.line,
                f"cross-references of {activity.title!r} disagree ({'; '.join(disagreements)}); "
                f"linked to all of {', '.join(sorted(activity.items, key=item_order))}",
            )
        )
    return activity


def item_order(code: str) -> tuple[int, int, str]:
    pillar, letter = code.split("-", 1)
    letter = letter.strip("()")
    return int(pillar), len(letter), letter
