"""Plan reminders benchmark: one sweep when «председатели ТПО и ППО» reaches every chair and
officer of the sample directory at once.

    python -m bench.plan                 # the sample Kursk directory: 33 chairs + 365 officers

A fresh SQLite database gets the sample directory, a territorial admin per territory and an
officer per primary organisation, and the 2022 sample plan; the clock is set to 14 days before
the end of February 2022, when item 1 (responsible: «Председатели ТПО и ППО») falls due. The
sweep runs twice: the first queues every reminder as one outbox broadcast, the second must
queue nothing (the once-only rows). Then the delivery worker, configured as by default, sends
it to the fake Bot API. Seeding is not measured. One JSON line on stdout; exit status 1 if
the counts are not what was seeded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:BENCH-token"


async def run() -> dict[str, object]:
    from bot.app import create_bot
    from bot.config import Settings
    from bot.db import create_engine, create_session_factory
    from bot.migrate import upgrade_async
    from bot.scheduler import plan_schedule_of
    from fakeapi import FakeTelegram
    from handlers.plan_report import notice_markup
    from models import Delivery, DeliveryStatus, Organization, OrgLevel, Person, Role, RoleKind
    from models.clock import FakeClock, use
    from services import orgs
    from services.broadcasts import outbox
    from services.broadcasts.worker import DeliveryWorker
    from services.plan import importer, reminders

    with (
        tempfile.TemporaryDirectory() as folder,
        use(FakeClock(datetime(2022, 2, 14, 6, 0, tzinfo=UTC))),
    ):
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        await upgrade_async(url)
        engine = create_engine(url)
        sessions = create_session_factory(engine)
        sample = ROOT / "samples"
        async with sessions() as session:
            await orgs.import_directory(
                session, "kursk_orgs.csv", (sample / "kursk_orgs.csv").read_bytes()
            )
            await importer.import_plan(
                session, "plan_2022.xlsx", (sample / "plan_2022.xlsx").read_bytes()
            )
            found = list(await session.execute(select(Organization.id, Organization.level)))
            for number, (org_id, level) in enumerate(found):
                if level is OrgLevel.REGIONAL:
                    continue
                person = Person(
                    telegram_id=5_000_000 + number,
                    first_name=f"P{number}",
                    consent_at=datetime(2022, 1, 1, tzinfo=UTC),
                )
                session.add(person)
                await session.flush()
                kind = (
                    RoleKind.TERRITORIAL_ADMIN
                    if level is OrgLevel.TERRITORIAL
                    else RoleKind.OFFICER
                )
                session.add(Role(person_id=person.id, kind=kind, org_id=org_id))
            await session.commit()
        wanted = sum(1 for _, level in found if level is not OrgLevel.REGIONAL)
        async with FakeTelegram(token=TOKEN, record_calls=False) as fake:
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                bot_token=TOKEN,  # type: ignore[arg-type]
                database_url=url,
                telegram_api_url=fake.base_url,
            )
            bot = create_bot(settings)
            schedule = plan_schedule_of(settings)
            timings = []
            queued = []
            for _ in range(2):
                started = time.perf_counter()
                async with sessions() as session:
                    queued.append(
                        await reminders.sweep(
                            session,
                            datetime(2022, 2, 14, 6, 0, tzinfo=UTC),
                            schedule,
                            notice_markup,
                        )
                    )
                timings.append(round(time.perf_counter() - started, 2))
            worker = DeliveryWorker.from_settings(bot, sessions, settings, None)
            started = time.perf_counter()
            await worker.start()
            while True:
                async with sessions() as session:
                    if not await outbox.sending(session):
                        break
                await asyncio.sleep(0.2)
            delivery_s = round(time.perf_counter() - started, 2)
            await worker.stop()
            async with sessions() as session:
                sent = await session.scalar(
                    select(func.count())
                    .select_from(Delivery)
                    .where(Delivery.status == DeliveryStatus.SENT)
                )
            await bot.session.close()
        await engine.dispose()
    return {
        "recipients": wanted,
        "broadcasts_first": len(queued[0]),
        "broadcasts_second": len(queued[1]),
        "first_sweep_s": timings[0],
        "second_sweep_s": timings[1],
        "delivered": sent,
        "delivery_s": delivery_s,
        "ok": sent == wanted and len(queued[1]) == 0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    result = asyncio.run(run())
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
