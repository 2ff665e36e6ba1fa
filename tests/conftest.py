"""Shared fixtures: a migrated database (SQLite, or PostgreSQL via TEST_DATABASE_URL), the fake
Bot API, and the real bot polling it."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Application
from bot.config import Settings
from bot.db import create_engine, create_session_factory
from bot.migrate import upgrade_async
from bot.scheduler import schedule_of
from fakeapi import FakeTelegram, FakeUser
from models.clock import FakeClock, use, utcnow

# The moment every test starts at, unless it sets the clock itself: a Thursday noon in Moscow
# in May, outside the campaign months, quiet hours and any holiday. No test reads the machine's
# date (CI runs the suite under faketime on several dates to prove it).
TEST_NOW = datetime(2026, 5, 14, 9, 0, tzinfo=UTC)
TOKEN = "123456:TEST-token-for-the-fake-api"
ADMIN_ID = 900001
SAMPLE_ORGS = Path(__file__).resolve().parent.parent / "samples" / "kursk_orgs.csv"


def pytest_report_header() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    redis = os.environ.get("TEST_REDIS_URL")
    return (
        f"database: {url.split('@')[-1] if url else 'SQLite (a fresh file per test)'}; "
        f"FSM and flood guard: {'Redis ' + redis if redis else 'database and process'}"
    )


async def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture(autouse=True)
def clock() -> Iterator[FakeClock]:
    """The process clock for the test: set to TEST_NOW, running on from there."""
    with use(FakeClock(TEST_NOW)) as fake_clock:
        yield fake_clock


@pytest.fixture
async def database_url(tmp_path: Path) -> str:
    """An empty database: a fresh SQLite file, or the PostgreSQL test database wiped clean."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        await _reset_postgres(url)
        return url
    return f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"


@pytest.fixture
async def migrated_url(database_url: str) -> str:
    await upgrade_async(database_url)
    return database_url


@pytest.fixture
async def session_factory(migrated_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(migrated_url)
    yield create_session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN) as server:
        yield server


@pytest.fixture
def settings(migrated_url: str, fake: FakeTelegram, redis_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=TOKEN,  # type: ignore[arg-type]
        admin_ids=frozenset({ADMIN_ID}),
        database_url=migrated_url,
        telegram_api_url=fake.base_url,
        # A test clicks far faster than a person: the flood guard's own test floods past this.
        throttle_rate=60,
        redis_url=redis_url,
    )


@pytest.fixture
async def redis_url() -> str:
    """TEST_REDIS_URL (emptied for the test): FSM state and the flood guard in Redis; unset:
    in the database and in process."""
    url = os.environ.get("TEST_REDIS_URL", "")
    if url:
        from redis.asyncio import Redis

        client = Redis.from_url(url)
        await client.flushdb()
        await client.aclose()
    return url


class RunningBot:
    """The real application polling the fake API; can be restarted like a process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app: Application | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.app = Application.build(self.settings)
        started = asyncio.Event()

        async def on_started() -> None:  # a coroutine: aiogram runs plain functions in a thread
            started.set()

        self.app.dispatcher.startup.register(on_started)
        # Sequential handling: the fake knows an update is done when the next poll comes.
        self._task = asyncio.create_task(
            self.app.run_polling(handle_signals=False, handle_as_tasks=False)
        )
        await asyncio.wait_for(started.wait(), timeout=10)

    async def stop(self) -> None:
        if self.app is None or self._task is None:
            return
        with contextlib.suppress(RuntimeError):  # polling already stopped
            await self.app.stop()
        await asyncio.wait_for(self._task, timeout=10)
        await self.app.close()
        self.app, self._task = None, None

    def wake_worker(self) -> None:
        assert self.app is not None
        self.app.worker.wake()

    async def sweep(self, now: datetime | None = None) -> list[int]:
        """The scheduler's monitoring sweep, run now (at `now` by the clock when given)."""
        from services.monitoring import campaigns

        async with self.sessions() as session:
            created = await campaigns.sweep(session, schedule_of(self.settings), now or utcnow())
        self.wake_worker()
        return created

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        assert self.app is not None
        return self.app.session_factory


@pytest.fixture
async def running_bot(settings: Settings) -> AsyncIterator[RunningBot]:
    bot = RunningBot(settings)
    await bot.start()
    yield bot
    await bot.stop()


@pytest.fixture
def member() -> FakeUser:
    return FakeUser(id=100001, first_name="Мария", last_name="Иванова", username="m_ivanova")


@pytest.fixture
def admin() -> FakeUser:
    return FakeUser(id=ADMIN_ID, first_name="Ольга", last_name="Петрова")


@pytest.fixture
async def directory(session_factory: async_sessionmaker[AsyncSession]) -> None:
    """The sample Kursk directory, imported the way an admin would."""
    from services import orgs

    async with session_factory() as session:
        await orgs.import_directory(session, SAMPLE_ORGS.name, SAMPLE_ORGS.read_bytes())
