"""Events benchmark: N people tapping «Записаться» on one event within a minute of the
announcement.

    python -m bench.events                         # 2,000 people, 1,500 seats, over 60 s
    python -m bench.events --people 20 --spread 0  # a quick check (tests/test_bench_events.py)

The machinery is bench.questionnaire's: a fresh migrated SQLite database with the sample
directory, the real `Application` against the fake Bot API in a process of its own, and
callback-query updates fed to the dispatcher directly (`Driver.press`), each handling timed.
Every person taps at a random moment within `--spread` seconds; a share (`--double`) taps
twice, as impatient people do. Afterwards the rows must show each person exactly once,
`min(seats, people)` registered, the rest waiting, and the event's seat counter equal to the
registered rows: `verified` says so, and the exit status is 1 if not.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import logging
import pstats
import random
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench.machine import calibration
from bench.questionnaire import (
    SAMPLE_ORGS,
    TOKEN,
    Breakdown,
    Driver,
    ErrorCounter,
    Figures,
    Officer,
    Screens,
    Shown,
    fake_telegram,
    percentile,
)
from bot import migrate
from bot.app import Application, settle_heap
from bot.config import Settings
from handlers.callbacks import EvAction, EvCB
from models import (
    Event,
    EventAudience,
    EventKind,
    EventRegistration,
    Organization,
    OrgLevel,
    Person,
    RegistrationStatus,
    Role,
    RoleKind,
    utcnow,
)
from services import events, orgs
from services.people import Roles
from texts import events as texts

FIRST_TELEGRAM_ID = 30_000_000


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.events", description=__doc__)
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--seats", type=int, default=1500)
    parser.add_argument("--spread", type=float, default=60.0, metavar="SECONDS")
    parser.add_argument("--double", type=float, default=0.1, help="share tapping twice")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", action="store_true", help="cProfile top 30 to stderr")
    parser.add_argument(
        "--breakdown", action="store_true", help="time inside the usual suspects (see Breakdown)"
    )
    return parser.parse_args(argv)


async def seed(app: Application, count: int, seats: int) -> int:
    """The directory, `count` registered people of primary organisations, one event."""
    async with app.session_factory() as session:
        await orgs.import_directory(session, SAMPLE_ORGS.name, SAMPLE_ORGS.read_bytes())
        primaries = list(
            await session.scalars(
                select(Organization.id).where(Organization.level == OrgLevel.PRIMARY)
            )
        )
        now = utcnow()
        session.add_all(
            Person(
                telegram_id=FIRST_TELEGRAM_ID + n,
                first_name=f"У{n}",
                org_id=primaries[n % len(primaries)],
                consent_at=now,
            )
            for n in range(count + 1)  # one more warms up
        )
        await session.flush()
        # The audience: officers of their organisations (each tap checks it).
        people_rows = await session.execute(select(Person.id, Person.org_id))
        session.add_all(
            Role(person_id=person_id, kind=RoleKind.OFFICER, org_id=org_id)
            for person_id, org_id in people_rows
        )
        await session.commit()
        draft = events.EventDraft(
            title="Семинар",
            description="",
            kind=EventKind.SEMINAR,
            starts_at=now + timedelta(days=7),
            ends_at=now + timedelta(days=7, hours=2),
            place="Курск",
            audience=EventAudience.OFFICERS,
            topic_id=None,
            capacity=seats,
        )
        event = await events.create(session, draft, 1, Roles(regional_admin=True))
        return event.id


async def verify(app: Application, event_id: int, people: int, seats: int) -> list[str]:
    async with app.session_factory() as session:
        rows = (
            await session.execute(
                select(EventRegistration.status, func.count())
                .where(EventRegistration.event_id == event_id)
                .group_by(EventRegistration.status)
            )
        ).all()
        counted = {status: int(n) for status, n in rows}
        distinct = await session.scalar(
            select(func.count(func.distinct(EventRegistration.person_id))).where(
                EventRegistration.event_id == event_id
            )
        )
        counter = await session.scalar(select(Event.registered).where(Event.id == event_id))
    registered = counted.get(RegistrationStatus.REGISTERED, 0)
    waiting = counted.get(RegistrationStatus.WAITING, 0)
    problems = []
    if registered + waiting != people or distinct != people:
        problems.append(f"{registered}+{waiting} rows, {distinct} people, expected {people}")
    if registered != min(seats, people):
        problems.append(f"{registered} registered for {seats} seats")
    if counter != registered:
        problems.append(f"seat counter {counter}, registered rows {registered}")
    return problems


async def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="bench-events-") as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        await migrate.upgrade_async(url)
        async with fake_telegram() as api_url:
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                bot_token=TOKEN,  # type: ignore[arg-type]
                database_url=url,
                telegram_api_url=api_url,
                throttle_rate=1_000_000,
                log_level="WARNING",
            )
            app = Application.build(settings)
            settle_heap()
            figures = Figures()
            errors = ErrorCounter(figures)
            error_log = logging.getLogger("handlers.errors")
            error_log.addHandler(errors)
            error_log.propagate = False
            try:
                event_id = await seed(app, args.people, args.seats)
                driver = Driver(app, Screens(), figures)
                if args.breakdown:
                    driver.breakdown = Breakdown()
                    driver.breakdown.install()
                data = EvCB(action=EvAction.JOIN, event=event_id).pack()
                announcement = Shown(1, int(time.time()), "Семинар", (((texts.JOIN, data),),))
                await driver.press(
                    Officer(FIRST_TELEGRAM_ID + args.people, "У"), announcement, data
                )
                figures.latencies.clear()
                figures.totals.clear()

                async def person(n: int, delay: float, twice: bool) -> None:
                    await asyncio.sleep(delay)
                    user = Officer(FIRST_TELEGRAM_ID + n, f"У{n}")
                    await driver.press(user, announcement, data)
                    if twice:
                        await driver.press(user, announcement, data)

                figures.calibration_s = calibration()
                profiler = cProfile.Profile() if args.profile else None
                if profiler is not None:
                    profiler.enable()
                started = time.perf_counter()
                cpu_started = time.process_time()
                await asyncio.gather(
                    *(
                        person(n, rng.uniform(0, args.spread), rng.random() < args.double)
                        for n in range(args.people)
                    )
                )
                seconds = time.perf_counter() - started
                # The confirmations follow the answered taps (handlers/later.py): all sent?
                await app.later.drain()
                cpu = time.process_time() - cpu_started
                if profiler is not None:
                    profiler.disable()
                    pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(
                        45
                    )
                # the warm-up tap registered one more person
                problems = await verify(app, event_id, args.people + 1, args.seats)
            finally:
                error_log.removeHandler(errors)
                await app.close()
    for line in problems:
        print(line, file=sys.stderr)
    latencies = figures.latencies
    extra = {} if driver.breakdown is None else {
        "breakdown": driver.breakdown.figures(len(latencies))
    }
    return {
        "people": args.people,
        "seats": args.seats,
        "taps": len(latencies),
        "seconds": round(seconds, 2),
        "p50_ms": round(percentile(latencies, 0.50), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "max_ms": round(max(latencies) * 1000, 1),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 1),
        # This process's CPU (every thread, the handed-on sends included) per tap: less
        # sensitive than the latencies to what else runs on the machine.
        "cpu_ms_per_tap": round(cpu * 1000 / len(latencies), 2),
        "with_wait_p95_ms": round(percentile(figures.totals, 0.95), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "errors": figures.errors,
        "confirmations_failed": app.later.failed,
        "error_kinds": dict(Counter(figures.error_kinds)),
        "calibration_s": round(figures.calibration_s, 3),
        "verified": not problems and not figures.errors and not app.later.failed,
        **extra,
    }


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.events`."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    figures = asyncio.run(run(args))
    print(json.dumps(figures, ensure_ascii=False), flush=True)
    return 0 if figures["verified"] else 1


if __name__ == "__main__":
    sys.exit(main())
