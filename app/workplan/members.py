"""Member administrations: the reference list, loading it, and recognising Member names in
free text (work-plan titles, participant lists)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Member, Participant, SubRegion, activity_members
from app.models.enums import SUBREGION_ORDER


@dataclass(frozen=True)
class MemberReference:
    code: str
    name: str
    subregion: SubRegion
    is_rtc: bool = False
    is_small_island_economy: bool = False
    # Year known, day not: recorded as 1 January of that year. None: a Member before the
    # records kept here.
    joined_on: date | None = None
    aliases: tuple[str, ...] = ()


SA, FE, SEA, PAC = (
    SubRegion.SOUTH_ASIA,
    SubRegion.FAR_EAST,
    SubRegion.SOUTH_EAST_ASIA,
    SubRegion.PACIFIC,
)

# The 35 Members of the Asia/Pacific region. RTC: hosts a WCO Regional Training Centre.
# Small Island Economy: the Members named by the 2025-2026 plan's item 3-(k) (editable).
REFERENCE_MEMBERS: tuple[MemberReference, ...] = (
    MemberReference("AFG", "Afghanistan", SA),
    MemberReference("BGD", "Bangladesh", SA),
    MemberReference("BTN", "Bhutan", SA),
    MemberReference("IND", "India", SA, is_rtc=True),
    MemberReference(
        "IRN",
        "Iran",
        SA,
        is_rtc=True,
        aliases=("Islamic Republic of Iran", "Iran (Islamic Republic of)"),
    ),
    MemberReference("MDV", "Maldives", SA),
    MemberReference("NPL", "Nepal", SA),
    MemberReference("PAK", "Pakistan", SA),
    MemberReference("LKA", "Sri Lanka", SA),
    MemberReference("CHN", "China", FE, is_rtc=True, aliases=("People's Republic of China",)),
    MemberReference(
        "HKG", "Hong Kong, China", FE, is_rtc=True, aliases=("Hong Kong China", "Hong Kong")
    ),
    MemberReference("MAC", "Macao, China", FE, aliases=("Macao China", "Macao", "Macau")),
    MemberReference("MNG", "Mongolia", FE),
    MemberReference("JPN", "Japan", FE, is_rtc=True),
    MemberReference(
        "KOR",
        "Korea",
        FE,
        is_rtc=True,
        aliases=("Republic of Korea", "Korea, Republic of", "Korea (Republic of)"),
    ),
    MemberReference("BRN", "Brunei Darussalam", SEA, aliases=("Brunei",)),
    MemberReference("KHM", "Cambodia", SEA),
    MemberReference("IDN", "Indonesia", SEA, is_rtc=True),
    MemberReference("MYS", "Malaysia", SEA, is_rtc=True),
    MemberReference("MMR", "Myanmar", SEA),
    MemberReference(
        "LAO",
        "Lao PDR",
        SEA,
        aliases=(
            "Lao People's Dem. Rep.",
            "Lao, People's Dem. Rep.",
            "Lao People's Democratic Republic",
            "Lao P.D.R.",
            "Laos",
            "Lao",
        ),
    ),
    MemberReference("PHL", "Philippines", SEA, aliases=("The Philippines",)),
    MemberReference("SGP", "Singapore", SEA),
    MemberReference("THA", "Thailand", SEA, is_rtc=True),
    MemberReference("VNM", "Viet Nam", SEA, aliases=("Vietnam",)),
    MemberReference("AUS", "Australia", PAC),
    MemberReference("FJI", "Fiji", PAC, is_rtc=True, is_small_island_economy=True),
    MemberReference("NZL", "New Zealand", PAC),
    MemberReference("PNG", "Papua New Guinea", PAC, is_small_island_economy=True, aliases=("PNG",)),
    MemberReference("PLW", "Palau", PAC, joined_on=date(2024, 1, 1)),
    MemberReference("WSM", "Samoa", PAC, is_small_island_economy=True),
    MemberReference(
        "SLB", "Solomon Islands", PAC, is_small_island_economy=True, joined_on=date(2023, 1, 1)
    ),
    MemberReference(
        "TLS",
        "Timor-Leste",
        PAC,
        is_small_island_economy=True,
        aliases=("Timor Leste", "East Timor"),
    ),
    MemberReference("TON", "Tonga", PAC, is_small_island_economy=True),
    MemberReference("VUT", "Vanuatu", PAC, is_small_island_economy=True),
)

# Names the plan uses for groups of Members. Values: "all", a sub-region, or a tuple of
# codes.
PACIFIC_ISLANDS = ("FJI", "PNG", "PLW", "WSM", "SLB", "TON", "VUT")
GROUP_ALIASES: dict[str, str | SubRegion | tuple[str, ...]] = {
    "AP region": "all",
    "A/P region": "all",
    "Asia/Pacific region": "all",
    "Asia-Pacific region": "all",
    "Asia Pacific region": "all",
    "All Countries": "all",
    "all Members": "all",
    "AP Members": "all",
    "ASEAN member countries": SubRegion.SOUTH_EAST_ASIA,
    "ASEAN Members": SubRegion.SOUTH_EAST_ASIA,
    "ASEAN": SubRegion.SOUTH_EAST_ASIA,
    "Pacific Islands": PACIFIC_ISLANDS,
    "Pacific Island countries": PACIFIC_ISLANDS,
    "South Asia": SubRegion.SOUTH_ASIA,
}


@dataclass
class LoadResult:
    added: list[str]
    present: list[str]


def reference_member(ref: MemberReference) -> Member:
    return Member(
        code=ref.code,
        name=ref.name,
        subregion=ref.subregion,
        is_rtc=ref.is_rtc,
        is_small_island_economy=ref.is_small_island_economy,
        joined_on=ref.joined_on,
        active=True,
    )


def load_reference_members(session: Session) -> LoadResult:
    """Insert the reference Members that are missing. Existing rows are left as staff
    edited them (flags, active), so running this twice changes nothing."""
    existing = set(session.scalars(select(Member.code)))
    added: list[str] = []
    for ref in REFERENCE_MEMBERS:
        if ref.code in existing:
            continue
        session.add(reference_member(ref))
        added.append(ref.code)
    session.flush()
    return LoadResult(added=added, present=sorted(existing))


def fold(text: str) -> str:
    """Case-, accent-, quote- and spacing-insensitive form used to compare names."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"\s+", " ", text).strip().casefold()


