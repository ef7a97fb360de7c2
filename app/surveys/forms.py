"""The form rules of a questionnaire section: WTForms fields built from its questions,
the validation of each answer, and reading the typed answers back.

Input names are the question keys (``overall``), ``<key>-other`` for "other, please
specify", ``<key>-<row>`` for matrix rows and ``<key>-<n>-<sub>`` for repeat entries, so an
automated client can post answers exactly as a browser does. The server's validation is the
truth: questions hidden by their conditions are dropped from the form before validating
(so never required) and their answers are discarded.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext, lazy_gettext, ngettext
from wtforms import (
    DateField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.common.choices import select_choices
from app.surveys.expressions import is_true
from app.surveys.model import (
    NUMBER_TYPES,
    OPTION_TYPES,
    OTHER_SUFFIX,
    PICKER_TYPES,
    SINGLE_CHOICE_TYPES,
    Definition,
    PickerOptions,
    Question,
    Section,
    expression_values,
    is_empty,
    text_in,
    visible_children,
    visible_questions,
)

# Numbers are stored as NUMERIC(20, 6): keep well inside it.
NUMBER_LIMIT = Decimal("1e13")
SELECT_THRESHOLD = 12  # more choices than this: a drop-down instead of radio buttons


def _strip_nul(value):
    """PostgreSQL refuses NUL characters in text; a browser never sends them."""
    return value.replace("\x00", "") if isinstance(value, str) else value


def _trim(value):
    value = _strip_nul(value)
    return value.strip() if isinstance(value, str) else value


class WholeNumberField(IntegerField):
    def process_formdata(self, valuelist):
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        text = str(valuelist[0]).strip().replace(" ", "")
        if not re.fullmatch(r"[+-]?\d{1,15}", text):
            self.data = None
            raise ValueError(gettext("Enter a whole number, for example 12."))
        self.data = int(text)


class NumberField(DecimalField):
    def process_formdata(self, valuelist):
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        text = str(valuelist[0]).strip().replace(" ", "").replace(",", ".")
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or not re.fullmatch(r"[+-]?[\d.]+", text):
            self.data = None
            raise ValueError(gettext("Enter a number, for example 2.5."))
        self.data = number


class IsoDateField(DateField):
    def process_formdata(self, valuelist):
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            self.data = datetime.date.fromisoformat(str(valuelist[0]).strip()[:10])
        except ValueError:
            self.data = None
            raise ValueError(
                gettext("Enter a date as YYYY-MM-DD, for example 2026-03-31.")
            ) from None


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class QuestionRules:
    """The validation of one question: required, choices, constraints, condition
    expressions. Messages come from the definition when it has them."""

    def __init__(self, question: Question, lang: str):
        self.question = question
        self.lang = lang

    def message(self, name: str, default: str) -> str:
        spec = self.question.constraints.get(name) or {}
        return text_in(spec.get("message"), self.lang) or default

    def __call__(self, form, field) -> None:
        if field.process_errors:
            raise StopValidation()
        question = self.question
        value = field.data
        if question.type in (*SINGLE_CHOICE_TYPES, "matrix") and value in ("", None):
            value = None
        if is_empty(value):
            self._check_required(form)
            return
        allowed = getattr(field, "allowed_values", None)
        if allowed is not None:
            chosen = value if isinstance(value, list) else [value]
            if any(str(v) not in allowed for v in chosen):
                raise StopValidation(gettext("Choose one of the options shown."))
        if question.type in ("integer", "decimal") and abs(Decimal(value)) >= NUMBER_LIMIT:
            raise ValidationError(gettext("This number is too large."))
        self._check_bounds(value)
        if question.type in ("text", "long_text"):
            self._check_text(value)
        if question.constraint_expression is not None:
            context = getattr(form, "expression_context", {})
            if not is_true(question.constraint_expression, context, typed_value(question, value)):
                raise ValidationError(self.message("expression", gettext("Check this answer.")))

    def _check_required(self, form) -> None:
        # Going back (partial) and an entirely empty repeat entry demand nothing.
        if (
            self.question.required
            and not getattr(form, "partial", False)
            and not getattr(form, "is_blank", False)
        ):
            raise StopValidation(_required_message(self.question))

    def _check_bounds(self, value) -> None:
        """The ``min`` and ``max`` constraints of numbers, dates and multiple choices."""
        bounds = BOUNDS.get(self.question.type)
        if bounds is None:
            return
        measure, too_low, too_high = bounds
        constraints = self.question.constraints
        if "min" in constraints:
            limit = constraints["min"]["value"]
            if measure(value) < measure(limit):
                raise ValidationError(self.message("min", str(too_low) % {"limit": limit}))
        if "max" in constraints:
            limit = constraints["max"]["value"]
            if measure(value) > measure(limit):
                raise ValidationError(self.message("max", str(too_high) % {"limit": limit}))

    def _check_text(self, value: str) -> None:
        constraints = self.question.constraints
        # Counted as the browser's maxlength and counter count: a line break is one character.
        value = value.replace("\r\n", "\n")
        if "min_length" in constraints and len(value) < constraints["min_length"]["value"]:
            raise ValidationError(
                self.message(
                    "min_length",
                    gettext(
                        "Write at least %(number)s characters.",
                        number=constraints["min_length"]["value"],
                    ),
                )
            )
        if "max_length" in constraints and len(value) > constraints["max_length"]["value"]:
            raise ValidationError(
                self.message(
                    "max_length",
                    gettext(
                        "Write at most %(number)s characters (you wrote %(written)s).",
                        number=constraints["max_length"]["value"],
                        written=len(value),
                    ),
                )
            )
        if "pattern" in constraints and not re.search(constraints["pattern"]["value"], value):
            raise ValidationError(
                self.message("pattern", gettext("Check the format of this answer."))
            )


def _as_decimal(value) -> Decimal:
    return Decimal(str(value))


def _as_iso_date(value) -> str:
    # Limits are stored as YYYY-MM-DD text; answers are dates.
    return value if isinstance(value, str) else value.isoformat()


def _count(value) -> int:
    # Limits are whole numbers; answers are lists of chosen values.
    return value if isinstance(value, int) else len(value)


# How an answer and its min/max limits compare, by question type, and the default messages.
_AT_LEAST = lazy_gettext("Enter %(limit)s or more.")
_AT_MOST = lazy_gettext("Enter %(limit)s or less.")
BOUNDS: dict[str, tuple[Callable[[Any], Any], Any, Any]] = {
    "integer": (_as_decimal, _AT_LEAST, _AT_MOST),
    "decimal": (_as_decimal, _AT_LEAST, _AT_MOST),
    "date": (
        _as_iso_date,
        lazy_gettext("Enter a date on or after %(limit)s."),
        lazy_gettext("Enter a date on or before %(limit)s."),
    ),
    "multiple_choice": (
        _count,
        lazy_gettext("Choose at least %(limit)s."),
        lazy_gettext("Choose at most %(limit)s."),
    ),
}


class RepeatRules:
    """At least ``min`` filled-in entries in a repeat group (unless going back)."""

    def __init__(self, question: Question):
        self.question = question

    def __call__(self, form, field) -> None:
        filled = [e for e in field.entries if any(not is_empty(sub.data) for sub in e.form)]
        if len(filled) < self.question.min and not getattr(form, "partial", False):
            raise ValidationError(
                ngettext(
                    "Add at least %(num)d entry.",
                    "Add at least %(num)d entries.",
                    self.question.min,
                )
            )


class _SkipMixin:
    """Validation that leaves out the fields named in ``skip`` (questions hidden by their
    conditions): they stay on the page for the browser to reveal, but are never checked."""

    skip: frozenset = frozenset()
    _fields: dict[str, Any]

    def validate(self, extra_validators=None):
        success = True
        for name, field in self._fields.items():
            if name in self.skip:
                field.errors = []
                continue
            if not field.validate(self, ()):
                success = False
        return success


class SectionForm(_SkipMixin, Form):
    """A section's form. It carries no CSRF field of its own: the application checks the
    CSRF token of every POST before any view runs (and the history import has none)."""


class EntryForm(_SkipMixin, Form):
    pass


def _required_message(question: Question) -> str:
    if question.type in SINGLE_CHOICE_TYPES:
        return gettext("Choose an answer.")
    if question.type == "multiple_choice":
        return gettext("Choose at least one answer.")
    if question.type == "matrix":
        return gettext("Answer every row.")
    if question.type == "date":
        return gettext("Enter a date.")
    return gettext("Answer this question.")


def typed_value(question: Question, value: Any) -> Any:
    """A field's data as the answer value described in `app.surveys.model`."""
    if is_empty(value):
        return None
    if question.type in NUMBER_TYPES:
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return None
    if question.type == "activity":
        try:
            return int(value)
        except (TypeError, ValueError):
            return None
    if question.type == "multiple_choice":
        return [str(v) for v in value]
    return value


