"""Report benchmark: the full monitoring export of a large region over two years.

    python -m bench.report                         # 700 organisations × 8 quarters
    python -m bench.report --orgs 398 --quarters 1 # the sample directory, one quarter
    python -m bench.report --keep out/             # also write report.xlsx and report.csv there
    python -m bench.report --repeat 5              # the first export and 4 more (runs_s)
    python -m bench.report --profile               # cProfile top 25 to stderr

A fresh SQLite database (migrated with bot.migrate) gets the sample Kursk directory, synthetic
primary organisations spread over the territories until `--orgs` organisations must submit
(the sample has 398), one officer per organisation, and `--quarters` campaigns opened with
the default questionnaire in which every organisation has submitted. Each submission holds
what the chat would have stored: the questions shown to its level and earlier answers, each
answered (optional ones sometimes skipped) with a plausible random value. Seeding is bulk
inserts and is not measured.

Measured, as a chat handler or the command line would run it: `load_report` of every
quarter for the whole region, then `build_xlsx` and `build_csv` of it; wall time of each step
and of all three, and the CPU time of all three (`cpu_s`; about the wall time: the export
waits for nothing, neither the database nor a lock). The figures are the first export in the
process, as after a restart of the bot; `--repeat` adds more runs to `runs_s`.
`calibration_s`, a fixed pure-Python loop timed just before, shows how fast the machine was
at the time: compare runs by it (0.12 s on the 2-vCPU VM where the export took 3.6 s).

Memory is the peak growth of the resident set above what it was right before the export,
with the dataset and both files still held at the end, as a handler holds them until they are
sent. It is sampled from /proc/self/statm by a thread every 5 ms: the interpreter's switch
interval, so no thread could look more often while the export holds the GIL, and what the
export allocates stays allocated far longer than that. Not a delta of getrusage's max RSS:
that is the high-water mark of the whole process, which seeding 90 000 answers has already
raised above the RSS right before the export, so the delta would count only what the export
adds above the seeding's peak (less than its growth, or 0). The high-water mark is printed
for the record (`peak_rss_mb`).

Targets: under 5 s and under 100 MB. One JSON line on stdout; exit status 1 if a target is
missed or the output is not what was seeded.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import json
import os
import pstats
import random
import resource
import sys
import tempfile
import threading
import time
import zipfile
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.machine import calibration
from bot import migrate
from bot.db import create_engine, create_session_factory
from models import Answer, Organization, OrgLevel, Person, Submission, SubmissionStatus
from services import orgs
from services.monitoring import campaigns, versions
from services.monitoring.questionnaire import (
    Question,
    Questionnaire,
    QuestionType,
    is_relevant,
)
from services.reports.data import campaigns_for_report, load_report
from services.reports.export import build_csv, build_xlsx

SAMPLE_ORGS = Path(__file__).resolve().parent.parent / "samples" / "kursk_orgs.csv"
SCHEDULE = campaigns.Schedule()
FIRST_YEAR = 2025
TARGET_SECONDS = 5.0
TARGET_MB = 100.0
PAGE = os.sysconf("SC_PAGE_SIZE")
TEXTS = (
    "Иванова Анна Сергеевна, председатель первичной профсоюзной организации",
    "Петров Павел Андреевич, заместитель председателя",
    "Всё по плану; нужна помощь с обновлением сайта и оформлением публичного отчёта.",
    "Провели конкурс среди молодых педагогов и выпустили листовку к Дню учителя.",
    "Квесты для молодых педагогов",
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; the defaults are the 700 × 8 run of the README."""
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__)
    parser.add_argument("--orgs", type=int, default=700, help="organisations that must submit")
    parser.add_argument("--quarters", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0, help="random answers")
    parser.add_argument("--keep", type=Path, default=None, help="folder for the output files")
    parser.add_argument("--repeat", type=int, default=1, help="exports in all (runs_s)")
    parser.add_argument("--profile", action="store_true", help="cProfile top 25 to stderr")
    return parser.parse_args(argv)


# --- data ------------------------------------------------------------------------------------


async def seed(sessions: async_sessionmaker[AsyncSession], args: argparse.Namespace) -> int:
    """Directory, officers, campaigns, submissions with answers; returns the answers stored."""
    rng = random.Random(args.seed)
    async with sessions() as session:
        await orgs.import_directory(session, SAMPLE_ORGS.name, SAMPLE_ORGS.read_bytes())
        await add_synthetic_orgs(session, args.orgs)
        levels = await member_levels(session)
        officers = await add_officers(session, list(levels))
        questionnaire = versions.definition(await versions.current(session))
        stored = 0
        for number in range(args.quarters):
            year, quarter = FIRST_YEAR + number // 4, number % 4 + 1
            campaign = await open_quarter(session, year, quarter)
            stored += await submit_all(
                session, campaign.id, questionnaire, levels, officers, end_of(year, quarter), rng
            )
        await session.commit()
    return stored


