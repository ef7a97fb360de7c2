"""The condition language: parsing, evaluation, errors, and the tree sent to browsers."""

from datetime import date
from decimal import Decimal

import pytest

from app.surveys.expressions import ExpressionError, is_true, parse, to_json

VALUES = {
    "q": "yes",
    "n": Decimal(5),
    "m": ["x", "y"],
    "empty": None,
    "text": "abc",
    "day": date(2026, 3, 1),
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("${q} = 'yes'", True),
        ("${q} != 'yes'", False),
        ('${q} = "yes"', True),
        ("${n} > 3", True),
        ("${n} >= 5 and ${n} <= 5", True),
        ("${n} < 3 or ${q} = 'yes'", True),
        ("${n} + 1 = 6", True),
        ("${n} * 2 - 1 = 9", True),
        ("${n} div 2 = 2.5", True),
        ("${n} mod 2 = 1", True),
        ("-${n} < 0", True),
        ("selected(${m}, 'x')", True),
        ("selected(${m}, 'z')", False),
        ("selected(${q}, 'yes')", True),
        ("count-selected(${m}) >= 2", True),
        ("count-selected(${empty}) = 0", True),
        ("not(${q} = 'no')", True),
        ("not(selected(${m}, 'x') and ${n} > 10)", True),
        ("string-length(${text}) = 3", True),
        ("regex(${text}, '^a')", True),
        ("${empty} = ''", True),
        ("${empty} > 3", False),  # an ordering comparison with an empty side is false
        ("${empty} < 3", False),
        ("${day} >= '2026-01-01'", True),
        ("${unknown} = 'x'", False),
        ("true() and not(false())", True),
        ("(${n} > 1 or ${n} < 0) and ${q} = 'yes'", True),
        ("${n} div 0 = 1", False),
    ],
)
def test_evaluation(source, expected):
    assert is_true(parse(source), VALUES) is expected


def test_current_value_in_a_constraint():
    constraint = parse(". >= ${before} + 1")
    assert constraint.uses_current_value
    assert is_true(constraint, {"before": Decimal(2)}, current=Decimal(3))
    assert not is_true(constraint, {"before": Decimal(2)}, current=Decimal(2))
    assert not is_true(constraint, {}, current=Decimal(9))


def test_references():
    assert parse("selected(${a}, 'x') and ${b} > ${c} or true()").references == {"a", "b", "c"}


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("", "empty"),
        ("${a} =", "ends too early"),
        ("${a} == 2", "unexpected '='"),
        ("eval('1')", "unknown function or word 'eval'"),
        ("__import__('os')", 'unexpected "__import__'),
        ("selected(${a})", "takes 2 arguments"),
        ("(${a} = 1", "ends too early"),
        ("${a} = 1)", "unexpected ')'"),
        ("regex(., '[')", "bad regular expression"),
        ("${a} = 1 ${b}", "after a complete expression"),
        ("${1a} = 2", "unexpected '$"),
        ("x" * 1001, "longer than 1000"),
    ],
)
def test_errors(source, message):
    with pytest.raises(ExpressionError) as raised:
        parse(source)
    assert message in str(raised.value)


def test_tree_for_the_browser():
    tree = to_json(parse("selected(${m}, 'x') and ${n} >= 2.5").tree)
    assert tree == [
        "and",
        ["call", "selected", [["ref", "m"], ["str", "x"]]],
        ["cmp", ">=", ["ref", "n"], ["num", 2.5]],
    ]
    assert to_json(parse("true()").tree) == ["call", "true", []]