def _options(question: Question, lang: str, pickers: PickerOptions) -> list[tuple[str, str]]:
    if question.type == "yes_no":
        return [("yes", gettext("Yes")), ("no", gettext("No"))]
    if question.type == "rating":
        return [(str(n), str(n)) for n in range(11)]
    if question.type == "member":
        return [(str(v), label) for v, label in pickers.members]
    if question.type == "activity":
        return [(str(v), label) for v, label in pickers.activities]
    if question.type == "work_plan_item":
        return [(str(v), label) for v, label in pickers.items]
    options = [(c.value, text_in(c.label, lang)) for c in question.choices]
    if question.type == "multiple_choice" and question.other:
        options.append(("other", gettext("Other")))
    return options


def field_for(question: Question, lang: str, pickers: PickerOptions):
    """The unbound WTForms field of one question (None for a note)."""
    label = text_in(question.label, lang)
    hint = text_in(question.hint, lang)
    rules = [QuestionRules(question, lang)]
    common = {"label": label, "description": hint, "validators": rules, "name": question.key}
    qtype = question.type
    if qtype == "note":
        return None
    if qtype == "text":
        return StringField(filters=[_trim], **common)
    if qtype == "long_text":
        return TextAreaField(filters=[_trim], render_kw={"rows": 5}, **common)
    if qtype == "integer":
        return WholeNumberField(render_kw={"inputmode": "numeric"}, **common)
    if qtype == "decimal":
        return NumberField(render_kw={"inputmode": "decimal"}, **common)
    if qtype == "date":
        return IsoDateField(**common)
    options = _options(question, lang, pickers)
    if qtype == "multiple_choice":
        return MultiCheckboxField(
            choices=select_choices(options),
            validate_choice=False,
            filters=[_strip_nul_list],
            **common,
        )
    if qtype == "matrix":
        # Each row is a radio group validated on its own (FormField takes no validators).
        row_fields = {
            f"r__{row['key']}": RadioField(
                text_in(row["label"], lang),
                name=row["key"],
                validate_choice=False,
                choices=select_choices(options),
                filters=[_strip_nul],
                validators=rules,
            )
            for row in question.rows
        }
        matrix_form = type(f"Matrix_{question.key}", (Form,), row_fields)
        return FormField(matrix_form, label=label, description=hint, name=question.key)
    if qtype in PICKER_TYPES or len(options) > SELECT_THRESHOLD:
        return SelectField(
            choices=select_choices([("", "Choose…"), *options]),
            validate_choice=False,
            filters=[_strip_nul],
            **common,
        )
    return RadioField(
        choices=select_choices(options), validate_choice=False, filters=[_strip_nul], **common
    )


