"""Analysis-ready exports read back: the CSV (csv module), the SPSS and Stata files
(pyreadstat, with their metadata) and the XLSX, compared with the stored answers, for
every question type, non-ASCII text and unanswered questions."""

from __future__ import annotations

import csv
import io
import math
import zipfile
from datetime import date, datetime

import openpyxl
import pyreadstat
import pytest

from app.kpis.analysis import format_name, format_names
from app.kpis.analysis_files import (
    AnalysisExportError,
    codebook_rows,
    round_plan,
    write_export,
    year_plan,
)
from app.models import RoundStatus  # noqa: F401
from app.surveys.model import Definition
from app.surveys.rounds import NewRound, create_round
from app.surveys.versions import sync_definitions
from tests.factories import ActivityFactory, plan_year
from tests.kpis.analysis_world import (
    CHINESE,
    OTHER,
    SHORT,
    THAI,
    all_types_version,
    answered_round,
    make_round,
    respond,
    workshop,
)
from tests.samples import ALL_TYPES


@pytest.fixture()
def version(session):
    return all_types_version(session)


@pytest.fixture()
def activity(session):
    return workshop()


@pytest.fixture()
def answered(session, version, activity):
    return answered_round(session, version, activity)


def _files(session, plan, fmt, tmp_path) -> dict[str, bytes]:
    path = tmp_path / f"out.{fmt}"
    with path.open("wb") as stream:
        write_export(session, plan, fmt, "x", stream)
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _csv(data: bytes) -> list[dict[str, str]]:
    assert not data.startswith("\ufeff".encode())  # R and the csv module read it as text
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def test_csv_has_one_header_row_a_column_per_choice_and_missing_left_empty(
    session, answered, activity, tmp_path
):
    survey_round, full, short, empty = answered
    files = _files(session, round_plan(session, survey_round), "csv", tmp_path)
    assert sorted(files) == ["x-codebook.csv", "x-repeats.csv", "x.csv"]
    rows = _csv(files["x.csv"])
    header = files["x.csv"].decode("utf-8").splitlines()[0].split(",")
    assert header == [
        *("response_id", "round_id", "version", "submitted_at", "response_member"),
        *("name", "code", "story", "age", "budget", "since", "agree", "because", "colour"),
        *("colours_liked__red", "colours_liked__green", "colours_liked__blue"),
        *("colours_liked__other", "colours_liked__other_text", "green_reason", "happy"),
        "score",
        *("grid__speed", "grid__cost", "member", "activity", "item", "double_age"),
    ]
    assert [int(r["response_id"]) for r in rows] == [full.id, short.id, empty.id]  # no draft
    first, second, third = rows
    assert first["submitted_at"] == "2025-09-20T08:30:00" and first["version"] == "1"
    assert [r["response_member"] for r in rows] == ["FJI", "NPL", "TON"]
    assert first["name"] == THAI and first["story"] == CHINESE
    assert first["age"] == "12" and first["budget"] == "2.5" and first["since"] == "2015-03-04"
    assert first["agree"] == "no" and first["because"] == "'=1+1"  # the formula guard
    assert first["colour"] == "green" and first["happy"] == "4" and first["score"] == "9"
    assert [first[f"colours_liked__{c}"] for c in ("red", "green", "blue", "other")] == [
        "1",
        "0",
        "0",
        "1",
    ]
    assert first["colours_liked__other_text"] == OTHER
    assert (first["grid__speed"], first["grid__cost"]) == ("5", "2")
    assert (first["member"], first["activity"], first["item"]) == ("FJI", str(activity.id), "1-(a)")
    # Answered multiple choice: 0 for what was not chosen; unanswered: empty everywhere.
    assert [second[f"colours_liked__{c}"] for c in ("red", "green", "blue", "other")] == [
        "0",
        "0",
        "1",
        "0",
    ]
    assert second["colours_liked__other_text"] == "" and second["grid__cost"] == ""
    assert second["budget"] == "" and second["score"] == "" and second["activity"] == ""
    assert all(third[c] == "" for c in header[5:])
    repeats = _csv(files["x-repeats.csv"])
    assert [(int(r["response_id"]), r["group"], r["entry"]) for r in repeats] == [
        (full.id, "results", "1"),
        (full.id, "results", "2"),
    ]
    assert (repeats[0]["what"], repeats[0]["when"], repeats[0]["how_much"]) == (
        "A new risk unit",
        "2026-01-05",
        "3",
    )
    assert (repeats[1]["what"], repeats[1]["when"]) == (CHINESE, "")


