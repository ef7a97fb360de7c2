"""From bullets to distinct activities: cleaning, kinds, Members, merging, warnings."""

from textwrap import dedent

import pytest

from app.models import ActivityKind
from app.workplan.annex import read_annex
from app.workplan.members import MemberDirectory
from app.workplan.merging import (
    build_activities,
    classify_kind,
    clean_title,
    extract_members,
    parse_cross_references,
    split_cross_references,
    title_key,
)
from tests.samples import HEADER


@pytest.fixture(scope="module")
def directory():
    return MemberDirectory.from_reference()


def build(body: str, directory):
    text = "1. Support the implementation\n\n" + HEADER + dedent(body)
    annex = read_annex(text)
    return build_activities(annex.items, directory)


def test_cross_references_take_the_pillar_of_the_previous_code():
    assert parse_cross_references("1-(b), (c), (dd), (hh), and 3-(k)", 1) == [
        "1-(b)",
        "1-(c)",
        "1-(dd)",
        "1-(hh)",
        "3-(k)",
    ]
    assert parse_cross_references("(hh)", 1) == ["1-(hh)"]
    assert parse_cross_references("1- (hh) and 3(k)", 3) == ["1-(hh)", "3-(k)"]
    assert parse_cross_references("1-(dd) ,(y), (z), (dd), and (ee)", 3) == [
        "1-(dd)",
        "1-(y)",
        "1-(z)",
        "1-(ee)",
    ]


def test_titles_are_cleaned_of_cross_references_typos_and_stray_brackets():
    title, refs = split_cross_references(
        "National Workshop on RM for Timor-Leste (See also 1-(a), (b), (dd), (hh), and 3-(k)))"
    )
    assert clean_title(title) == "National Workshop on RM for Timor-Leste"
    assert refs == "1-(a), (b), (dd), (hh), and 3-(k)"
    title, refs = split_cross_references(
        "ASEAN Regional Workshop on TFA with focus on AEO (See also 1-(e), (h) and (hh)"
    )
    assert clean_title(title) == "ASEAN Regional Workshop on TFA with focus on AEO"
    assert refs == "1-(e), (h) and (hh)"
    assert (
        clean_title("National workhop on PCCP - Bangladesh")
        == "National workshop on PCCP - Bangladesh"
    )
    assert clean_title("Organize 23nd RTC Heads meeting") == "Organize 23rd RTC Heads meeting"


def test_title_keys_expand_abbreviations():
    assert title_key("National WS on PCA for Maldives") == title_key(
        "National workshop on PCA for Maldives"
    )
    assert title_key("National Workshop on RM for Timor-Leste") == title_key(
        "National workshop on Risk Management for Timor Leste"
    )
    assert title_key("National workhop on X") == title_key("national workshop on x")


@pytest.mark.parametrize(
    ("title", "codes", "unknown"),
    [
        ("National Workshop on Valuation for Fiji and Indonesia", {"FJI", "IDN"}, []),
        (
            "National workshop on AEO for Lao People's Dem. Rep., Vanuatu, Timor-Leste, "
            "Philippines and Vietnam",
            {"LAO", "VUT", "TLS", "PHL", "VNM"},
            [],
        ),
        ("National workshop to improve PCA program for Lao, People's Dem. Rep.", {"LAO"}, []),
        ("National workshop on Risk Management for Iran", {"IRN"}, []),
        (
            "Sub-Regional Workshop on Risk Management for Fiji, Guinea, Papua New Guinea, Samoa",
            {"FJI", "PNG", "WSM"},
            ["Guinea"],
        ),
        ("Training for Small Arms and Light Weapons for Fiji", {"FJI"}, []),
        ("National workshop on PCCP - Mongolia, Basic Theoretical Training", {"MNG"}, []),
        (
            "WCO Sub-regional Workshop on Training Management for the Pacific Islands",
            {"FJI", "PNG", "PLW", "WSM", "SLB", "TON", "VUT"},
            [],
        ),
        ("Regional Illegal wildlife trade training", set(), []),
    ],
)
def test_members_are_read_from_titles(directory, title, codes, unknown):
    extraction = extract_members(title, directory)
    assert extraction.codes == codes
    assert extraction.unknown == unknown


def test_ap_region_and_all_countries_mean_every_active_member(directory):
    assert (
        len(extract_members("Regional Workshop on Risk Management for AP region", directory).codes)
        == 35
    )
    assert (
        len(
            extract_members(
                "Regional workshop on Accreditation for HS for All Countries", directory
            ).codes
        )
        == 35
    )


def test_prose_after_for_falls_back_to_names_anywhere(directory):
    extraction = extract_members(
        "Sub-regional Workshop for ASEAN member countries in enhancing knowledge on HS", directory
    )
    assert extraction.codes == {
        "BRN",
        "KHM",
        "IDN",
        "MYS",
        "MMR",
        "LAO",
        "PHL",
        "SGP",
        "THA",
        "VNM",
    }
    assert extraction.unknown == []