def _strip_nul_list(values):
    return [_strip_nul(v) for v in values] if isinstance(values, list) else values


def build_section_form(
    definition: Definition,
    section: Section,
    lang: str,
    pickers: PickerOptions,
    formdata=None,
    data: dict | None = None,
) -> SectionForm:
    """The form for ``section``, filled from ``formdata`` (a POST) or ``data`` (stored
    answers, keyed by question key).

    The form class of a section without a repeat group or a picker depends only on the
    definition, the section and the language: it is made once and kept on the definition
    (a stored version's parsed definition lives as long as the process)."""
    cacheable = not any(q.type == "repeat" or q.type in PICKER_TYPES for q in section.questions)
    kept: dict = definition.__dict__.setdefault("_form_classes", {})
    form_class = kept.get((section.index, lang)) if cacheable else None
    if form_class is None:
        form_class = _form_class(section, lang, pickers, data)
        if cacheable:
            kept[(section.index, lang)] = form_class
    initial = _initial_data(section, data or {}) if formdata is None else None
    form = form_class(formdata=formdata, data=initial)
    _attach_allowed_values(form, section, lang, pickers)
    return form


def _form_class(section: Section, lang: str, pickers: PickerOptions, data) -> type[SectionForm]:
    attributes: dict[str, Any] = {}
    for question in section.questions:
        if question.type == "repeat":
            attributes[f"q__{question.key}"] = _repeat_field(question, lang, pickers, data)
            continue
        unbound = field_for(question, lang, pickers)
        if unbound is None:
            continue
        attributes[f"q__{question.key}"] = unbound
        if question.type == "multiple_choice" and question.other:
            attributes[f"q__{question.key}__other"] = StringField(
                lazy_gettext("Other, please specify"),
                name=question.key + OTHER_SUFFIX,
                filters=[_trim],
            )
    return type(f"Section_{section.key}", (SectionForm,), attributes)


