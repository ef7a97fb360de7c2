"""The year's KPIs as one hand-written PostgreSQL query, for bench/kpis.py: what
`GET /api/v1/kpis` returns without filters (3-(f) to 3-(j)), written the way a person
who knows the schema and the questionnaires would write it, to time the application's
computation against and to check its figures.

The query knows the shipped questionnaires' keys (as the benchmark's data uses them) and
takes the needs questionnaire's thematic areas (area -> work-plan items) as a VALUES
list. It returns counts and sums; the rates are the counts divided and rounded as
docs/kpis.md says (rates to 4 decimals, means to 2, NPS to 1).
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

CB_KINDS = (
    "'national_workshop', 'sub_regional_workshop', 'regional_workshop', "
    "'master_trainer_programme', 'training', 'accreditation'"
)

# The evaluation figures alone (3-(h)): the query earlier versions of the benchmark timed.
EVALUATION = """
SELECT
    (SELECT count(*) FROM responses r
        JOIN survey_rounds sr ON sr.id = r.round_id
        JOIN activities a ON a.id = sr.activity_id
        WHERE sr.kind = 'evaluation' AND r.status = 'submitted' AND a.plan_year_id = :year
    ) AS responses,
    (SELECT count(*) FROM attendances WHERE activity_id IN (
        SELECT sr.activity_id FROM survey_rounds sr
        JOIN activities a ON a.id = sr.activity_id
        JOIN responses r ON r.round_id = sr.id
        WHERE sr.kind = 'evaluation' AND r.status = 'submitted' AND a.plan_year_id = :year)
    ) AS invited,
    round(avg(v) FILTER (WHERE k = 'overall_satisfaction'), 2) AS overall_mean,
    count(*) FILTER (WHERE k = 'overall_satisfaction' AND v = 1) AS d1,
    count(*) FILTER (WHERE k = 'overall_satisfaction' AND v = 2) AS d2,
    count(*) FILTER (WHERE k = 'overall_satisfaction' AND v = 3) AS d3,
    count(*) FILTER (WHERE k = 'overall_satisfaction' AND v = 4) AS d4,
    count(*) FILTER (WHERE k = 'overall_satisfaction' AND v = 5) AS d5,
    round(count(*) FILTER (WHERE k = 'overall_satisfaction' AND v >= 4)::numeric
        / nullif(count(*) FILTER (WHERE k = 'overall_satisfaction'), 0), 4) AS top2,
    round(100.0 * (count(*) FILTER (WHERE k = 'recommend' AND v >= 9)
        - count(*) FILTER (WHERE k = 'recommend' AND v <= 6))
        / nullif(count(*) FILTER (WHERE k = 'recommend'), 0), 1) AS nps,
    round(avg(v) FILTER (WHERE k = 'content_quality'), 2) AS content,
    round(avg(v) FILTER (WHERE k = 'facilitators'), 2) AS facilitators,
    round(avg(v) FILTER (WHERE k = 'objectives_met'), 2) AS objectives,
    round(avg(v) FILTER (WHERE k = 'organisation'), 2) AS organisation,
    round(avg(v) FILTER (WHERE k = 'relevance'), 2) AS relevance,
    round(avg(v) FILTER (WHERE k = 'knowledge_after')
        - avg(v) FILTER (WHERE k = 'knowledge_before'), 2) AS knowledge_gain
