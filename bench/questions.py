"""Questions benchmark: 1,000 open questions and a FAQ of 300 entries on a fresh SQLite
database (migrated with bot.migrate); times a /questions page as the answerer's screen is
built (the listing query, categories, waiting days, the keyboard) and a FAQ search by words.

    python -m bench.questions                    # 1000 questions, 300 FAQ entries, 200 runs
    python -m bench.questions --questions 5000 --runs 500

Timed in process, without the Bot API round trip (that is the fake's and the network's
time, the same for every screen). Prints one JSON line with p50/p95 in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from bot import migrate
from bot.db import create_engine, create_session_factory
from handlers.consultant.questions import _list_screen
from handlers.questions_common import ListCB
from models import FaqEntry, Person, Question, QuestionCategory, QuestionStatus, utcnow
from services import questions
from services.people import Roles

WORDS = [
    "доплата",
    "классное",
    "руководство",
    "отпуск",
    "увольнение",
    "аттестация",
    "категория",
    "пенсия",
    "стаж",
    "льгота",
    "охрана",
    "труда",
    "договор",
    "сверхурочные",
    "нагрузка",
    "премия",
    "молодой",
    "специалист",
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.questions", description=__doc__)
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--faq", type=int, default=300)
    parser.add_argument("--runs", type=int, default=200)
    return parser.parse_args()


async def _seed(url: str, count: int, faq: int) -> None:
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    rng = random.Random(11)
    now = utcnow()
    async with sessions() as session:
        cats = list(await session.scalars(select(QuestionCategory.id)))
        session.add(Person(telegram_id=1, first_name="Участник", consent_at=now))
        await session.commit()
        person = await session.scalar(select(Person.id))
        await session.execute(
            insert(Question),
            [
                {
                    "person_id": person,
                    "category_id": rng.choice(cats),
                    "status": QuestionStatus.OPEN,
                    "asked_at": now - timedelta(hours=rng.randint(1, 400)),
                    "anonymous": False,
                    "clarified": False,
                }
                for _ in range(count)
            ],
        )
        for _ in range(faq):
            q = " ".join(rng.sample(WORDS, 6)).capitalize() + "?"
            a = " ".join(rng.sample(WORDS, 12)).capitalize() + "."
            session.add(
                FaqEntry(
                    category_id=rng.choice(cats),
                    question=q,
                    answer=a,
                    search=questions.search_key(q, a),
                )
            )
        await session.commit()
    await engine.dispose()


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 2),
    }


class _Settings:
    tz = ZoneInfo("Europe/Moscow")


async def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        await migrate.upgrade_async(url)
        await _seed(url, args.questions, args.faq)
        engine = create_engine(url)
        sessions = create_session_factory(engine)
        roles = Roles(regional_admin=True)
        rng = random.Random(5)
        page_times, search_times = [], []
        pages = max(1, args.questions // questions.PAGE_SIZE)
        for _ in range(args.runs):
            data = ListCB(page=rng.randrange(min(pages, 50)))
            async with sessions() as session:
                started = time.perf_counter()
                await _list_screen(session, roles, data, _Settings())  # type: ignore[arg-type]
                page_times.append(time.perf_counter() - started)
            words = " ".join(rng.sample(WORDS, 2))
            async with sessions() as session:
                started = time.perf_counter()
                await questions.faq(session, words=words)
                search_times.append(time.perf_counter() - started)
        await engine.dispose()
    print(
        json.dumps(
            {
                "questions": args.questions,
                "faq_entries": args.faq,
                "runs": args.runs,
                "questions_page": _ms(page_times),
                "faq_search": _ms(search_times),
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