def _repeat_field(question: Question, lang: str, pickers: PickerOptions, data):
    child_fields = {}
    for child in question.questions:
        unbound = field_for(child, lang, pickers)
        if unbound is not None:
            child_fields[f"q__{child.key}"] = unbound
    entry_form = type(f"Entry_{question.key}", (EntryForm,), child_fields)
    existing = len((data or {}).get(question.key) or [])
    return FieldList(
        FormField(entry_form),
        label=text_in(question.label, lang),
        description=text_in(question.hint, lang),
        validators=[RepeatRules(question)],
        min_entries=max(question.min, existing, 1 if question.min == 0 and not existing else 0),
        max_entries=question.max,
        name=question.key,
    )


def _initial_data(section: Section, values: dict[str, Any]) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    for question in section.questions:
        value = values.get(question.key)
        key = f"q__{question.key}"
        if question.type == "repeat":
            initial[key] = [
                {
                    f"q__{child.key}": _field_value(child, entry.get(child.key))
                    for child in question.questions
                }
                for entry in (value or [])
            ]
        elif question.type == "matrix":
            initial[key] = {f"r__{row}": choice for row, choice in (value or {}).items()}
        elif value is not None:
            initial[key] = _field_value(question, value)
        if question.type == "multiple_choice" and question.other:
            initial[f"q__{question.key}__other"] = values.get(question.key + OTHER_SUFFIX)
    return initial


def _field_value(question: Question, value: Any) -> Any:
    if value is None:
        return None
    if question.type in ("likert", "rating"):
        return str(int(value))
    if question.type == "activity":
        return str(value)
    return value


def _attach_allowed_values(form, section: Section, lang: str, pickers: PickerOptions) -> None:
    """Give each choice field the set of values it may take (checked by QuestionRules)."""

    def attach(field, question):
        if question.type in OPTION_TYPES:
            field.allowed_values = {v for v, _ in _options(question, lang, pickers)}
        if question.type == "matrix":
            allowed = {c.value for c in question.choices}
            for row_field in field.form:
                row_field.allowed_values = allowed

    for question in section.questions:
        field = form._fields.get(f"q__{question.key}")
        if field is None:
            continue
        if question.type == "repeat":
            for entry in field.entries:
                for child in question.questions:
                    sub = entry.form._fields.get(f"q__{child.key}")
                    if sub is not None:
                        attach(sub, child)
        else:
            attach(field, question)


def section_values(form, section: Section) -> dict[str, Any]:
    """The typed answers of ``section`` as the form holds them (hidden ones included)."""
    values: dict[str, Any] = {}
    for question in section.questions:
        field = form._fields.get(f"q__{question.key}")
        if field is None:
            continue
        if question.type == "repeat":
            entries = []
            for entry in field.entries:
                item = {}
                for child in question.questions:
                    sub = entry.form._fields.get(f"q__{child.key}")
                    if sub is not None:
                        typed = typed_value(child, sub.data)
                        if typed is not None:
                            item[child.key] = typed
                if item:
                    entries.append(item)
            values[question.key] = entries
        elif question.type == "matrix":
            values[question.key] = {
                row["key"]: field.form._fields[f"r__{row['key']}"].data
                for row in question.rows
                if field.form._fields[f"r__{row['key']}"].data not in (None, "")
            }
        else:
            values[question.key] = typed_value(question, field.data)
        other = form._fields.get(f"q__{question.key}__other")
        if other is not None and other.data:
            values[question.key + OTHER_SUFFIX] = other.data
    return values


