"""The tangible-results register: no preselected decision, a confirmation before anything
is recorded, and several results reviewed together, each with its audit entry."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.models import AuditEntry, ResultStatus, TangibleResult
from tests.conftest import post_form
from tests.kpi_world import build

URL = "/manage/results?year=2025-2026"
BULK = "/manage/results/review?year=2025-2026"


@pytest.fixture()
def results(session):
    """The kpi world's three results, and three more like them."""
    build(session)
    first = session.scalars(select(TangibleResult).order_by(TangibleResult.id)).first()
    for entry in range(10, 13):
        session.add(
            TangibleResult(
                response_id=first.response_id,
                entry=entry,
                plan_year_id=first.plan_year_id,
                activity_id=first.activity_id,
                member_id=first.member_id,
                category="it_system",
                description=f"Extra result {entry}",
            )
        )
    session.commit()
    return list(session.scalars(select(TangibleResult).order_by(TangibleResult.id)))


def statuses(session) -> dict[int, tuple[ResultStatus, str]]:
    session.expire_all()
    return {r.id: (r.status, r.reason) for r in session.scalars(select(TangibleResult))}


def test_no_decision_is_preselected(staff_client, results):
    html = staff_client.get(URL).get_data(as_text=True)
    radios = re.findall(r'<input type="radio"[^>]*>', html)
    assert len(radios) == 3 * (len(results) + 1)  # each card, and the bulk form
    assert not [r for r in radios if "checked" in r]
    assert "<select" not in html.split('id="bulk-review"', 1)[1]
    # Labels a person reads: the questionnaire's category, the Member's name and code.
    assert "New or changed procedure · Fiji (FJI)" in html
    assert "IT system or tool · Fiji (FJI)" in html


def test_a_post_without_a_decision_changes_nothing_and_says_why(staff_client, session, results):
    before = statuses(session)
    target = results[0].id
    answer = post_form(
        staff_client,
        f"/manage/results/{target}/review",
        {"reason": "kept", "confirmed": "yes"},
        page=URL,
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "Choose a decision (Verify, Reject or Back to review): nothing was changed." in html
    # The card's form is open again, with what was typed.
    card = html[html.index(f'id="result-{target}"') :]
    card = card[: card.index("</section>")]
    assert '<details class="review-one" open>' in card and 'value="kept"' in card
    ticked = [r.id for r in results[:3]]
    bulk = post_form(staff_client, BULK, {"ids": ticked, "confirmed": "yes"}, page=URL)
    html = bulk.get_data(as_text=True)
    assert bulk.status_code == 422 and 'id="bulk-error" role="alert"' in html
    assert "Choose a decision" in html.split('id="bulk-error"', 1)[1][:200]
    # The ticks are kept, and still nothing is preselected.
    assert (
        sorted(int(i) for i in re.findall(r'value="(\d+)" form="bulk-review" checked', html))
        == ticked
    )
    assert not [r for r in re.findall(r'<input type="radio"[^>]*>', html) if "checked" in r]
    odd = post_form(staff_client, BULK, {"ids": [target], "status": "maybe"}, page=URL)
    assert odd.status_code == 422 and "Choose a decision" in odd.get_data(as_text=True)
    assert statuses(session) == before
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "result.review")) is None


def test_a_decision_is_recorded_only_once_confirmed(staff_client, session, results):
    before = statuses(session)
    target = results[0]
    asked = post_form(
        staff_client, f"/manage/results/{target.id}/review", {"status": "verified"}, page=URL
    )
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert "Verify 1 result?" in html and "Nothing is recorded until you confirm" in html
    assert target.description in html and "Yes, verify this result" in html
    assert statuses(session) == before
    # The confirmation page's own form records it.
    hidden = dict(re.findall(r'<input[^>]* name="(\w+)" [^>]*value="([^"]*)"', html))
    assert hidden.pop("csrf_token")
    assert hidden == {"status": "verified", "reason": "", "shown": "", "confirmed": "yes"}
    done = staff_client.post(
        f"/manage/results/{target.id}/review",
        data={"csrf_token": re.search(r'csrf_token"[^>]*value="([^"]+)"', html).group(1), **hidden},
    )
    assert done.status_code == 302 and done.location.endswith(f"#result-{target.id}")
    assert f"Result {target.id}: verified." in staff_client.get(done.location).get_data(
        as_text=True
    )
    after = statuses(session)
    assert after[target.id][0] is ResultStatus.VERIFIED
    assert {k: v for k, v in after.items() if k != target.id} == {
        k: v for k, v in before.items() if k != target.id
    }


