"""Graceful shutdown of `python -m bot` (a real process): SIGTERM stops taking updates, the
sends in flight finish or go back to the outbox (no row left half-done), and the process exits
within SHUTDOWN_TIMEOUT."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from fakeapi import FakeTelegram
from models import Delivery, DeliveryStatus
from tests.conftest import TEST_NOW, TOKEN
from tests.helpers import eventually
from tests.test_delivery import queued

ROOT = Path(__file__).resolve().parent.parent
SHUTDOWN_TIMEOUT = 4.0
CHATS = range(500_001, 500_121)


async def _start_bot(
    settings: Settings, tmp_path: Path, log: Path | None = None, **extra: str
) -> asyncio.subprocess.Process:
    """`python -m bot` on the test's database and fake API; its stderr piped, or into `log`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k.upper() not in {f.upper() for f in Settings.model_fields}
    }
    env.update(
        PYTHONPATH=str(ROOT),
        CLOCK_NOW=TEST_NOW.isoformat(),
        BOT_TOKEN=TOKEN,
        DATABASE_URL=settings.database_url,
        TELEGRAM_API_URL=settings.telegram_api_url or "",
        REDIS_URL=settings.redis_url,
        SHUTDOWN_TIMEOUT=str(SHUTDOWN_TIMEOUT),
        BROADCAST_RATE="60",
        BROADCAST_CONCURRENCY="8",
    )
    env.update(extra)
    stderr = asyncio.subprocess.PIPE if log is None else log.open("wb")
    try:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.DEVNULL if log is not None else asyncio.subprocess.PIPE,
            stderr=stderr,
        )
    finally:
        if log is not None and not isinstance(stderr, int):
            stderr.close()  # the child has its own copy


async def _by_status(sessions: async_sessionmaker[AsyncSession]) -> dict[DeliveryStatus, int]:
    async with sessions() as session:
        rows = await session.execute(
            select(Delivery.status, func.count()).group_by(Delivery.status)
        )
        return {status: count for status, count in rows}


def _sends(fake: FakeTelegram) -> int:
    return sum(1 for call in fake.calls_of("sendMessage") if call.params.get("chat_id") in CHATS)


def _webhook_env() -> dict[str, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    return {
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook",
        "WEBHOOK_SECRET": "shutdown-test-secret-0123456789",
        "WEBHOOK_HOST": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
    }


@pytest.mark.parametrize(
    ("webhook", "latency"),
    [
        pytest.param(False, (0.3, 0.6), id="polling-sends-finish"),
        # Telegram hangs: the sends in flight outlive the worker's share of the timeout, are
        # cancelled and their rows stay pending; the process still exits in time.
        pytest.param(False, (30.0, 30.0), id="polling-sends-hang"),
        pytest.param(True, (30.0, 30.0), id="webhook-sends-hang"),
    ],
)
async def test_sigterm_mid_broadcast_exits_in_time_with_every_row_sent_or_pending(
    fake: FakeTelegram,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    tmp_path: Path,
    webhook: bool,
    latency: tuple[float, float],
) -> None:
    process = await _start_bot(settings, tmp_path, **(_webhook_env() if webhook else {}))
    try:
        if webhook:
            await eventually(lambda: fake.calls_of("setWebhook") or None, within=30)
        else:
            await fake.wait_polling(30)
        fake.set_latency(*latency)  # from now on sends stay in flight for a while
        await queued(session_factory, CHATS, text="<b>Новость</b>")
        await eventually(lambda: _sends(fake) >= 8 or None, within=30)  # all 8 slots busy
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(process.communicate(), timeout=SHUTDOWN_TIMEOUT + 10)
        took = time.monotonic() - signalled
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    log = err.decode()
    assert process.returncode == 0, log
    assert took <= SHUTDOWN_TIMEOUT + 1.0, (took, log)  # +1 s: the interpreter's own exit
    assert "SIGTERM: stopping" in log and "Bot stopped" in log
    assert "Delivery worker stopped" in log

    counts = await _by_status(session_factory)
    delivered = {c for c in CHATS if fake.messages(c)}
    # Not all sent (it was stopped midway), none lost: each row sent or back in the pool.
    assert counts.get(DeliveryStatus.SENT, 0) < len(CHATS)
    assert counts.get(DeliveryStatus.SENT, 0) + counts.get(DeliveryStatus.PENDING, 0) == len(CHATS)
    # What was written as sent did arrive; at most one worker's concurrency arrived unwritten.
    sent = counts.get(DeliveryStatus.SENT, 0)
    assert sent <= len(delivered) <= sent + 8
    assert all(len(fake.messages(c)) == 1 for c in delivered)
