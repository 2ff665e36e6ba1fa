"""Leases (services/leases.py): the scheduled sweeps on one replica at a time, taken over when
the holder stops renewing; without Redis a second bot process on one database refuses to
start and says why."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.scheduler import GuardedScheduler, create_scheduler
from fakeapi import FakeTelegram
from models import Campaign, Lease, utcnow
from models.clock import FakeClock
from services import leases
from tests.conftest import TOKEN
from tests.helpers import add_member, eventually, grant
from tests.test_cli import run_cli
from tests.test_shutdown import _start_bot


class _Worker:
    """What the scheduler's sweep needs of the delivery worker."""

    def wake(self) -> None:
        pass


def _scheduler(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> GuardedScheduler:
    scheduler, _startup = create_scheduler(settings, sessions, _Worker())  # type: ignore[arg-type]
    return scheduler


def _counting_job(scheduler: GuardedScheduler, runs: list[str], name: str) -> Any:
    async def job() -> None:
        runs.append(name)

    # Added the way a new sweep is added: its own add_job, nothing else.
    return scheduler.add_job(job, "interval", seconds=3600, id=f"count-{name}").func


async def test_every_job_runs_on_the_lease_holder_only_and_is_taken_over_when_it_dies(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    one, two = _scheduler(settings, session_factory), _scheduler(settings, session_factory)
    runs: list[str] = []
    job_one, job_two = _counting_job(one, runs, "one"), _counting_job(two, runs, "two")

    await job_one()
    await job_two()
    await job_one()
    assert runs == ["one", "one"]  # the second replica stands by

    # The holder dies (no more heartbeats): the lease runs out and the other takes over.
    clock.set(utcnow() + timedelta(seconds=settings.lease_seconds - 1))
    await job_two()
    assert runs == ["one", "one"]  # not yet: the lease still runs
    clock.set(utcnow() + timedelta(seconds=2))
    await job_two()
    await job_one()  # the old holder, were it only frozen, finds it lost
    assert runs == ["one", "one", "two"]
    assert not one.keeper.held and two.keeper.held

    # A graceful stop gives it back at once.
    await two.release_leases()
    await job_one()
    assert runs == ["one", "one", "two", "one"]
    async with session_factory() as session:
        holder = await session.scalar(select(Lease.holder).where(Lease.name == leases.SWEEPS))
    assert holder == one.keeper.holder


async def test_the_heartbeat_keeps_the_lease_of_a_live_holder(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    one, two = _scheduler(settings, session_factory), _scheduler(settings, session_factory)
    runs: list[str] = []
    job_one, job_two = _counting_job(one, runs, "one"), _counting_job(two, runs, "two")
    await job_one()
    for _ in range(5):  # far past one term, renewed every third of it
        clock.set(utcnow() + timedelta(seconds=settings.lease_seconds / 3))
        await one._heartbeat()
        await two._heartbeat()
        await job_two()
    assert runs == ["one"]
    assert one.keeper.held and not two.keeper.held


async def test_an_expired_lease_goes_to_its_first_taker_only(
    session_factory: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    ttl = timedelta(seconds=30)
    async with session_factory() as session:
        assert await leases.take(session, "job", "a", ttl) is None
    clock.set(utcnow() + timedelta(seconds=31))
    async with session_factory() as first, session_factory() as second:
        # Both read the expired row; only the first swap lands.
        assert await leases.take(first, "job", "b", ttl) is None
        assert await leases.take(second, "job", "c", ttl) == "b"


def test_a_holder_of_this_host_whose_process_is_gone_is_stale() -> None:
    host = socket.gethostname()
    assert leases.stale_on_this_host(f"{host}:{os.getpid()}:0000")  # an earlier life of ours
    assert not leases.stale_on_this_host(f"{host}:1:0000") or os.getpid() == 1
    assert leases.stale_on_this_host(f"{host}:{2**22 + 7}:0000")  # above pid_max: no process
    assert not leases.stale_on_this_host(f"elsewhere-{host}:{2**22 + 7}:0000")


@pytest.mark.skipif(bool(os.environ.get("TEST_REDIS_URL")), reason="with Redis replicas may run")
async def test_a_second_process_without_redis_refuses_to_start_and_says_why(
    migrated_url: str, session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    holder = "other-host:4242:beef"
    async with session_factory() as session:
        assert await leases.take(session, leases.INSTANCE, holder, timedelta(minutes=10)) is None
    result = run_cli(
        "run",
        cwd=tmp_path,
        DATABASE_URL=migrated_url,
        BOT_TOKEN="123456:TEST-token-for-the-fake-api",
        TELEGRAM_API_URL="http://127.0.0.1:9",  # never reached: it stops before
        REDIS_URL="",
    )
    assert result.returncode == 3, result.stderr
    assert "REDIS_URL" in result.stderr and holder in result.stderr
    assert "Бот уже запущен" in result.stderr and "Refusing to start" in result.stderr
    assert "TEST-token" not in result.stderr
    async with session_factory() as session:  # the live holder keeps its lease
        assert await leases.holder_of(session, leases.INSTANCE) == holder


async def test_one_process_without_redis_holds_the_instance_lease_until_it_stops(
    settings: Settings, migrated_url: str
) -> None:
    from bot.app import Application

    app = Application.build(settings)
    try:
        assert await app.claim_instance() is None
        async with app.session_factory() as session:
            held = await leases.holder_of(session, leases.INSTANCE)
        assert held == (None if settings.redis_url else app.scheduler.keeper.holder)
    finally:
        await app.close()
    async with app.session_factory() as session:
        assert await leases.holder_of(session, leases.INSTANCE) is None  # released


# 1 December 2026, 10:00 Moscow: the fourth quarter's campaign opens, each officer prompted.
OPENING = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
OFFICERS = {400001: "46-01-001", 400002: "46-29-004"}
LEASE = 3.0


def _prompts(fake: FakeTelegram, chat_id: int) -> int:
    return sum("Открыт приём" in (m.text or "") for m in fake.messages(chat_id))


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="two replicas need Redis")
@pytest.mark.usefixtures("directory")
async def test_the_sweeps_lease_moves_to_the_other_process_when_its_holder_is_killed(
    fake: FakeTelegram,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    for telegram_id, org in OFFICERS.items():
        await add_member(session_factory, telegram_id, org, topics=())
        await grant(session_factory, telegram_id, "officer", org)
    env = {"CLOCK_NOW": OPENING.isoformat(), "LEASE_SECONDS": str(LEASE)}
    log_a, log_b = tmp_path / "a.log", tmp_path / "b.log"
    started = time.monotonic()
    first = await _start_bot(settings, tmp_path, log_a, **env)
    second = None
    try:
        # The first replica's start-up sweep opens the quarter and prompts every officer.
        for telegram_id in OFFICERS:
            await eventually(lambda t=telegram_id: _prompts(fake, t) == 1, within=40)
        # One time on both machines, as the system clock would be (CLOCK_NOW starts each
        # process's clock at the moment given, so the later one starts later).
        later = OPENING + timedelta(seconds=time.monotonic() - started)
        second = await _start_bot(
            settings, tmp_path, log_b, **{**env, "CLOCK_NOW": later.isoformat()}
        )
        await eventually(lambda: "Bot is starting" in log_b.read_text(), within=40)
        await asyncio.sleep(LEASE)  # a few heartbeats: the second one stands by
        assert "Sweeps lease taken over" not in log_b.read_text()

        first.kill()  # kill -9: no release, the lease has to run out
        await first.wait()
        killed = time.monotonic()
        await eventually(lambda: "Sweeps lease taken over" in log_b.read_text(), within=30)
        took = time.monotonic() - killed
        assert took <= LEASE + LEASE / 3 + 3.0, took  # the term, a heartbeat, slack
        await asyncio.sleep(2.0)  # the new holder's catch-up sweep has run
        async with session_factory() as session:
            holder = await leases.holder_of(session, leases.SWEEPS)
            campaigns_opened = len(list(await session.scalars(select(Campaign.id))))
        assert holder is not None and holder.split(":")[1] == str(second.pid)
        assert campaigns_opened == 1
        for telegram_id in OFFICERS:  # the sweep ran again on the new holder: nothing twice
            assert _prompts(fake, telegram_id) == 1
        assert TOKEN not in log_a.read_text() + log_b.read_text()
    finally:
        for process in (first, second):
            if process is not None and process.returncode is None:
                process.kill()
                await process.wait()
