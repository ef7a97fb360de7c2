"""Safe YAML loading that remembers line numbers, so definition errors can say where."""

from __future__ import annotations

from dataclasses import dataclass

import yaml


class LineMap(dict):
    """A mapping from YAML that knows its own line and the line of each key."""

    line: int = 0
    key_lines: dict

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    line: int = 0


@dataclass
class YamlProblem:
    line: int | None
    message: str


def load_with_lines(text: str) -> tuple[object, list[YamlProblem]]:
    """Parse ``text`` with the safe loader into LineMap/LineList/scalars.

    Duplicate keys, which PyYAML silently accepts, are reported as problems.
    """
    problems: list[YamlProblem] = []
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else None
        reason = getattr(error, "problem", None) or str(error)
        return None, [YamlProblem(line, f"not valid YAML: {reason}")]
    if node is None:
        return None, [YamlProblem(None, "the file is empty")]
    return _convert(node, problems), problems


def _convert(node: yaml.Node, problems: list[YamlProblem]) -> object:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result = LineMap()
        result.line = line
        result.key_lines = {}
        for key_node, value_node in node.value:
            key = _convert(key_node, problems)
            if not isinstance(key, (str, int)):
                problems.append(
                    YamlProblem(key_node.start_mark.line + 1, "a key must be plain text")
                )
                continue
            key = str(key)
            if key in result:
                problems.append(
                    YamlProblem(key_node.start_mark.line + 1, f"duplicate field {key!r}")
                )
                continue
            result.key_lines[key] = key_node.start_mark.line + 1
            result[key] = _convert(value_node, problems)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = LineList(_convert(child, problems) for child in node.value)
        items.line = line
        return items
    # Scalars: let the safe constructor decide the type (int, bool, str, date...).
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    except yaml.YAMLError as error:
        problems.append(YamlProblem(line, f"cannot read this value: {error}"))
        return None
    finally:
        loader.dispose()
