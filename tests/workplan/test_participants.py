"""Participants: adding one, and importing lists all-or-nothing."""

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from app.models import Attendance, Gender, Participant
from app.workplan.participants import (
    ParticipantData,
    ParticipantError,
    ParticipantFileError,
    add_participant,
    import_participants,
    read_participant_file,
    update_participant,
)
from tests.factories import ActivityFactory, ParticipantFactory, member
from tests.uploads import (
    dimension_bomb,
    long_csv,
    one_long_line,
    sniffer_bomb,
    wide_row,
    zip_bomb,
)


def csv_file(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode("utf-8"))


def xlsx_file(rows: list[list]) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_good_csv_imports_every_row(session):
    activity = ActivityFactory()
    records = read_participant_file(
        "list.csv",
        csv_file(
            "Name,E-mail,Member,Gender,Position\n"
            "Ana Tupou,ana@customs.to,TON,F,Auditor\n"
            "Ravi Kumar,,India,male,Trainer\n"
            "Lee Min,lee@customs.kr,Korea,,\n"
        ),
        max_rows=100,
    )
    result = import_participants(session, activity, records)
    assert result.ok and (result.created, result.attached) == (3, 3)
    people = {p.name: p for p in session.scalars(select(Participant))}
    assert people["Ana Tupou"].member.code == "TON"
    assert people["Ana Tupou"].gender is Gender.FEMALE
    assert people["Ravi Kumar"].email is None and people["Ravi Kumar"].member.code == "IND"
    assert people["Lee Min"].gender is Gender.UNDISCLOSED
    assert count(session, Attendance) == 3


def test_a_bad_row_imports_nothing_and_names_row_and_column(session):
    activity = ActivityFactory()
    existing = ParticipantFactory(email="known@customs.fj")
    records = read_participant_file(
        "list.csv",
        csv_file(
            "name;email;member;gender\n"
            "Good Person;good@customs.fj;FJI;female\n"
            ";nobody@customs.fj;FJI;\n"
            "Bad Email;not-an-email;FJI;male\n"
            "Wrong Member;w@customs.xx;Atlantis;male\n"
            "Odd Gender;o@customs.fj;FJI;sometimes\n"
            "Twice;good@customs.fj;FJI;\n"
        ),
        max_rows=100,
    )
    result = import_participants(session, activity, records)
    assert not result.ok
    assert [(e.row, e.column) for e in result.errors] == [
        (3, "name"),
        (4, "email"),
        (5, "member"),
        (6, "gender"),
        (7, "email"),
    ]
    assert "'Atlantis' is not a Member" in str(result.errors[2])
    assert "also on row 2" in result.errors[4].message
    assert count(session, Attendance) == 0
    assert count(session, Participant) == 1  # only the one that existed before
    assert session.get(Participant, existing.id).name == existing.name


def test_known_email_updates_the_person_instead_of_duplicating(session):
    first, second = ActivityFactory(), ActivityFactory()
    person = ParticipantFactory(email="same@customs.fj", name="Old Name")
    session.add(Attendance(activity=first, participant=person))
    session.flush()
    records = read_participant_file(
        "l.csv", csv_file("name,email,member\nNew Name,SAME@customs.fj,FJI\n"), max_rows=10
    )
    result = import_participants(session, second, records)
    assert (result.created, result.updated, result.attached) == (0, 1, 1)
    assert count(session, Participant) == 1
    assert session.get(Participant, person.id).name == "New Name"
    again = import_participants(session, second, records)
    assert again.already_attending == 1 and count(session, Attendance) == 2


def test_people_without_email_are_not_duplicated_on_reimport(session):
    activity = ActivityFactory()
    records = read_participant_file("l.csv", csv_file("name,member\nSione Fifita,TON\n"), 10)
    import_participants(session, activity, records)
    result = import_participants(session, activity, records)
    assert result.already_attending == 1
    assert count(session, Participant) == 1


