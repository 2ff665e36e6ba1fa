"""Webhook load benchmark: N registered members writing to the bot through its webhook, on one
or several replicas (`python -m bot` processes), answered through the fake Bot API.

    python -m bench.webhook                                   # SQLite, one replica
    python -m bench.webhook --replicas 2 \\
        --database-url postgresql+asyncpg://u:p@127.0.0.1:5432/db --redis-url redis://127.0.0.1/5

A fresh database (SQLite in a temporary folder; a PostgreSQL database given by URL is WIPED)
gets N registered members. Each replica is a real `python -m bot` in webhook mode on its own
port, pointed at the fake Bot API, which runs in this process. Every member, at once, sends
`/help` and `/start` in turn, each when the bot's answer to the previous one has reached the
fake (a person waits for the answer), posting the update to the replicas in turn with the
secret header, as Telegram would through a load balancer. End to end is from the POST to the
bot's answer arriving at the fake. The JSON line: replicas, people, updates, seconds,
updates_per_sec, p50_ms, p95_ms, p99_ms, errors (non-200 answers, answers missing after 10 s).
The fake and the driver share this process's CPU with nothing else of the bot's.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import text

from bot import migrate
from bot.db import create_engine, create_session_factory
from fakeapi import FakeTelegram, FakeUser
from models import Person, utcnow

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:BENCH"
SECRET = "bench-webhook-secret-0123456789"
PATH = "/telegram/webhook"
FIRST_ID = 7_000_000
ANSWER_TIMEOUT = 10.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.webhook", description=__doc__)
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--people", type=int, default=200, help="members writing at once")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long they write")
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (wiped); else SQLite")
    parser.add_argument("--redis-url", default="", help="needed for more than one replica")
    parser.add_argument("--first-port", type=int, default=18_600)
    return parser.parse_args(argv)


async def prepare_database(url: str, people: int) -> None:
    if url.startswith("postgresql"):
        engine = create_engine(url)
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
    await migrate.upgrade_async(url)
    engine = create_engine(url)
    async with create_session_factory(engine)() as session:
        session.add_all(
            Person(telegram_id=FIRST_ID + n, first_name=f"U{n}", consent_at=utcnow())
            for n in range(people)
        )
        await session.commit()
    await engine.dispose()


async def start_replica(
    port: int, database_url: str, redis_url: str, api_url: str, folder: Path
) -> asyncio.subprocess.Process:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(ROOT),
        BOT_TOKEN=TOKEN,
        DATABASE_URL=database_url,
        TELEGRAM_API_URL=api_url,
        REDIS_URL=redis_url,
        WEBHOOK_URL=f"http://127.0.0.1:{port}{PATH}",
        WEBHOOK_SECRET=SECRET,
        WEBHOOK_HOST="127.0.0.1",
        WEBHOOK_PORT=str(port),
        WEBHOOK_PATH=PATH,
        LOG_LEVEL="WARNING",
        THROTTLE_RATE="1000",
    )
    log = (folder / f"replica-{port}.log").open("wb")
    try:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=folder, env=env, stdout=log, stderr=log
        )
    finally:
        log.close()


async def wait_ready(http: aiohttp.ClientSession, port: int, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            async with http.get(f"http://127.0.0.1:{port}/readyz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    raise SystemExit(f"replica on port {port} not ready within {within} s")


async def member(
    fake: FakeTelegram,
    http: aiohttp.ClientSession,
    user: FakeUser,
    targets: itertools.cycle[str],
    update_ids: itertools.count[int],
    until: float,
    latencies: list[float],
    errors: list[str],
) -> None:
    for command in itertools.cycle(("/help", "/start")):
        if time.monotonic() >= until:
            return
        body: dict[str, Any] = fake._factory.text_message(user, command)
        body["update_id"] = next(update_ids)
        seen = len(fake.messages(user.id))
        started = time.monotonic()
        async with http.post(
            next(targets), json=body, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
        ) as response:
            if response.status != 200:
                errors.append(f"http {response.status}")
                continue
        while len(fake.messages(user.id)) <= seen:
            if time.monotonic() - started > ANSWER_TIMEOUT:
                errors.append("no answer")
                break
            await asyncio.sleep(0.002)
        else:
            latencies.append(time.monotonic() - started)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


async def run(args: argparse.Namespace) -> dict[str, Any]:
    if args.replicas > 1 and not args.redis_url:
        raise SystemExit("--replicas above 1 needs --redis-url (a second replica refuses)")
    with tempfile.TemporaryDirectory(prefix="bench-webhook-") as tmp:
        folder = Path(tmp)
        url = args.database_url or f"sqlite+aiosqlite:///{folder / 'bot.db'}"
        await prepare_database(url, args.people)
        async with FakeTelegram(token=TOKEN) as fake, aiohttp.ClientSession() as http:
            ports = [args.first_port + n for n in range(args.replicas)]
            replicas = [
                await start_replica(port, url, args.redis_url, fake.base_url, folder)
                for port in ports
            ]
            try:
                for port in ports:
                    await wait_ready(http, port)
                targets = itertools.cycle(f"http://127.0.0.1:{p}{PATH}" for p in ports)
                update_ids = itertools.count(1)
                latencies: list[float] = []
                errors: list[str] = []
                users = [
                    FakeUser(id=FIRST_ID + n, first_name=f"U{n}") for n in range(args.people)
                ]
                # Warm-up: each member once, untimed (first-use costs of each process).
                warm: list[float] = []
                await asyncio.gather(
                    *(
                        member(fake, http, u, targets, update_ids, 0.0, warm, errors)
                        for u in users[: 4 * args.replicas]
                    )
                )
                started = time.monotonic()
                until = started + args.seconds
                await asyncio.gather(
                    *(
                        member(fake, http, u, targets, update_ids, until, latencies, errors)
                        for u in users
                    )
                )
                elapsed = time.monotonic() - started
            finally:
                for process in replicas:
                    if process.returncode is None:
                        process.terminate()
                for process in replicas:
                    await process.wait()
    return {
        "replicas": args.replicas,
        "database": "postgresql" if url.startswith("postgresql") else "sqlite",
        "redis": bool(args.redis_url),
        "people": args.people,
        "updates": len(latencies),
        "seconds": round(elapsed, 1),
        "updates_per_sec": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "errors": len(errors),
    }


def main(argv: list[str] | None = None) -> int:
    result = asyncio.run(run(parse_args(argv)))
    print(json.dumps(result))
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
