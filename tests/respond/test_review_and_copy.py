"""The respondent's flow around the sections: a post with a mistake shown again after a
redirect, the review of the answers with its Change links and the final submit, "Save
and finish later" with the truthful way back for each kind of respondent, the copy of the
answers (page, PDF, email), and what the thank-you page promises."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader
from sqlalchemy import func, select

from app.models import Message, MessageKind, Submission
from tests.conftest import csrf_token
from tests.journey import (
    EVALUATION_ANSWERS,
    LINK,
    answer_evaluation,
    make_journey,
    open_link,
    post_section,
    start_survey,
    submit_review,
)

# The evaluation's answers (tests/journey.py) as the copy must read them: labels, not codes.
READ_BACK = [
    ("The workshop met its stated objectives.", "Agree"),
    ("The content is relevant to my job.", "Strongly agree"),
    ("The length of the workshop was", "About right"),
    ("Overall, how satisfied are you with the workshop?", "Satisfied"),
    ("How likely are you to recommend this workshop to a colleague?", "9"),
    ("My knowledge before the workshop", "Low"),
    ("My knowledge now", "Good"),
    ("My action plan for the next six months", "Brief my unit on PCA risk profiles by March."),
    ("Will you need support from your administration or the ROCB A/P to carry it out?", "No"),
]


def _text(response) -> str:
    return response.get_data(as_text=True)


def _answer_sections(client, slug: str) -> None:
    start_survey(client, slug)
    for index, answers in enumerate(EVALUATION_ANSWERS):
        sent = post_section(client, slug, index, answers)
        assert sent.status_code == 302
    assert sent.location.endswith(f"/s/{slug}/review")


def _ana(session, app, client, **options):
    journey = make_journey(session, app, **options)
    journey.dispatch()
    open_link(client, journey.link_for("ana@customs.gov.np"))
    return journey, journey.delivery.evaluation.slug


def test_a_mistake_is_shown_again_after_the_redirect_until_it_is_put_right(app, session, client):
    _, slug = _ana(session, app, client)
    start_survey(client, slug)
    wrong = {**EVALUATION_ANSWERS[0], "duration": ""}
    sent = post_section(client, slug, 0, wrong)
    assert sent.status_code == 302 and sent.location == f"/s/{slug}/0"
    for _ in range(2):  # the page after the redirect, and a refresh of it
        page = _text(client.get(sent.location))
        assert "There is a problem" in page and "Choose an answer." in page
        assert re.search(
            r'<input checked id="[^"]+" name="relevance" type="radio" value="5">', page
        )
    put_right = post_section(client, slug, 0, EVALUATION_ANSWERS[0])
    assert put_right.location == f"/s/{slug}/1"
    again = _text(client.get(f"/s/{slug}/0"))
    assert "There is a problem" not in again
    assert re.search(
        r'<input checked id="[^"]+" name="duration" type="radio" value="about_right"', again
    )


def test_the_review_lists_every_answer_and_its_change_links_come_back_to_it(app, session, client):
    _, slug = _ana(session, app, client)
    _answer_sections(client, slug)
    review = _text(client.get(f"/s/{slug}/review"))
    assert "Check your answers before you submit them" in review
    for label, value in READ_BACK:
        assert label in review and value in review, (label, value)
    assert review.count("Not answered") == 2  # the two optional comments
    assert session.scalar(select(func.count()).select_from(Submission)) == 0
    changes = re.findall(r'href="([^"]+)">Change<', review)
    assert changes == [f"/s/{slug}/{index}?return=review" for index in range(4)]

    # Change the overall satisfaction: the section, then back to the review.
    section = _text(client.get(changes[1]))
    assert "Save and return to your answers" in section
    sent = client.post(
        changes[1],
        data={
            "csrf_token": csrf_token(section),
            "action": "next",
            "overall_satisfaction": "5",
            "recommend": "9",
        },
    )
    assert sent.status_code == 302 and sent.location == f"/s/{slug}/review"
    review = _text(client.get(sent.location))
    assert "Very satisfied" in review
    # A mistake made while changing keeps the way back to the review.
    refused = client.post(
        changes[1], data={"csrf_token": csrf_token(section), "overall_satisfaction": ""}
    )
    assert refused.location == f"/s/{slug}/1?return=review"
    assert "Save and return to your answers" in _text(client.get(refused.location))

    done = submit_review(client, slug)
    assert done.location.endswith("/thanks")
    assert session.scalar(select(func.count()).select_from(Submission)) == 1


def test_the_last_section_leads_to_the_review_not_to_the_submit(app, session, client):
    _, slug = _ana(session, app, client)
    start_survey(client, slug)
    for index in range(3):
        post_section(client, slug, index, EVALUATION_ANSWERS[index])
    last = _text(client.get(f"/s/{slug}/3"))
    assert "Save and check your answers" in last and 'value="submit"' not in last
    # Even an old page's "submit" only leads to the review.
    sent = post_section(client, slug, 3, EVALUATION_ANSWERS[3], action="submit")
    assert sent.location == f"/s/{slug}/review"
    assert session.scalar(select(func.count()).select_from(Submission)) == 0


def test_save_and_finish_later_with_a_personal_link(app, session, client):
    journey, slug = _ana(session, app, client)
    start_survey(client, slug)
    section = _text(client.get(f"/s/{slug}/0"))
    comeback = "open the personal link from your email again, on this or any other device"
    assert "Save and finish later" in section and comeback in section
    sent = post_section(client, slug, 0, {"objectives_met": "4"}, action="save")
    assert sent.location == f"/s/{slug}/saved/0"
    saved = _text(client.get(sent.location))
    assert comeback in saved and "Email me my personal link again" in saved
    # The invitation's email says the same: the same link.
    invitation = journey.messages("invitation")[0].body_text
    assert "continue later with the same link." in invitation and "same device" not in invitation

    before = len(journey.messages("invitation", "ana@customs.gov.np"))
    again = client.post(f"/s/{slug}/link", data={"csrf_token": csrf_token(saved), "index": "0"})
    assert again.location == f"/s/{slug}/saved/0"
    assert "will be emailed again to a…@customs.gov.np" in _text(client.get(again.location))
    messages = journey.messages("invitation", "ana@customs.gov.np")
    assert len(messages) == before + 1
    assert LINK.search(messages[-1].body_text).group(1) == journey.link_for("ana@customs.gov.np")
    # A second request within minutes sends nothing more.
    client.post(f"/s/{slug}/link", data={"csrf_token": csrf_token(saved), "index": "0"})
    assert len(journey.messages("invitation", "ana@customs.gov.np")) == before + 1

    # The saved answer is kept, and the same link resumes on another device.
    phone = app.test_client()
    open_link(phone, journey.link_for("ana@customs.gov.np"))
    resumed = start_survey(phone, slug)
    page = _text(phone.get(resumed.location))
    assert re.search(
        r'<input checked id="[^"]+" name="objectives_met" type="radio" value="4"', page
    )


def test_save_and_finish_later_on_the_shared_link_says_this_browser(app, session, client):
    journey = make_journey(session, app)
    slug = journey.delivery.evaluation.slug
    start_survey(client, slug)
    sent = post_section(client, slug, 0, {"objectives_met": "4"}, action="save")
    saved = _text(client.get(sent.location))
    assert "kept only in this browser" in saved and "on this device and in this browser" in saved
    assert f"{app.config['BASE_URL']}/s/{slug}" in saved
    assert "Email me my personal link again" not in saved
    assert "personal link" not in _text(client.get(f"/s/{slug}/0"))


def test_save_and_finish_later_in_an_anonymous_round_says_this_device(app, session, client):
    journey, slug = _ana(session, app, client, anonymous=True)
    start_survey(client, slug)
    sent = post_section(client, slug, 0, {"objectives_met": "4"}, action="save")
    saved = _text(client.get(sent.location))
    assert "Because this survey is anonymous" in saved
    assert "on this device and in this browser" in saved
    assert "any other device" not in saved
    # The invitation said the same.
    invitation = journey.messages("invitation", "ana@customs.gov.np")[0].body_text
    assert "with the same link, on the same device and in the same browser" in invitation


def test_the_copy_holds_every_answer_on_the_page_in_the_pdf_and_by_email(app, session, client):
    journey, slug = _ana(session, app, client)
    answer_evaluation(client, slug)
    thanks = _text(client.get(f"/s/{slug}/thanks"))
    assert f'href="/s/{slug}/copy"' in thanks and f'href="/s/{slug}/copy.pdf"' in thanks
    assert "Email them to a…@customs.gov.np" in thanks

    page = _text(client.get(f"/s/{slug}/copy"))
    assert "css/answers." in page  # its print stylesheet
    pdf = client.get(f"/s/{slug}/copy.pdf")
    assert pdf.mimetype == "application/pdf"
    pdf_text = " ".join(
        " ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf.data)).pages
    )
    sent = client.post(f"/s/{slug}/copy/email", data={"csrf_token": csrf_token(thanks)})
    assert sent.location == f"/s/{slug}/thanks"
    assert "will be emailed to a…@customs.gov.np" in _text(client.get(sent.location))
    [message] = [
        m for m in journey.messages(to="ana@customs.gov.np") if m.dedupe_key.startswith("answers")
    ]
    assert message.kind is MessageKind.INVITATION and message.invitation_id is None
    for label, value in READ_BACK:
        assert label in page and value in page, (label, value)
        assert label in pdf_text and value in pdf_text, (label, value)
        assert label in message.body_text and value in message.body_text, (label, value)
    # Asked twice, it is sent once.
    client.post(f"/s/{slug}/copy/email", data={"csrf_token": csrf_token(thanks)})
    copies = session.scalar(
        select(func.count()).select_from(Message).where(Message.dedupe_key.like("answers%"))
    )
    assert copies == 1


def test_an_anonymous_round_promises_no_follow_up_and_emails_no_copy(app, session, client):
    journey, slug = _ana(session, app, client, anonymous=True)
    start_survey(client, slug)
    for index in range(3):
        post_section(client, slug, index, EVALUATION_ANSWERS[index])
    plan = _text(client.get(f"/s/{slug}/3"))
    assert "What will you do with what you learned" in plan
    assert "we will show you this plan" not in plan
    post_section(client, slug, 3, EVALUATION_ANSWERS[3])
    token = csrf_token(_text(client.get(f"/s/{slug}/review")))
    thanks = _text(client.get(submit_review(client, slug).location))
    main = thanks.split('<main id="main"', 1)[1]
    assert "six months" not in main and "we will ask" not in main
    assert main.count("Thank you") == 1
    assert "This survey is anonymous" in main
    assert "Email them" not in main
    client.post(f"/s/{slug}/copy/email", data={"csrf_token": token})
    assert not [m for m in journey.messages() if m.dedupe_key.startswith("answers")]


def test_a_participant_of_a_named_round_is_told_what_comes_next_once(app, session, client):
    _, slug = _ana(session, app, client)
    start_survey(client, slug)
    for index in range(3):
        post_section(client, slug, index, EVALUATION_ANSWERS[index])
    assert "we will show you this plan" in _text(client.get(f"/s/{slug}/3"))
    post_section(client, slug, 3, EVALUATION_ANSWERS[3])
    thanks = _text(client.get(submit_review(client, slug).location))
    main = thanks.split('<main id="main"', 1)[1]
    assert "In about six months we will ask how your action plan went." in main
    assert main.count("Thank you") == 1
    assert "Your answers have been submitted" in main


def test_the_shared_link_promises_no_follow_up(app, session, client):
    journey = make_journey(session, app)
    slug = journey.delivery.evaluation.slug
    start_survey(client, slug)
    for index in range(3):
        post_section(client, slug, index, EVALUATION_ANSWERS[index])
    assert "we will show you this plan" not in _text(client.get(f"/s/{slug}/3"))
    post_section(client, slug, 3, EVALUATION_ANSWERS[3])
    main = _text(client.get(submit_review(client, slug).location)).split("<main", 1)[1]
    assert "six months" not in main and main.count("Thank you") == 1


def test_a_post_too_large_for_the_session_cookie_is_shown_at_once(app, session, client):
    import secrets

    _, slug = _ana(session, app, client)
    start_survey(client, slug)
    post_section(client, slug, 0, EVALUATION_ANSWERS[0])
    post_section(client, slug, 1, EVALUATION_ANSWERS[1])
    long_text = secrets.token_urlsafe(3000)  # does not compress: the cookie cannot hold it
    shown = post_section(client, slug, 2, {"knowledge_after": "4", "most_useful": long_text})
    assert shown.status_code == 400
    page = _text(shown)
    assert "There is a problem" in page and long_text in page
    assert len(client.get_cookie("session").value) < 4000
