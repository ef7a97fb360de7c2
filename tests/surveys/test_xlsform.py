"""Questionnaires out as XLSForm (read back by pyxform) and XLSForms in as questionnaire
files: the round trip, the ODK and Kobo forms of tests/data/xlsform, and each refusal."""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from pyxform.xls2xform import convert

from app.surveys.definitions import load_definition_file, load_definition_text
from app.surveys.model import PickerOptions
from app.surveys.xlsform_columns import language_code
from app.surveys.xlsform_export import xlsform_bytes
from app.surveys.xlsform_import import import_xlsform
from tests.samples import ALL_TYPES, SURVEYS

FORMS = Path(__file__).resolve().parents[1] / "data" / "xlsform"
ODK_FORM = FORMS / "odk-training-feedback.xlsx"
KOBO_FORM = FORMS / "kobo-border-post.xlsx"
SHIPPED = ["participant-evaluation", "needs-assessment", "follow-up-action"]
PICKERS = PickerOptions(
    members=[("FJI", "Fiji"), ("NPL", "Nepal")],
    activities=[(7, "Regional workshop on valuation")],
    items=[("1-(a)", "1-(a) Risk management")],
)


def content_of(path: Path) -> dict:
    return load_definition_file(path).content


def exported(content: dict, tmp_path: Path, name: str = "form") -> Path:
    path = tmp_path / f"{name}.xlsx"
    path.write_bytes(xlsform_bytes(content, 1, PICKERS))
    return path