def test_codebook_lists_every_column_with_its_choices_labels_and_role(session, answered, tmp_path):
    survey_round = answered[0]
    files = _files(session, round_plan(session, survey_round), "csv", tmp_path)
    book = _csv(files["x-codebook.csv"])
    columns = {r["column"] for r in book if r["table"] == "responses"}
    assert columns == set(_csv(files["x.csv"])[0])
    assert {r["column"] for r in book if r["table"] == "repeats"} == set(
        _csv(files["x-repeats.csv"])[0]
    )
    happy = [r for r in book if r["column"] == "happy"]
    assert [(r["value"], r["code"], r["value_label_en"]) for r in happy][::4] == [
        ("1", "1", "Strongly disagree"),
        ("5", "5", "Strongly agree"),
    ]
    assert happy[0]["value_label_fr"] == "Pas du tout d'accord"
    assert happy[0]["kpi_role"] == "dimension:happiness" and happy[0]["question_type"] == "likert"
    colour = [(r["value"], r["code"], r["value_label_en"]) for r in book if r["column"] == "colour"]
    assert colour == [("red", "1", "Red"), ("green", "2", "Green"), ("blue", "3", "Blue")]
    red = [r for r in book if r["column"] == "colours_liked__red"]
    assert [(r["code"], r["value_label_en"]) for r in red] == [
        ("0", "Not selected"),
        ("1", "Selected"),
    ]
    assert red[0]["variable_label"] == "Colours you like: Red"
    other = next(r for r in book if r["column"] == "colours_liked__other_text")
    assert other["item"] == "other (text)" and other["storage"] == "text"
    speed = next(r for r in book if r["column"] == "grid__speed")
    assert speed["kpi_role"] == "dimension:speed" and speed["variable_label"] == "Rate each: Speed"
    score = [(r["code"], r["value_label_en"]) for r in book if r["column"] == "score"]
    assert score == [("0", "Bad"), ("10", "Great")]
    assert next(r for r in book if r["column"] == "score")["kpi_role"] == "recommend"
    agree = [(r["value"], r["code"]) for r in book if r["column"] == "agree"]
    assert agree == [("no", "0"), ("yes", "1")]
    assert next(r for r in book if r["column"] == "name")["spss_name"] == "name"


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_spss_and_stata_files_carry_values_variable_labels_and_value_labels(
    session, answered, activity, tmp_path, fmt
):
    survey_round, full, short, empty = answered
    files = _files(session, round_plan(session, survey_round), fmt, tmp_path)
    assert set(files) == {f"x-repeats.{fmt}", "x-codebook.csv", f"x.{fmt}"}
    (tmp_path / f"x.{fmt}").write_bytes(files[f"x.{fmt}"])
    # Stata 14 and later read release 118; SPSS files start with $FL2.
    assert (
        files[f"x.{fmt}"][:4] == b"$FL2"
        if fmt == "sav"
        else b"<release>118<" in files["x.dta"][:60]
    )
    read = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
    frame, meta = read(str(tmp_path / f"x.{fmt}"))
    rows = frame.to_dict("records")
    first, second, third = rows
    assert [int(r["response_id"]) for r in rows] == [full.id, short.id, empty.id]
    assert first["name"] == THAI and first["story"] == CHINESE and first["because"] == "=1+1"
    assert first["age"] == 12 and first["budget"] == 2.5 and first["since"] == date(2015, 3, 4)
    assert first["submitted_at"] == datetime(2025, 9, 20, 8, 30)
    assert (
        first["response_member"] == "FJI" and first["member"] == "FJI" and first["item"] == "1-(a)"
    )
    assert first["activity"] == activity.id
    # Coded: yes/no as 1/0, a choice list by position, a 1-5 scale as itself.
    assert (first["agree"], second["agree"]) == (0, 1)
    assert (first["colour"], second["colour"]) == (2, 1)
    assert (first["happy"], first["score"], first["grid__speed"], first["grid__cost"]) == (
        4,
        9,
        5,
        2,
    )
    assert [first[f"colours_liked__{c}"] for c in ("red", "green", "blue", "other")] == [1, 0, 0, 1]
    assert first["colours_liked__other_text"] == OTHER
    assert [second[f"colours_liked__{c}"] for c in ("red", "green", "blue", "other")] == [
        0,
        0,
        1,
        0,
    ]
    # Missing: system-missing numbers, empty texts; never 0.
    assert math.isnan(second["grid__cost"]) and math.isnan(second["score"])
    assert math.isnan(second["budget"]) and second["story"] == ""
    assert all(
        math.isnan(third[c]) for c in ("colours_liked__red", "colours_liked__other", "happy", "age")
    )
    assert third["name"] == "" and _missing(third["since"])
    labels = meta.column_names_to_labels
    assert labels["colours_liked__red"] == "Colours you like: Red"
    assert labels["grid__speed"] == "Rate each: Speed"
    assert labels["colours_liked__other_text"] == "Colours you like (other, specify)"
    assert labels["name"] == "Your name"
    values = meta.variable_value_labels
    assert values["happy"] == {
        1: "Strongly disagree",
        2: "Disagree",
        3: "Neither agree nor disagree",
        4: "Agree",
        5: "Strongly agree",
    }
    assert values["colour"] == {1: "Red", 2: "Green", 3: "Blue"}
    assert values["agree"] == {0: "No", 1: "Yes"}
    assert values["colours_liked__other"] == {0: "Not selected", 1: "Selected"}
    assert values["score"] == {0: "Bad", 10: "Great"}
    assert values["activity"][activity.id] == "Regional workshop on risk management — 曼谷"
    assert "name" not in values
    (tmp_path / f"r.{fmt}").write_bytes(files[f"x-repeats.{fmt}"])
    repeats, repeat_meta = read(str(tmp_path / f"r.{fmt}"))
    assert repeats[["group", "entry", "what", "how_much"]].values.tolist() == [
        ["results", 1, "A new risk unit", 3],
        ["results", 2, CHINESE, 1],
    ]
    assert repeats["when"].tolist()[0] == date(2026, 1, 5) and _missing(repeats["when"].tolist()[1])
    assert repeat_meta.column_names_to_labels["what"] == "What"


