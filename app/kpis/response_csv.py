"""A round's submitted responses as CSV, pivoted in SQL.

The file is the one `exports.response_rows` describes (a row of keys, a row of labels,
then one row per submitted response in id order), byte for byte what Python's csv module
writes for those rows: the database groups each response's answers into its row instead
of Python reading every answer. On PostgreSQL the database also formats each cell as
`exports.cell` does (whole numbers without decimals, other numbers in Python's shortest
form, ISO dates and times, the formula guard) and writes the CSV itself with ``COPY``;
the export changes only its line ends (the csv module ends lines with CR LF). On other
databases (SQLite) Python formats the pivoted rows and writes them with the csv module.
Either way the text goes out in chunks of about `CHUNK` characters and memory stays flat.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Float,
    Select,
    Text,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from app.kpis.exports import (
    CSV_CHUNK,
    FORMULA_STARTS,
    cell,
    neutralise,
    response_columns,
    stored_number,
)
from app.models import Answer, Member, Response, ResponseStatus, SurveyRound
from app.surveys.answers import OTHER_ITEM
from app.surveys.model import Definition

CHUNK = CSV_CHUNK
BOM = "\ufeff"  # spreadsheets then read the file as UTF-8


@dataclass(frozen=True)
class ResponsePivot:
    """What the pivot of one round needs: its id, whether it is anonymous, its columns
    ((column, question key, item, label), as `exports.response_columns` lists them) and
    the keys of its multiple-choice questions (their choices joined with "; ")."""

    round_id: int
    anonymous: bool
    columns: Sequence[tuple[str, str, str, str]]
    multiple: frozenset[str]

    @classmethod
    def of(cls, survey_round: SurveyRound) -> ResponsePivot:
        definition = Definition.from_json(survey_round.version.definition)
        return cls(
            round_id=survey_round.id,
            anonymous=survey_round.anonymous,
            columns=response_columns(definition),
            multiple=frozenset(
                q.key for q in definition.questions() if q.type == "multiple_choice"
            ),
        )

    def header(self) -> str:
        """The byte-order mark, the row of keys and the row of labels, as CSV."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in (
            ["_response_id", "_submitted_at", "_member", *(c[0] for c in self.columns)],
            ["Response", "Submitted", "Member", *(c[3] for c in self.columns)],
        ):
            writer.writerow([cell(v) for v in row])
        return BOM + buffer.getvalue()

    # -- PostgreSQL: every cell as the text the csv module would write ------------------
    def postgresql(self) -> Select:
        """One row per submitted response, every cell already text (NULL when empty), in
        the order of the file."""
        answers = (
            select(
                Answer.id,
                Answer.response_id,
                Answer.question_key,
                Answer.item,
                _pg_answer_text().label("cell"),
            )
            .where(Answer.entry == 0)
            .subquery("a")
        )
        cells: list[Any] = []
        for _column, key, item, _label in self.columns:
            if key in self.multiple and item == "":
                # The chosen values in the order they were stored.
                value = func.string_agg(
                    answers.c.item, aggregate_order_by(literal("; "), answers.c.id)
                ).filter(and_(answers.c.question_key == key, answers.c.item != OTHER_ITEM))
                value = _pg_neutralised(value)
            else:
                # At most one answer row per (response, key, entry, item): the max of one
                # text, compared byte by byte whatever the database's collation.
                value = func.max(answers.c.cell.collate("C")).filter(
                    and_(answers.c.question_key == key, answers.c.item == item)
                )
            cells.append(func.nullif(value, "").label(f"c{len(cells)}"))
        return self._with_members(
            select(
                Response.id,
                Response.member_id,
                _pg_timestamp(Response.submitted_at).label("submitted"),
                *cells,
            ),
            answers,
            lambda code: func.nullif(_pg_neutralised(code), ""),
        )

    def copy_statement(self, session: Session) -> tuple[str, dict[str, Any]]:
        """``COPY (pivot) TO STDOUT`` as CSV, and its parameters (psycopg merges them)."""
        compiled = self.postgresql().compile(dialect=session.get_bind().dialect)
        return f"COPY ({compiled}) TO STDOUT WITH (FORMAT csv)", dict(compiled.params)

    # -- other databases: the values, formatted by Python ------------------------------
    def generic(self) -> Select:
        """One row per submitted response: id, submitted_at, Member code, then each
        column's stored value as the database holds it (text, or a number)."""
        stored = type_coerce(
            case(
                (Answer.value_text.is_not(None), Answer.value_text),
                (Answer.value_number.is_not(None), Answer.value_number),
                (Answer.value_date.is_not(None), Answer.value_date),
                else_=Answer.value_choice,
            ),
            NullType(),
        )
        answers = (
            select(Answer.response_id, Answer.question_key, Answer.item, stored.label("value"))
            .where(Answer.entry == 0)
            .subquery("a")
        )
        values: list[Any] = []
        for _column, key, item, _label in self.columns:
            if key in self.multiple and item == "":
                value = _chosen_in_order(key)
            else:
                value = func.max(
                    case(
                        (
                            and_(answers.c.question_key == key, answers.c.item == item),
                            answers.c.value,
                        )
                    )
                )
            values.append(value.label(f"c{len(values)}"))
        return self._with_members(
            select(
                Response.id,
                Response.member_id,
                Response.submitted_at.label("submitted"),
                *values,
            ),
            answers,
            lambda code: code,
        )

    def _with_members(self, pivot: Select, answers, member) -> Select:
        """The pivot of the round's submitted responses (grouped by response, so the
        response's own columns may be selected), then each one's Member code. The code
        is joined after grouping: a subquery per response would be a look-up per row."""
        grouped = (
            pivot.select_from(Response)
            .outerjoin(answers, answers.c.response_id == Response.id)
            .where(Response.round_id == self.round_id, Response.status == ResponseStatus.SUBMITTED)
            .group_by(Response.id)
            .subquery("g")
        )
        values = [grouped.c[f"c{index}"] for index in range(len(self.columns))]
        code = null() if self.anonymous else member(Member.code)
        return (
            select(grouped.c.id, grouped.c.submitted, code, *values)
            .select_from(grouped)
            .outerjoin(Member, Member.id == grouped.c.member_id)
            .order_by(grouped.c.id)
        )