def sheet_rows(path: Path, sheet: str) -> list[dict]:
    rows = list(load_workbook(path)[sheet].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def imported(path: Path, key: str | None = None):
    with path.open("rb") as stream:
        return import_xlsform(stream, path.name, key)


@pytest.mark.parametrize("key", SHIPPED)
def test_each_shipped_questionnaire_converts_with_pyxform(key, tmp_path):
    path = exported(content_of(SURVEYS / f"{key}.yaml"), tmp_path, key)
    xform = convert(xlsform=str(path), validate=False).xform
    assert f'id="{key}"' in xform and 'version="1"' in xform
    assert '<translation lang="French (fr)">' in xform
    if key == "participant-evaluation":
        assert 'relevant=" /data/overall/overall_satisfaction  &lt;= 2"' in xform
        assert 'constraint="string-length(.) &gt;= 20"' in xform
        assert '<select1 ref="/data/workshop/objectives_met" appearance="likert">' in xform
        assert "<value>Dans l'ensemble</value>" in xform
    if key == "needs-assessment":
        assert 'constraint=". &gt;= 1 and . &lt;= 500"' in xform
        assert '<select1 ref="/data/priorities/priorities/aeo" appearance="list-nolabel">' in xform
        assert "<value>Fiji</value>" in xform  # the Members of the moment
    if key == "follow-up-action":
        assert '<repeat nodeset="/data/results/tangible_results">' in xform
        assert "relevant=\"selected( /data/actions/actions_taken , 'trained_colleagues')\"" in xform
        assert "constraint=\"regex(., '^https?://\\S+$')\"" in xform


def test_every_question_type_has_its_xlsform_row(tmp_path):
    path = exported(content_of(ALL_TYPES), tmp_path)
    convert(xlsform=str(path), validate=False)
    rows = {row["name"]: row for row in sheet_rows(path, "survey") if row["type"] != "end_group"}
    expected = {
        "basics": ("begin_group", "field-list", "section"),
        "intro_note": ("note", None, None),
        "name": ("text", None, None),
        "story": ("text", "multiline", "long_text"),
        "age": ("integer", None, None),
        "budget": ("decimal", None, None),
        "since": ("date", None, None),
        "agree": ("select_one yes_no", None, "yes_no"),
        "colour": ("select_one colours", None, None),
        "colours_liked": ("select_multiple colours or_other", None, None),
        "happy": ("select_one agree5", "likert", "likert"),
        "score": ("select_one rating_score", "likert", "rating"),
        "grid": ("begin_group", "table-list", "matrix"),
        "speed": ("select_one agree5", None, "matrix_row"),
        "member": ("select_one members", "minimal", "member"),
        "activity": ("select_one activities", "minimal", "activity"),
        "item": ("select_one work_plan_items", "minimal", "work_plan_item"),
        "results": ("begin_repeat", None, "repeat"),
        "what": ("text", None, None),
    }
    for name, (xls_type, appearance, question_type) in expected.items():
        row = rows[name]
        assert (row["type"], row["appearance"], row["question_type"]) == (
            xls_type,
            appearance,
            question_type,
        ), name
    assert rows["name"]["constraint"] == "string-length(.) >= 2 and string-length(.) <= 40"
    assert rows["name"]["constraint_message::English (en)"] == "Forty characters at most."
    assert rows["since"]["constraint"] == ". >= date('2000-01-01') and (. >= date('2000-01-01'))"
    assert rows["colours_liked"]["constraint"] == "count-selected(.) <= 2"
    assert rows["because"]["relevant"] == "${agree} = 'no'" and rows["because"]["required"] == "yes"
    assert (
        rows["happy"]["kpi"] == "dimension:happiness" and rows["speed"]["kpi"] == "dimension:speed"
    )
    assert json.loads(rows["results"]["app_settings"]) == {"min": 1, "max": 3}
    assert json.loads(rows["score"]["app_settings"]) == {
        "low_label": {"en": "Bad"},
        "high_label": {"en": "Great"},
    }
    choices = sheet_rows(path, "choices")
    scale = [c["label::English (en)"] for c in choices if c["list_name"] == "rating_score"]
    assert scale == ["0 – Bad", *map(str, range(1, 10)), "10 – Great"]
    members = [
        (c["name"], c["label::English (en)"]) for c in choices if c["list_name"] == "members"
    ]
    assert members == [("FJI", "Fiji"), ("NPL", "Nepal")]
    [settings] = sheet_rows(path, "settings")
    assert settings["form_id"] == "all-types" and settings["kind"] == "other"
    assert settings["default_language"] == "English (en)" and settings["style"] == "pages"


def test_an_empty_picker_list_still_converts(tmp_path):
    path = tmp_path / "form.xlsx"
    path.write_bytes(xlsform_bytes(content_of(ALL_TYPES), None, PickerOptions()))
    convert(xlsform=str(path), validate=False)
    activities = [c for c in sheet_rows(path, "choices") if c["list_name"] == "activities"]
    assert [c["name"] for c in activities] == ["none"]


@pytest.mark.parametrize("path", [*(SURVEYS / f"{key}.yaml" for key in SHIPPED), ALL_TYPES])
def test_export_import_export_gives_the_same_questionnaire(path, tmp_path):
    original = content_of(path)
    result = imported(exported(original, tmp_path))
    assert result.ok, [str(p) for p in result.problems]
    again = load_definition_text(result.yaml_text).content
    assert again == original
    second = tmp_path / "again.xlsx"
    second.write_bytes(xlsform_bytes(again, 1, PICKERS))
    assert sheet_rows(second, "survey") == sheet_rows(exported(original, tmp_path), "survey")


def test_an_odk_form_becomes_a_questionnaire():
    result = imported(ODK_FORM)
    assert result.ok, [str(p) for p in result.problems]
    content = load_definition_text(result.yaml_text).content
    assert content["key"] == "training-feedback" and content["title"] == {"en": "Training feedback"}
    assert content["intro"] == {"en": "Thank you for attending the training. This takes 5 minutes."}
    assert [s["key"] for s in content["sections"]] == [
        "participant",
        "training",
        "team",
        "section_5",
    ]
    questions = {q["key"]: q for s in content["sections"] for q in s["questions"]}
    assert questions["usefulness"]["type"] == "likert"  # select_one 1-5, appearance likert
    assert questions["improve"]["type"] == "long_text"
    assert questions["topics_useful"]["other"] is False
    assert questions["topics_useful"]["constraints"]["expression"] == {
        "value": "count-selected(.) <= 3",
        "message": {"en": "Choose at most three"},
    }
    assert questions["attended_when"]["constraints"]["expression"]["value"] == (". >= '2015-01-01'")
    # The calculate row is written into the conditions that use it.
    assert questions["briefed"]["relevant"] == "(${men} + ${women}) > 0"
    assert questions["briefed"]["constraints"]["expression"]["value"] == ". <= (${men} + ${women})"
    assert [c["key"] for c in questions["actions"]["questions"]] == [
        "action",
        "action_by",
        "action_priority",
    ]
    assert any("'deviceid' is device metadata" in n for n in result.notices)


def test_or_other_becomes_an_other_answer(tmp_path):
    survey = [["type", "name", "label"], ["select_multiple fruit or_other", "fruit", "Fruit"]]
    result = import_rows(tmp_path, survey)
    assert result.ok
    [question] = load_definition_text(result.yaml_text).content["sections"][0]["questions"]
    assert question["other"] is True and question["choices"] == "fruit"


def test_a_kobo_form_is_refused_row_by_row():
    result = imported(KOBO_FORM)
    assert not result.ok and result.yaml_text is None
    assert [str(p) for p in result.problems] == [
        "survey sheet, row 5, column type: 'select_one_from_file offices.csv' is not "
        "supported (choices from a file: copy them into the choices sheet)",
        "survey sheet, row 8, column type: 'geopoint' is not supported",
        "survey sheet, row 13, column type: 'image' is not supported",
    ]


def test_a_kobo_form_without_what_the_app_cannot_take_imports_in_two_languages(tmp_path):
    book = load_workbook(KOBO_FORM)
    for row in (13, 8, 5):  # bottom up, so the row numbers stay right
        book["survey"].delete_rows(row)
    path = tmp_path / "kobo.xlsx"
    book.save(path)
    result = imported(path)
    assert result.ok, [str(p) for p in result.problems]
    content = load_definition_text(result.yaml_text).content
    assert content["key"] == "border-post-assessment" and content["languages"] == ["en", "fr"]
    questions = {q["key"]: q for s in content["sections"] for q in s["questions"]}
    assert questions["years_in_post"]["hint"] == {"en": "Whole years", "fr": "Années entières"}
    assert questions["years_in_post"]["required"] is True
    assert questions["release_hours"]["constraints"]["expression"]["message"] == {
        "en": "More than zero",
        "fr": "Plus que zéro",
    }
    assert questions["checks"]["type"] == "multiple_choice"
    assert any("required_message::English (en): presentation only" in n for n in result.notices)


# -- refusals -----------------------------------------------------------------------------


def workbook_bytes(sheets: dict[str, list[list]]) -> BytesIO:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    stream = BytesIO()
    book.save(stream)
    stream.seek(0)
    return stream


CHOICES = [["list_name", "name", "label"], ["fruit", "apple", "Apple"], ["fruit", "pear", "Pear"]]


def import_rows(tmp_path, survey, choices=CHOICES, key="small-form"):
    return import_xlsform(workbook_bytes({"survey": survey, "choices": choices}), "f.xlsx", key)


HEAD = ["type", "name", "label", "relevant", "constraint", "required", "choice_filter"]
AGE = ["integer", "age", "Age", None, None, None, None]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            ["geopoint", "where", "Where?", None, None, None, None],
            "survey sheet, row 3, column type: 'geopoint' is not supported",
        ),
        (
            ["select_one colours", "colour", "Colour", None, None, None, None],
            "survey sheet, row 3, column type: choice list 'colours' is not in the choices sheet",
        ),
        (
            ["text", "why", "Why?", "${age} >> 3", None, None, None],
            "survey sheet, row 3, column relevant: cannot take '${age} >> 3': unexpected '>'",
        ),
        (
            ["date", "when", "When?", None, ". <= today()", None, None],
            "survey sheet, row 3, column constraint: cannot take '. <= today()': unknown "
            "function or word 'today'",
        ),
        (
            ["text", "why", "Why?", "${nobody} = 'x'", None, None, None],
            "survey sheet, row 3, column relevant: \"${nobody} = 'x'\" refers to ${nobody}, "
            "which is not in this form",
        ),
        (
            ["text", None, "Your name", None, None, None, None],
            "survey sheet, row 3, column name: a question needs a name",
        ),
        (
            ["text", "Full-Name", "Your name", None, None, None, None],
            "survey sheet, row 3, column name: 'Full-Name' must be lowercase letters, digits "
            "and _, starting with a letter (63 at most)",
        ),
        (
            ["text", "why", "Why?", None, None, "${age} > 3", None],
            "survey sheet, row 3, column required: '${age} > 3': required must be yes or no "
            "(a condition is not supported)",
        ),
        (
            ["select_one fruit", "fruit", "Fruit", None, None, None, "${age} > 3"],
            "survey sheet, row 3, column choice_filter: filtered choices are not supported",
        ),
        (
            ["select_one fruit or_other", "fruit", "Fruit", None, None, None, None],
            "survey sheet, row 3, column type: or_other is supported on select_multiple only",
        ),
        (
            ["text", "age", "Age again", None, None, None, None],
            "survey sheet, row 3, column name: 'age' is used twice (also row 2)",
        ),
        (
            ["text", "before", "Before", "${after} = 'x'", None, None, None],
            "survey sheet, row 3, column relevant: 'relevant' refers to ${after}, which comes "
            "later; a condition can only use earlier answers",
        ),
    ],
)
def test_each_refusal_names_sheet_row_and_column(tmp_path, row, message):
    after = ["text", "after", "After", None, None, None, None]
    result = import_rows(tmp_path, [HEAD, AGE, row, after])
    assert not result.ok and result.yaml_text is None
    assert str(result.problems[0]).startswith(message)