FROM (
    SELECT an.question_key AS k, an.value_number AS v
    FROM answers an
    JOIN responses r ON r.id = an.response_id
    JOIN survey_rounds sr ON sr.id = r.round_id
    JOIN activities a ON a.id = sr.activity_id
    WHERE sr.kind = 'evaluation' AND r.status = 'submitted' AND a.plan_year_id = :year
      AND an.question_key IN ('overall_satisfaction', 'recommend', 'objectives_met',
          'relevance', 'content_quality', 'facilitators', 'organisation',
          'knowledge_before', 'knowledge_after')
) AS scored
"""

ALL = f"""
WITH
rounds AS (
    SELECT id, kind FROM survey_rounds
    WHERE status <> 'draft' AND opens_on <= :until
      AND (closes_on IS NULL OR closes_on >= :starts)
),
surveys AS (
    SELECT count(*) AS rounds,
        count(*) FILTER (WHERE kind = 'needs_assessment') AS needs_rounds,
        count(*) FILTER (WHERE kind = 'evaluation') AS evaluation_rounds,
        count(*) FILTER (WHERE kind = 'follow_up') AS follow_up_rounds,
        coalesce(sum((SELECT count(*) FROM invitations i WHERE i.round_id = rounds.id)), 0)
            AS invitations,
        coalesce(sum((SELECT count(i.submitted_at) FROM invitations i
            WHERE i.round_id = rounds.id)), 0) AS answered,
        coalesce(sum((SELECT count(*) FROM responses r
            WHERE r.round_id = rounds.id AND r.status = 'submitted')), 0) AS responses
    FROM rounds
),
delivered AS (
    SELECT id, kind FROM activities
    WHERE plan_year_id = :year AND status = 'delivered' AND kind IN ({CB_KINDS})
),
kinds AS (
    SELECT coalesce(sum(n), 0) AS delivered, coalesce(json_object_agg(kind, n), '{{}}') AS by_kind
    FROM (SELECT kind, count(*) AS n FROM delivered GROUP BY kind) AS k
),
people AS (
    SELECT count(*) AS participants,
        count(*) FILTER (WHERE gender = 'female') AS women,
        count(*) FILTER (WHERE gender <> 'undisclosed') AS disclosed,
        count(DISTINCT member_id) AS members_reached
    FROM participants
    WHERE id IN (SELECT participant_id FROM attendances
        WHERE activity_id IN (SELECT id FROM delivered))
),
areas (area, code) AS (VALUES {{areas}}),
high AS (
    SELECT DISTINCT r.member_id, an.item AS area
    FROM answers an
    JOIN responses r ON r.id = an.response_id
    JOIN survey_rounds sr ON sr.id = r.round_id
    WHERE sr.plan_year_id = :year AND sr.kind = 'needs_assessment'
      AND r.status = 'submitted' AND r.member_id IS NOT NULL
      AND an.question_key = 'priorities' AND an.value_choice = 'high'
),
served AS (
    SELECT DISTINCT am.member_id, areas.area
    FROM activities a
    JOIN activity_members am ON am.activity_id = a.id
    JOIN activity_items ai ON ai.activity_id = a.id
    JOIN work_plan_items w ON w.id = ai.work_plan_item_id
    JOIN areas ON areas.code = w.code
    WHERE a.plan_year_id = :year AND a.status <> 'cancelled' AND a.kind IN ({CB_KINDS})
),
needs AS (
    SELECT count(*) AS needs, count(served.member_id) AS covered,
        coalesce(json_agg(json_build_object('member', m.code, 'area', high.area)
            ORDER BY m.code, high.area) FILTER (WHERE served.member_id IS NULL), '[]')
            AS uncovered
    FROM high
    JOIN members m ON m.id = high.member_id
    LEFT JOIN served ON served.member_id = high.member_id AND served.area = high.area
),
post AS (
    SELECT count(*) AS findings,
        count(*) FILTER (WHERE EXISTS (
            SELECT 1 FROM planning_actions pa WHERE pa.finding_id = f.id)) AS actioned,
        (SELECT count(*) FROM planning_actions pa
            JOIN findings f2 ON f2.id = pa.finding_id WHERE f2.plan_year_id = :year) AS actions
    FROM findings f WHERE f.plan_year_id = :year
),
results AS (
    SELECT count(*) FILTER (WHERE status = 'reported') AS reported,
        count(*) FILTER (WHERE status = 'verified') AS verified,
        count(*) FILTER (WHERE status = 'rejected') AS rejected
    FROM tangible_results WHERE plan_year_id = :year
),
by_member AS (
    SELECT coalesce(json_object_agg(code, n), '{{}}') AS by_member FROM (
        SELECT m.code, count(*) AS n FROM tangible_results t JOIN members m ON m.id = t.member_id
        WHERE t.plan_year_id = :year AND t.status = 'verified' GROUP BY m.code) AS x
),
by_category AS (
    SELECT coalesce(json_object_agg(category, n), '{{}}') AS by_category FROM (
        SELECT category, count(*) AS n FROM tangible_results
        WHERE plan_year_id = :year AND status = 'verified' GROUP BY category) AS x
),
evaluation AS ({EVALUATION})
SELECT * FROM surveys, kinds, people, needs, post, results, by_member, by_category,
    evaluation AS e (eval_responses, eval_invited, overall_mean, d1, d2, d3, d4, d5, top2, nps,
        content, facilitators, objectives, organisation, relevance, knowledge_gain)
