"""Reading the annex text: each extraction artefact on a small excerpt."""

from textwrap import dedent

from app.workplan.annex import join_wrapped, read_annex, repair_ordinals
from tests.samples import HEADER


def annex(body: str) -> str:
    return "1. Support the implementation of WCO conventions\n\n" + HEADER + dedent(body)


def test_items_with_text_rsp_bullets_and_kpi():
    result = read_annex(
        annex(
            """\
        a) Upon request, assist Member’s effort
        in implementing risk management
        tools

        (RSP 1.1.1 – 1st milestone)

        ➢ National workshop on Risk Management for Iran (See also 1-(b),
        (c), (dd), and (hh))

        Number of
        implementing Members
        b) Upon request, assist with nCEN

        (RSP 1.1.1 – 2nd milestone)

        ➢ National Workshop on CEN for Sri Lanka

        Number of Members
        """
        )
    )
    assert [i.code for i in result.items] == ["1-(a)", "1-(b)"]
    first = result.items[0]
    assert (
        first.title == "Upon request, assist Member’s effort in implementing risk management tools"
    )
    assert first.rsp == "RSP 1.1.1 – 1st milestone"
    assert first.kpi == "Number of implementing Members"
    assert [b.text for b in first.bullets] == [
        "National workshop on Risk Management for Iran (See also 1-(b), (c), (dd), and (hh))"
    ]
    assert first.bullets[0].line == 17
    assert result.items[1].kpi == "Number of Members"
    assert result.warnings == []


def test_repeated_page_header_and_footer_are_dropped():
    result = read_annex(
        annex(
            """\
        a) Item text

        (RSP 1.1.1 – 1st milestone)

        ➢ Regional Workshop On Customs Laboratory

        Number of Members



        ROCB A/P Annual Report 2024/2025

        126

        """
            + HEADER
            + """\
        ➢ National workshop on PCA for Nepal
        """
        )
    )
    item = result.items[0]
    assert [b.text for b in item.bullets] == [
        "Regional Workshop On Customs Laboratory",
        "National workshop on PCA for Nepal",
    ]
    assert item.kpi == "Number of Members"
    assert "Specific" not in item.title and "Indicator" not in item.kpi


def test_pillar_heading_run_into_the_previous_line():
    text = annex(
        """\
        a) First pillar item

        (RSP 1.1.1 – 1st milestone)

        ➢ National workshop on TRS for Maldives

        Number of Participating Members 2. Further develop partnerships with development partners

        """
        + HEADER
        + """\
        a) Work with Vice Chair

        (RSP 1.2.3 – 1st milestone)

        ➢ Continue strategic dialogues

        Number of events
        """
    )
    result = read_annex(text)
    assert [(p.number, p.title) for p in result.pillars] == [
        (1, "Support the implementation of WCO conventions"),
        (2, "Further develop partnerships with development partners"),
    ]
    assert [i.code for i in result.items] == ["1-(a)", "2-(a)"]
    assert result.items[0].kpi == "Number of Participating Members"


def test_item_text_split_across_pages_with_rsp_after_the_break():
    result = read_annex(
        annex(
            """\
        s) Upon request, assist Member’s effort
        in promoting cooperation and

        ➢ National workshop on Coordinated Border Management for
        Nepal (See also 1-(hh))

        (1)Number of Members
        """
            + HEADER
            + """\
        coordination for Coordinated Border
        Management (CBM)

        (RSP 1.2.1 – 1st, 3rd to 4th milestones)

        ➢ National Workshop on Coordinated Border Management for
        Bangladesh (See also 1-(h) and (hh))

        (2) Number of

        Activities
        """
        )
    )
    item = result.items[0]
    assert item.title == (
        "Upon request, assist Member’s effort in promoting cooperation and coordination "
        "for Coordinated Border Management (CBM)"
    )
    assert item.rsp == "RSP 1.2.1 – 1st, 3rd to 4th milestones"
    assert item.kpi == "(1) Number of Members (2) Number of Activities"
    assert [b.text for b in item.bullets] == [
        "National workshop on Coordinated Border Management for Nepal (See also 1-(hh))",
        "National Workshop on Coordinated Border Management for Bangladesh "
        "(See also 1-(h) and (hh))",
    ]


def test_bullet_split_across_a_page_after_its_kpi():
    result = read_annex(
        annex(
            """\
        c) Valuation database

        (RSP 1.1.1 – 3rd milestone)

        ➢ Sub-Regional Workshop on Risk Management based on Risk
        Management Compendium for Fiji, Guinea, Papua New Guinea,

        Number of Members
        """
            + HEADER
            + """\
        Samoa, Timor-Leste, Tonga, Vanuatu (See also 1-(a), (b), (dd), (hh)
        and 3-(k))

        d) Next item
        """
        )
    )
    item = result.items[0]
    assert item.kpi == "Number of Members"
    assert item.bullets[0].text == (
        "Sub-Regional Workshop on Risk Management based on Risk Management Compendium for "
        "Fiji, Guinea, Papua New Guinea, Samoa, Timor-Leste, Tonga, Vanuatu "
        "(See also 1-(a), (b), (dd), (hh) and 3-(k))"
    )


