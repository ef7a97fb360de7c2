"""`flask surveys export-xlsform` and `flask surveys import-xlsform`."""

from pathlib import Path

from openpyxl import load_workbook
from pyxform.xls2xform import convert

from app.surveys.definitions import load_definition_file
from tests.factories import ActivityFactory, WorkPlanItemFactory, plan_year
from tests.samples import ALL_TYPES, SURVEYS
from tests.surveys.test_xlsform import KOBO_FORM, ODK_FORM


def test_export_a_version_then_import_it_back(runner, session, tmp_path):
    assert runner.invoke(args=["members", "load"]).exit_code == 0
    assert runner.invoke(args=["surveys", "sync", str(SURVEYS)]).exit_code == 0
    out = tmp_path / "needs.xlsx"
    result = runner.invoke(args=["surveys", "export-xlsform", "needs-assessment", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Written {out}: needs-assessment v1 as XLSForm")
    convert(xlsform=str(out), validate=False)
    members = [
        r for r in load_workbook(out)["choices"].iter_rows(values_only=True) if r[0] == "members"
    ]
    assert len(members) == 35 and ("members", "FJI", "Fiji") in [m[:3] for m in members]

    folder = tmp_path / "surveys"
    imported = runner.invoke(
        args=["surveys", "import-xlsform", str(out), "--key", "needs-copy", "--into", str(folder)]
    )
    assert imported.exit_code == 0, imported.output
    written = folder / "needs-copy.yaml"
    assert written.read_text().startswith(
        "# Imported from the XLSForm needs.xlsx.\nkey: needs-copy\n"
    )
    copy = load_definition_file(written).content
    original = load_definition_file(SURVEYS / "needs-assessment.yaml").content
    assert copy == {**original, "key": "needs-copy"}

    validated = runner.invoke(args=["surveys", "validate", str(folder)])
    assert validated.exit_code == 0 and "ok      " in validated.output
    again = runner.invoke(
        args=["surveys", "import-xlsform", str(out), "--key", "needs-copy", "--into", str(folder)]
    )
    assert again.exit_code == 1 and "exists: give another --key, or --overwrite" in again.output
    replaced = runner.invoke(
        args=[
            "surveys",
            "import-xlsform",
            str(out),
            "--key",
            "needs-copy",
            "--into",
            str(folder),
            "--overwrite",
        ]
    )
    assert replaced.exit_code == 0
    same_key = runner.invoke(
        args=[
            "surveys",
            "import-xlsform",
            str(out),
            "--key",
            "needs-assessment",
            "--into",
            str(SURVEYS),
        ]
    )
    assert same_key.exit_code == 1 and "needs-assessment.yaml exists" in same_key.output


def test_export_names_what_is_missing(runner, session, tmp_path):
    runner.invoke(args=["surveys", "sync", str(SURVEYS)])
    unknown = runner.invoke(args=["surveys", "export-xlsform", "nope", str(tmp_path / "x.xlsx")])
    assert (
        unknown.exit_code == 1
        and "No questionnaire 'nope' (stored: follow-up-action" in unknown.output
    )
    version = runner.invoke(
        args=[
            "surveys",
            "export-xlsform",
            "follow-up-action",
            "--version",
            "4",
            str(tmp_path / "x.xlsx"),
        ]
    )
    assert version.exit_code == 1 and "follow-up-action has no version 4." in version.output
    assert not (tmp_path / "x.xlsx").exists()


def test_an_odk_form_imports_validates_and_syncs(runner, session, tmp_path):
    folder = tmp_path / "surveys"
    result = runner.invoke(args=["surveys", "import-xlsform", str(ODK_FORM), "--into", str(folder)])
    assert result.exit_code == 0, result.output
    assert (
        "note    odk-training-feedback.xlsx: survey sheet, row 5: 'deviceid' is device metadata"
        in result.output
    )
    assert (folder / "training-feedback.yaml").exists()
    assert runner.invoke(args=["surveys", "validate", str(folder)]).exit_code == 0
    synced = runner.invoke(args=["surveys", "sync", str(folder)])
    assert synced.exit_code == 0 and "new     training-feedback v1" in synced.output


def test_a_refused_form_writes_nothing(runner, session, tmp_path):
    folder = tmp_path / "surveys"
    folder.mkdir()
    result = runner.invoke(
        args=["surveys", "import-xlsform", str(KOBO_FORM), "--into", str(folder)]
    )
    assert result.exit_code == 1
    assert (
        "error   kobo-border-post.xlsx: survey sheet, row 8, column type: 'geopoint' is not "
        "supported" in result.output
    )
    assert "3 problem(s); nothing was written" in result.output
    assert list(folder.iterdir()) == []
    missing = runner.invoke(args=["surveys", "import-xlsform", str(tmp_path / "none.xlsx")])
    assert missing.exit_code == 1 and "No such file or directory" in missing.output
    assert list(Path(folder).iterdir()) == []


def test_export_fills_the_pickers_from_the_plan_year_asked(runner, session, tmp_path):
    runner.invoke(args=["surveys", "sync", str(ALL_TYPES)])
    ActivityFactory(title="Workshop of the older year", plan_year=plan_year("2024-2025"))
    WorkPlanItemFactory(code="3-(h)", plan_year=plan_year("2024-2025"))
    ActivityFactory(title="Workshop of the newer year", plan_year=plan_year("2025-2026"))
    session.flush()

    def picked(path, name):
        rows = load_workbook(path)["choices"].iter_rows(values_only=True)
        return [r[2] for r in rows if r[0] == name]

    newest, older = tmp_path / "newest.xlsx", tmp_path / "older.xlsx"
    export = ["surveys", "export-xlsform", "all-types"]
    assert runner.invoke(args=[*export, str(newest)]).exit_code == 0
    assert runner.invoke(args=[*export, "--year", "2024-2025", str(older)]).exit_code == 0
    assert picked(newest, "activities") == ["Workshop of the newer year"]
    assert picked(older, "activities") == ["Workshop of the older year"]
    assert picked(older, "work_plan_items")[0].startswith("3-(h) ")
    wrong = runner.invoke(args=[*export, "--year", "1999-2000", str(tmp_path / "x.xlsx")])
    assert wrong.exit_code == 1 and "No plan year 1999-2000." in wrong.output
