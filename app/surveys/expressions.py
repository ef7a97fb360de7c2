"""The condition language of questionnaire definitions (XLSForm style).

    ${q} = 'yes'                    selected(${m}, 'x')        count-selected(${m}) >= 2
    ${n} > 3 and not(${q} = 'no')   . <= ${years}              string-length(.) >= 10

Expressions are parsed into a small tree (never `eval`-ed), evaluated on the server, and
sent to the browser as JSON, where `static/js/survey.js` evaluates the same tree for
progressive enhancement. The server's evaluation is always the one that counts.

Values: a missing answer is None; multiple choice answers are lists of strings; everything
else is a string, a number or a date. Comparisons are numeric when both sides read as
numbers, otherwise they compare text (None counts as the empty string); an ordering
comparison (<, <=, >, >=) with an empty side is false.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

FUNCTIONS = {
    # name: (minimum arguments, maximum arguments)
    "not": (1, 1),
    "selected": (2, 2),
    "count-selected": (1, 1),
    "string-length": (1, 1),
    "regex": (2, 2),
    "true": (0, 0),
    "false": (0, 0),
}
COMPARISONS = ("=", "!=", "<=", ">=", "<", ">")
ARITHMETIC = ("+", "-", "*", "div", "mod")
MAX_LENGTH = 1000

TOKEN = re.compile(
    r"""\s*(?:
        (?P<ref>\$\{\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*\})
      | (?P<number>\d+(?:\.\d+)?)
      | (?P<string>'[^']*'|"[^"]*")
      | (?P<op><=|>=|!=|=|<|>|\+|-|\*|\(|\)|,)
      | (?P<word>[A-Za-z][A-Za-z0-9_-]*)
      | (?P<dot>\.)
    )""",
    re.VERBOSE,
)


class ExpressionError(ValueError):
    pass


@dataclass(frozen=True)
class Expression:
    source: str
    tree: tuple

    @property
    def references(self) -> set[str]:
        return references(self.tree)

    @property
    def uses_current_value(self) -> bool:
        return _uses_dot(self.tree)


def tokenize(source: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    source = source.rstrip()
    while position < len(source):
        match = TOKEN.match(source, position)
        if not match or match.end() == position:
            raise ExpressionError(
                f"unexpected {source[position:].strip()[:20]!r} at character {position + 1}"
            )
        kind = match.lastgroup or ""
        if kind == "name":  # the inner group of ref
            kind = "ref"
        if kind == "ref":
            tokens.append(("ref", match.group("name")))
        elif kind == "string":
            tokens.append(("string", match.group("string")[1:-1]))
        else:
            tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]):
        self.tokens = tokens
        self.index = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise ExpressionError("the expression ends too early")
        self.index += 1
        return token

    def expect(self, value: str) -> None:
        token = self.take()
        if token[1] != value:
            raise ExpressionError(f"expected {value!r} but found {token[1]!r}")

    def is_word(self, word: str) -> bool:
        token = self.peek()
        return token is not None and token[0] == "word" and token[1] == word

    def parse(self) -> tuple:
        tree = self.or_expression()
        extra = self.peek()
        if extra is not None:
            raise ExpressionError(f"unexpected {extra[1]!r} after a complete expression")
        return tree

    def or_expression(self) -> tuple:
        tree = self.and_expression()
        while self.is_word("or"):
            self.take()
            tree = ("or", tree, self.and_expression())
        return tree

    def and_expression(self) -> tuple:
        tree = self.comparison()
        while self.is_word("and"):
            self.take()
            tree = ("and", tree, self.comparison())
        return tree

    def comparison(self) -> tuple:
        tree = self.additive()
        token = self.peek()
        if token and token[0] == "op" and token[1] in COMPARISONS:
            self.take()
            tree = ("cmp", token[1], tree, self.additive())
        return tree

    def additive(self) -> tuple:
        tree = self.multiplicative()
        while (token := self.peek()) and token[0] == "op" and token[1] in ("+", "-"):
            self.take()
            tree = ("arith", token[1], tree, self.multiplicative())
        return tree

    def multiplicative(self) -> tuple:
        tree = self.unary()
        while (token := self.peek()) and (
            (token[0] == "op" and token[1] == "*")
            or (token[0] == "word" and token[1] in ("div", "mod"))
        ):
            self.take()
            tree = ("arith", token[1], tree, self.unary())
        return tree

    def unary(self) -> tuple:
        token = self.peek()
        if token and token == ("op", "-"):
            self.take()
            return ("arith", "-", ("num", 0), self.unary())
        return self.primary()

    def primary(self) -> tuple:
        kind, value = self.take()
        if kind == "number":
            return ("num", float(value) if "." in value else int(value))
        if kind == "string":
            return ("str", value)
        if kind == "ref":
            return ("ref", value)
        if kind == "dot":
            return ("dot",)
        if kind == "op" and value == "(":
            tree = self.or_expression()
            self.expect(")")
            return tree
        if kind == "word":
            return self.call(value)
        raise ExpressionError(f"unexpected {value!r}")

    def call(self, name: str) -> tuple:
        """A function call, its name already read: checks the name and the arguments."""
        if name not in FUNCTIONS:
            known = ", ".join(sorted(FUNCTIONS))
            raise ExpressionError(f"unknown function or word {name!r} (functions: {known})")
        self.expect("(")
        arguments: list[tuple] = []
        if self.peek() != ("op", ")"):
            arguments.append(self.or_expression())
            while self.peek() == ("op", ","):
                self.take()
                arguments.append(self.or_expression())
        self.expect(")")
        low, high = FUNCTIONS[name]
        if not low <= len(arguments) <= high:
            raise ExpressionError(
                f"{name}() takes {low if low == high else f'{low}-{high}'}"
                f" argument{'s' if high != 1 else ''}, not "
                f"{len(arguments)}"
            )
        if name == "regex" and arguments[1][0] == "str":
            try:
                re.compile(arguments[1][1])
            except re.error as error:
                raise ExpressionError(f"bad regular expression: {error}") from None
        return ("call", name, tuple(arguments))


def parse(source: str) -> Expression:
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError("the expression is empty")
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"the expression is longer than {MAX_LENGTH} characters")
    return Expression(source, _Parser(tokenize(source)).parse())


def _children(tree: tuple):
    """The sub-trees of a node (a call's arguments are a tuple of trees)."""
    for part in tree[1:]:
        if isinstance(part, tuple):
            if part and isinstance(part[0], str):
                yield part
            else:
                yield from part


def references(tree: tuple) -> set[str]:
    if tree[0] == "ref":
        return {tree[1]}
    return set().union(*(references(child) for child in _children(tree)))


def _uses_dot(tree: tuple) -> bool:
    return tree[0] == "dot" or any(_uses_dot(child) for child in _children(tree))


# -- evaluation ------------------------------------------------------------------------------


def _number(value: Any) -> Decimal | None:
    if value is None or isinstance(value, (list, date, bool)):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, (int, float, Decimal)):
        return value != 0
    if isinstance(value, list):
        return bool(value)
    return _text(value) != ""