def _missing(value) -> bool:
    return (
        value is None
        or (isinstance(value, float) and math.isnan(value))
        or str(value) in ("NaT", "nan")
    )


def test_xlsx_has_the_responses_the_repeats_and_the_codebook(session, answered, tmp_path):
    survey_round, full, _short, _empty = answered
    path = tmp_path / "x.xlsx"
    with path.open("wb") as stream:
        write_export(session, round_plan(session, survey_round), "xlsx", "x", stream)
    workbook = openpyxl.load_workbook(path, read_only=True)
    assert workbook.sheetnames == ["Responses", "Repeats", "Codebook"]
    rows = list(workbook["Responses"].values)
    assert rows[0][:5] == ("response_id", "round_id", "version", "submitted_at", "response_member")
    assert len(rows) == 4 and rows[1][0] == full.id
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["name"] == THAI and first["colours_liked__other"] == 1
    assert next(iter(workbook["Codebook"].values))[:3] == ("table", "column", "spss_name")
    assert len(list(workbook["Repeats"].values)) == 3


def test_an_anonymous_round_exports_no_member_and_no_name(session, version, tmp_path):
    survey_round = make_round(session, version, anonymous=True)
    values = dict(SHORT, story="written by someone")
    values.pop("name")
    # Even a response that somehow kept its Member does not give it away.
    respond(session, survey_round, dict(values, name="Ana"), "FJI")
    respond(session, survey_round, values, "KHM")
    plan = round_plan(session, survey_round)
    assert "response_member" not in [c.name for c in plan.columns]
    for fmt in ("csv", "sav", "dta"):
        files = _files(session, plan, fmt, tmp_path)
        main = files[f"x.{fmt}"]
        assert b"FJI" not in main and b"KHM" not in main
        if fmt == "csv":
            assert "response_member" not in _csv(main)[0]
        else:
            (tmp_path / f"a.{fmt}").write_bytes(main)
            read = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
            frame, _meta = read(str(tmp_path / f"a.{fmt}"))
            assert "response_member" not in frame.columns and len(frame) == 2
            assert "FJI" not in frame.astype(str).to_numpy().ravel().tolist()
    book = list(codebook_rows(plan))
    assert not any(row[1] == "response_member" for row in book)