def test_refusals_in_the_choices_and_settings_sheets(tmp_path):
    survey = [["type", "name", "label"], ["select_one fruit", "fruit", "Fruit"]]
    choices = [["list_name", "name", "label"], ["fruit", "a pple", "Apple"], ["fruit", "b", None]]
    result = import_rows(tmp_path, survey, choices)
    assert [str(p) for p in result.problems] == [
        "choices sheet, row 3, column label: choice 'b' has no label",
        "choices sheet, row 2, column name: choice name 'a pple' must be letters, digits, _ "
        "or . (64 at most)",
    ]
    stream = workbook_bytes(
        {"survey": survey, "choices": CHOICES, "settings": [["form_id"], ["2024 form!"]]}
    )
    result = import_xlsform(stream, "f.xlsx")
    assert [str(p) for p in result.problems] == [
        "settings sheet, row 2, column form_id: '2024 form!' cannot be a questionnaire key: "
        "lowercase letters, digits and hyphens, starting with a letter (give one with --key)"
    ]


def test_structure_refusals(tmp_path):
    survey = [
        ["type", "name", "label"],
        ["begin_repeat", "visits", "Visits"],
        ["begin_group", "inner", "Inner"],
        ["text", "a", "A"],
        ["end_group", None, None],
        ["end_group", None, None],
        ["end_repeat", None, None],
        ["end_repeat", None, None],
    ]
    result = import_rows(tmp_path, survey)
    assert [str(p) for p in result.problems] == [
        "survey sheet, row 3, column type: a group cannot be inside a repeat",
        "survey sheet, row 6, column type: end_group where the repeat opened above needs "
        "end_repeat",
        "survey sheet, row 8, column type: end_repeat does not close an open group or repeat",
    ]
    unclosed = import_rows(tmp_path, [["type", "name", "label"], ["begin_repeat", "r", "R"]])
    assert [str(p) for p in unclosed.problems] == [
        "survey sheet: a repeat is not closed (end_group, end_repeat)"
    ]


