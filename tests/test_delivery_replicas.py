"""Several delivery processes over one outbox, as real processes: two bot replicas on one
PostgreSQL with one killed (kill -9) midway, and one replica with BROADCAST_WORKERS children.
Nobody is lost, repeats stay within the killed worker's concurrency, and the sum of all
processes stays under the rate (the fake answers 429 beyond it: none is expected)."""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from fakeapi import FakeTelegram
from models import Broadcast, BroadcastStatus, Delivery, DeliveryStatus, utcnow
from models.clock import SystemClock
from services.broadcasts import outbox
from tests.conftest import TOKEN
from tests.helpers import eventually
from tests.test_delivery import queued
from tests.test_shutdown import _start_bot, _webhook_env

needs_postgres_and_redis = pytest.mark.skipif(
    not (os.environ.get("TEST_REDIS_URL") and os.environ.get("TEST_DATABASE_URL")),
    reason="replicas need PostgreSQL and Redis",
)

Sessions = async_sessionmaker[AsyncSession]
RATE = 300  # the fake's limit and BROADCAST_RATE: the sum of every process stays under it
CONCURRENCY = 16
LEASE = 3.0


def _env(**extra: str) -> dict[str, str]:
    # One time on every machine: each process's clock is where the test's is now, whenever
    # it gets to start it.
    return {
        "CLOCK_NOW": utcnow().isoformat(),
        "CLOCK_NOW_AT": repr(SystemClock().now().timestamp()),
        "BROADCAST_RATE": str(RATE),
        "BROADCAST_CONCURRENCY": str(CONCURRENCY),
        "LEASE_SECONDS": str(LEASE),
        "SHUTDOWN_TIMEOUT": "8",
        **_webhook_env(),
        **extra,
    }


def _copies(fake: FakeTelegram, chats: range) -> Counter[int]:
    """Messages delivered into each chat (a call answered 429 delivered nothing)."""
    return Counter({chat: len(fake.messages(chat)) for chat in chats if fake.messages(chat)})


async def _status(sessions: Sessions, broadcast_id: int) -> BroadcastStatus:
    async with sessions() as session:
        status = await session.scalar(select(Broadcast.status).where(Broadcast.id == broadcast_id))
        assert status is not None
        return status


async def _by_status(sessions: Sessions, broadcast_id: int) -> dict[DeliveryStatus, int]:
    async with sessions() as session:
        rows = await session.execute(
            select(Delivery.status, func.count())
            .where(Delivery.broadcast_id == broadcast_id)
            .group_by(Delivery.status)
        )
        return {status: count for status, count in rows}


async def _claimers(sessions: Sessions, broadcast_id: int) -> set[int]:
    """The process ids of the workers holding claims on the broadcast's rows."""
    async with sessions() as session:
        names = await session.scalars(
            select(Delivery.claimed_by)
            .where(Delivery.broadcast_id == broadcast_id, Delivery.claimed_by.is_not(None))
            .distinct()
        )
        return {int(str(name).split(":")[1]) for name in names}


async def _scrape(url: str, line: str) -> bool:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return line in (await response.text()).splitlines()


async def _kill_all(*processes: asyncio.subprocess.Process | None) -> None:
    for process in processes:
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()


@needs_postgres_and_redis
async def test_two_replicas_deliver_5000_with_one_killed_midway(
    fake: FakeTelegram, settings: Settings, session_factory: Sessions, tmp_path: Path
) -> None:
    chats = range(800_001, 805_001)
    broadcast_id = await queued(session_factory, chats, text="<b>Новость</b>")
    async with session_factory() as session:  # until both run, so that both take part
        assert await outbox.set_paused(session, broadcast_id, True)
    fake.set_rate_limit(RATE, retry_after=1, per_chat_limit=True)
    fake.set_latency(0.005, 0.01)  # jitter well inside the limiter's headroom
    logs = tmp_path / "a.log", tmp_path / "b.log"
    first = second = None
    try:
        first = await _start_bot(settings, tmp_path, logs[0], **_env())
        second = await _start_bot(settings, tmp_path, logs[1], **_env())
        for log in logs:
            await eventually(lambda log=log: "Webhook set" in log.read_text(), within=40)
        async with session_factory() as session:
            assert await outbox.set_paused(session, broadcast_id, False)

        await eventually(lambda: sum(_copies(fake, chats).values()) >= 1500, within=60)
        claimers = await _claimers(session_factory, broadcast_id)
        first.kill()  # kill -9 midway: its claims have to run out
        await first.wait()
        killed_at = sum(_copies(fake, chats).values())
        assert killed_at < 4000

        async def done() -> bool:
            return await _status(session_factory, broadcast_id) is BroadcastStatus.DONE

        await eventually(done, within=90)
    finally:
        await _kill_all(first, second)

    copies = _copies(fake, chats)
    assert set(copies) == set(chats)  # nobody lost
    repeats = sum(n - 1 for n in copies.values())
    assert repeats <= CONCURRENCY  # only what the killed worker had in flight
    assert fake.stats.rate_limited == 0  # the two together never went above the rate
    assert await _by_status(session_factory, broadcast_id) == {DeliveryStatus.SENT: len(chats)}
    text = logs[0].read_text() + logs[1].read_text()
    assert TOKEN not in text and "Новость" not in text
    # Both replicas were sending when one was killed: each held claims.
    assert claimers == {first.pid, second.pid}, claimers


async def test_broadcast_workers_children_share_the_outbox_and_stop_with_the_bot(
    fake: FakeTelegram, settings: Settings, session_factory: Sessions, tmp_path: Path
) -> None:
    chats = range(810_001, 812_001)
    fake.set_rate_limit(RATE, retry_after=1, per_chat_limit=True)
    fake.set_latency(0.005, 0.01)  # jitter well inside the limiter's headroom
    log = tmp_path / "bot.log"
    # The claims' usual term: under faketime each process's clock restarts at the faked
    # moment, so the children's clocks lag the bot's by their start-up; a term of 30 s (renewed
    # every 10) leaves their claims valid in the bot's eyes all the same.
    env = _env(BROADCAST_WORKERS="3", LEASE_SECONDS="30")
    process = await _start_bot(settings, tmp_path, log, **env)
    try:
        await eventually(lambda: log.read_text().count("Delivery process") >= 2, within=40)
        await eventually(lambda: "Webhook set" in log.read_text(), within=40)
        broadcast_id = await queued(session_factory, chats, text="<b>Новость</b>")

        async def done() -> bool:
            return await _status(session_factory, broadcast_id) is BroadcastStatus.DONE

        await eventually(done, within=60)
        # The replica's /metrics counts its children's sends too.
        metrics = f"http://127.0.0.1:{env['WEBHOOK_PORT']}/metrics"
        sent = f'profinform_messages_total{{outcome="sent"}} {float(len(chats))}'
        await eventually(lambda: _scrape(metrics, sent), within=10)
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), timeout=20)
    finally:
        await _kill_all(process)
    text = log.read_text()
    assert process.returncode == 0, text
    copies = _copies(fake, chats)
    assert set(copies) == set(chats) and max(copies.values()) == 1
    assert fake.stats.rate_limited == 0
    # Three workers (the bot's own and two children), each sending, each stopped cleanly.
    stopped = [line for line in text.splitlines() if "Delivery worker stopped" in line]
    assert len(stopped) == 3, text
    assert all("sent=0," not in line for line in stopped), stopped
    assert text.count("Delivery process") >= 4  # two started, two stopped
