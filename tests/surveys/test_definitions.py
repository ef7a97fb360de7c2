"""Checking definition files: the standard questionnaires, and every kind of mistake with
its file, line and question key."""

from textwrap import dedent, indent

import pytest

from app.surveys.definitions import content_hash, load_definition_text
from app.surveys.model import Definition
from app.surveys.versions import validate_files
from tests.samples import ALL_TYPES, SURVEYS

HEAD = """\
key: sample
kind: other
title: Sample
sections:
  - key: one
    title: One
    questions:
"""


def errors_of(questions: str, head: str = HEAD) -> list[str]:
    loaded = load_definition_text(head + indent(dedent(questions), "      "), "sample.yaml")
    assert loaded.data is None or loaded.errors == []
    return [str(e) for e in loaded.errors]


def test_the_standard_questionnaires_are_valid_and_carry_kpi_roles():
    loaded = {item.data["key"]: item for item in validate_files([SURVEYS])}
    assert set(loaded) == {"needs-assessment", "participant-evaluation", "follow-up-action"}
    assert all(item.ok for item in loaded.values()), [
        str(e) for i in loaded.values() for e in i.errors
    ]
    evaluation = Definition.from_json(loaded["participant-evaluation"].data)
    roles = {q.kpi for q in evaluation.all_questions() if q.kpi}
    assert {
        "overall_satisfaction",
        "recommend",
        "knowledge_before",
        "knowledge_after",
        "action_plan",
        "dimension:relevance",
        "dimension:content",
    } <= roles
    assert evaluation.kind == "evaluation" and "fr" in evaluation.languages
    follow_up = Definition.from_json(loaded["follow-up-action"].data)
    [group] = follow_up.with_role("tangible_result")
    assert group.type == "repeat"
    assert {c.kpi for c in group.questions} >= {
        "tangible_result_category",
        "tangible_result_description",
    }
    needs = Definition.from_json(loaded["needs-assessment"].data)
    [matrix] = needs.with_role("need_priority")
    assert [r["key"] for r in matrix.rows][:3] == ["risk_management", "aeo", "trade_facilitation"]
    areas = {c.value: c.items for c in needs.choice_lists["areas"]}
    assert areas["post_clearance_audit"] == ("1-(q)",)


def test_the_test_definition_with_every_type_is_valid():
    [item] = validate_files([ALL_TYPES])
    assert item.ok, [str(e) for e in item.errors]
    types = {q.type for q in Definition.from_json(item.data).all_questions()}
    assert types == {
        "note",
        "text",
        "long_text",
        "integer",
        "decimal",
        "date",
        "yes_no",
        "single_choice",
        "multiple_choice",
        "likert",
        "rating",
        "matrix",
        "repeat",
        "member",
        "activity",
        "work_plan_item",
    }


def test_hash_ignores_comments_and_layout_but_not_content():
    text = (SURVEYS / "participant-evaluation.yaml").read_text()
    original = load_definition_text(text).content_hash
    assert load_definition_text("# a new comment\n" + text).content_hash == original
    changed = text.replace("How could this workshop be improved?", "What would you change?")
    assert load_definition_text(changed).content_hash != original
    assert content_hash({"a": 1, "b": 2}) == content_hash({"b": 2, "a": 1})


