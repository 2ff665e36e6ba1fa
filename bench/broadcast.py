"""Broadcast delivery benchmark: the real worker, a fresh SQLite outbox, the fake Bot API.

    python -m bench.broadcast                          # 10k recipients at 30/s, 429 window,
                                                       # 40–80 ms latency, 2 % blocked
    python -m bench.broadcast --recipients 100000 --rate 1000 --rate-limit 0
    python -m bench.broadcast --paid --rate 1000 --rate-limit 0 --concurrency 64
    python -m bench.broadcast --recipients 2000 --crash-at 0.5   # kill -9 half-way, restart
    python -m bench.broadcast --recipients 50000 --paid --rate 1000 --rate-limit 1000 \
        --concurrency 64 --workers 4 --database-url postgresql+asyncpg://u:p@host/db \
        --redis-url redis://127.0.0.1:6379/5      # BROADCAST_WORKERS=4 on PostgreSQL

The parent process seeds members into a new SQLite database, or the PostgreSQL database
given (wiped first), migrated with bot.migrate, enqueues a text broadcast through the
command line's own function, and serves the fake Bot API (unless --api-url names another
server). The workers run in child processes (`--child`, `--workers` of them, as
BROADCAST_WORKERS or replicas would: one outbox, their claims, the rate shared through Redis
with --redis-url or split evenly without), so their peak RSS is measured on its own and a
crash is a real SIGKILL (of the first worker; a new one takes its place). When the broadcast
is DONE the parent prints one JSON line; duplicates and lost recipients are counted from
what the fake's chats show.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import false, func, insert, literal, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import migrate
from bot.db import create_engine, create_session_factory
from fakeapi import FakeTelegram
from models import Broadcast, BroadcastStatus, Delivery, Person, Subscription, Topic, utcnow
from models.base import UtcDateTime
from services.broadcasts import cli, outbox
from services.broadcasts.progress import ProgressSnapshot

TOKEN = "123456:BENCH"
TOPIC = "news"
TEXT = "<b>Профсоюз информирует</b>: индексация зарплат педагогов с 1 января."
POLL = 0.2  # seconds between the parent's looks at the outbox


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; the defaults are the 10k-at-30/s run of the README."""
    parser = argparse.ArgumentParser(prog="python -m bench.broadcast", description=__doc__)
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--first-chat-id", type=int, default=10_000_000)
    parser.add_argument("--rate", type=float, default=30.0, help="the worker's rate (1/s)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--paid", action="store_true", help="allow_paid_broadcast mode")
    parser.add_argument(
        "--rate-limit", type=float, default=30.0, help="the fake's 429 window (0: off)"
    )
    parser.add_argument("--latency", type=float, nargs=2, default=(0.04, 0.08))
    parser.add_argument("--blocked-fraction", type=float, default=0.02)
    parser.add_argument("--api-url", default=None, help="another Bot API server instead")
    parser.add_argument("--crash-at", type=float, default=None, metavar="FRACTION")
    parser.add_argument("--db", type=Path, default=None, help="SQLite file (default: temp)")
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (wiped); else SQLite")
    parser.add_argument("--redis-url", default="", help="the rate shared by the workers")
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# --- the parent: data, fake, children, figures ---------------------------------------------


async def seed(sessions: async_sessionmaker[AsyncSession], count: int, first: int) -> int:
    """`count` subscribed members in one INSERT … SELECT each; returns the broadcast id."""
    numbers = select(literal(0).label("n")).cte("numbers", recursive=True)
    numbers = numbers.union_all(select(numbers.c.n + 1).where(numbers.c.n + 1 < count))
    async with sessions() as session:
        await session.execute(
            insert(Person).from_select(
                ["telegram_id", "first_name", "consent_at", "blocked"],
                select(
                    numbers.c.n + first,
                    literal("Участник"),
                    literal(utcnow(), UtcDateTime()),
                    false(),
                ),
            )
        )
        topic_id = await session.scalar(select(Topic.id).where(Topic.slug == TOPIC))
        await session.execute(
            insert(Subscription).from_select(
                ["person_id", "topic_id"], select(Person.id, literal(topic_id))
            )
        )
        await session.commit()
        # Exactly what `python -m bot broadcast --topic news --text-file …` does.
        with tempfile.NamedTemporaryFile("w", suffix=".html", encoding="utf-8") as text:
            text.write(TEXT)
            text.flush()
            queued = await cli.enqueue_text_file(
                session, Path(text.name), topic_slugs=[TOPIC], org_code=None, alert=False
            )
        assert queued, "the benchmark broadcast was rejected"
        return int(await session.scalar(select(func.max(Broadcast.id))) or 0)


