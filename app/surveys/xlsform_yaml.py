"""A definition, in the shape `app.surveys.definitions` checks it into, written back as a
questionnaire file (the fields a person would write, texts in English alone as plain
text, defaults left out), and saved in a folder of questionnaire files."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import yaml

from app.surveys.versions import validate_files

TOP = ("key", "kind", "title", "intro", "thanks", "choice_lists", "sections")
SECTION = ("key", "title", "intro", "follow_up_intro", "relevant", "questions")
QUESTION = (
    "key",
    "type",
    "label",
    "hint",
    "required",
    "relevant",
    "kpi",
    "level",
    "choices",
    "other",
    "low_label",
    "high_label",
    "rows",
    "constraints",
    "min",
    "max",
    "add_label",
    "questions",
)
TEXTS = {
    "title",
    "intro",
    "follow_up_intro",
    "thanks",
    "label",
    "hint",
    "low_label",
    "high_label",
    "add_label",
}


def _text(value: dict) -> Any:
    return value["en"] if set(value) == {"en"} else dict(value)


def _constraints(qtype: str, constraints: dict) -> dict:
    written: dict[str, Any] = {}
    for name, spec in constraints.items():
        value = spec.get("value")
        if qtype == "date" and name in ("min", "max") and isinstance(value, str):
            value = date.fromisoformat(value)
        message = spec.get("message")
        written[name] = {"value": value, "message": _text(message)} if message else value
    return written


def _question(question: dict) -> dict:
    written: dict[str, Any] = {}
    for name in QUESTION:
        value = question.get(name)
        if value is None or value is False or value == [] or value == {}:
            continue
        if name in TEXTS:
            value = _text(value)
        elif name == "rows":
            value = [
                {k: (_text(v) if k == "label" else v) for k, v in row.items() if v is not None}
                for row in value
            ]
        elif name == "constraints":
            value = _constraints(question["type"], value)
        elif name == "questions":
            value = [_question(child) for child in value]
        elif name == "choices" and isinstance(value, list):
            value = [_choice(choice) for choice in value]
        written[name] = value
    if question.get("type") == "repeat" and "min" in question:
        written["min"] = question["min"]
    return written


def _choice(choice: dict) -> dict:
    written = {"value": choice["value"], "label": _text(choice["label"])}
    if choice.get("items"):
        written["items"] = list(choice["items"])
    return written


def definition_yaml(content: dict) -> str:
    """The YAML file of ``content`` (key, kind, title, sections and the rest)."""
    data: dict[str, Any] = {}
    for name in TOP:
        value = content.get(name)
        if value is None or value == {}:
            continue
        if name in TEXTS:
            value = _text(value)
        elif name == "choice_lists":
            value = {
                list_name: [_choice(c) for c in choices] for list_name, choices in value.items()
            }
        elif name == "sections":
            value = [
                {
                    k: (_text(v) if k in TEXTS else v)
                    for k, v in section.items()
                    if k in SECTION and v is not None and k != "questions"
                }
                | {"questions": [_question(q) for q in section["questions"]]}
                for section in value
            ]
        data[name] = value
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


class ImportTargetError(ValueError):
    """The questionnaire file cannot be written where asked."""


def save_definition_file(
    key: str, text: str, folder: Path, source_name: str, overwrite: bool
) -> Path:
    """Write an imported questionnaire as ``<folder>/<key>.yaml``: never over another
    file unless ``overwrite``, never beside a file that has the same key."""
    target = folder / f"{key}.yaml"
    if target.exists() and not overwrite:
        raise ImportTargetError(
            f"{target} exists: give another --key, or --overwrite to replace it (the next "
            "sync then stores it as a new version)"
        )
    for other in validate_files([folder]) if folder.is_dir() else []:
        if other.data and other.data["key"] == key and Path(other.path) != target:
            raise ImportTargetError(f"{other.path} already has the key {key!r}")
    folder.mkdir(parents=True, exist_ok=True)
    header = f"# Imported from the XLSForm {source_name}.\n"
    partial = target.with_suffix(".yaml.part")
    partial.write_text(header + text, encoding="utf-8")
    partial.replace(target)
    return target
