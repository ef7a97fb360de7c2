"""KPI benchmark on a synthetic WCO-wide decade (PostgreSQL).

It builds, in a database of its own, ten plan years of about 186 Member administrations,
1,000 activities a year with 25 participants each, their evaluation, follow-up and needs
surveys answered by sampled respondents (`app.surveys.synthetic`, within each
questionnaire's rules), then prints:

- the time of the year's KPIs as `GET /api/v1/kpis` computes them (3-(f) to 3-(j)) and as
  the staff dashboard does (with the evaluation per activity and per item, and the
  previous year's totals, which are closed and so read from their kept report), on the
  year's last day, against one hand-written SQL query of every figure of the API
  (bench/hand_written.py); medians of interleaved runs, their ratios, and whether every
  figure agrees; also the dashboard with nothing kept, a closed year's kept report, and
  the evaluation figures alone against the hand-written query of those alone;
- the peak memory of exporting a round's responses to CSV (and XLSX), each export in a
  process of its own, for a round of a tenth of the size and one of the full size, so that
  flat memory shows as two equal figures;
- last, the line ``kpis: api/hand-written ratio X; dashboard/hand-written ratio Y``.

    .venv/bin/python bench/kpis.py                 # the full decade (a few minutes)
    .venv/bin/python bench/kpis.py --scale 0.05    # a quick run: 50 activities a year

By default it creates the database `rocb_bench_<pid>` on the PostgreSQL server of
--server and drops it at the end (--keep keeps it); --database-url uses an existing empty
database instead.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.kpis.cache import year_kpis  # noqa: E402
from app.kpis.evaluation import evaluation_kpis  # noqa: E402
from app.kpis.figures import compute_kpis  # noqa: E402
from app.kpis.scope import KpiFilters, Scope  # noqa: E402
from app.models import (  # noqa: E402
    Activity,
    ActivityKind,
    Member,
    Questionnaire,
    QuestionnaireVersion,
    Response,
    SubRegion,
    SurveyRound,
)
from app.surveys.answers import answer_rows, clean  # noqa: E402
from app.surveys.model import Definition, PickerOptions  # noqa: E402
from app.surveys.synthetic import AnswerSampler  # noqa: E402
from app.surveys.versions import latest_versions, sync_definitions  # noqa: E402
from app.workplan.importer import import_workplan  # noqa: E402
from app.workplan.members import load_reference_members  # noqa: E402
from app.workplan.plan_years import get_or_create_plan_year, get_plan_year  # noqa: E402
from bench import hand_written  # noqa: E402

LAST_YEAR = 2025  # the decade ends with plan year 2025-2026
TODAY = date(2026, 11, 29)
LAST_DAY = date(LAST_YEAR + 1, 6, 30)  # the last day of the measured year: still open
NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)
KINDS = [
    (ActivityKind.NATIONAL_WORKSHOP, 40),
    (ActivityKind.SUB_REGIONAL_WORKSHOP, 12),
    (ActivityKind.REGIONAL_WORKSHOP, 12),
    (ActivityKind.MASTER_TRAINER_PROGRAMME, 6),
    (ActivityKind.TRAINING, 12),
    (ActivityKind.ACCREDITATION, 5),
    (ActivityKind.MEETING, 8),
    (ActivityKind.ONGOING_ACTION, 5),
]
CB_KINDS = {k for k, _ in KINDS[:6]}
GENDERS = (["female"] * 42) + (["male"] * 50) + ["other"] + (["undisclosed"] * 7)
EXPORT_TITLE = "WCO-wide e-learning course"


# -- the database ---------------------------------------------------------------------------


def create_database(server: str) -> str:
    name = f"rocb_bench_{os.getpid()}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return sa.make_url(server).set(database=name).render_as_string(hide_password=False)


def drop_database(server: str, url: str) -> None:
    name = sa.make_url(url).database
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def make_app(url: str):
    return create_app({"APP_CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": url})


class Ids:
    """Explicit ids for the rows written with COPY (sequences are set afterwards)."""

    def __init__(self, session) -> None:
        self.session = session
        self.next: dict[str, int] = {}

    def take(self, table: str) -> int:
        if table not in self.next:
            self.next[table] = (
                self.session.execute(sa.text(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar()
                + 1
            )
        value = self.next[table]
        self.next[table] = value + 1
        return value

    def fix_sequences(self) -> None:
        for table in self.next:
            self.session.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            )


# Columns written with COPY, parents before children.
COPY_COLUMNS = {
    "members": "id, code, name, subregion, is_rtc, is_small_island_economy, active",
    "activities": "id, plan_year_id, title, kind, modality, status, starts_on, ends_on, "
    "venue, experts, accredited_experts, created_at, updated_at, follow_up_months",
    "activity_items": "activity_id, work_plan_item_id",
    "activity_members": "activity_id, member_id",
    "participants": "id, name, email, member_id, gender, position, created_at",
    "attendances": "id, activity_id, participant_id, created_at",
    "survey_rounds": "id, version_id, kind, plan_year_id, activity_id, title, status, "
    "opens_on, closes_on, slug, created_at, open_link, anonymous, wave",
    "responses": "id, round_id, version_id, status, current_section, resume_token_hash, "
    "started_at, updated_at, submitted_at, member_id",
    "submissions": "id, response_id, submitted_at",
    "answers": "response_id, question_key, entry, item, value_text, value_number, "
    "value_date, value_choice",
    "invitations": "id, round_id, participant_id, member_id, member_key, email, name, "
    "token_hash, token_nonce, response_id, created_at, started_at, submitted_at",
    "tangible_results": "id, response_id, entry, plan_year_id, activity_id, member_id, "
    "category, description, achieved_on, evidence, status, reason, created_at",
}


class Copier:
    """Rows gathered per table and written with PostgreSQL's COPY."""

    def __init__(self, session) -> None:
        self.session = session
        self.rows: dict[str, list[tuple]] = {table: [] for table in COPY_COLUMNS}
        self.written: dict[str, int] = dict.fromkeys(COPY_COLUMNS, 0)

    def add(self, table: str, row: tuple) -> None:
        self.rows[table].append(row)

    def flush(self) -> None:
        connection = self.session.connection().connection.driver_connection
        with connection.cursor() as cursor:
            for table in COPY_COLUMNS:
                rows = self.rows[table]
                if not rows:
                    continue
                with cursor.copy(f"COPY {table} ({COPY_COLUMNS[table]}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                self.written[table] += len(rows)
                rows.clear()


def token(*parts) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


# -- the synthetic decade -------------------------------------------------------------------


class Decade:
    def __init__(self, session, scale: float, years: int, seed: int = 20261129) -> None:
        self.session = session
        self.scale = scale
        self.years = years
        self.rng = random.Random(seed)
        self.ids = Ids(session)
        self.copier = Copier(session)
        self.versions = {v.questionnaire.key: v for v in latest_versions(session)}
        self.definitions = {
            key: Definition.from_json(v.definition) for key, v in self.versions.items()
        }
        self.people: dict[int, list[tuple[int, str, str]]] = {}  # member id -> participants

    # Members -----------------------------------------------------------------------------
    def members(self, total: int = 186) -> None:
        existing = self.session.scalars(sa.select(Member).order_by(Member.id)).all()
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        codes = [f"Q{a}{b}" for a in letters for b in letters]
        regions = list(SubRegion)
        for number in range(total - len(existing)):
            self.copier.add(
                "members",
                (
                    self.ids.take("members"),
                    codes[number],
                    f"Customs administration {codes[number]}",
                    self.rng.choice(regions).value,
                    False,
                    self.rng.random() < 0.2,
                    True,
                ),
            )
        self.copier.flush()
        rows = self.session.execute(sa.select(Member.id, Member.code, Member.subregion)).all()
        self.member_codes = {i: c for i, c, _ in rows}
        self.by_region: dict[str, list[int]] = {}
        for member_id, _code, region in rows:
            self.by_region.setdefault(region.value, []).append(member_id)
        self.member_ids = [i for i, _, _ in rows]

    # Plan years --------------------------------------------------------------------------
    def plan_year(self, start: int):
        label = f"{start}-{start + 1}"
        plan_year = get_or_create_plan_year(self.session, label)
        self.session.flush()
        model = get_plan_year(self.session, f"{LAST_YEAR}-{LAST_YEAR + 1}")
        if plan_year.id != model.id:
            # The same items as the real 2025-2026 plan.
            self.session.execute(
                sa.text(
                    "INSERT INTO pillars (plan_year_id, number, title) "
                    "SELECT :p, number, title FROM pillars WHERE plan_year_id = :m "
                    "ON CONFLICT DO NOTHING"
                ),
                {"p": plan_year.id, "m": model.id},
            )
            self.session.execute(
                sa.text(
                    "INSERT INTO work_plan_items (plan_year_id, pillar, code, position, title, "
                    "rsp, kpi) SELECT :p, pillar, code, position, title, rsp, kpi "
                    "FROM work_plan_items WHERE plan_year_id = :m ON CONFLICT DO NOTHING"
                ),
                {"p": plan_year.id, "m": model.id},
            )
        return plan_year

    def items_of(self, plan_year) -> list[int]:
        return list(
            self.session.scalars(
                sa.text("SELECT id FROM work_plan_items WHERE plan_year_id = :p ORDER BY id"),
                {"p": plan_year.id},
            )
        )

    # Answer pools ------------------------------------------------------------------------
    def pools(self) -> None:
        """Sampled answer sets, as answer-row tuples, drawn once and reused: evaluations by
        how well the activity went (tone), follow-ups."""
        rng = random.Random(7)
        evaluation = self.definitions["participant-evaluation"]
        sampler = AnswerSampler(evaluation, today=TODAY)
        self.tones = [2.6, 3.0, 3.4, 3.8, 4.2, 4.6]
        self.evaluation_pool = {
            tone: [self.rows(evaluation, sampler.sample(rng, tone)) for _ in range(150)]
            for tone in self.tones
        }
        follow_up = self.definitions["follow-up-action"]
        sampler = AnswerSampler(follow_up, today=TODAY)
        self.follow_up_pool = []
        for _ in range(400):
            values = sampler.sample(rng, rng.uniform(3.0, 4.6))
            self.follow_up_pool.append(
                (self.rows(follow_up, values), values.get("tangible_results") or [])
            )
        needs = self.definitions["needs-assessment"]
        self.needs_sampler = AnswerSampler(
            needs, PickerOptions(members=[(c, c) for c in self.member_codes.values()]), TODAY
        )

    @staticmethod
    def rows(definition: Definition, values: dict) -> list[tuple]:
        return [
            (
                row["question_key"],
                row["entry"],
                row["item"],
                row.get("value_text"),
                row.get("value_number"),
                row.get("value_date"),
                row.get("value_choice"),
            )
            for row in answer_rows(definition, definition.questions(), clean(definition, values))
        ]

    # One year ----------------------------------------------------------------------------
    def year(self, start: int, activities: int) -> None:
        rng = self.rng
        plan_year = self.plan_year(start)
        items = self.items_of(plan_year)
        first = date(start, 7, 1)
        kinds, weights = zip(*KINDS, strict=True)
        for number in range(activities):
            kind = rng.choices(kinds, weights)[0]
            activity_id = self.ids.take("activities")
            starts = first + timedelta(days=rng.randrange(355))
            ends = starts + timedelta(days=rng.randint(0, 4))
            status = rng.choices(["delivered", "confirmed", "planned", "cancelled"], [90, 2, 4, 4])[
                0
            ]
            if kind is ActivityKind.ONGOING_ACTION or ends >= TODAY:
                status = "planned" if status == "delivered" else status
            experts = rng.randint(0, 4)
            self.copier.add(
                "activities",
                (
                    activity_id,
                    plan_year.id,
                    f"{kind.label} {start}-{number:04d}",
                    kind.value,
                    rng.choice(["in_person", "virtual", "hybrid"]),
                    status,
                    starts,
                    ends,
                    "",
                    experts,
                    rng.randint(0, experts),
                    NOW,
                    NOW,
                    "",
                ),
            )
            for item in rng.sample(items, rng.choice([1, 1, 2])):
                self.copier.add("activity_items", (activity_id, item))
            hosts = self.hosts(kind)
            for member_id in hosts:
                self.copier.add("activity_members", (activity_id, member_id))
            if status == "delivered":
                self.delivered(plan_year, activity_id, ends, hosts, kind in CB_KINDS)
        self.needs(plan_year, first)
        self.copier.flush()

    def hosts(self, kind: ActivityKind) -> list[int]:
        rng = self.rng
        if kind is ActivityKind.NATIONAL_WORKSHOP:
            return [rng.choice(self.member_ids)]
        if kind is ActivityKind.SUB_REGIONAL_WORKSHOP:
            region = rng.choice(list(self.by_region.values()))
            return rng.sample(region, min(len(region), rng.randint(3, 6)))
        if kind is ActivityKind.REGIONAL_WORKSHOP:
            return rng.sample(self.member_ids, rng.randint(8, 20))
        return rng.sample(self.member_ids, rng.randint(1, 3))

    def participant(self, member_id: int) -> tuple[int, str, str]:
        """Someone of that Member: four times in ten a person who attended before."""
        known = self.people.setdefault(member_id, [])
        if known and self.rng.random() < 0.4:
            return self.rng.choice(known)
        person_id = self.ids.take("participants")
        name = f"Participant {person_id}"
        email = f"p{person_id}@customs-{member_id}.example"
        self.copier.add(
            "participants",
            (person_id, name, email, member_id, self.rng.choice(GENDERS), "Officer", NOW),
        )
        known.append((person_id, name, email))
        return person_id, name, email

    def survey_round(self, key, plan_year, activity_id, opens, days, wave=None) -> int:
        round_id = self.ids.take("survey_rounds")
        version = self.versions[key]
        closes = opens + timedelta(days=days)
        self.copier.add(
            "survey_rounds",
            (
                round_id,
                version.id,
                version.questionnaire.kind.value,
                plan_year.id,
                activity_id,
                f"{key} {round_id}",
                "closed" if closes < TODAY else "open",
                opens,
                closes,
                token("slug", round_id)[:16],
                NOW,
                wave is None and activity_id is not None,
                False,
                wave,
            ),
        )
        return round_id

    def respond(self, round_id, key, member_id, when, rows) -> int:
        response_id = self.ids.take("responses")
        moment = datetime(when.year, when.month, when.day, 10, tzinfo=UTC)
        self.copier.add(
            "responses",
            (
                response_id,
                round_id,
                self.versions[key].id,
                "submitted",
                len(self.definitions[key].sections) - 1,
                token("response", response_id),
                moment,
                moment,
                moment,
                member_id,
            ),
        )
        self.copier.add("submissions", (self.ids.take("submissions"), response_id, moment))
        for row in rows:
            self.copier.add("answers", (response_id, *row))
        return response_id

    def invite(self, round_id, member_id, person, response_id, when) -> None:
        invitation_id = self.ids.take("invitations")
        moment = datetime(when.year, when.month, when.day, 10, tzinfo=UTC) if response_id else None
        person_id, name, email = person if person else (None, "", "")
        self.copier.add(
            "invitations",
            (
                invitation_id,
                round_id,
                person_id,
                member_id,
                None if person else member_id,
                email,
                name or self.member_codes[member_id],
                token("invitation", invitation_id),
                token("nonce", invitation_id)[:32],
                response_id,
                NOW,
                moment,
                moment,
            ),
        )

    def delivered(self, plan_year, activity_id, ends: date, hosts: list[int], cb: bool) -> None:
        """25 participants (fewer when the same person is drawn twice); a capacity-building
        activity also has its evaluation and its follow-up, answered by some of them."""
        rng = self.rng
        people = []
        for _ in range(25):
            member_id = rng.choice(hosts)
            person = self.participant(member_id)
            if any(p[1][0] == person[0] for p in people):
                continue
            people.append((member_id, person))
            self.copier.add(
                "attendances", (self.ids.take("attendances"), activity_id, person[0], NOW)
            )
        if not cb:
            return
        evaluation = self.survey_round("participant-evaluation", plan_year, activity_id, ends, 14)
        pool = self.evaluation_pool[rng.choice(self.tones)]
        follow_up = self.survey_round(
            "follow-up-action", plan_year, activity_id, ends + timedelta(days=182), 30, wave=1
        )
        for member_id, person in people:
            when = ends + timedelta(days=rng.randint(0, 10))
            response_id = None
            if rng.random() < 0.7:
                response_id = self.respond(
                    evaluation, "participant-evaluation", member_id, when, rng.choice(pool)
                )
            self.invite(evaluation, member_id, person, response_id, when)
            when = ends + timedelta(days=182 + rng.randint(0, 20))
            response_id = None
            if when < TODAY and rng.random() < 0.4:
                rows, results = rng.choice(self.follow_up_pool)
                response_id = self.respond(follow_up, "follow-up-action", member_id, when, rows)
                for entry, result in enumerate(results, start=1):
                    self.copier.add(
                        "tangible_results",
                        (
                            self.ids.take("tangible_results"),
                            response_id,
                            entry,
                            plan_year.id,
                            activity_id,
                            member_id,
                            result.get("result_category", ""),
                            result.get("result_description", ""),
                            result.get("result_date"),
                            result.get("result_evidence", ""),
                            rng.choice(["reported", "verified", "verified"]),
                            "",
                            NOW,
                        ),
                    )
            self.invite(follow_up, member_id, person, response_id, when)

    def needs(self, plan_year, first: date) -> None:
        rng = self.rng
        round_id = self.survey_round("needs-assessment", plan_year, None, first, 60)
        for member_id in self.member_ids:
            when = first + timedelta(days=rng.randint(0, 59))
            response_id = None
            if rng.random() < 0.6:
                values = self.needs_sampler.sample(
                    rng, 4.0, {"member": self.member_codes[member_id]}
                )
                rows = self.rows(self.definitions["needs-assessment"], values)
                response_id = self.respond(round_id, "needs-assessment", member_id, when, rows)
            self.invite(round_id, member_id, None, response_id, when)

    # A large round for the export ------------------------------------------------------------
    def export_round(self, start: int, responses: int) -> int:
        """One evaluation round answered ``responses`` times (a WCO-wide e-learning course
        evaluated through its open link), in a plan year of its own."""
        rng = self.rng
        plan_year = get_or_create_plan_year(self.session, f"{start}-{start + 1}")
        self.session.flush()
        activity_id = self.ids.take("activities")
        ends = date(start, 9, 30)
        self.copier.add(
            "activities",
            (
                activity_id,
                plan_year.id,
                f"{EXPORT_TITLE} {start} ({responses} responses)",
                "training",
                "virtual",
                "delivered",
                ends - timedelta(days=60),
                ends,
                "",
                0,
                0,
                NOW,
                NOW,
                "",
            ),
        )
        round_id = self.survey_round("participant-evaluation", plan_year, activity_id, ends, 60)
        pools = [row for tone in self.tones for row in self.evaluation_pool[tone]]
        for number in range(responses):
            self.respond(
                round_id,
                "participant-evaluation",
                rng.choice(self.member_ids),
                ends + timedelta(days=number % 60),
                rng.choice(pools),
            )
            if number % 50_000 == 49_999:
                self.copier.flush()
        self.copier.flush()
        return round_id


# -- measurements ---------------------------------------------------------------------------


def median_times(functions: list, runs: int) -> list[tuple[float, object]]:
    """Median time and last result of each function. The functions take turns, once to
    warm the caches and then ``runs`` times, so a slow moment of the machine falls on all
    of them alike."""
    results = [function() for function in functions]
    times: list[list[float]] = [[] for _ in functions]
    for _ in range(runs):
        for index, function in enumerate(functions):
            started = time.perf_counter()
            results[index] = function()
            times[index].append(time.perf_counter() - started)
    return [(statistics.median(t), r) for t, r in zip(times, results, strict=True)]


def memory_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak since the last reset) of this process, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def export_child(url: str, round_id: int, fmt: str) -> None:
    """Run in a process of its own: export one round the way the download does, into a
    temporary file, and report the process's resident memory before and at its peak."""
    from app.kpis import exports
    from app.kpis.response_csv import response_csv

    app = make_app(url)
    with app.app_context():
        survey_round = db.session.get(SurveyRound, round_id)
        survey_round.version  # noqa: B018 (loaded before the baseline)
        before = memory_mb("VmRSS")
        # Reset the peak ("high water mark") to the current size, so what follows is the
        # export's own peak (Linux: writing 5 to clear_refs).
        Path("/proc/self/clear_refs").write_text("5")
        started = time.perf_counter()
        with tempfile.TemporaryFile() as out:
            if fmt == "csv":
                for text in response_csv(db.session, survey_round):
                    out.write(text.encode("utf-8"))
            else:
                handle = exports.xlsx_file(
                    {
                        "responses": exports.response_rows(db.session, survey_round),
                        "repeats": exports.repeat_rows(db.session, survey_round),
                    }
                )
                for chunk in exports.file_chunks(handle):
                    out.write(chunk)
            size = out.tell()
        seconds = time.perf_counter() - started
        peak = memory_mb("VmHWM")
    print(json.dumps({"before_mb": before, "peak_mb": peak, "seconds": seconds, "bytes": size}))