async def add_synthetic_orgs(session: AsyncSession, wanted: int) -> None:
    """Primary organisations spread over the territories until `wanted` must submit."""
    territories = list(
        await session.scalars(
            select(Organization.id)
            .where(Organization.level == OrgLevel.TERRITORIAL)
            .order_by(Organization.code)
        )
    )
    present = len(await member_levels(session))
    rows = [
        {
            "code": f"46-99-{n:04d}",
            "parent_id": territories[n % len(territories)],
            "level": OrgLevel.PRIMARY,
            "name": f"МБОУ «Средняя общеобразовательная школа № {100 + n}» (синтетическая)",
        }
        for n in range(max(0, wanted - present))
    ]
    if rows:
        await session.execute(insert(Organization), rows)
        await session.commit()


async def member_levels(session: AsyncSession) -> dict[int, str]:
    """Organisations that must submit (all but the regional one) → their level."""
    result = await session.execute(
        select(Organization.id, Organization.level).where(Organization.level != OrgLevel.REGIONAL)
    )
    return {org_id: level.value for org_id, level in result}


async def add_officers(session: AsyncSession, org_ids: list[int]) -> dict[int, int]:
    """One person per organisation, named as Telegram would give them; org id → person id."""
    now = datetime.now(UTC)
    await session.execute(
        insert(Person),
        [
            {
                "telegram_id": 30_000_000 + n,
                "first_name": f"Ответственный{n}",
                "last_name": "Тестовый",
                "org_id": org_id,
                "consent_at": now,
            }
            for n, org_id in enumerate(org_ids)
        ],
    )
    await session.commit()
    result = await session.execute(select(Person.org_id, Person.id))
    return {org_id: person_id for org_id, person_id in result if org_id is not None}


async def open_quarter(session: AsyncSession, year: int, quarter: int) -> Any:
    opens_at, deadline = SCHEDULE.window(year, quarter * 3)
    return await campaigns.open_campaign(
        session, SCHEDULE, year=year, quarter=quarter, opens_at=opens_at, deadline=deadline
    )


