"""Library benchmark: a /materials screen and a search answer over 5,000 materials.

    python -m bench.materials                    # 5,000 materials, 300 answers of each kind
    python -m bench.materials --materials 20000  # a bigger library

A fresh SQLite database (migrated with bot.migrate) gets the sample Kursk directory, one
member of a Беловский school and N materials spread over the nine categories, a tenth of them
of some territory, a fifth for activists only, a few hidden, with Russian titles and
descriptions. Then, timed one by one, what each screen's handler does apart from Telegram:
resolving who the member is allowed to see (`materials.viewer`), the database queries and
rendering the keyboard: the category menu with counts, a random page of a random category,
and a search for a random word typed in capitals («МОТИВАЦИЯ»). The first round of each is
a warm-up, not timed.

The JSON line: materials, rounds, latency percentiles per screen (menu_p50_ms, …, search_p95_ms)
and `calibration_s` (bench.machine). The exit status is 1 when a p95 is over the 50 ms target.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, select

from bench.machine import calibration
from bot import migrate
from bot.db import create_engine, create_session_factory
from handlers import material_views as views
from models import Material, MaterialAudience, MaterialKind, Organization, OrgLevel, utcnow
from services import materials, orgs, people
from services.people import Roles

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_ORGS = ROOT / "samples" / "kursk_orgs.csv"
TARGET_MS = 50.0
WORDS = [
    "мотивация",
    "профчленства",
    "памятка",
    "семинар",
    "вебинар",
    "охрана",
    "труда",
    "молодёжь",
    "правовая",
    "консультация",
    "коллективный",
    "договор",
    "заработная",
    "плата",
    "отпуск",
    "аттестация",
    "педагог",
    "наставничество",
    "соревнование",
    "информационная",
    "работа",
    "сайт",
    "соцсети",
    "АИС",
    "учёт",
    "взносы",
    "оздоровление",
    "льготы",
    "методичка",
    "презентация",
    "инструкция",
    "положение",
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.materials", description=__doc__)
    parser.add_argument("--materials", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def _phrase(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize()


async def _fill(url: str, count: int, rng: random.Random) -> int:
    """The directory, one member, `count` materials; returns the member's person id."""
    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session:
            await orgs.import_directory(session, SAMPLE_ORGS.name, SAMPLE_ORGS.read_bytes())
            person = await people.register(
                session, people.TelegramProfile(telegram_id=500_001, first_name="Член")
            )
            school = await orgs.get_by_code(session, "46-01-001")
            assert school is not None
            await people.set_organization(session, person, school.id)
            territories = list(
                await session.scalars(
                    select(Organization.id).where(Organization.level == OrgLevel.TERRITORIAL)
                )
            )
            category_ids = [c.id for c in await materials.categories(session)]
            now = utcnow()
            rows = []
            for number in range(count):
                title = _phrase(rng, rng.randint(3, 7))
                description = _phrase(rng, rng.randint(0, 25))
                rows.append(
                    {
                        "title": title,
                        "description": description,
                        "search_text": materials.search_form(title, description),
                        "category_id": rng.choice(category_ids),
                        "audience": (
                            MaterialAudience.ACTIVISTS
                            if rng.random() < 0.2
                            else MaterialAudience.ALL
                        ),
                        "territory_id": rng.choice(territories) if rng.random() < 0.1 else None,
                        "kind": MaterialKind.DOCUMENT,
                        "file_id": f"BENCH{number:08d}",
                        "hidden": rng.random() < 0.02,
                        "opens": rng.randint(0, 50),
                        "created_at": now - timedelta(minutes=number),
                        "updated_at": now,
                    }
                )
            await session.execute(insert(Material), rows)
            await session.commit()
            return person.id
    finally:
        await engine.dispose()


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    q = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"p50_ms": round(q[49], 2), "p95_ms": round(q[94], 2), "max_ms": round(ordered[-1], 2)}


async def run(args: argparse.Namespace) -> dict[str, object]:
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        await migrate.upgrade_async(url)
        person_id = await _fill(url, args.materials, rng)
        engine = create_engine(url)
        sessions = create_session_factory(engine)
        roles = Roles()
        figures: dict[str, object] = {"materials": args.materials, "rounds": args.rounds}
        try:
            async with sessions() as session:
                category_ids = [c.id for c in await materials.categories(session)]

            async def menu() -> None:
                async with sessions() as session:
                    person = await people.get_person(session, 500_001)
                    assert person is not None and person.id == person_id
                    who = await materials.viewer(session, person, roles)
                    views.menu(await materials.category_counts(session, who))

            async def page() -> None:
                async with sessions() as session:
                    person = await people.get_person(session, 500_001)
                    assert person is not None
                    who = await materials.viewer(session, person, roles)
                    category = await materials.get_category(session, rng.choice(category_ids))
                    assert category is not None
                    found = await materials.list_page(
                        session, who, category.id, rng.randint(0, 40)
                    )
                    views.category_page(category, found)

            async def search() -> None:
                query = rng.choice(WORDS).upper()
                async with sessions() as session:
                    person = await people.get_person(session, 500_001)
                    assert person is not None
                    who = await materials.viewer(session, person, roles)
                    found = await materials.search(session, who, query, 0)
                    assert found.total > 0, query
                    views.found(query, found)

            screens: dict[str, Callable[[], Awaitable[None]]] = {
                "menu": menu,
                "page": page,
                "search": search,
            }
            for name, screen in screens.items():
                await screen()  # warm-up: SQL compilation, first use of the models
                samples = []
                for _ in range(args.rounds):
                    started = time.perf_counter()
                    await screen()
                    samples.append((time.perf_counter() - started) * 1000)
                for key, value in _percentiles(samples).items():
                    figures[f"{name}_{key}"] = value
        finally:
            await engine.dispose()
    figures["calibration_s"] = round(calibration(), 3)
    return figures


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    figures = asyncio.run(run(args))
    print(json.dumps(figures, ensure_ascii=False))
    slow = [k for k, v in figures.items() if k.endswith("p95_ms") and float(str(v)) > TARGET_MS]
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