def measure_export(url: str, round_id: int, fmt: str) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--export-child", str(round_id), fmt, "--database-url", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


# -- main -----------------------------------------------------------------------------------


def build(session, args) -> Decade:
    """The decade. The export rounds come later (`build_export_rounds`): two rounds of
    hundreds of thousands of responses would skew the planner's statistics of a decade
    whose rounds have a few dozen responses each."""
    started = time.perf_counter()
    load_reference_members(session)
    sync_definitions(session, [ROOT / "surveys"])
    text = (ROOT / "data" / "workplans" / f"{LAST_YEAR}-{LAST_YEAR + 1}.txt").read_text()
    import_workplan(session, text, f"{LAST_YEAR}-{LAST_YEAR + 1}")
    decade = Decade(session, args.scale, args.years)
    decade.members(args.members)
    decade.pools()
    activities = max(1, round(1000 * args.scale))
    for start in range(LAST_YEAR - args.years + 1, LAST_YEAR + 1):
        decade.year(start, activities)
        print(f"  plan year {start}-{start + 1}: {activities} activities", flush=True)
    decade.ids.fix_sequences()
    session.commit()
    rows = decade.copier.written
    print(
        f"Built in {time.perf_counter() - started:.0f} s: {args.members} Members, "
        f"{rows['activities']} activities, {rows['participants']} participants, "
        f"{rows['attendances']} attendances, {rows['survey_rounds']} rounds, "
        f"{rows['invitations']} invitations, {rows['responses']} responses, "
        f"{rows['answers']} answer rows, {rows['tangible_results']} tangible results.",
        flush=True,
    )
    return decade


