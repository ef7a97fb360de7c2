from collections import Counter

from sqlalchemy import func, select

from app.models import Member, SubRegion
from app.workplan.members import MemberDirectory, load_reference_members


def test_reference_members_are_loaded_once(session):
    # The session fixture loaded them; loading again adds nothing.
    result = load_reference_members(session)
    assert result.added == []
    assert len(result.present) == 35
    assert session.scalar(select(func.count()).select_from(Member)) == 35


def test_reference_members_facts(session):
    members = {m.code: m for m in session.scalars(select(Member))}
    by_region = Counter(m.subregion for m in members.values())
    assert by_region == {
        SubRegion.SOUTH_ASIA: 9,
        SubRegion.FAR_EAST: 6,
        SubRegion.SOUTH_EAST_ASIA: 10,
        SubRegion.PACIFIC: 10,
    }
    assert {c for c, m in members.items() if m.is_rtc} == {
        "CHN",
        "FJI",
        "HKG",
        "IND",
        "IDN",
        "IRN",
        "JPN",
        "KOR",
        "MYS",
        "THA",
    }
    assert {c for c, m in members.items() if m.is_small_island_economy} == {
        "FJI",
        "PNG",
        "WSM",
        "SLB",
        "TLS",
        "TON",
        "VUT",
    }
    assert members["SLB"].joined_on.year == 2023
    assert members["PLW"].joined_on.year == 2024
    assert members["HKG"].name == "Hong Kong, China"
    assert all(m.active for m in members.values())


def test_reloading_keeps_staff_edits(session):
    fiji = session.scalar(select(Member).where(Member.code == "FJI"))
    fiji.is_small_island_economy = False
    session.flush()
    load_reference_members(session)
    session.expire_all()
    assert (
        session.scalar(select(Member).where(Member.code == "FJI")).is_small_island_economy is False
    )


def test_directory_resolves_aliases_and_codes(session):
    directory = MemberDirectory.from_session(session)
    expect = {
        "Lao PDR": "LAO",
        "Lao People's Dem. Rep.": "LAO",
        "Lao, People’s Dem. Rep.": "LAO",
        "Lao": "LAO",
        "Viet Nam": "VNM",
        "Vietnam": "VNM",
        "Iran": "IRN",
        "Timor-Leste": "TLS",
        "timor leste": "TLS",
        "Hong Kong China": "HKG",
        "Hong Kong, China": "HKG",
        "PNG": "PNG",
        "fji": "FJI",
        "Korea": "KOR",
    }
    for name, code in expect.items():
        assert directory.resolve(name).code == code, name
    assert directory.resolve("Guinea") is None
    assert directory.resolve("AP region") is None  # a group, not one Member


def test_directory_finds_longest_names_in_text(session):
    directory = MemberDirectory.from_session(session)
    text = "for Fiji, Guinea, Papua New Guinea and Lao People's Dem. Rep."
    found = [(text[m.start : m.end], m.codes) for m in directory.find(text)]
    assert found == [
        ("Fiji", ("FJI",)),
        ("Papua New Guinea", ("PNG",)),
        ("Lao People's Dem. Rep.", ("LAO",)),
    ]
    everyone = directory.find("Regional Workshop for AP region")[0].codes
    assert len(everyone) == 35