@dataclass(frozen=True)
class NameMatch:
    start: int
    end: int
    codes: tuple[str, ...]


class MemberDirectory:
    """Recognises Member names, aliases, ISO codes and group names.

    Built from the Members in the database (so a Member added by staff is recognised too)
    plus the aliases above.
    """

    def __init__(self, members: list[Member]):
        self.members = {m.code: m for m in members}
        self._names: dict[str, tuple[str, ...]] = {}
        refs = {ref.code: ref for ref in REFERENCE_MEMBERS}
        for member in members:
            names = [member.name, *(refs[member.code].aliases if member.code in refs else ())]
            for name in names:
                self._names[fold(name)] = (member.code,)
        active = tuple(sorted(m.code for m in members if m.active))
        for alias, target in GROUP_ALIASES.items():
            if target == "all":
                codes = active
            elif isinstance(target, SubRegion):
                codes = tuple(sorted(m.code for m in members if m.subregion == target))
            else:
                codes = tuple(c for c in target if c in self.members)
            self._names[fold(alias)] = codes
        # Longest names first, so "Papua New Guinea" wins over a shorter name inside it.
        alternatives = sorted(self._names, key=len, reverse=True)
        self._pattern = re.compile(
            r"(?<![\w'’])(?:" + "|".join(_name_pattern(a) for a in alternatives) + r")(?![\w'’])",
            re.IGNORECASE,
        )

    @classmethod
    def from_session(cls, session: Session) -> MemberDirectory:
        return cls(list(session.scalars(select(Member).order_by(Member.code))))

    @classmethod
    def from_reference(cls) -> MemberDirectory:
        """The reference Members, without a database (parsing tests, dry runs)."""
        return cls([reference_member(ref) for ref in REFERENCE_MEMBERS])

    def resolve(self, name: str) -> Member | None:
        """One Member by ISO code, name or alias; None when unknown or a group."""
        text = name.strip()
        if text.upper() in self.members:
            return self.members[text.upper()]
        codes = self._names.get(fold(text))
        if codes and len(codes) == 1 and fold(text) not in {fold(g) for g in GROUP_ALIASES}:
            return self.members[codes[0]]
        return None

    def find(self, text: str) -> list[NameMatch]:
        """Every Member or group name in ``text``, in order, with offsets into ``text``."""
        return [
            NameMatch(m.start(), m.end(), self._names[fold(m.group(0))])
            for m in self._pattern.finditer(text)
        ]