@pytest.mark.parametrize(
    ("questions", "expected"),
    [
        (
            """\
          - key: q1
            type: slider
            label: Q
        """,
            "sample.yaml:9: question 'q1': unknown type 'slider'",
        ),
        (
            """\
          - key: q1
            type: text
            label: Q
          - key: q1
            type: text
            label: Again
        """,
            "sample.yaml:11: question 'q1': this key is used twice",
        ),
        (
            """\
          - key: q1
            type: text
            label: Q
            relevant: "${nowhere} = 'x'"
        """,
            "sample.yaml:11: question 'q1': 'relevant' refers to unknown question ${nowhere}",
        ),
        (
            """\
          - key: q1
            type: text
            label: Q
            relevant: "${q2} = 'x'"
          - key: q2
            type: text
            label: Later
        """,
            "sample.yaml:11: question 'q1': 'relevant' refers to ${q2}, which comes later",
        ),
        (
            """\
          - key: q1
            type: single_choice
            label: Q
            choices: missing_list
        """,
            "sample.yaml:11: question 'q1': unknown choice list 'missing_list'",
        ),
        (
            """\
          - key: q1
            type: single_choice
            label: Q
        """,
            "sample.yaml:8: question 'q1': a single_choice question needs 'choices'",
        ),
        (
            """\
          - key: q1
            type: text
            label: Q
            relevant: "${q1} = = 'x'"
        """,
            "sample.yaml:11: question 'q1': bad expression in 'relevant'",
        ),
        (
            """\
          - key: q1
            type: text
            label: Q
            colour: blue
        """,
            "sample.yaml:11: question 'q1': unknown field 'colour' in a text question",
        ),
        (
            """\
          - key: q1
            type: text
            label: {fr: Seulement en français}
        """,
            "sample.yaml:10: question 'q1': 'label' needs an English ('en') text",
        ),
        (
            """\
          - key: q1
            type: likert
            label: Q
            choices: [{value: 1, label: One}, {value: 2, label: Two}]
        """,
            "sample.yaml:11: question 'q1': a likert scale has the values 1 to 5",
        ),
        (
            """\
          - key: q1
            type: text
            label: Q
            kpi: overall_satisfaction
        """,
            "question 'q1': KPI role 'overall_satisfaction' needs a question of type likert",
        ),
        (
            """\
          - key: q1
            type: text
            label: Q
            kpi: happiness
        """,
            "question 'q1': unknown KPI role 'happiness'",
        ),
        (
            """\
          - key: q1
            type: integer
            label: Q
            constraints:
              pattern: "^1$"
        """,
            "question 'q1': constraint 'pattern' does not apply to a integer question",
        ),
        (
            """\
          - key: q1
            type: text
            label: Q
            level: enlightenment
        """,
            "question 'q1': 'level' must be one of reaction",
        ),
        (
            """\
          - key: Bad-Key
            type: text
            label: Q
        """,
            "a question needs a 'key' of lowercase letters",
        ),
        (
            """\
          - key: group
            type: repeat
            label: G
            questions:
              - {key: a, type: text, label: A}
          - key: q2
            type: text
            label: Q
            relevant: "${a} = 'x'"
        """,
            "question 'q2': 'relevant' refers to ${a}, which is inside a repeat group",
        ),
    ],
)
def test_each_kind_of_mistake_names_file_line_and_question(questions, expected):
    errors = errors_of(questions)
    assert any(expected in error for error in errors), errors


def test_all_errors_of_a_file_are_reported_together():
    errors = errors_of("""\
      - key: q1
        type: slider
        label: Q
      - key: q2
        type: text
        label: Q
        relevant: "${later} = 1"
      - key: q3
        type: single_choice
        label: Q
        choices: nope
      - key: later
        type: text
        label: Q
    """)
    assert len(errors) == 3
    assert [e.split(":")[1] for e in errors] == ["9", "14", "18"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("key: [unclosed\n", "sample.yaml:2: not valid YAML"),
        ("", "sample.yaml: the file is empty"),
        ("key: a\nkey: b\n", "sample.yaml:2: duplicate field 'key'"),
        ("- just\n- a list\n", "the file must be a mapping"),
        ("key: sample\nkind: party\ntitle: T\nsections: []\n", "'kind' must be one of"),
        ("key: sample\nkind: other\ntitle: T\nsections: []\n", "'sections' must be a list"),
        (
            "key: sample\nkind: other\ntitle: T\nsurprise: 1\nsections: []\n",
            "sample.yaml:4: unknown field 'surprise' in the questionnaire",
        ),
    ],
)
def test_file_level_mistakes(text, expected):
    loaded = load_definition_text(text, "sample.yaml")
    assert loaded.data is None
    assert any(expected in str(e) for e in loaded.errors), [str(e) for e in loaded.errors]


def test_duplicate_keys_across_files(tmp_path):
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(HEAD + "      - {key: q, type: text, label: Q}\n")
    items = validate_files([tmp_path])
    assert items[0].ok
    assert "key 'sample' is also used by" in str(items[1].errors[0])


def test_the_complete_example_in_the_readme_is_valid():
    readme = (SURVEYS / "README.md").read_text()
    example = readme.split("## A complete example")[1].split("```yaml\n")[1].split("```")[0]
    loaded = load_definition_text(example, "README example")
    assert loaded.ok, [str(e) for e in loaded.errors]
    definition = Definition.from_json(loaded.data)
    assert [q.type for q in definition.all_questions()] == [
        "likert",
        "long_text",
        "multiple_choice",
        "rating",
        "long_text",
        "repeat",
        "text",
        "date",
    ]