def test_a_group_inside_a_section_is_written_into_it(tmp_path):
    survey = [
        ["type", "name", "label", "relevant"],
        ["begin_group", "household", "Household", None],
        ["integer", "size", "People in the household", None],
        ["begin_group", "children", "Children", "${size} > 1"],
        ["integer", "under_five", "Children under five", None],
        ["text", "school", "Which school?", "${under_five} = 0"],
        ["end_group", None, None, None],
        ["text", "notes", "Notes", None],
        ["end_group", None, None, None],
    ]
    result = import_rows(tmp_path, survey)
    assert result.ok, [str(p) for p in result.problems]
    [section] = load_definition_text(result.yaml_text).content["sections"]
    shown = [(q["key"], q["type"], q["relevant"]) for q in section["questions"]]
    assert shown == [
        ("size", "integer", None),
        ("children", "note", "${size} > 1"),
        ("under_five", "integer", "${size} > 1"),
        ("school", "text", "(${size} > 1) and (${under_five} = 0)"),
        ("notes", "text", None),
    ]
    assert any("group 'children' inside a section is written into it" in n for n in result.notices)


def test_a_file_that_is_not_a_workbook_is_one_problem():
    result = import_xlsform(BytesIO(b"type,name\ntext,a\n"), "form.csv")
    assert len(result.problems) == 1
    assert str(result.problems[0]).startswith("workbook sheet: not an .xlsx workbook")