def test_xlsx_import(session):
    activity = ActivityFactory()
    records = read_participant_file(
        "list.xlsx",
        xlsx_file(
            [
                ["Full name", "Email address", "Country", "Sex", "Job title"],
                ["Mere Vula", "mere@customs.fj", "Fiji", "Female", "Risk analyst"],
                [None, None, None, None, None],
                ["Tan Wei", "tan@customs.sg", "SGP", "m", None],
            ]
        ),
        max_rows=10,
    )
    assert [r["_row"] for r in records] == [2, 4]
    result = import_participants(session, activity, records)
    assert result.ok and result.created == 2
    assert (
        session.scalar(select(Participant).where(Participant.name == "Tan Wei")).gender
        is Gender.MALE
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("list.txt", b"name,member\n", "neither a .csv nor a .xlsx"),
        ("list.csv", b"", "is empty"),
        ("list.csv", b"email,gender\nx@y.z,f\n", "missing name, member"),
        ("list.csv", "name,member\nJos\xe9,FJI\n".encode("latin-1"), "not UTF-8"),
        ("list.xlsx", b"PK\x03\x04 definitely not a workbook", "not a readable .xlsx"),
        ("list.csv", b"name,member,name\n", "appears twice"),
    ],
)
def test_unreadable_files_are_rejected_with_a_clear_message(name, content, message):
    with pytest.raises(ParticipantFileError, match=message):
        read_participant_file(name, io.BytesIO(content), max_rows=10)


def test_two_unknown_columns_are_ignored_by_name(session):
    records = read_participant_file(
        "list.csv", csv_file("Name,Member,Badge,Room\nAna,FJI,12,B2\n"), max_rows=10
    )
    assert records[0]["_ignored"] == ["Badge", "Room"]
    assert records[0]["name"] == "Ana" and "Badge" not in records[0]


def test_a_sheet_that_claims_a_huge_dimension_is_read_as_stored(session):
    """A1:XFD3000 claimed, three cells stored: nothing is padded to 16,384 columns."""
    records = read_participant_file("bomb.xlsx", io.BytesIO(dimension_bomb()), max_rows=5000)
    assert [(r["_row"], r["name"], r["member"]) for r in records] == [
        (2, "Ana Sharma", "NPL"),
        (3000, "x", ""),
    ]


def test_a_sheet_of_empty_rows_is_refused_where_it_passes_the_limit(session):
    with pytest.raises(ParticipantFileError, match=r"row 10003: more than 10,000 empty rows"):
        read_participant_file("bomb.xlsx", io.BytesIO(dimension_bomb(40_000)), max_rows=5000)


def test_a_zip_bomb_is_refused_before_it_is_opened(session):
    with pytest.raises(ParticipantFileError, match=r"unpacks to 200 MB from 0\.2 MB"):
        read_participant_file("bomb.xlsx", io.BytesIO(zip_bomb(200)), max_rows=5000)


def test_a_row_storing_millions_of_cells_is_refused_before_it_is_read():
    with pytest.raises(ParticipantFileError, match=r"row 3: it stores more than 1,000 cells"):
        read_participant_file("wide.xlsx", io.BytesIO(wide_row()), max_rows=5000)


def test_a_csv_made_to_slow_down_delimiter_guessing_is_read_at_once():
    # The second line is one field of text per ',"a': far too many columns.
    with pytest.raises(ParticipantFileError, match="more than 300 columns"):
        read_participant_file("slow.csv", io.BytesIO(sniffer_bomb()), max_rows=5000)


def test_a_line_of_millions_of_fields_is_refused_by_its_length():
    with pytest.raises(ParticipantFileError, match="line 2: longer than 256 KB"):
        read_participant_file("long.csv", io.BytesIO(one_long_line()), max_rows=5000)


def test_cells_past_the_column_limit_are_refused():
    wide = "name,member" + ",x" * 400 + "\nAna,FJI" + ",1" * 400 + "\n"
    with pytest.raises(ParticipantFileError, match="row 1: more than 300 columns"):
        read_participant_file("wide.csv", csv_file(wide), max_rows=10)


def test_a_million_rows_are_refused_once_the_limit_is_read(session):
    with pytest.raises(ParticipantFileError, match="more than 5000 participants"):
        read_participant_file("big.csv", io.BytesIO(long_csv(1_000_000)), max_rows=5000)


def test_row_limit(session):
    text = "name,member\n" + "".join(f"P{i},FJI\n" for i in range(11))
    with pytest.raises(ParticipantFileError, match="more than 10 participants"):
        read_participant_file("big.csv", csv_file(text), max_rows=10)


def test_add_participant_twice_is_refused(session):
    activity = ActivityFactory()
    data = ParticipantData("Ana", member("TON").id, "ana@customs.to", Gender.FEMALE, "")
    add_participant(session, activity, data)
    with pytest.raises(ParticipantError, match="already a participant"):
        add_participant(session, activity, data)


def test_update_refuses_an_email_that_belongs_to_someone_else(session):
    ParticipantFactory(email="taken@customs.fj", name="Owner")
    other = ParticipantFactory(email="mine@customs.fj")
    data = ParticipantData(other.name, other.member_id, "taken@customs.fj")
    with pytest.raises(ParticipantError, match="already the email of Owner"):
        update_participant(session, other, data)