async def start_fake(args: argparse.Namespace) -> FakeTelegram:
    """The in-repo fake, recording nothing but what the chats show (for duplicates)."""
    fake = FakeTelegram(token=None, record_calls=False, strict=False)
    if args.rate_limit:
        fake.set_rate_limit(args.rate_limit)
    fake.set_latency(*args.latency)
    first = args.first_chat_id
    fake.block_fraction(args.blocked_fraction, range(first, first + args.recipients))
    await fake.start()
    return fake


async def spawn_child(args: argparse.Namespace, url: str) -> asyncio.subprocess.Process:
    """Start a worker process on the same database and Bot API."""
    command = [
        sys.executable, "-m", "bench.broadcast", "--child", "--db", str(args.db),
        "--api-url", url, "--rate", str(args.rate), "--concurrency", str(args.concurrency),
        "--database-url", args.database_url, "--redis-url", args.redis_url,
        "--workers", str(args.workers),
    ]  # fmt: skip
    if args.paid:
        command.append("--paid")
    return await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)


async def is_done(sessions: async_sessionmaker[AsyncSession], broadcast_id: int) -> bool:
    """Whether the worker marked the broadcast DONE."""
    async with sessions() as session:
        status = await session.scalar(select(Broadcast.status).where(Broadcast.id == broadcast_id))
    return status is BroadcastStatus.DONE


async def sent_so_far(
    sessions: async_sessionmaker[AsyncSession], fake: FakeTelegram | None
) -> int:
    """Deliveries Telegram accepted so far: the fake's counter, or the outbox's."""
    if fake is not None:
        return int(fake.stats.sent)
    async with sessions() as session:
        sent = await session.scalar(
            select(func.count(Delivery.id)).where(Delivery.status != "pending")
        )
    return int(sent or 0)


async def crash_child(
    child: asyncio.subprocess.Process,
    sessions: async_sessionmaker[AsyncSession],
    fake: FakeTelegram | None,
    at: int,
) -> None:
    """SIGKILL the child once `at` deliveries went through."""
    while await sent_so_far(sessions, fake) < at:  # noqa: ASYNC110 - polls another process
        await asyncio.sleep(0.01 if fake is not None else POLL)
    child.send_signal(signal.SIGKILL)
    await child.wait()


async def worker_started(child: asyncio.subprocess.Process) -> float:
    """The wall-clock moment the child's worker started (after its imports, ~3 s)."""
    assert child.stdout is not None
    line = await child.stdout.readline()
    return float(json.loads(line)["started"])


async def run_children(
    args: argparse.Namespace,
    url: str,
    sessions: async_sessionmaker[AsyncSession],
    broadcast_id: int,
    fake: FakeTelegram | None,
) -> tuple[float, dict[str, Any]]:
    """Run the workers (crashing the first once if asked) until the broadcast is DONE; the
    seconds count from the last worker's start (all of them take part from there), so a
    restart's start-up counts too. Returns the workers' counters added up."""
    children = [await spawn_child(args, url) for _ in range(args.workers)]
    started = max([await worker_started(child) for child in children])
    if args.crash_at is not None:
        await crash_child(children[0], sessions, fake, int(args.crash_at * args.recipients))
        children[0] = await spawn_child(args, url)
    while not await is_done(sessions, broadcast_id):  # noqa: ASYNC110 - another process
        await asyncio.sleep(POLL)
    seconds = time.time() - started
    total: dict[str, Any] = {}
    for child in children:
        out, _ = await child.communicate()
        lines = out.decode().strip().splitlines()
        for key, value in (json.loads(lines[-1]) if lines else {}).items():
            if isinstance(value, int | float) and key != "pid":
                total[key] = total.get(key, 0) + value
    return seconds, total


def chat_counts(fake: FakeTelegram, first: int, count: int) -> tuple[int, int]:
    """(lost, duplicates): chats that should have got the message but did not, and chats that
    got it more than once."""
    blocked = fake.world.statuses
    lost = duplicates = 0
    for chat_id in range(first, first + count):
        chat = fake.world.chats.get(chat_id)
        got = len(chat.messages) if chat is not None else 0
        lost += got == 0 and chat_id not in blocked
        duplicates += got > 1
    return lost, duplicates


