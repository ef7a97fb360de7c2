"""The evaluation report of one activity, as a page and as a PDF: the PDF's extracted text
holds every heading, label, count, percentage and comment the page shows, in every
script participants write in, and nothing is cut."""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import date
from html.parser import HTMLParser

import pytest
from pypdf import PdfReader

from app.kpis.activity_report import Nps, percent
from app.models import ActivityStatus, Answer
from app.surveys.versions import sync_definitions
from tests.factories import ActivityFactory, AttendanceFactory, ParticipantFactory, plan_year
from tests.kpi_world import _round, respond
from tests.samples import SURVEYS

COMMENTS = {
    "th": "การฝึกอบรมเรื่องการบริหารความเสี่ยงมีประโยชน์มาก",
    "km": "សិក្ខាសាលានេះមានប្រយោជន៍ណាស់សម្រាប់ការងាររបស់ខ្ញុំ",
    "my": "အလုပ်ရုံဆွေးနွေးပွဲသည် အလွန်အသုံးဝင်သည်",
    "si": "වැඩමුළුව ඉතා ප්‍රයෝජනවත් විය",
    "hi": "कार्यशाला बहुत उपयोगी थी, विशेषकर जोखिम प्रबंधन",
    "zh": "研讨会非常有用，尤其是风险管理部分。",
    "vi": "Hội thảo rất hữu ích cho công việc quản lý rủi ro của tôi.",
    "lo": "ກອງປະຊຸມມີປະໂຫຍດຫຼາຍ",
    "bn": "কর্মশালাটি খুব উপকারী ছিল",
}
LONG = (
    "Exchanges with the other administrations were the most useful part. "
    + " ".join(
        f"Point {n}: the case study on post-clearance audit showed how risk profiles are "
        "shared between the border agencies and how the results are reviewed each quarter."
        for n in range(1, 13)
    )
    + " END-OF-THE-LONG-COMMENT"
)
DURATIONS = ["too_short"] * 4 + ["about_right"] * 4 + ["too_long"]
RECOMMEND = [10, 10, 9, 9, 9, 8, 7, 6, 3]  # 5 promoters, 2 passives, 2 detractors: NPS +33
OVERALL = [5, 5, 4, 4, 4, 4, 3, 2, 5]


@pytest.fixture()
def evaluated(session):
    versions = {v.questionnaire.key: v for v in sync_definitions(session, [SURVEYS]).created}
    activity = ActivityFactory(
        plan_year=plan_year("2025-2026"),
        title="Hội thảo quản lý rủi ro / Regional workshop on risk management",
        status=ActivityStatus.DELIVERED,
        starts_on=date(2025, 9, 15),
        ends_on=date(2025, 9, 19),
        venue="Bangkok",
    )
    for n in range(10):
        AttendanceFactory(activity=activity, participant=ParticipantFactory(name=f"Person {n}"))
    survey_round = _round(
        session,
        versions["participant-evaluation"],
        date(2025, 9, 19),
        date(2025, 10, 3),
        activity=activity,
    )
    texts = [*COMMENTS.values()]
    for n in range(9):
        response = respond(
            session,
            survey_round,
            None,
            {
                ("duration", 0, ""): DURATIONS[n],
                ("recommend", 0, ""): RECOMMEND[n],
                ("overall_satisfaction", 0, ""): OVERALL[n],
                ("objectives_met", 0, ""): 4,
            },
        )
        session.add(
            Answer(response_id=response.id, question_key="most_useful", value_text=texts[n])
        )
        if n == 0:
            session.add(
                Answer(response_id=response.id, question_key="suggestions", value_text=LONG)
            )
    session.commit()
    return activity


class _Shown(HTMLParser):
    """The texts a person reads in the report's main part: headings, summaries, choice
    labels, counts and comments (not the hidden captions, not the links)."""

    WANTED = ("h1", "h2", "h3", "th", "td", "li", "p")

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.open: list[tuple[str, bool]] = []
        self.in_main = False
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "main":
            self.in_main = True
        hidden = "visually-hidden" in (attributes.get("class") or "") or tag in ("a", "svg")
        if tag in ("caption", "thead", "a", "svg") or hidden:
            self.hidden += 1
            self.open.append((tag, True))
        elif tag in self.WANTED:
            self.open.append((tag, False))
            self.texts.append("")

    def handle_endtag(self, tag):
        if self.open and self.open[-1][0] == tag:
            _, hidden = self.open.pop()
            if hidden:
                self.hidden -= 1

    def handle_data(self, data):
        if self.in_main and not self.hidden and self.open and not self.open[-1][1]:
            self.texts[-1] += data


def shown(html: str) -> list[str]:
    parser = _Shown()
    parser.feed(html)
    skip = {"", "Download PDF"}
    texts = [" ".join(t.split()) for t in parser.texts]
    return [t for t in texts if t not in skip and not t.startswith("Hội thảo quản lý rủi ro /")]