@pytest.mark.parametrize(
    ("title", "members", "kind"),
    [
        ("National workshop on PCA for Nepal", 1, ActivityKind.NATIONAL_WORKSHOP),
        ("National WS on PCA for Maldives", 1, ActivityKind.NATIONAL_WORKSHOP),
        ("Sub-Regional workshop to promote the use of CEN", 0, ActivityKind.SUB_REGIONAL_WORKSHOP),
        ("Regional workshops on Free Zone", 0, ActivityKind.REGIONAL_WORKSHOP),
        ("8th Masterclass workshop on Data Analytics", 0, ActivityKind.REGIONAL_WORKSHOP),
        ("Master Trainer Programme on PCA for PI WG 3", 0, ActivityKind.MASTER_TRAINER_PROGRAMME),
        ("Organize Regional Accreditation Workshop", 0, ActivityKind.ACCREDITATION),
        ("Training for Small Arms and Light Weapons for Fiji", 1, ActivityKind.TRAINING),
        ("Attend Regional Contact Point meeting (RCP)", 0, ActivityKind.MEETING),
        (
            "Upon request, consult with the WCO aiming at providing assistance in implementing RKC",
            0,
            ActivityKind.ONGOING_ACTION,
        ),
        (
            "Encourage developed Members to participate in capacity building activities",
            0,
            ActivityKind.ONGOING_ACTION,
        ),
        ("Conduct Regional Workshop Follow-Up Action Surveys", 0, ActivityKind.ONGOING_ACTION),
        ("Integrity support: Action Planning for Malaysia", 1, ActivityKind.NATIONAL_WORKSHOP),
    ],
)
def test_kinds(title, members, kind):
    assert classify_kind(title, members) is kind


def test_one_activity_listed_under_several_items_is_stored_once(directory):
    activities, warnings = build(
        """\
        a) First

        (RSP 1.1.1 – 1st milestone)

        ➢ National workshop on Risk Management for Iran (See also 1-(b))
        ➢ National WS on PCA for Maldives (See also 1-(b))

        Number of Members
        b) Second

        (RSP 1.1.1 – 2nd milestone)

        ➢ National workshop on Risk Management for Iran (See also 1-(a))
        ➢ National workshop on PCA for Maldives (See also 1-(a))
        ➢ National workshop on PCA for Nepal

        Number of Members
        """,
        directory,
    )
    titles = {a.title: a for a in activities}
    assert len(activities) == 3
    iran = titles["National workshop on Risk Management for Iran"]
    assert iran.items == {"1-(a)", "1-(b)"} and iran.members == {"IRN"}
    maldives = next(a for a in activities if a.members == {"MDV"})
    assert maldives.items == {"1-(a)", "1-(b)"}
    # Same subject, different Member: a different activity.
    assert titles["National workshop on PCA for Nepal"].members == {"NPL"}
    assert any(
        "taken as one activity" in w.message and "National WS on PCA for Maldives" in w.message
        for w in warnings
    )


def test_country_lists_differing_by_one_name_are_merged_with_the_union(directory):
    activities, warnings = build(
        """\
        c) Valuation

        (RSP 1.1.1 – 3rd milestone)

        ➢ National Workshop on Valuation for Fiji and Indonesia (See also 3-(k))

        Number of Members
        3. Improve needs analysis

        """
        + HEADER
        + """\
        k) Small island economies

        (RSP 3.3.1 – 1st to 2nd milestones)

        ➢ National Workshop on Valuation for Fiji (See also 1-(c))

        Number of expert exchanges
        """,
        directory,
    )
    assert len(activities) == 1
    activity = activities[0]
    assert activity.title == "National Workshop on Valuation for Fiji and Indonesia"
    assert activity.members == {"FJI", "IDN"}
    assert activity.items == {"1-(c)", "3-(k)"}
    merged = [w for w in warnings if "taken as one activity" in w.message]
    assert merged and "Members differ, kept all of FJI, IDN" in merged[0].message


def test_disagreeing_cross_references_keep_the_union_and_warn(directory):
    activities, warnings = build(
        """\
        a) First

        (RSP 1.1.1 – 1st milestone)

        ➢ National workshop on rules of origin for Bhutan (See also 1-(b))

        Number of Members
        b) Second

        (RSP 1.1.1 – 2nd milestone)

        ➢ National workshop on rules of origin for Bhutan (See also 1-(c))

        Number of Members
        c) Third

        (RSP 1.1.1 – 3rd milestone)

        ➢ Something else for Nepal

        Number of Members
        """,
        directory,
    )
    bhutan = next(a for a in activities if a.members == {"BTN"})
    assert bhutan.items == {"1-(a)", "1-(b)", "1-(c)"}
    [warning] = [w for w in warnings if "cross-references" in w.message]
    assert "line 15 under 1-(a) omits 1-(c)" in warning.message
    assert "line 22 under 1-(b) omits 1-(a)" in warning.message
    assert "cross-referenced to 1-(c) but not listed there" in warning.message
    assert warning.line == 15


def test_unknown_member_names_are_warned_with_their_line(directory):
    activities, warnings = build(
        """\
        a) First

        (RSP 1.1.1 – 1st milestone)

        ➢ Sub-Regional Workshop on Risk Management for Fiji, Guinea, Tonga

        Number of Members
        """,
        directory,
    )
    assert activities[0].members == {"FJI", "TON"}
    [warning] = [w for w in warnings if "unknown Member" in w.message]
    assert warning.line == 15
    assert "'Guinea'" in warning.message


def test_cross_reference_to_an_item_that_does_not_exist_is_warned(directory):
    activities, warnings = build(
        """\
        a) First

        (RSP 1.1.1 – 1st milestone)

        ➢ National workshop on Free Zone for Bangladesh (See also 1-(zz))

        Number of Members
        """,
        directory,
    )
    assert activities[0].items == {"1-(a)"}
    assert any("unknown item 1-(zz)" in str(w) and "line 15" in str(w) for w in warnings)


def test_ongoing_actions_name_no_members(directory):
    activities, _ = build(
        """\
        a) First

        (RSP 1.1.1 – 1st milestone)

        ➢ Encourage AP members, especially those Administrations that host

        RTCs, to notify their intention for Fiji

        Number of Members
        """,
        directory,
    )
    assert activities[0].kind is ActivityKind.ONGOING_ACTION
    assert activities[0].members == set()
    assert activities[0].title.startswith(
        "Encourage AP members, especially those Administrations that host RTCs"
    )
