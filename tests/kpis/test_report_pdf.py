"""The PDF writer on reports made by hand: long labels and comments wrap whole, a
question is not split from its chart, and many pages keep every figure."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader

from app.kpis.activity_report import ActivityReport, QuestionResult
from app.kpis.report_pdf import report_pdf
from app.models import Activity, PlanYear

LONG_LABEL = (
    "South Asia / Sub-continent, including the small island administrations of the Indian "
    "Ocean that joined the regional programme"
)


def report(questions: list[QuestionResult], comments=()) -> ActivityReport:
    activity = Activity(
        id=7,
        title="Sub-regional workshop",
        plan_year=PlanYear(label="2025-2026"),
        starts_on=date(2026, 2, 2),
        venue="",
    )
    made = ActivityReport(activity, participants=12, responses=12, min_group=3)
    made.questions = questions
    made.comments = list(comments)
    return made


def pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_a_long_label_wraps_whole_with_its_count_beside_it():
    question = QuestionResult(
        "region", "Where do you work?", "single_choice", [(LONG_LABEL, 7), ("Pacific", 5)], 12
    )
    data = report_pdf(report([question]))
    text = "\n".join(pages(data))
    assert LONG_LABEL in " ".join(text.split())  # whole...
    laid_out = PdfReader(io.BytesIO(data)).pages[0].extract_text(extraction_mode="layout")
    lines = [" ".join(line.split()) for line in laid_out.splitlines() if line.strip()]
    first = next(i for i, line in enumerate(lines) if line.startswith("South Asia"))
    # ...over four lines of its column, the count and share on the first of them.
    assert lines[first] == "South Asia / Sub-continent, including 7 (58%)"
    assert lines[first + 3] == "programme"
    assert "Pacific 5 (42%)" in lines[first + 4]
    assert "Pacific 5 (42%)" in text
    assert "Plan year 2025-2026 · 2026-02-02" in text
    assert "12 participants, 12 responses (100%)." in text


def test_many_questions_run_over_pages_without_losing_a_row():
    questions = [
        QuestionResult(
            f"q{n}", f"Question number {n}", "rating", [(str(v), v) for v in range(11)], 55
        )
        for n in range(12)
    ]
    texts = pages(report_pdf(report(questions, [("Comments", ["Short one."] * 80)])))
    assert len(texts) > 4
    everything = "\n".join(texts)
    for n in range(12):
        assert f"Question number {n}" in everything
        assert everything.count(f"Question number {n}\n") == 1
    assert everything.count("10 10 (18%)") == 12 and everything.count("0 0 (0%)") == 12
    assert everything.count("Short one.") == 80
    # A question and its eleven rows stay on one page.
    for page in texts:
        for n in range(12):
            if f"Question number {n}\n" in page:
                assert page.count("(") >= 11
                assert f"Question number {n}\n" in page and "10 10 (18%)" in page


def test_unbroken_words_and_line_breaks_are_kept_whole():
    url = "https://example.org/" + "a" * 300 + "/END"
    question = QuestionResult("code", "Which code?", "single_choice", [("X" * 200, 3)], 3)
    data = report_pdf(report([question], [("Links", [url, "line one\nline two"])]))
    text = "\n".join(pages(data))
    flat = "".join(text.split())
    assert url in flat and "X" * 200 in flat and "3 (100%)" in text
    assert "line one\nline two" in text