def _second_version(session, tmp_path):
    """all-types with one more colour, and without the reference code question."""
    text = ALL_TYPES.read_text()
    text = text.replace(
        "    - {value: blue, label: Blue}\n",
        "    - {value: blue, label: Blue}\n"
        "    - {value: light.blue, label: {en: Light blue, fr: Bleu clair}}\n",
    )
    start = text.index("      - key: code\n")
    end = text.index("      - key: story\n")
    path = tmp_path / "all-types.yaml"
    path.write_text(text[:start] + text[end:])
    result = sync_definitions(session, [path])
    assert not result.errors, result.errors
    return result.created[0]


def test_a_year_export_puts_every_round_of_the_questionnaire_under_the_same_names(
    session, version, activity, tmp_path
):
    first = make_round(session, version)
    one = respond(session, first, dict(SHORT, code="ABC-7"), "FJI")
    newer = _second_version(session, tmp_path)
    second = make_round(session, newer, anonymous=True)
    two = respond(session, second, dict(SHORT, colours_liked=["light.blue", "red"]), "NPL")
    make_round(session, version, year="2024-2025")  # another year: not in the file
    plan = year_plan(session, "all-types", plan_year("2025-2026"))
    assert [r.id for r in plan.rounds] == [first.id, second.id]
    files = _files(session, plan, "csv", tmp_path)
    rows = _csv(files["x.csv"])
    assert [(int(r["response_id"]), r["round_id"], r["version"]) for r in rows] == [
        (one.id, str(first.id), "1"),
        (two.id, str(second.id), "2"),
    ]
    # The anonymous round's row has no Member; the other round's keeps it.
    assert (rows[0]["response_member"], rows[1]["response_member"]) == ("FJI", "")
    # A question only the older version has keeps its column, empty for the newer.
    assert (rows[0]["code"], rows[1]["code"]) == ("ABC-7", "")
    # A choice only the newer version lists: its column, 0 for the older answer.
    assert (rows[0]["colours_liked__light_blue"], rows[1]["colours_liked__light_blue"]) == (
        "0",
        "1",
    )
    book = _csv(files["x-codebook.csv"])
    light = [r for r in book if r["column"] == "colours_liked__light_blue"]
    assert (
        light[1]["value_label_fr"] == "Sélectionné"
        and light[0]["question_en"] == "Colours you like"
    )
    colour = [(r["value"], r["code"]) for r in book if r["column"] == "colour"]
    assert colour == [("red", "1"), ("green", "2"), ("blue", "3"), ("light.blue", "4")]
    with pytest.raises(AnalysisExportError, match="no round in plan year 2023-2024"):
        year_plan(session, "all-types", plan_year("2023-2024"))