def build_export_rounds(session, decade: Decade, args) -> None:
    """A round of a tenth of the export size and one of the full size, in plan years of
    their own before the decade."""
    started = time.perf_counter()
    size = max(10, round(args.export * args.scale))
    decade.export_round(LAST_YEAR - args.years - 1, size // 10)
    decade.export_round(LAST_YEAR - args.years, size)
    decade.ids.fix_sequences()
    session.commit()
    print(f"\nExport rounds built in {time.perf_counter() - started:.0f} s.", flush=True)


def export_rounds(session) -> list[tuple[int, int]]:
    """(round id, responses) of the two export rounds, smaller first."""
    return [
        tuple(row)
        for row in session.execute(
            sa.select(SurveyRound.id, sa.func.count(Response.id))
            .join(Activity, Activity.id == SurveyRound.activity_id)
            .join(Response, Response.round_id == SurveyRound.id)
            .where(Activity.title.like(f"{EXPORT_TITLE}%"))
            .group_by(SurveyRound.id)
            .order_by(sa.func.count(Response.id))
        )
    ]


def needs_areas(session) -> dict[str, set[str]]:
    """The needs questionnaire's thematic areas and the work-plan items that serve them."""
    version = session.scalar(
        sa.select(QuestionnaireVersion)
        .join(Questionnaire)
        .where(Questionnaire.key == "needs-assessment")
        .order_by(QuestionnaireVersion.number.desc())
        .limit(1)
    )
    definition = Definition.from_json(version.definition)
    return {c.value: set(c.items) for c in definition.choice_lists["areas"] if c.items}


def measure_kpis(session, runs: int) -> tuple[bool, float, float]:
    """Time the year's KPIs as the API and the dashboard compute them on the year's last
    day (the year is open: computed on every request; the previous year is closed, its
    report kept), against one hand-written query of every figure of the API; check the
    figures agree. Returns (same figures, API / hand-written, dashboard / hand-written)."""
    year = f"{LAST_YEAR}-{LAST_YEAR + 1}"
    previous = f"{LAST_YEAR - 1}-{LAST_YEAR}"
    plan_year = get_plan_year(session, year)
    everything = hand_written.statement(needs_areas(session))
    evaluation_sql = sa.text(hand_written.EVALUATION)

    def api():
        """GET /api/v1/kpis: 3-(f) to 3-(j), totals."""
        return year_kpis(session, year, KpiFilters(), 3, LAST_DAY, breakdown=False).as_api()

    def dashboard():
        """The staff dashboard: the year with its evaluation per activity and per item,
        and the previous year's totals for the change column (kept: it is closed)."""
        return (
            year_kpis(session, year, KpiFilters(), 3, LAST_DAY),
            year_kpis(session, previous, KpiFilters(), 3, LAST_DAY, breakdown=False),
        )

    def dashboard_nothing_kept():
        return (
            compute_kpis(session, year, KpiFilters(), 3, LAST_DAY),
            compute_kpis(session, previous, KpiFilters(), 3, LAST_DAY, breakdown=False),
        )

    def api_once_closed():
        """The same request after the year has closed: its kept report."""
        return year_kpis(session, year, KpiFilters(), 3, TODAY, breakdown=False).as_api()

    def evaluation_only():
        return evaluation_kpis(Scope(session, plan_year, KpiFilters(), LAST_DAY), 3, False)

    def by_hand():
        return hand_written.hand_written_kpis(
            session, everything, plan_year.id, plan_year.starts_on, LAST_DAY
        )

    def by_hand_evaluation():
        return session.execute(evaluation_sql, {"year": plan_year.id}).one()

    dashboard()
    api_once_closed()
    session.commit()  # the closed years' reports, as the pages keep them
    timed = median_times(
        [
            api,
            dashboard,
            by_hand,
            dashboard_nothing_kept,
            api_once_closed,
            evaluation_only,
            by_hand_evaluation,
        ],
        runs,
    )
    seconds = [t for t, _ in timed]
    figures, (full, _previous), hand = timed[0][1], timed[1][1], timed[2][1]
    session.rollback()
    differences = hand_written.differences(figures, hand)
    if full.as_api() != figures:
        differences.append("the dashboard's totals differ from the API's")
    if timed[4][1] != figures:
        differences.append("the kept report of the closed year differs from the computation")
    print(
        f"\nKPIs of {year} ({figures['activities']['delivered']} delivered activities, "
        f"{figures['activities']['participants']} participants, "
        f"{figures['evaluation']['responses']} evaluation responses), median of {runs} runs, "
        f"on the year's last day:"
    )
    labels = [
        "API: GET /api/v1/kpis, 3-(f) to 3-(j), computed",
        "dashboard: the year, the previous year kept",
        "hand-written SQL, every figure of the API",
        "dashboard with nothing kept (both years computed)",
        "API once the year has closed (its kept report)",
        "the evaluation figures (3-(h)) alone",
        "hand-written SQL, the evaluation figures alone",
    ]
    for label, value in zip(labels, seconds, strict=True):
        print(f"  {label:52} {value * 1000:8.1f} ms")
    api_ratio, dashboard_ratio = seconds[0] / seconds[2], seconds[1] / seconds[2]
    for label, value in [
        ("API / hand-written", api_ratio),
        ("dashboard / hand-written", dashboard_ratio),
        ("dashboard with nothing kept / hand-written", seconds[3] / seconds[2]),
        ("API / hand-written evaluation figures alone", seconds[0] / seconds[6]),
        ("evaluation figures / hand-written evaluation", seconds[5] / seconds[6]),
    ]:
        print(f"  {label:52} {value:8.2f}x")
    print(
        "  same figures as the hand-written query: "
        + ("yes" if not differences else "NO\n    " + "\n    ".join(differences))
    )
    return not differences, api_ratio, dashboard_ratio


def vacuum(url: str) -> None:
    """What autovacuum does to a live database: visibility map and planner statistics."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1.0, help="activities and export size")
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--members", type=int, default=186)
    parser.add_argument("--export", type=int, default=250_000, help="responses, at scale 1")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--no-xlsx", action="store_true", help="measure the CSV export only")
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL database to use: empty (it is built), or built by an earlier\n"
        "run with --keep (measured again)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database it creates")
    parser.add_argument("--export-child", nargs=2, metavar=("ROUND_ID", "FORMAT"))
    args = parser.parse_args()
    if args.export_child:
        export_child(args.database_url, int(args.export_child[0]), args.export_child[1])
        return 0

    created = args.database_url is None
    url = args.database_url or create_database(args.server)
    if not url.startswith("postgresql"):
        parser.error("the benchmark runs on PostgreSQL")
    try:
        app = make_app(url)
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            session = db.session
            decade = None
            if not session.scalar(sa.select(sa.func.count()).select_from(Activity)):
                print(f"Building a synthetic decade in {sa.make_url(url).database} ...")
                decade = build(session, args)
                vacuum(url)
            same, api_ratio, dashboard_ratio = measure_kpis(session, args.runs)
            if decade is not None:
                build_export_rounds(session, decade, args)
            rounds = export_rounds(session)
            db.engine.dispose()
        print("\nExport of a round's responses, each in a process of its own (resident memory):")
        for round_id, size in rounds:
            for fmt in ["csv"] if args.no_xlsx else ["csv", "xlsx"]:
                figures = measure_export(url, round_id, fmt)
                print(
                    f"  {fmt.upper():4} {size:>8} responses: peak {figures['peak_mb']:6.1f} MB "
                    f"(before the export {figures['before_mb']:6.1f} MB), "
                    f"{figures['seconds']:6.1f} s, {figures['bytes'] / 1e6:7.1f} MB written",
                    flush=True,
                )
        print(
            f"kpis: api/hand-written ratio {api_ratio:.2f}; "
            f"dashboard/hand-written ratio {dashboard_ratio:.2f}"
        )
        return 0 if same else 1
    finally:
        if created and not args.keep:
            drop_database(args.server, url)


if __name__ == "__main__":
    sys.exit(main())
