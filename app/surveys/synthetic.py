"""Plausible answers to any questionnaire version, drawn at random: the demo data of
`make run` and the benchmark's synthetic decade use them.

The answers follow the version's own rules: conditions decide which questions are
answered, required questions are always answered, choices come from the question's list,
numbers, dates and text lengths stay within the question's constraints. A ``tone`` sets how
favourable the 1-5 and 0-10 scales are (around 4 of 5 by default); knowledge before an
activity is rated lower than after it. Text that must match a pattern other than a web
link is left unanswered; for a constraint written as an expression, answers are drawn
again until one meets it (left unanswered after 50 tries).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from app.common import clock
from app.surveys.expressions import is_true
from app.surveys.model import Definition, PickerOptions, Question, expression_values

PHRASES = [
    "Drafted a standard operating procedure and shared it with my unit.",
    "Briefed the management on the workshop and proposed a pilot at the main port.",
    "Applied the risk indicators from the case studies to our selectivity criteria.",
    "Trained colleagues at two border posts on the new procedure.",
    "Started a review of the post-clearance audit manual with the legal team.",
    "More practical exercises and more time for questions would help.",
    "The session on data analysis was the most useful for my daily work.",
    "Exchanging with officers from other administrations was very valuable.",
]

# Answers that fit the shipped questionnaires' open questions (by question key); a question
# not listed gets one of PHRASES.
PHRASES_BY_KEY: dict[str, list[str]] = {
    "most_useful": [
        "The risk profiling exercise: we will use the same indicators at our main port.",
        "The case studies from other administrations, because they showed what works.",
        "The session on data analysis was the most useful for my daily work.",
    ],
    "suggestions": [
        "More practical exercises and more time for questions would help.",
        "Send the materials a week before, so we can prepare our own cases.",
        "A shorter first day and a site visit would make it even better.",
    ],
    "what_went_wrong": [
        "The sessions were too theoretical; we needed exercises on our own data.",
        "Too much content for three days: fewer topics in more depth.",
    ],
    "action_plan": [
        "Brief my director and propose a pilot of the new risk indicators at the main port.",
        "Draft a standard operating procedure for post-clearance audit by the end of the year.",
        "Train the colleagues of my unit on what I learned, in two half-day sessions.",
    ],
    "support_details": [
        "An expert mission to help us set up the risk management database.",
        "Access to the WCO e-learning modules for twenty more officers.",
        "Advice on drafting the amendment to our customs regulations.",
    ],
    "progress_details": [
        "Drafted a standard operating procedure and shared it with my unit.",
        "Briefed the management on the workshop and proposed a pilot at the main port.",
        "Started a review of the post-clearance audit manual with the legal team.",
    ],
    "lessons_applied": [
        "Applied the risk indicators from the case studies to our selectivity criteria.",
        "We now plan audits from risk profiles rather than at random.",
    ],
    "direct_effects": [
        "Fewer physical inspections at the main port, with more seizures per inspection.",
        "Trained colleagues at two border posts on the new procedure.",
    ],
    "modernization_details": [
        "The national single window project: the customs module goes live next quarter.",
        "Our risk management system upgrade, now in testing at two border posts.",
    ],
    "result_description": [
        "A new post-clearance audit procedure adopted by the Director General.",
        "A risk profile for high-risk consignments in use at the main port.",
        "A risk management unit set up at headquarters.",
    ],
    "further_assistance": [
        "A follow-up workshop for the officers of the regional offices.",
        "An expert to review our draft procedure before it is adopted.",
    ],
    "recommendations": [
        "Invite two officers per administration, so that they can support each other.",
        "Keep the case studies and add a session on measuring results.",
    ],
    "respondent_position": ["Director, Risk Management", "Deputy Commissioner", "Head of Audit"],
    "top_priority_details": [
        "Training for risk analysts on selectivity and profiling with our own data.",
        "Help to set up a post-clearance audit unit and its manual.",
    ],
    "context": [
        "We are moving to a new customs IT system next year: support should fit its rollout.",
        "Our training centre can host a national workshop for thirty officers.",
    ],
}


def _scale(rng: random.Random, centre: float, low: int, high: int) -> int:
    return max(low, min(high, round(rng.gauss(centre, 0.9 * (high - low) / 4))))


class AnswerSampler:
    """Draws answers for one questionnaire version."""

    def __init__(
        self,
        definition: Definition,
        pickers: PickerOptions | None = None,
        today: date | None = None,
        earliest: date | None = None,
    ) -> None:
        self.definition = definition
        self.pickers = pickers or PickerOptions()
        self.today = today or clock.today()
        # Dates are drawn between ``earliest`` (when given) and ``today``.
        self.earliest = earliest

    def sample(
        self, rng: random.Random, tone: float = 4.0, fixed: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """One respondent's answers. ``fixed`` sets answers (for example the Member a needs
        assessment speaks for) instead of drawing them."""
        fixed = fixed or {}
        values: dict[str, Any] = {}
        for section in self.definition.sections:
            if section.relevant is not None and not is_true(
                section.relevant, expression_values(values)
            ):
                continue
            for question in section.questions:
                if question.relevant is not None and not is_true(
                    question.relevant, expression_values(values)
                ):
                    continue
                if question.key in fixed:
                    values[question.key] = fixed[question.key]
                    continue
                value = self.value(question, rng, tone, values)
                if value is not None:
                    values[question.key] = value
        return values

    def value(
        self, question: Question, rng: random.Random, tone: float, values: dict[str, Any]
    ) -> Any:
        drawn = self._draw(question, rng, tone, values)
        if question.constraint_expression is None:
            return drawn
        # A constraint written as an expression: draw again until an answer meets it.
        context = expression_values(values)
        for _ in range(50):
            if drawn is None or is_true(question.constraint_expression, context, drawn):
                return drawn
            drawn = self._draw(question, rng, tone, values)
        return None

    def _draw(
        self, question: Question, rng: random.Random, tone: float, values: dict[str, Any]
    ) -> Any:
        qtype = question.type
        if qtype == "note":
            return None
        must = question.required or (qtype == "repeat" and question.min > 0)
        if not must and rng.random() < 0.4:
            return None
        draw = self._drawers.get("text" if qtype == "long_text" else qtype)
        if draw is None:
            raise ValueError(f"unknown question type {qtype!r}")
        return draw(self, question, rng, tone, values)

    def _text(self, question: Question, rng: random.Random, tone: float, values: dict) -> Any:
        limits = question.constraints
        if "pattern" in limits:
            # Only web links are drawn; other formats are left unanswered.
            if "http" not in limits["pattern"]["value"]:
                return None
            return f"https://example.org/evidence/{rng.randrange(10_000)}"
        text = rng.choice(PHRASES_BY_KEY.get(question.key, PHRASES))
        if "max_length" in limits:
            text = text[: limits["max_length"]["value"]]
        return text

    def _number(self, question: Question, rng: random.Random, tone: float, values: dict) -> Any:
        limits = question.constraints
        low = int(limits.get("min", {}).get("value", 1))
        high = int(limits.get("max", {}).get("value", low + 20))
        return Decimal(rng.randint(low, min(high, low + 20)))

    def _date(self, question: Question, rng: random.Random, tone: float, values: dict) -> Any:
        limits = question.constraints
        earliest = date.fromisoformat(limits.get("min", {}).get("value", "2015-01-01"))
        if self.earliest is not None:
            earliest = max(earliest, self.earliest)
        latest = min(
            self.today, date.fromisoformat(limits.get("max", {}).get("value", "9999-12-31"))
        )
        span = max((latest - earliest).days, 0)
        return latest - timedelta(days=rng.randint(0, min(span, 365)))

    def _yes_no(self, question: Question, rng: random.Random, tone: float, values: dict) -> Any:
        return "yes" if rng.random() < 0.4 else "no"

    def _likert(self, question: Question, rng: random.Random, tone: float, values: dict) -> Any:
        scale = [int(v) for v in question.choice_values()] or [1, 2, 3, 4, 5]
        centre = tone
        if question.kpi == "knowledge_before":
            centre = tone - 1.4
        elif question.kpi == "knowledge_after":
            centre = tone - 0.2
        return Decimal(_scale(rng, centre, min(scale), max(scale)))

    def _rating(self, question: Question, rng: random.Random, tone: float, values: dict) -> Any:
        return Decimal(_scale(rng, tone * 2 + 0.5, 0, 10))

    def _single(self, question: Question, rng: random.Random, tone: float, values: dict) -> Any:
        return rng.choice(question.choice_values())

    def _multiple(self, question: Question, rng: random.Random, tone: float, values: dict) -> Any:
        limits = question.constraints
        options = question.choice_values()
        low = int(limits.get("min", {}).get("value", 1))
        high = int(limits.get("max", {}).get("value", min(2, len(options))))
        # Earlier options are likelier, as in real answers: not every barrier is common.
        weights = [1 / (n + 1) for n in range(len(options))]
        chosen: set[str] = set()
        while len(chosen) < min(rng.randint(low, max(low, high)), len(options)):
            chosen.add(rng.choices(options, weights)[0])
        return [o for o in options if o in chosen]

    def _matrix(self, question: Question, rng: random.Random, tone: float, values: dict) -> Any:
        options = question.choice_values()
        return {row["key"]: rng.choice(options) for row in question.rows}

    def _repeat(self, question: Question, rng: random.Random, tone: float, values: dict) -> Any:
        count = rng.choice([question.min, question.min, question.min + 1, question.min + 2])
        if question.max:
            count = min(count, question.max)
        entries = []
        for _ in range(count):
            entry: dict[str, Any] = {}
            for child in question.questions:
                if child.relevant is not None and not is_true(
                    child.relevant, expression_values({**values, **entry})
                ):
                    continue
                value = self.value(child, rng, tone, values)
                if value is not None:
                    entry[child.key] = value
            entries.append(entry)
        return entries or None

    def _picked(self, question: Question, rng: random.Random, tone: float, values: dict) -> Any:
        choices: dict[str, Sequence[tuple[Any, str]]] = {
            "member": self.pickers.members,
            "activity": self.pickers.activities,
            "work_plan_item": self.pickers.items,
        }
        options = choices[question.type]
        return rng.choice(options)[0] if options else None

    _drawers: ClassVar[dict[str, Callable[..., Any]]] = {
        "text": _text,
        "integer": _number,
        "decimal": _number,
        "date": _date,
        "yes_no": _yes_no,
        "likert": _likert,
        "rating": _rating,
        "single_choice": _single,
        "multiple_choice": _multiple,
        "matrix": _matrix,
        "repeat": _repeat,
        "member": _picked,
        "activity": _picked,
        "work_plan_item": _picked,
    }