def _compare(op: str, left: Any, right: Any) -> bool:
    """Numbers compare as numbers, anything else as text; an empty text is neither smaller
    nor larger than anything."""
    left_number, right_number = _number(left), _number(right)
    if left_number is not None and right_number is not None:
        return _COMPARISONS[op](left_number, right_number)
    a, b = _text(left), _text(right)
    if op not in ("=", "!=") and (a == "" or b == ""):
        return False
    return _COMPARISONS[op](a, b)


_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def evaluate(tree: tuple, values: dict[str, Any], current: Any = None) -> Any:
    kind = tree[0]
    if kind == "num":
        return Decimal(str(tree[1]))
    if kind == "str":
        return tree[1]
    if kind == "ref":
        return values.get(tree[1])
    if kind == "dot":
        return current
    if kind in ("or", "and"):
        left = _truthy(evaluate(tree[1], values, current))
        if kind == "or":
            return left or _truthy(evaluate(tree[2], values, current))
        return left and _truthy(evaluate(tree[2], values, current))
    if kind == "cmp":
        return _compare(
            tree[1], evaluate(tree[2], values, current), evaluate(tree[3], values, current)
        )
    if kind == "arith":
        return _arithmetic(
            tree[1], evaluate(tree[2], values, current), evaluate(tree[3], values, current)
        )
    if kind == "call":
        return _CALLS[tree[1]](*(evaluate(a, values, current) for a in tree[2]))
    raise ExpressionError(f"cannot evaluate {kind!r}")


def _arithmetic(op: str, left: Any, right: Any) -> Decimal | None:
    """``left op right``; empty when an operand is not a number or on division by zero."""
    a, b = _number(left), _number(right)
    if a is None or b is None or (op in ("div", "mod") and b == 0):
        return None
    return {
        "+": lambda: a + b,
        "-": lambda: a - b,
        "*": lambda: a * b,
        "div": lambda: a / b,
        "mod": lambda: a % b,
    }[op]()


def _selected(chosen: Any, value: Any) -> bool:
    options = chosen if isinstance(chosen, list) else ([] if chosen is None else [chosen])
    return _text(value) in {_text(c) for c in options}


def _count_selected(chosen: Any) -> Decimal:
    return Decimal(len(chosen) if isinstance(chosen, list) else (0 if chosen in (None, "") else 1))


def _regex(value: Any, pattern: Any) -> bool:
    try:
        return re.search(_text(pattern), _text(value)) is not None
    except re.error:
        return False


# The functions of FUNCTIONS, given their evaluated arguments.
_CALLS: dict[str, Any] = {
    "not": lambda value: not _truthy(value),
    "true": lambda: True,
    "false": lambda: False,
    "selected": _selected,
    "count-selected": _count_selected,
    "string-length": lambda value: Decimal(len(_text(value))),
    "regex": _regex,
}


def is_true(expression: Expression, values: dict[str, Any], current: Any = None) -> bool:
    return _truthy(evaluate(expression.tree, values, current))


def to_json(tree: tuple) -> list:
    """The tree as JSON-ready lists, for the browser: ["call", "selected", [[...], [...]]]."""
    out: list = []
    for part in tree:
        if isinstance(part, tuple):
            if part and isinstance(part[0], str):
                out.append(to_json(part))
            else:
                out.append([to_json(child) for child in part])
        elif isinstance(part, Decimal):
            out.append(float(part))
        else:
            out.append(part)
    return out