def _name_pattern(folded_name: str) -> str:
    """A regex for a folded name that tolerates any spacing and either apostrophe."""
    parts = []
    for char in folded_name:
        if char == " ":
            parts.append(r"\s+")
        elif char == "'":
            parts.append("['’]")
        else:
            parts.append(re.escape(char))
    return "".join(parts)


# -- listing ---------------------------------------------------------------------------------


def members_by_name(session: Session) -> list[Member]:
    return list(session.scalars(select(Member).order_by(Member.name)))


def members_by_subregion(session: Session) -> list[Member]:
    """Every Member, sub-region by sub-region (in the office's order), then by name."""
    return sorted(
        session.scalars(select(Member)), key=lambda m: (SUBREGION_ORDER[m.subregion], m.name)
    )


def members_by_codes(session: Session, codes: list[str]) -> dict[str, Member]:
    """The Members whose ISO codes are in ``codes`` (any case), by code."""
    wanted = [c.upper() for c in codes]
    return {m.code: m for m in session.scalars(select(Member).where(Member.code.in_(wanted)))}


class MemberOverview(NamedTuple):
    member: Member
    activities: int  # activities it hosts or benefits from
    participants: int


def member_overview(session: Session) -> dict[SubRegion, list[MemberOverview]]:
    """Every Member with its number of activities and participants, by sub-region."""
    hosted = (
        select(activity_members.c.member_id, func.count().label("activities"))
        .group_by(activity_members.c.member_id)
        .subquery()
    )
    people = (
        select(Participant.member_id, func.count().label("participants"))
        .group_by(Participant.member_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Member,
            func.coalesce(hosted.c.activities, 0),
            func.coalesce(people.c.participants, 0),
        )
        .outerjoin(hosted, hosted.c.member_id == Member.id)
        .outerjoin(people, people.c.member_id == Member.id)
    ).all()
    groups: dict[SubRegion, list[MemberOverview]] = {}
    for member, activities, participants in sorted(
        rows, key=lambda row: (SUBREGION_ORDER[row[0].subregion], row[0].name)
    ):
        groups.setdefault(member.subregion, []).append(
            MemberOverview(member, activities, participants)
        )
    return groups


# -- editing ---------------------------------------------------------------------------------


class MemberError(ValueError):
    """A value a person can fix; ``field`` names the form field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class MemberData:
    name: str
    is_small_island_economy: bool
    active: bool
    joined_on: date | None


def update_member(session: Session, member: Member, data: MemberData, today: date) -> Member:
    """Change what staff may edit of a Member (not its code or sub-region: the plan's
    imports and the KPIs key on them). Raises MemberError, changing nothing, when a value
    is not acceptable."""
    name = " ".join(data.name.split())
    if not name:
        raise MemberError("name", "Give the administration's name.")
    if len(name) > 120:
        raise MemberError("name", "The name has more than 120 characters.")
    taken = session.scalar(
        select(Member.code).where(func.lower(Member.name) == name.lower(), Member.id != member.id)
    )
    if taken:
        raise MemberError("name", f"Another Member ({taken}) already has this name.")
    if data.joined_on is not None and data.joined_on > today:
        raise MemberError(
            "joined_on", f"The joining date is after today ({today.isoformat()}): check the year."
        )
    member.name = name
    member.is_small_island_economy = data.is_small_island_economy
    member.active = data.active
    member.joined_on = data.joined_on
    session.flush()
    return member