def test_names_past_spss_and_stata_limits_are_renamed_the_same_way_every_time():
    long = "how_many_officers_were_trained_after_the_workshop__choice_with_a_long_value"
    stata = format_name(long, 32, set())
    assert len(stata) == 32 and stata == format_name(long, 32, set())
    assert stata.startswith("how_many_officers_were_") and stata[23] == "_"
    assert len(format_name(long, 64, set())) == 64
    assert format_name("short", 32, set()) == "short"
    assert format_name("1st_item", 32, set()) == "v1st_item"
    assert format_name("_all", 32, {"_all"}) == "v_all"
    assert format_name("with", 64, {"with"}) == "with_"

    class Named:
        def __init__(self, name):
            self.name = name

    columns = [
        Named("a.b"),
        Named("a_b"),
        Named("A_B"),
        Named("int"),
        Named(long),
        Named(long + "x"),
    ]
    stata_names = format_names(columns, "dta")
    assert stata_names[:4] == ["a_b", "a_b_2", "A_B_3", "int_"]
    assert len(stata_names[4]) == len(stata_names[5]) == 32 and stata_names[4] != stata_names[5]
    assert format_names(columns, "sav")[3] == "int"  # not reserved in SPSS


def test_long_keys_and_labels_are_cut_to_the_limits_and_the_codebook_says_so(
    session, version, tmp_path
):
    text = ALL_TYPES.read_text().replace(
        "key: double_age", "key: " + "twice_the_years_of_service_in_customs_so_far"
    )
    text = text.replace(
        "label: Twice your years of service", "label: " + "Twice your years of service " * 10
    )
    path = tmp_path / "all-types.yaml"
    path.write_text(text)
    newer = sync_definitions(session, [path]).created[0]
    survey_round = make_round(session, newer)
    respond(session, survey_round, dict(SHORT, twice_the_years_of_service_in_customs_so_far="6"))
    plan = round_plan(session, survey_round)
    files = _files(session, plan, "dta", tmp_path)
    book = _csv(files["x-codebook.csv"])
    row = next(r for r in book if r["column"] == "twice_the_years_of_service_in_customs_so_far")
    assert len(row["stata_name"]) == 32 and row["spss_name"] == row["column"]
    (tmp_path / "x.dta").write_bytes(files["x.dta"])
    frame, meta = pyreadstat.read_dta(str(tmp_path / "x.dta"))
    assert frame[row["stata_name"]].tolist() == [6]
    assert len(meta.column_names_to_labels[row["stata_name"]]) == 80
    names = list(dict.fromkeys(r["stata_name"] for r in book if r["table"] == "responses"))
    assert list(frame.columns) == names


@pytest.mark.parametrize("key", ["participant-evaluation", "follow-up-action", "needs-assessment"])
def test_the_shipped_questionnaires_give_the_same_answers_in_csv_spss_and_stata(
    session, tmp_path, key
):
    """Synthetic answers to each shipped questionnaire: every cell of the .sav and the
    .dta is the CSV's cell, through the codebook's code for coded columns."""
    import random

    from app.surveys.model import PickerOptions
    from app.surveys.synthetic import AnswerSampler
    from tests.samples import ROOT

    version = next(
        v
        for v in sync_definitions(session, [ROOT / "surveys"]).created
        if v.questionnaire.key == key
    )
    activity = ActivityFactory()
    survey_round = create_round(
        session,
        NewRound(
            version=version,
            opens_on=date(2025, 9, 1),
            plan_year=None if version.questionnaire.kind != "needs_assessment" else plan_year(),
            activity=activity if key != "needs-assessment" else None,
        ),
    )
    definition = Definition.from_json(version.definition)
    pickers = PickerOptions(
        members=[("FJI", "Fiji"), ("THA", "Thailand")],
        activities=[(activity.id, activity.title)],
        items=[("1-(a)", "Item")],
    )
    sampler = AnswerSampler(definition, pickers, date(2025, 9, 30))
    rng = random.Random(14)
    for number in range(12):
        values = sampler.sample(rng, tone=1 + number % 5)
        respond(session, survey_round, values, ["FJI", "THA", None][number % 3])
    plan = round_plan(session, survey_round)
    csv_files = _files(session, plan, "csv", tmp_path)
    book = _csv(csv_files["x-codebook.csv"])
    for table, suffix in (("responses", ""), ("repeats", "-repeats")):
        if f"x{suffix}.csv" not in csv_files:
            continue
        rows = _csv(csv_files[f"x{suffix}.csv"])
        assert len(rows) >= (12 if table == "responses" else 1)
        entries = [r for r in book if r["table"] == table]
        for fmt in ("sav", "dta"):
            files = _files(session, plan, fmt, tmp_path)
            path = tmp_path / f"{table}.{fmt}"
            path.write_bytes(files[f"x{suffix}.{fmt}"])
            read = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
            frame, meta = read(str(path))
            name_of = {
                r["column"]: r[f"{'spss' if fmt == 'sav' else 'stata'}_name"] for r in entries
            }
            assert list(frame.columns) == list(dict.fromkeys(name_of.values()))
            assert all(len(n) <= (64 if fmt == "sav" else 32) for n in frame.columns)
            limit = 256 if fmt == "sav" else 80
            assert all(
                len(label.encode() if fmt == "sav" else label) <= limit
                for label in meta.column_labels
            )
            for column, name in name_of.items():
                codes = {
                    r["value"]: float(r["code"])
                    for r in entries
                    if r["column"] == column and r["code"]
                }
                storage = next(r["storage"] for r in entries if r["column"] == column)
                for row, value in zip(rows, frame[name].tolist(), strict=True):
                    _same(row[column], value, storage, codes, f"{fmt} {column}")