def validate_section(
    form,
    definition: Definition,
    section: Section,
    other_answers: dict[str, Any],
    partial: bool = False,
) -> dict[str, Any]:
    """Validate ``form`` with the section's conditions applied; return its visible answers.

    ``other_answers`` are the stored answers of the other sections, which conditions may
    read. Hidden questions are removed from the form first, so they are never required and
    their answers never kept. ``partial`` skips the required checks (going back).
    """
    values = section_values(form, section)
    combined = {**other_answers, **values}
    shown = visible_questions(definition, combined)
    form.partial = partial
    form.expression_context = expression_values(combined)
    skip = set()
    for question in section.questions:
        if question.key not in shown:
            skip |= {f"q__{question.key}", f"q__{question.key}__other"}
        elif question.type == "repeat":
            field = form._fields[f"q__{question.key}"]
            for entry, item in zip(field.entries, _entry_values(field, question), strict=False):
                visible = visible_children(question, item, combined)
                entry.form.skip = frozenset(
                    f"q__{child.key}" for child in question.questions if child.key not in visible
                )
                # An entry left completely empty is ignored, not reported as incomplete.
                entry.form.is_blank = all(is_empty(v) for v in item.values())
                entry.form.partial = partial
                entry.form.expression_context = expression_values(
                    {**combined, **{k: v for k, v in item.items() if v is not None}}
                )
        elif question.type == "matrix":
            field = form._fields[f"q__{question.key}"]
            field.form.partial = partial
        elif question.type == "multiple_choice" and "other" not in (values.get(question.key) or []):
            skip.add(f"q__{question.key}__other")
    form.skip = frozenset(skip)
    form.validate()
    kept = section_values(form, section)
    return {k: v for k, v in kept.items() if k.split(OTHER_SUFFIX)[0] in shown}


def _entry_values(field, question: Question) -> list[dict]:
    items = []
    for entry in field.entries:
        item = {}
        for child in question.questions:
            sub = entry.form._fields.get(f"q__{child.key}")
            if sub is not None:
                item[child.key] = typed_value(child, sub.data)
        items.append(item)
    return items


def error_list(form, section: Section) -> list[tuple[str, str, str]]:
    """(anchor id, question label, message) for the error summary, in page order."""
    found: list[tuple[str, str, str]] = []
    for question in section.questions:
        field = form._fields.get(f"q__{question.key}")
        if field is None:
            continue
        label = field.label.text
        if isinstance(field, FormField):
            found.extend((anchor, label, message) for anchor, message in matrix_problems(field))
        else:
            found.extend((focus_id(field), label, message) for message in _messages(field))
        other = form._fields.get(f"q__{question.key}__other")
        if other is not None:
            for message in other.errors:
                found.append((other.id, other.label.text, message))
    return found


def _messages(field) -> list[str]:
    if isinstance(field, FieldList):
        messages = [m for m in field.errors if isinstance(m, str)]
        for index, entry in enumerate(field.entries, start=1):
            for sub in entry.form:
                for message in sub.errors:
                    messages.append(f"entry {index}, {sub.label.text}: {message}")
        return messages
    return list(field.errors)


def matrix_problems(field: FormField) -> list[tuple[str, str]]:
    """(anchor id, message) of a matrix: one message for all its unanswered rows, naming
    them in page order and leading to the first, then any other row's own problem."""
    problems = [
        (focus_id(field), m)
        for m in (field.errors if isinstance(field.errors, list) else [])
        if isinstance(m, str)
    ]
    rows = list(field.form)
    unanswered = [row for row in rows if row.errors and is_empty(row.data)]
    if len(unanswered) == len(rows) and len(rows) > 1:
        message = gettext("Choose an answer in each of the %(count)s rows.", count=len(rows))
    else:
        message = gettext(
            "Answer every row. Not answered yet: %(rows)s.",
            rows=", ".join(row.label.text for row in unanswered),
        )
    if unanswered:
        problems.append((f"{unanswered[0].id}-0", message))
    for row in field.form:
        if row.errors and not is_empty(row.data):
            problems.extend((f"{row.id}-0", f"{row.label.text}: {m}") for m in row.errors)
    return problems


def focus_id(field) -> str:
    """The id of the first input of a field (what an error summary link should reach)."""
    if isinstance(field, FieldList):
        entry = field.entries[0] if field.entries else None
        return next(iter(entry.form)).id if entry else field.id
    if isinstance(field, FormField):
        first = next(iter(field.form), None)
        return f"{first.id}-0" if first is not None else field.id
    if isinstance(field, (RadioField, MultiCheckboxField)):
        return f"{field.id}-0"
    return field.id


def change_entries(form, action: str) -> None:
    """ "add:<key>" appends a repeat entry; "remove:<key>:<n>" removes entry n (1-based)."""
    parts = action.split(":")
    field = form._fields.get(f"q__{parts[1]}") if len(parts) > 1 else None
    if field is None or not hasattr(field, "entries"):
        return
    if parts[0] == "add" and (not field.max_entries or len(field.entries) < field.max_entries):
        field.append_entry()
    elif parts[0] == "remove" and len(parts) == 3 and re.fullmatch(r"[0-9]{1,3}", parts[2]):
        position = int(parts[2]) - 1
        if 0 <= position < len(field.entries) and len(field.entries) > field.min_entries:
            del field.entries[position]