def test_bulk_verify_changes_exactly_the_ticked_rows(staff_client, session, results):
    before = statuses(session)
    ticked = [results[1].id, results[3].id, results[5].id]
    asked = post_form(staff_client, BULK, {"ids": ticked, "status": "verified"}, page=URL)
    html = asked.get_data(as_text=True)
    assert "Verify 3 results?" in html and "Yes, verify these 3 results" in html
    assert html.count('name="ids"') == 3
    assert statuses(session) == before
    done = post_form(
        staff_client, BULK, {"ids": ticked, "status": "verified", "confirmed": "yes"}, page=URL
    )
    assert "3 results: verified." in staff_client.get(done.location).get_data(as_text=True)
    after = statuses(session)
    for result_id, (status, _) in after.items():
        expected = ResultStatus.VERIFIED if result_id in ticked else before[result_id][0]
        assert status is expected, result_id
    entries = list(session.scalars(select(AuditEntry).where(AuditEntry.action == "result.review")))
    assert sorted(int(e.object_id) for e in entries) == ticked
    assert all("status: 'reported' -> 'verified'" in e.summary for e in entries)
    assert all("reviewed with 2 other result(s)" in e.summary for e in entries)


def test_bulk_reject_needs_a_reason_which_is_stored_and_shown(staff_client, session, results):
    before = statuses(session)
    ticked = [results[0].id, results[2].id]
    refused = post_form(
        staff_client,
        BULK,
        {"ids": ticked, "status": "rejected", "reason": "  ", "confirmed": "yes"},
        page=URL,
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Say why the results are rejected" in page and "nothing was changed" in page
    assert (
        '<input type="radio" id="bulk-status-rejected" name="status" value="rejected" checked>'
        in page
    )
    assert statuses(session) == before
    reason = "No evidence that the procedure was adopted."
    asked = post_form(
        staff_client, BULK, {"ids": ticked, "status": "rejected", "reason": reason}, page=URL
    )
    assert f"<dt>Reason</dt><dd>“{reason}”</dd>" in asked.get_data(as_text=True)
    post_form(
        staff_client,
        BULK,
        {"ids": ticked, "status": "rejected", "reason": reason, "confirmed": "yes"},
        page=URL,
    )
    after = statuses(session)
    assert [after[i] for i in ticked] == [(ResultStatus.REJECTED, reason)] * 2
    assert sum(1 for status, _ in after.values() if status is ResultStatus.REJECTED) == 2
    html = staff_client.get(URL + "&status=rejected").get_data(as_text=True)
    assert html.count(f"<strong>Reason for rejecting:</strong> {reason}") == 2


def test_bulk_review_refuses_nothing_ticked_and_unknown_rows(staff_client, session, results):
    before = statuses(session)
    none = post_form(staff_client, BULK, {"status": "verified", "confirmed": "yes"}, page=URL)
    assert none.status_code == 422
    assert "Select at least one result" in none.get_data(as_text=True)
    unknown = post_form(
        staff_client,
        BULK,
        {"ids": [results[0].id, 987654], "status": "verified", "confirmed": "yes"},
        page=URL,
    )
    assert "No tangible result 987654" in unknown.get_data(as_text=True)
    garbled = post_form(
        staff_client, BULK, {"ids": "x", "status": "verified", "confirmed": "yes"}, page=URL
    )
    assert garbled.status_code == 422 and "could not be read" in garbled.get_data(as_text=True)
    assert statuses(session) == before


def test_a_narrowed_register_stays_narrowed_through_a_review(staff_client, session, results):
    page_url = "/manage/results?year=2025-2026&status=reported&category=it_system"
    html = staff_client.get(page_url).get_data(as_text=True)
    shown = [int(i) for i in re.findall(r'id="result-(\d+)"', html)]
    assert shown and all(session.get(TangibleResult, i).category == "it_system" for i in shown)
    # one "shown" field per form, carrying the register's status filter
    form = html[html.index('id="bulk-review"') :]
    form = form[: form.index("</form>")]
    assert re.findall(r'name="shown" value="([^"]*)"', form) == ["reported"]
    assert "category=it_system" in re.search(r'id="bulk-review"[^>]*action="([^"]+)"', html)[1]
    done = post_form(
        staff_client,
        "/manage/results/review?year=2025-2026&category=it_system&confirmed=yes",
        {"status": "verified", "ids": [shown[0]], "shown": "reported", "confirmed": "yes"},
        page=page_url,
    )
    assert done.status_code == 302
    location = done.headers["Location"]
    assert "status=reported" in location and "category=it_system" in location


def test_ids_no_row_can_have_and_another_years_address_are_refused(staff_client, session, results):
    before = statuses(session)
    for ids, url in (
        (["99999999999999999999"], BULK),
        ([str(results[0].id)], "/manage/results/review?year=2024-2025"),
    ):
        answer = post_form(
            staff_client,
            url,
            {"status": "verified", "ids": ids, "confirmed": "yes"},
            page=URL,
        )
        assert answer.status_code in (400, 422), (ids, url)
        assert "nothing was changed" in answer.get_data(as_text=True) or "No tangible result" in (
            answer.get_data(as_text=True)
        )
    assert statuses(session) == before