def _same(text: str, value, storage: str, codes: dict, where: str) -> None:
    if text == "":
        assert _missing(value) or value == "", where
    elif storage == "coded":
        assert value == codes[text], where
    elif storage == "number":
        assert value == float(text), where
    elif storage == "date":
        assert value == date.fromisoformat(text), where
    elif storage == "datetime":
        assert value == datetime.fromisoformat(text), where
    else:
        assert value == (text[1:] if text[:2] in ("'=", "'+", "'-", "'@") else text), where


@pytest.mark.parametrize("fmt", ["csv", "sav", "dta", "xlsx"])
def test_a_round_without_responses_exports_its_columns_and_no_row(session, version, tmp_path, fmt):
    survey_round = make_round(session, version)
    respond(session, survey_round, SHORT, "FJI", submitted=False)  # a draft only
    plan = round_plan(session, survey_round)
    path = tmp_path / f"empty.{fmt}"
    with path.open("wb") as stream:
        write_export(session, plan, fmt, "x", stream)
    if fmt == "xlsx":
        rows = list(openpyxl.load_workbook(path, read_only=True)["Responses"].values)
        assert rows == [tuple(c.name for c in plan.columns)]
        return
    with zipfile.ZipFile(path) as archive:
        data = archive.read(f"x.{fmt}")
    if fmt == "csv":
        assert data.decode("utf-8").splitlines() == [",".join(c.name for c in plan.columns)]
        return
    (tmp_path / f"x.{fmt}").write_bytes(data)
    read = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
    frame, meta = read(str(tmp_path / f"x.{fmt}"))
    assert len(frame) == 0 and meta.column_names_to_labels["colour"] == "Favourite colour"


def test_spss_labels_in_another_language_of_the_questionnaire(session, answered, tmp_path):
    plan = round_plan(session, answered[0])
    assert plan.languages == ["en", "fr"]
    with pytest.raises(ValueError, match=r"no labels in 'th' \(its languages: en, fr\)"):
        plan.in_language("th")
    files = _files(session, plan.in_language("fr"), "sav", tmp_path)
    (tmp_path / "fr.sav").write_bytes(files["x.sav"])
    _frame, meta = pyreadstat.read_sav(str(tmp_path / "fr.sav"))
    assert meta.variable_value_labels["happy"][1] == "Pas du tout d'accord"
    assert meta.variable_value_labels["agree"] == {0: "Non", 1: "Oui"}
    assert meta.variable_value_labels["colours_liked__red"] == {
        0: "Non sélectionné",
        1: "Sélectionné",
    }
    assert meta.column_names_to_labels["name"] == "Your name"  # no French: English
    book = _csv(files["x-codebook.csv"])
    assert next(r for r in book if r["column"] == "happy")["value_label_en"] == "Strongly disagree"
