"""A round's responses as CSV, pivoted in SQL: byte for byte the file the Python pivot
(`exports.response_rows`, which the XLSX export still uses) writes, on a round with every
question type and the awkward values a spreadsheet or a CSV reader trips over."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.kpis import response_csv as response_csv_module
from app.kpis.exports import csv_lines, response_rows
from app.kpis.response_csv import crlf, response_csv
from app.models import Answer, Response, ResponseStatus, RoundStatus
from app.surveys.answers import answer_rows, clean
from app.surveys.model import Definition
from app.surveys.responses import hash_token
from app.surveys.rounds import NewRound, create_round
from app.surveys.versions import sync_definitions
from tests.factories import member, plan_year
from tests.samples import ALL_TYPES

AWKWARD_TEXTS = [
    '=HYPERLINK("http://example.com","x")',
    "+1 case studies",
    "-too-long",
    "@SUM(A1)",
    "\tstarts with a tab",
    "\rstarts with a carriage return",
    'a "quoted" word, and a comma',
    "two\nlines",
    "windows\r\nlines",
    "Ngā mihi — 東京 Ünïcödé 😀",
    "\\.",
    '"',
    "trailing space ",
    "back\\slash",
]
NUMBERS = ["0.000001", "0.000015", "0.0001", "12.5", "-3", "100", "2.675", "99999999999999.999999"]


@pytest.fixture()
def version(session):
    return sync_definitions(session, [ALL_TYPES]).created[0]


def _round(session, version, anonymous=False):
    survey_round = create_round(
        session,
        NewRound(version=version, plan_year=plan_year("2025-2026"), opens_on=date(2025, 9, 1)),
    )
    survey_round.status = RoundStatus.OPEN
    survey_round.anonymous = anonymous
    session.flush()
    return survey_round


def _response(session, survey_round, number, member_code=None, submitted=True, moment=None):
    response = Response(
        round=survey_round,
        version_id=survey_round.version_id,
        status=ResponseStatus.SUBMITTED if submitted else ResponseStatus.DRAFT,
        resume_token_hash=hash_token(f"pivot-{survey_round.id}-{number}"),
        member_id=member(member_code).id if member_code else None,
        submitted_at=(moment or datetime(2025, 9, 20, 8, 30, tzinfo=UTC)) if submitted else None,
    )
    session.add(response)
    session.flush()
    return response


def _answers(session, response, definition, values):
    for row in answer_rows(definition, definition.questions(), clean(definition, values)):
        session.add(Answer(response_id=response.id, **row))
    session.flush()


def _varied_round(session, version, anonymous=False):
    """Responses through the app's own answer rows (every type, matrix, multiple choice
    with "other", repeat entries) and raw rows the forms would not make (an empty text,
    numbers at the edge of what a float keeps, a choice that looks like a formula)."""
    definition = Definition.from_json(version.definition)
    survey_round = _round(session, version, anonymous)
    for number, text in enumerate(AWKWARD_TEXTS):
        response = _response(
            session,
            survey_round,
            number,
            member_code=["FJI", "NPL", None][number % 3],
            moment=datetime(2025, 9, 20, 8, 30, tzinfo=UTC) + timedelta(microseconds=number * 7),
        )
        _answers(
            session,
            response,
            definition,
            {
                "name": text,
                "code": "ABC-1",
                "story": AWKWARD_TEXTS[-1 - number],
                "age": str(number),
                "budget": NUMBERS[number % len(NUMBERS)],
                "since": date(2010, 2, 3),
                "agree": "no" if number % 2 else "yes",
                "because": "=1+1" if number % 2 else None,
                "colour": "green",
                # Stored in this order, not the list's: the file keeps the stored order.
                "colours_liked": ["red", "blue"] if number % 2 else ["blue", "other"],
                "colours_liked-other": text,
                "happy": "4",
                "score": str(number % 11),
                "grid": {"speed": "5", "cost": "2"} if number % 4 else {"speed": "1"},
                "member": "FJI",
                "activity": None,
                "item": "1-(a)",
                "double_age": str(number * 2),
                "results": [
                    {"what": "A new unit", "when": date(2026, 1, 5), "how_much": "3"},
                    {"what": text, "how_much": "1"},
                ],
            },
        )
    # A response with no answer at all, a draft, and raw rows.
    _response(session, survey_round, 100, member_code="TON")
    draft = _response(session, survey_round, 101, submitted=False)
    session.add(Answer(response_id=draft.id, question_key="name", value_text="not submitted"))
    raw = _response(session, survey_round, 102, member_code="FJI")
    session.add_all(
        [
            Answer(response_id=raw.id, question_key="name", value_text=""),
            Answer(response_id=raw.id, question_key="code", value_text="-"),
            Answer(response_id=raw.id, question_key="colour", value_choice="-1"),
            Answer(response_id=raw.id, question_key="age", value_number=Decimal("-7")),
            Answer(
                response_id=raw.id,
                question_key="budget",
                value_number=Decimal("12345678901234.123456"),
            ),
            Answer(response_id=raw.id, question_key="since", value_date=date(1999, 12, 31)),
            Answer(response_id=raw.id, question_key="grid", item="cost", value_choice="n/a"),
            Answer(response_id=raw.id, question_key="not_in_version", value_text="ignored"),
        ]
    )
    # Another round's response is not in this round's file.
    other = _round(session, version)
    _answers(session, _response(session, other, 200, "FJI"), definition, {"name": "other round"})
    session.flush()
    return survey_round


def _python_pivot(session, survey_round) -> str:
    return "".join(csv_lines(response_rows(session, survey_round)))


def test_sql_pivot_writes_the_same_bytes_as_the_python_pivot(session, version):
    survey_round = _varied_round(session, version)
    expected = _python_pivot(session, survey_round)
    assert "".join(response_csv(session, survey_round)) == expected
    # What that file is, so that the comparison compares something.
    assert expected.startswith("\ufeff_response_id,_submitted_at,_member,name,code,story,")
    rows = list(csv.reader(io.StringIO(expected.lstrip("\ufeff"), newline="")))
    header, _labels, *data = rows
    assert len(data) == len(AWKWARD_TEXTS) + 2  # not the draft, not the other round
    assert expected.count("\r\n") >= len(rows)
    first = dict(zip(header, data[0], strict=True))
    assert first["name"] == "'" + AWKWARD_TEXTS[0]
    # PostgreSQL keeps the time zone; SQLite stores the UTC time without one.
    assert first["_submitted_at"] in ("2025-09-20T08:30:00+00:00", "2025-09-20T08:30:00")
    assert first["_member"] == "FJI"
    assert first["colours_liked"] == "blue; other"
    assert first["colours_liked-other"] == "'" + AWKWARD_TEXTS[0]
    assert first["budget"] == "1e-06" and first["grid-speed"] == "1" and first["grid-cost"] == ""
    second = dict(zip(header, data[1], strict=True))
    assert second["colours_liked"] == "red; blue" and second["because"] == "'=1+1"
    assert second["_submitted_at"].startswith("2025-09-20T08:30:00.000007")
    assert second["budget"] == "1.5e-05" and second["grid-cost"] == "2"
    written = {  # how Python writes each stored number: int, or the float's repr
        "0.000001": "1e-06",
        "0.000015": "1.5e-05",
        "0.0001": "0.0001",
        "12.5": "12.5",
        "-3": "-3",  # a number: no apostrophe
        "100": "100",
        "2.675": "2.675",
        # A float that came out whole; SQLite already stores it as the integer.
        "99999999999999.999999": "100000000000000"
        + ("" if session.get_bind().dialect.name == "sqlite" else ".0"),
    }
    assert [row[header.index("budget")] for row in data[: len(AWKWARD_TEXTS)]] == [
        written[NUMBERS[n % len(NUMBERS)]] for n in range(len(AWKWARD_TEXTS))
    ]
    raw = data[-1]
    assert raw[1].startswith("2025-09-20T08:30:00") and raw[2] == "FJI"
    raw_cells = dict(zip(header, raw, strict=True))
    assert raw_cells["name"] == "" and raw_cells["code"] == "'-" and raw_cells["colour"] == "'-1"
    assert raw_cells["age"] == "-7" and raw_cells["budget"] == "12345678901234.123"
    assert raw_cells["since"] == "1999-12-31" and raw_cells["grid-cost"] == "n/a"
    assert "results" not in header and "what" not in header  # repeat groups: their own file


def test_anonymous_round_leaves_the_member_out(session, version):
    survey_round = _varied_round(session, version, anonymous=True)
    text = "".join(response_csv(session, survey_round))
    assert text == _python_pivot(session, survey_round)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    assert {row[2] for row in rows[2:]} == {""}


def test_a_round_without_responses_has_its_two_header_rows(session, version):
    survey_round = _round(session, version)
    text = "".join(response_csv(session, survey_round))
    assert text == _python_pivot(session, survey_round)
    assert text.count("\r\n") == 2


def test_the_download_is_the_sql_pivot_in_large_chunks(staff_client, session, version, monkeypatch):
    survey_round = _varied_round(session, version)
    expected = _python_pivot(session, survey_round)
    session.commit()
    monkeypatch.setattr(response_csv_module, "CHUNK", 2000)
    response = staff_client.get(f"/manage/rounds/{survey_round.id}/responses.csv")
    assert response.mimetype == "text/csv"
    chunks = [c if isinstance(c, bytes) else c.encode() for c in response.response]
    assert b"".join(chunks).decode() == expected
    assert 2 < len(chunks) < len(expected) // 2000 + 4  # chunks, not one write per row


def test_stopping_the_download_half_way_leaves_the_session_usable(session, version, monkeypatch):
    survey_round = _varied_round(session, version)
    monkeypatch.setattr(response_csv_module, "CHUNK", 100)
    chunks = response_csv(session, survey_round)
    next(chunks)
    next(chunks)
    chunks.close()  # a client that went away
    assert session.scalar(select(func.count()).select_from(Response)) >= len(AWKWARD_TEXTS)


@pytest.mark.parametrize(
    ("copied", "written"),
    [
        (b"1,a,b\n", b"1,a,b\r\n"),
        (b'1,"a\nb",c\n', b'1,"a\nb",c\r\n'),
        (b'1,"x ""y""\nz",\n2,,\n', b'1,"x ""y""\nz",\r\n2,,\r\n'),
        (b'1,"",\n', b'1,"",\r\n'),
        (b'1,"a\r\nb"\n', b'1,"a\r\nb"\r\n'),
    ],
)
def test_copy_line_ends_become_crlf_outside_quotes(copied, written):
    assert crlf(copied) == written
