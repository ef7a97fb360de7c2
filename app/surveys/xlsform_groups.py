"""The groups and repeats of an XLSForm import: a top-level group is a section, a
table-list group of select_one questions a matrix, `begin_repeat` a repeat group; a
group inside a section is flattened into it (its label a note, its relevant joined to
each of its questions')."""

from __future__ import annotations

import re

from app.surveys.definitions import QUESTION_KEY
from app.surveys.xlsform_questions import QuestionRows
from app.surveys.xlsform_read import Row

# What an open group is, on the stack of open groups.
SECTION, MATRIX, REPEAT, INNER, REFUSED = "section", "matrix", "repeat", "group", "refused group"


def new_section(key: str, title: dict, implicit: bool = False) -> dict:
    return {
        "key": key,
        "title": title,
        "intro": None,
        "relevant": None,
        "questions": [],
        "open": True,
        "implicit": implicit,
    }


def stem(filename: str) -> str:
    return re.sub(r"\.[A-Za-z0-9]+$", "", filename.replace("\\", "/").rsplit("/", 1)[-1])


def humanised(name: str) -> str:
    return re.sub(r"[_-]+", " ", stem(name)).strip().capitalize() or "Questions"


class GroupRows(QuestionRows):
    """The builder's handling of groups; the state is the builder's."""

    sections: list[dict]
    open: list[str]
    inner: list[str | None]

    def structure(self, row: Row, base: str) -> None:
        if base == "begin_group":
            self.begin_group(row)
        elif base == "begin_repeat":
            self.begin_repeat(row)
        else:
            self.end(row, base)

    def end(self, row: Row, base: str) -> None:
        kind = self.open[-1] if self.open else None
        if kind is None:
            self.problem(row, "type", f"{base} does not close an open group or repeat")
            return
        expected = "end_repeat" if kind == REPEAT else "end_group"
        if base != expected and kind != REFUSED:
            self.problem(row, "type", f"{base} where the {kind} opened above needs {expected}")
            return
        self.open.pop()
        if kind in (MATRIX, REPEAT):
            self.group = None
        elif kind == SECTION and self.section is not None:
            self.section["open"] = False
            self.section = None
        elif kind == INNER:
            self.inner.pop()

    def begin_repeat(self, row: Row) -> None:
        if self.group is not None:
            self.problem(row, "type", "a repeat cannot be inside a repeat or a matrix")
            self.open.append(REFUSED)
            return
        repeat = self.question_fields(row, "repeat")
        self.open.append(REPEAT if repeat is not None else REFUSED)
        if repeat is not None:
            settings = self.app_settings(row)
            repeat.update({k: settings[k] for k in ("min", "max", "add_label") if k in settings})
            repeat["questions"] = []
            self.add(repeat)
            self.group = repeat

    def begin_group(self, row: Row) -> None:
        matrix = row.get("question_type") == "matrix" or "table-list" in row.get("appearance")
        if self.group is not None:
            self.problem(row, "type", f"a group cannot be inside a {self.group['type']}")
            self.open.append(REFUSED)
        elif matrix:
            question = self.question_fields(row, "matrix")
            self.open.append(MATRIX if question is not None else REFUSED)
            if question is not None:
                inline = bool(self.app_settings(row).get("inline_choices"))
                question.update(rows=[], choices=None, list=None, inline=inline, required=True)
                self.add(question)
                self.group = question
        elif SECTION in self.open:
            self.flatten(row)
        else:
            self.begin_section(row)

    def begin_section(self, row: Row) -> None:
        name = row.get("name")
        if not QUESTION_KEY.match(name):
            self.problem(
                row, "name", f"group name {name!r} must be lowercase letters, digits and _"
            )
        self.sections.append(new_section(name, row.texts.get("label") or {"en": humanised(name)}))
        self.sections[-1]["relevant"] = self.expression(row, "relevant")
        self.section = self.sections[-1]
        self.open.append(SECTION)

    def flatten(self, row: Row) -> None:
        """A group inside a section: its questions join the section, each shown only when
        the group would be; its label becomes a note where the group began."""
        relevant = self.expression(row, "relevant")
        if row.texts.get("label"):
            heading = self.question_fields(row, "note")
            if heading is not None:
                heading["relevant"] = self.inner_relevant(relevant)
                self.add(heading)
        self.inner.append(relevant)
        self.open.append(INNER)
        self.result.notices.append(
            f"survey sheet, row {row.number}: group {row.get('name')!r} inside a section is "
            "written into it (its label a note, its relevant joined to its questions')"
        )

    def inner_relevant(self, relevant: str | None) -> str | None:
        """``relevant`` joined with those of the flattened groups around it."""
        conditions = [c for c in (*self.inner, relevant) if c]
        if len(conditions) <= 1:
            return conditions[0] if conditions else None
        return " and ".join(f"({c})" for c in conditions)