def test_language_columns_are_read_by_name_or_code():
    assert language_code("English (en)") == "en"
    assert language_code("French") == "fr"
    assert language_code("fr") == "fr"
    assert language_code("Klingon") is None


def test_a_calculation_the_condition_language_cannot_say_is_refused(tmp_path):
    survey = [
        ["type", "name", "label", "calculation", "relevant"],
        ["text", "first", "First name", None, None],
        ["calculate", "greeting", None, "concat('Hello ', ${first})", None],
        ["note", "hello", "Hello!", None, "${greeting} != ''"],
    ]
    result = import_rows(tmp_path, survey)
    assert str(result.problems[0]).startswith(
        "survey sheet, row 3, column calculation: cannot take \"concat('Hello ', ${first})\": "
        "unknown function or word 'concat'"
    )


def test_an_imported_odk_form_goes_out_and_comes_back_unchanged(tmp_path):
    first = load_definition_text(imported(ODK_FORM).yaml_text).content
    again = imported(exported(first, tmp_path))
    assert again.ok, [str(p) for p in again.problems]
    assert load_definition_text(again.yaml_text).content == first


INLINE_LISTS = """\
key: inline-lists
kind: other
title: Inline lists
sections:
  - key: main
    title: Main
    questions:
      - key: fruit
        type: single_choice
        label: Fruit
        choices:
          - {value: apple, label: Apple, items: ["1-(a)"]}
          - {value: pear, label: {en: Pear, fr: Poire}}
      - key: grid
        type: matrix
        label: Rate
        rows: [{key: taste, label: Taste}]
        choices: [{value: good, label: Good}, {value: bad, label: Bad}]
"""


def test_choices_written_in_a_question_go_out_named_and_come_back_in_it(tmp_path):
    original = load_definition_text(INLINE_LISTS).content
    path = exported(original, tmp_path)
    convert(xlsform=str(path), validate=False)
    types = [row["type"] for row in sheet_rows(path, "survey")]
    assert "select_one fruit_choices" in types and "select_one grid_choices" in types
    result = imported(path)
    assert result.ok and "choices:\n    - value: apple" in result.yaml_text
    assert load_definition_text(result.yaml_text).content == original


def test_types_are_read_in_any_case_and_list_names_as_written(tmp_path):
    survey = [
        ["type", "name", "label"],
        ["Begin Group", "main", "Main"],
        ["SELECT_MULTIPLE fruit Or_Other", "liked", "Liked"],
        ["Select One Fruit", "best", "Best"],
        ["End Group", None, None],
    ]
    result = import_rows(tmp_path, survey)
    assert [str(p) for p in result.problems] == [
        "survey sheet, row 4, column type: choice list 'Fruit' is not in the choices sheet"
    ]
    result = import_rows(tmp_path, [*survey[:3], survey[4]])
    [section] = load_definition_text(result.yaml_text).content["sections"]
    assert section["questions"][0]["other"] is True