"""


def statement(areas: dict[str, set[str]]):
    """The query, with the thematic areas of the needs questionnaire as VALUES."""
    pairs = sorted((area, code) for area, codes in areas.items() for code in codes)
    values = ", ".join(f"('{area}', '{code}')" for area, code in pairs) or "('-', '-')"
    return sa.text(ALL.replace("{areas}", values))


def _rate(part, whole) -> float | None:
    return round(part / whole, 4) if whole else None


def _number(value) -> float | None:
    return None if value is None else float(value)


def hand_written_kpis(session, compiled, year_id: int, starts: date, until: date) -> dict:
    """The figures of `KpiReport.as_api()` (without year and filters) from the query."""
    row = session.execute(compiled, {"year": year_id, "starts": starts, "until": until}).one()
    return {
        "surveys_conducted": {
            "rounds": row.rounds,
            "by_kind": {
                "needs_assessment": row.needs_rounds,
                "evaluation": row.evaluation_rounds,
                "follow_up": row.follow_up_rounds,
            },
            "invitations": int(row.invitations),
            "responses": int(row.responses),
            "response_rate": _rate(int(row.answered), int(row.invitations)),
        },
        "activities": {
            "delivered": int(row.delivered),
            "by_kind": row.by_kind,
            "participants": row.participants,
            "women_share": _rate(row.women, row.disclosed),
            "members_reached": row.members_reached,
            "needs_coverage": _rate(row.covered, row.needs),
            "uncovered_needs": row.uncovered,
        },
        "evaluation": {
            "responses": row.eval_responses,
            "response_rate": _rate(row.eval_responses, row.eval_invited),
            "overall_mean": _number(row.overall_mean),
            "overall_distribution": {str(n): getattr(row, f"d{n}") for n in range(1, 6)},
            "top2_share": _number(row.top2),
            "nps": _number(row.nps),
            "dimensions": {
                name: _number(getattr(row, name))
                for name in ("content", "facilitators", "objectives", "organisation", "relevance")
            },
            "knowledge_gain": _number(row.knowledge_gain),
        },
        "post_action": {
            "findings": row.findings,
            "actioned": row.actioned,
            "actions": row.actions,
        },
        "tangible_results": {
            "reported": row.reported,
            "verified": row.verified,
            "rejected": row.rejected,
            "by_member": row.by_member,
            "by_category": row.by_category,
        },
    }


def differences(api: dict, hand: dict, path: str = "") -> list[str]:
    """Where the application's JSON and the hand-written figures differ."""
    found = []
    for key in sorted(set(api) | set(hand)):
        if key in ("year", "filters") and not path:
            continue
        mine, theirs = api.get(key), hand.get(key)
        where = f"{path}{key}"
        if isinstance(mine, dict) and isinstance(theirs, dict):
            found += differences(mine, theirs, where + ".")
        elif mine != theirs:
            found.append(f"{where}: application {mine!r} / hand-written {theirs!r}")
    return found