def squeezed(text: str) -> str:
    """Text as compared: NFC, without white space (where lines wrap, extraction adds or
    drops it) and without control and format characters (joiners; the codes of glyphs
    that shaping adds, e.g. Khmer subscripts, which have no character of their own)."""
    text = unicodedata.normalize("NFC", text)
    return "".join(c for c in text if not c.isspace() and unicodedata.category(c)[0] != "C")


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_pdf_holds_everything_the_page_shows(staff_client, evaluated):
    html = staff_client.get(f"/manage/activities/{evaluated.id}/report").get_data(as_text=True)
    response = staff_client.get(f"/manage/activities/{evaluated.id}/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    flat = squeezed(text)
    texts = shown(html)
    # The page shows what the PDF must hold: the charts, the NPS, the comments.
    for expected in (
        "Evaluation report",
        "Plan year 2025-2026 · 2025-09-15 to 2025-09-19 · Bangkok",
        "10 participants, 9 responses (90%).",
        "The workshop",
        "The length of the workshop was",
        "Too short",
        "4 (44%)",
        "9 answers, NPS +33 (5 promoters, 2 passives, 2 detractors)",
        "9 answers, mean 4.0",
        LONG,
        *COMMENTS.values(),
    ):
        assert expected in texts, expected
    assert "mean 9.0" not in html and "mean 6.7" not in html
    missing = [t for t in texts if squeezed(t) not in flat]
    assert not missing
    # The title, wrapped on two lines, whole; the plan year whole.
    assert squeezed(evaluated.title) in flat
    assert "Plan year 2025-2026" in text
    # Each chart's first choice with its count and share on its line, not pushed away.
    laid_out = [
        " ".join(line.split())
        for page in PdfReader(io.BytesIO(response.data)).pages
        for line in page.extract_text(extraction_mode="layout").splitlines()
    ]
    assert "Too short 4 (44%)" in laid_out and "Very dissatisfied 0 (0%)" in laid_out
    assert "Too short 4 (44%)" in text
    assert "Very dissatisfied 0 (0%)" in text
    assert "Strongly disagree 0 (0%)" in text
    assert "0 – Not at all likely 0 (0%)" in laid_out  # the recommend question's ends
    assert "10 – Extremely likely 2 (22%)" in laid_out
    # The long comment in full, to its last word.
    assert squeezed(LONG) in flat and "END-OF-THE-LONG-COMMENT" in text


def test_pdf_file_name_says_what_and_when(staff_client, evaluated):
    response = staff_client.get(f"/manage/activities/{evaluated.id}/report.pdf")
    assert response.headers["Content-Disposition"] == (
        "attachment; filename="
        "evaluation-2025-09-15-hoi-thao-quan-ly-rui-ro-regional-workshop-on-risk-management.pdf"
    )
    html = staff_client.get(f"/manage/activities/{evaluated.id}/report").get_data(as_text=True)
    assert "<title>Evaluation report · Hội thảo quản lý rủi ro" in html
    assert "· 2025-09-15" in html.split("</title>")[0]


def test_file_name_of_a_title_without_latin_letters(session, evaluated):
    from app.kpis.activity_report import activity_report

    evaluated.title = "ការប្រជុំ"
    evaluated.starts_on = None
    report = activity_report(session, evaluated, 3)
    assert report.file_name("pdf") == f"evaluation-activity-{evaluated.id}.pdf"


def test_missing_fonts_give_a_clear_message(staff_client, evaluated, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "PDF_FONT_DIR", str(tmp_path))
    response = staff_client.get(f"/manage/activities/{evaluated.id}/report.pdf")
    assert response.status_code == 302
    assert response.location.endswith(f"/manage/activities/{evaluated.id}/report")
    page = staff_client.get(response.location).get_data(as_text=True)
    assert "The PDF could not be written" in page
    assert "NotoSans-Regular.ttf" in page and str(tmp_path) in page


def test_only_the_scripts_present_are_loaded(evaluated, session):
    from fpdf import FPDF

    from app.kpis.report_pdf import FONT_DIR, close_fonts, load_fonts

    pdf = FPDF()
    load_fonts(pdf, FONT_DIR, ["Workshop", "การฝึกอบรม"])
    close_fonts(pdf)
    assert set(pdf.fonts) == {"notosans", "notosansB", "notosansthai"}
    # Thai is shaped (vowels and tone marks placed), the bold style falls back to regular.
    assert pdf.text_shaping["use_shaping_engine"]
    assert pdf._fallback_font_ids == ["notosansthai"] and not pdf._fallback_font_exact_match


def test_nps_and_percentages():
    nps = Nps.of({10: 2, 9: 3, 8: 1, 7: 1, 6: 1, 0: 1})
    assert (nps.promoters, nps.passives, nps.detractors, nps.score) == (5, 2, 2, 33)
    assert nps.text == "NPS +33 (5 promoters, 2 passives, 2 detractors)"
    assert Nps.of({3: 4}).text == "NPS -100 (0 promoters, 0 passives, 4 detractors)"
    assert Nps.of({}).score == 0
    assert [percent(1, 8), percent(4, 9), percent(0, 0), percent(3, 3)] == [
        "13%",
        "44%",
        "0%",
        "100%",
    ]


def test_suppressed_report_shows_counts_only(staff_client, session):
    activity = ActivityFactory(title="Small group", status=ActivityStatus.DELIVERED)
    session.commit()
    html = staff_client.get(f"/manage/activities/{activity.id}/report").get_data(as_text=True)
    assert "Fewer than 3 responses" in html
    text = pdf_text(staff_client.get(f"/manage/activities/{activity.id}/report.pdf").data)
    assert "Fewer than 3 responses" in text and "NPS" not in text
    assert re.search(r"0 participants, 0 responses\.", text)