def response_csv(session: Session, survey_round: SurveyRound) -> Iterator[str]:
    """The round's responses file, as chunks of text. What is needed from the round is
    read now; the rows are read as the chunks are consumed."""
    pivot = ResponsePivot.of(survey_round)
    if session.get_bind().dialect.name == "postgresql":
        return _copied(session, pivot)
    return _written(session, pivot)


def _copied(session: Session, pivot: ResponsePivot) -> Iterator[str]:
    statement, params = pivot.copy_statement(session)
    # Shortest exact text of a float8 (the default since PostgreSQL 12), as Python's repr.
    session.connection().exec_driver_sql("SET LOCAL extra_float_digits = 1")
    driver = session.connection().connection.driver_connection
    assert driver is not None
    encoding = driver.info.encoding
    yield pivot.header()
    with driver.cursor() as cursor, cursor.copy(statement, params) as copy:
        parts: list[bytes] = []
        size = 0
        for data in copy:
            part = crlf(bytes(data))
            parts.append(part)
            size += len(part)
            if size >= CHUNK:
                yield b"".join(parts).decode(encoding)
                parts, size = [], 0
        if parts:
            yield b"".join(parts).decode(encoding)


def crlf(data: bytes) -> bytes:
    """CSV from COPY with its line ends as CR LF, the csv module's: the newlines outside
    quotes end rows; those inside quoted fields are data and stay. Quotes appear in COPY's
    CSV only around fields and doubled inside them, so the pieces between quotes
    alternate outside (even places) and inside (odd places)."""
    if b'"' not in data:
        return data.replace(b"\n", b"\r\n")
    pieces = data.split(b'"')
    pieces[::2] = [piece.replace(b"\n", b"\r\n") for piece in pieces[::2]]
    return b'"'.join(pieces)


def _written(session: Session, pivot: ResponsePivot) -> Iterator[str]:
    to_decimal = Answer.value_number.type.result_processor(session.get_bind().dialect, None)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield pivot.header()
    result = session.connection().execution_options(yield_per=1000).execute(pivot.generic())
    for response_id, submitted_at, member, *values in result:
        writer.writerow(
            [
                response_id,
                cell(submitted_at),
                cell(member),
                *(_stored_cell(value, to_decimal) for value in values),
            ]
        )
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate(0)
    if buffer.tell():
        yield buffer.getvalue()


def _stored_cell(value: Any, to_decimal) -> Any:
    """A stored value as `exports.response_rows` and `exports.cell` give it: numbers
    through the column's own conversion to Decimal, then as int or float; text guarded."""
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return stored_number(to_decimal(value) if to_decimal else value)
    return neutralise(value)


# -- SQL pieces ----------------------------------------------------------------------------


def _chosen_in_order(key: str):
    """A multiple-choice answer's chosen values joined with "; " in the order they were
    stored: group_concat over an ordered subquery (SQLite's group_concat takes no ORDER
    BY before 3.44)."""
    chosen = (
        select(Answer.item)
        .where(
            Answer.response_id == Response.id,
            Answer.question_key == key,
            Answer.entry == 0,
            Answer.item != OTHER_ITEM,
        )
        .order_by(Answer.id)
        .correlate(Response)
        .subquery()
    )
    return select(func.group_concat(chosen.c.item, "; ")).scalar_subquery()


def _pg_neutralised(text):
    """`exports.neutralise` in SQL: a leading apostrophe before a formula's first sign."""
    starts = [literal(s) for s in FORMULA_STARTS]
    return case((func.left(text, 1).in_(starts), literal("'") + text), else_=text)


def _pg_number(number):
    """`exports.cell` of a stored number, as Python writes it: a whole number as an int;
    any other as the shortest text of the float it becomes (float8's text is the same,
    but without the ".0" Python adds to a float that came out whole); NaN as "nan"."""
    as_float = cast(number, Float(53))
    return case(
        (number == literal_column("'NaN'::numeric"), literal("nan")),
        (number == func.trunc(number), cast(cast(func.trunc(number), BigInteger), Text)),
        (as_float == func.trunc(as_float), cast(as_float, Text) + literal(".0")),
        else_=cast(as_float, Text),
    )


def _pg_answer_text():
    """An answer row's cell: its text, number, date or choice, the first one set (the
    order of `exports.response_batches`)."""
    return case(
        (Answer.value_text.is_not(None), _pg_neutralised(Answer.value_text)),
        (Answer.value_number.is_not(None), _pg_number(Answer.value_number)),
        (Answer.value_date.is_not(None), func.to_char(Answer.value_date, "YYYY-MM-DD")),
        else_=_pg_neutralised(Answer.value_choice),
    )


def _pg_timestamp(moment):
    """`datetime.isoformat()` of a stored moment in the connection's time zone: seconds,
    microseconds only when there are some, and the offset."""
    micro = func.to_char(moment, "US")
    return (
        func.to_char(moment, 'YYYY-MM-DD"T"HH24:MI:SS')
        + case((micro != "000000", literal(".") + micro), else_=literal(""))
        + func.to_char(moment, "TZH:TZM")
    )