def test_kpi_on_the_same_line_as_a_bullet():
    result = read_annex(
        annex(
            """\
        l) Rules of origin

        (RSP 1.1.3 – 6th milestone)

        ➢ National workshop on rules of origin for Bhutan (See also 1-(j)) Number of Members
        """
        )
    )
    item = result.items[0]
    assert (
        item.bullets[0].text == "National workshop on rules of origin for Bhutan (See also 1-(j))"
    )
    assert item.kpi == "Number of Members"


def test_kpi_text_interrupting_an_unfinished_bullet():
    """The KPI column can sit between the two halves of a bullet cut by a page break."""
    result = read_annex(
        annex(
            """\
        f) Work with regional training coordinator to identify needs through conducting a needs

        ➢ Conduct Annual Needs Survey
        ➢ Upon request from the WCO Secretariat, support Members in

        Number of surveys
        conducted
        """
            + HEADER
            + """\
        assessment via a survey

        (RSP 3.2.1 – 1st milestone)

        formulating Members Support Roadmap
        ➢ Utilize the results of Follow-Up Action Surveys
        """
        )
    )
    item = result.items[0]
    assert item.title.endswith("through conducting a needs assessment via a survey")
    assert item.kpi == "Number of surveys conducted"
    assert [b.text for b in item.bullets] == [
        "Conduct Annual Needs Survey",
        "Upon request from the WCO Secretariat, support Members in formulating Members "
        "Support Roadmap",
        "Utilize the results of Follow-Up Action Surveys",
    ]


def test_bullet_continues_after_blank_line_when_it_carries_its_cross_reference():
    result = read_annex(
        annex(
            """\
        c) Environment

        (RSP 2.2.2- 5th milestone)

        ➢ National workshop to enhance the capacity to enforce CITES for

        Lao People's Dem. Rep. (See also 1-(ii))

        Members
        that have organised
        """
        )
    )
    item = result.items[0]
    assert item.bullets[0].text == (
        "National workshop to enhance the capacity to enforce CITES for Lao People's Dem. "
        "Rep. (See also 1-(ii))"
    )
    assert item.kpi == "Members that have organised"
    assert item.rsp == "RSP 2.2.2 – 5th milestone"


def test_numbered_item_text_is_not_mistaken_for_a_kpi():
    result = read_annex(
        annex(
            """\
        i) Upon request, assist Member’s effort
        for:

        (1) smooth implementation of HS
        2022 (for CPs)
        (2) adoption of the HS (for non-CPs)

        (RSP 1.1.3 – 3rd milestone)

        ➢ Regional workshop on Accreditation for HS for All Countries

        (1) Number of
        implementing Members
        """
        )
    )
    item = result.items[0]
    assert item.title == (
        "Upon request, assist Member’s effort for: (1) smooth implementation "
        "of HS 2022 (for CPs) (2) adoption of the HS (for non-CPs)"
    )
    assert item.kpi == "(1) Number of implementing Members"


def test_item_without_activities_keeps_its_kpi():
    result = read_annex(
        annex(
            """\
        j) Work with Members to evaluate the impact of capacity building activities
        through follow-up surveys

        Number of tangible
        results realized by
        Members
        """
            + HEADER
            + """\
        (RSP 3.2.1 – 5th milestone)

        k) Next
        """
        )
    )
    item = result.items[0]
    assert item.bullets == []
    assert item.title.endswith("through follow-up surveys")
    assert item.kpi == "Number of tangible results realized by Members"
    assert item.rsp == "RSP 3.2.1 – 5th milestone"


def test_missing_rsp_and_unexpected_letter_are_warned():
    result = read_annex(
        annex(
            """\
        a) First

        ➢ National workshop on X for Fiji

        Number of Members
        c) Third, where is b?

        (RSP 1.1.1 – 3rd milestone)
        """
        )
    )
    messages = [str(w) for w in result.warnings]
    assert any("1-(a) has no RSP reference" in m for m in messages)
    assert any("1-(c) follows 1-(a); expected (b)" in m for m in messages)


def test_double_letter_items_follow_z():
    body = "".join(
        f"{letter}) Item {letter}\n\n(RSP 1.1.1 – 1st milestone)\n\n"
        for letter in ["y", "z", "aa", "bb"]
    )
    result = read_annex(annex(body))
    assert [i.code for i in result.items] == ["1-(y)", "1-(z)", "1-(aa)", "1-(bb)"]
    assert result.items[2].position > result.items[1].position
    follows = [w.message for w in result.warnings if "follows" in w.message]
    assert follows == ["item 1-(y) follows 1-(-); expected (a)"]


def test_join_wrapped_keeps_hyphenated_words_together():
    assert join_wrapped(["promote E-", "commerce tools"]) == "promote E-commerce tools"
    assert join_wrapped(["(See also 1-", "(b), (c))"]) == "(See also 1-(b), (c))"
    assert join_wrapped(["PCCP -", "Mongolia"]) == "PCCP - Mongolia"


def test_ordinals_are_repaired():
    assert repair_ordinals("Organize 23nd RTC Heads meeting") == "Organize 23rd RTC Heads meeting"
    assert repair_ordinals("1st to 2กd milestones") == "1st to 2nd milestones"
    assert repair_ordinals("11th and 12th") == "11th and 12th"