async def run_parent(args: argparse.Namespace) -> dict[str, Any]:
    """Seed, serve the fake, run the worker process(es), and measure."""
    if args.workers > 1 and args.database_url and not args.redis_url:
        raise SystemExit("workers on PostgreSQL share the rate through Redis: --redis-url")
    with tempfile.TemporaryDirectory(prefix="bench-broadcast-") as folder:
        args.db = args.db or Path(folder) / "bench.db"
        url = database_url(args)
        if args.database_url:
            engine = create_engine(url)
            async with engine.begin() as connection:
                await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                await connection.execute(text("CREATE SCHEMA public"))
            await engine.dispose()
        if args.redis_url:
            redis = Redis.from_url(args.redis_url)
            await redis.flushdb()
            await redis.aclose()
        await migrate.upgrade_async(url)
        engine = create_engine(url)
        sessions = create_session_factory(engine)
        fake = None if args.api_url else await start_fake(args)
        try:
            broadcast_id = await seed(sessions, args.recipients, args.first_chat_id)
            api_url = fake.base_url if fake is not None else args.api_url
            seconds, worker = await run_children(args, api_url, sessions, broadcast_id, fake)
            async with sessions() as session:
                outcome = await outbox.stats(session, broadcast_id)
        finally:
            if fake is not None:
                await fake.stop()
            await engine.dispose()
    return report(args, seconds, outcome, worker, fake)


def report(
    args: argparse.Namespace,
    seconds: float,
    outcome: ProgressSnapshot,
    worker: dict[str, Any],
    fake: FakeTelegram | None,
) -> dict[str, Any]:
    """The JSON line: outcome counts, pace, 429s, the worker's peak RSS, duplicates, lost."""
    finished = outcome.sent + outcome.blocked + outcome.failed
    lost, duplicates = (
        chat_counts(fake, args.first_chat_id, args.recipients) if fake else (None, None)
    )
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "recipients": args.recipients,
        "sent": outcome.sent,
        "blocked": outcome.blocked,
        "failed": outcome.failed,
        "seconds": round(seconds, 2),
        "msgs_per_sec": round(finished / seconds, 2),
        "rate_limited_429s": fake.stats.rate_limited if fake else worker.get("rate_limited"),
        "peak_rss_mb": round(children / 1024, 1),  # the worker's (Linux reports KiB)
        "duplicates": duplicates,
        "lost": lost,
        "rate": args.rate,
        "workers": args.workers,
        "database": "postgresql" if args.database_url else "sqlite",
        "concurrency": args.concurrency,
        "paid": args.paid,
        "crash_at": args.crash_at,
    }


# --- the child: just the worker ------------------------------------------------------------


async def run_child(args: argparse.Namespace) -> dict[str, Any]:
    """Deliver until no broadcast is SENDING, then stop gracefully and report."""
    from bot.app import create_bot, create_redis
    from bot.config import Settings
    from services.broadcasts.worker import DeliveryWorker

    settings = Settings(
        _env_file=None,
        bot_token=TOKEN,
        database_url=database_url(args),
        telegram_api_url=args.api_url,
        redis_url=args.redis_url,
        broadcast_rate=args.rate,
        paid_broadcast=args.paid,
        paid_broadcast_rate=args.rate,
        broadcast_concurrency=args.concurrency,
        broadcast_workers=args.workers,
    )
    engine = create_engine(settings.database_url)
    sessions = create_session_factory(engine)
    bot = create_bot(settings)
    redis = create_redis(settings)
    worker = DeliveryWorker.from_settings(bot, sessions, settings, None, redis)
    await worker.start()
    print(json.dumps({"started": time.time()}), flush=True)
    try:
        while True:
            await asyncio.sleep(POLL)
            async with sessions() as session:
                if not await session.scalar(
                    select(func.count(Broadcast.id)).where(
                        Broadcast.status == BroadcastStatus.SENDING
                    )
                ):
                    break
    finally:
        await worker.stop()
        await bot.session.close()
        if redis is not None:
            await redis.aclose()
        await engine.dispose()
    return {**vars(worker.stats), "pid": os.getpid()}


def database_url(args: argparse.Namespace) -> str:
    return args.database_url or f"sqlite+aiosqlite:///{args.db}"


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.broadcast`: the parent by default, the worker with --child."""
    args = parse_args(argv)
    if args.child:
        print(json.dumps(asyncio.run(run_child(args))), flush=True)
    else:
        print(json.dumps(asyncio.run(run_parent(args))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