def end_of(year: int, quarter: int) -> date:
    return date(year + quarter // 4, quarter * 3 % 12 + 1, 1) - timedelta(days=1)


async def submit_all(
    session: AsyncSession,
    campaign_id: int,
    questionnaire: Questionnaire,
    levels: dict[int, str],
    officers: dict[int, int],
    quarter_end: date,
    rng: random.Random,
) -> int:
    """Every organisation submitted, with what the chat would have stored; answers stored."""
    submitted_at = datetime.combine(quarter_end, clock(12), UTC)
    first_id = int(await session.scalar(select(func.coalesce(func.max(Submission.id), 0))) or 0)
    submissions, answers = [], []
    for offset, (org_id, level) in enumerate(sorted(levels.items()), 1):
        submission_id = first_id + offset
        person = officers[org_id]
        submissions.append(
            {
                "id": submission_id,
                "campaign_id": campaign_id,
                "org_id": org_id,
                "status": SubmissionStatus.SUBMITTED,
                "submitted_at": submitted_at,
                "submitted_by_person_id": person,
            }
        )
        for question_id, value in answers_of(questionnaire, level, quarter_end, rng).items():
            answers.append(
                {
                    "submission_id": submission_id,
                    "question_id": question_id,
                    "value": value,
                    "answered_by_person_id": person,
                    "answered_at": submitted_at - timedelta(minutes=rng.randint(1, 600)),
                }
            )
    await session.execute(insert(Submission), submissions)
    await session.execute(insert(Answer), answers)
    await session.commit()
    return len(answers)


def answers_of(
    questionnaire: Questionnaire, level: str, quarter_end: date, rng: random.Random
) -> dict[str, Any]:
    """One organisation's answers: each question shown, in order, gets a plausible value."""
    answers: dict[str, Any] = {}
    for question in questionnaire.questions:
        if question.answerable and is_relevant(question, answers, level):
            answers[question.id] = fake_answer(question, quarter_end, rng)
    return answers


def fake_answer(question: Question, quarter_end: date, rng: random.Random) -> Any:
    """A value the question's parser could have produced; optional ones skipped at times."""
    if not question.required and rng.random() < 0.25:
        return None
    kind = question.type
    if kind is QuestionType.YES_NO:
        return rng.random() < 0.75
    if kind is QuestionType.SELECT_ONE:
        return rng.choice(question.options).id
    if kind is QuestionType.SELECT_MULTIPLE:
        chosen = [c.id for c in question.options if rng.random() < 0.4]
        return chosen or [question.options[0].id]
    if kind is QuestionType.INTEGER:
        low = int(question.validation.min.value) if question.validation.min else 0
        return rng.randint(low, low + 20)
    if kind in (QuestionType.DECIMAL, QuestionType.PERCENT):
        return round(rng.uniform(40, 100), 1)
    if kind is QuestionType.URL:
        return f"https://school{rng.randint(1, 99999)}.ru/profsoyuz"
    if kind is QuestionType.DATE:
        return (quarter_end - timedelta(days=rng.randint(0, 80))).isoformat()
    return rng.choice(TEXTS)


# --- measuring -------------------------------------------------------------------------------


def rss() -> int:
    """The resident set now, in bytes."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


class PeakSampler(threading.Thread):
    """The highest resident set seen while running, sampled every 5 ms."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = rss()
        self._finished = threading.Event()

    def run(self) -> None:
        while not self._finished.wait(0.005):
            self.peak = max(self.peak, rss())

    def stop(self) -> int:
        self._finished.set()
        self.join()
        self.peak = max(self.peak, rss())
        return self.peak


async def export(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    """The measured part: load every quarter, XLSX, CSV."""
    started, cpu = time.perf_counter(), time.process_time()
    async with sessions() as session:
        ids = await campaigns_for_report(session, all_quarters=True)
        dataset = await load_report(session, ids)
    loaded = time.perf_counter()
    xlsx = build_xlsx(dataset)
    built = time.perf_counter()
    csv_bytes = build_csv(dataset)
    done = time.perf_counter()
    return {
        "dataset": dataset,
        "xlsx": xlsx,
        "csv": csv_bytes,
        "load_s": loaded - started,
        "xlsx_s": built - loaded,
        "csv_s": done - built,
        "total_s": done - started,
        "cpu_s": time.process_time() - cpu,  # all threads: the sampler's share is tiny
    }


def verify(result: dict[str, Any], args: argparse.Namespace, answers: int) -> list[str]:
    """What was seeded is what came out: rows, answers, a readable zip, CSV lines."""
    problems = []
    dataset = result["dataset"]
    expected_rows = args.orgs * args.quarters
    if len(dataset.rows) != expected_rows or not all(row.submitted for row in dataset.rows):
        problems.append(f"{len(dataset.rows)} rows, expected {expected_rows} submitted")
    counted = sum(len(row.answers) for row in dataset.rows)
    if counted != answers:
        problems.append(f"{counted} answers loaded, {answers} stored")
    with zipfile.ZipFile(io.BytesIO(result["xlsx"])) as archive:
        if archive.testzip() is not None:
            problems.append("the XLSX is corrupt")
    lines = result["csv"].count(b"\r\n")
    if lines != expected_rows + 1:
        problems.append(f"CSV has {lines} lines, expected {expected_rows + 1}")
    return problems


async def measure(
    sessions: async_sessionmaker[AsyncSession], profiler: cProfile.Profile | None
) -> tuple[dict[str, Any], int, int]:
    """One export with its resident set right before and at its peak (bytes)."""
    gc.collect()
    before = rss()
    sampler = PeakSampler()
    sampler.start()
    if profiler is not None:
        profiler.enable()
    try:
        result = await export(sessions)
    finally:
        if profiler is not None:
            profiler.disable()
        peak = sampler.stop()
    return result, before, peak


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Seed, then export `--repeat` times; the figures are the first export's (the first in
    the process, as after a restart of the bot), `runs_s` lists every run's seconds."""
    profiler = cProfile.Profile() if args.profile else None
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-report-") as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        await migrate.upgrade_async(url)
        engine = create_engine(url)
        sessions = create_session_factory(engine)
        try:
            seeding = time.perf_counter()
            answers = await seed(sessions, args)
            seeding = time.perf_counter() - seeding
            loop_s = calibration()
            result, before, peak = await measure(sessions, profiler)
            for _ in range(args.repeat - 1):
                runs.append((await measure(sessions, None))[0]["total_s"])
        finally:
            await engine.dispose()
    if profiler is not None:
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        (args.keep / "report.xlsx").write_bytes(result["xlsx"])
        (args.keep / "report.csv").write_bytes(result["csv"])
    problems = verify(result, args, answers)
    for problem in problems:
        print(problem, file=sys.stderr)
    growth_mb = (peak - before) / 2**20
    return {
        "command": " ".join(["python -m bench.report", *sys.argv[1:]]),
        "orgs": args.orgs,
        "quarters": args.quarters,
        "answers": answers,
        "seconds": round(result["total_s"], 2),
        "load_s": round(result["load_s"], 2),
        "xlsx_s": round(result["xlsx_s"], 2),
        "csv_s": round(result["csv_s"], 2),
        "cpu_s": round(result["cpu_s"], 2),
        "runs_s": [round(result["total_s"], 2), *(round(s, 2) for s in runs)],
        "rss_growth_mb": round(growth_mb, 1),
        "rss_before_mb": round(before / 2**20, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "xlsx_mb": round(len(result["xlsx"]) / 2**20, 2),
        "csv_mb": round(len(result["csv"]) / 2**20, 2),
        "seeding_s": round(seeding, 1),
        "calibration_s": round(loop_s, 3),
        "verified": not problems,
        "targets_met": result["total_s"] < TARGET_SECONDS and growth_mb < TARGET_MB,
    }


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.report`."""
    args = parse_args(argv)
    figures = asyncio.run(run(args))
    print(json.dumps(figures, ensure_ascii=False), flush=True)
    return 0 if figures["verified"] and figures["targets_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
