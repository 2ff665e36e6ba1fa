"""BROADCAST_WORKERS: the delivery worker processes of one replica.

The bot's own process runs one delivery worker beside the dispatcher; `DeliveryProcesses`
starts BROADCAST_WORKERS − 1 more, each `python -m bot deliver` (`run_delivery`), a process
that only drains the outbox. One Python process tops out at 600–700 sends a second (it is
CPU-bound: JSON, HTTP, the event loop), so paid broadcasts need several to approach
Telegram's 1000/s. The outbox's claims keep them from sending one row twice and the shared
limit (Redis) or an even split of the rate keeps their sum under it (`DeliveryWorker`).

A child that dies is started again (after 1 s, doubling up to a minute while it keeps
dying); one that exits cleanly was told to (systemd's SIGTERM reaches every process of the
unit) and is not. Children run in their own session, so a Ctrl+C in the terminal reaches the
bot alone, which stops them in order: at shutdown every child gets SIGTERM, finishes or
hands back its sends in flight, and is killed if it has not exited by then. A child whose
parent is gone (kill -9) stops by itself, so no orphan keeps sending after its replica died.
Each child
writes its counters (`WorkerStats`) to its stdout as a JSON line every second; the parent
adds them to its own for `/metrics` (and keeps a dead child's last ones, so the sums only
grow, as Prometheus counters must).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import signal
import sys
from pathlib import Path

from bot.config import Settings
from models import utcnow
from models.clock import SystemClock
from services.broadcasts.worker import WorkerStats

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
RESTART_DELAY = 1.0
MAX_RESTART_DELAY = 60.0
HEALTHY_RUN = 60.0  # a child that ran this long before dying starts again after RESTART_DELAY
PARENT_CHECK = 1.0  # how often a child looks whether its parent still lives
STATS_INTERVAL = 1.0  # how often a child tells its parent its counters (for /metrics)

# What a child reads from the parent's settings (the rest comes from the same environment
# and `.env`): whatever the parent was built with, a test's or the operator's, is what its
# children deliver with.
_SHARED_SETTINGS = (
    "bot_token",
    "database_url",
    "telegram_api_url",
    "redis_url",
    "timezone",
    "broadcast_rate",
    "broadcast_concurrency",
    "broadcast_workers",
    "paid_broadcast",
    "paid_broadcast_rate",
    "quiet_hours_start",
    "quiet_hours_end",
    "progress_interval",
    "lease_seconds",
    "shutdown_timeout",
    "log_level",
    "log_format",
)


def child_environment(settings: Settings) -> dict[str, str]:
    """The environment of a `python -m bot deliver` child: the parent's, and its settings."""
    env = dict(os.environ)
    for name in _SHARED_SETTINGS:
        value = getattr(settings, name)
        if hasattr(value, "get_secret_value"):
            value = value.get_secret_value()
        env[name.upper()] = "" if value is None else str(value)
    if settings.clock_now is not None:
        # A demo's (or a test's) clock: the child's runs on from where the parent's is now
        # (at this Unix time), however long the child takes to start; with clocks apart the
        # parent would take the child's claims for run out too early.
        env["CLOCK_NOW"] = utcnow().isoformat()
        env["CLOCK_NOW_AT"] = repr(SystemClock().now().timestamp())
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PROFINFORM_PARENT_PID"] = str(os.getpid())
    return env


class DeliveryProcesses:
    """`count` child delivery processes, kept running until `stop()`."""

    def __init__(self, settings: Settings, count: int) -> None:
        self._settings = settings
        self._count = count
        self._processes: list[asyncio.subprocess.Process | None] = [None] * count
        self._latest: dict[int, WorkerStats] = {}  # each live child's counters, by pid
        self._retired = WorkerStats()  # what the children that exited had counted
        self._keepers: list[asyncio.Task[None]] = []
        self._readers: set[asyncio.Task[None]] = set()
        self._stopping = False

    @property
    def stats(self) -> WorkerStats:
        """Every child's counters added up, the exited ones' included."""
        return add_stats(self._retired, *self._latest.values())

    @property
    def running(self) -> bool:
        """Every child is alive (the profinform_delivery_worker_up gauge)."""
        return all(p is not None and p.returncode is None for p in self._processes)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._processes if p is not None and p.returncode is None]

    async def start(self) -> None:
        self._stopping = False
        if self._count and self._settings.database_url.startswith("sqlite"):
            logger.warning(
                "BROADCAST_WORKERS=%d on SQLite: one writer at a time, so the children's "
                "commits compete with the chat's; several workers suit PostgreSQL",
                self._count + 1,
            )
        for index in range(self._count):
            self._processes[index] = await self._spawn(index)
            self._keepers.append(asyncio.create_task(self._keep(index), name=f"deliver-{index}"))
        if self._count:
            logger.info("%d more delivery processes started: %s", self._count, self.pids)

    async def _spawn(self, index: int) -> asyncio.subprocess.Process:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "deliver",
            env=child_environment(self._settings),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        reader = asyncio.create_task(self._read_stats(process))
        self._readers.add(reader)
        reader.add_done_callback(self._readers.discard)
        return process

    async def _read_stats(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        while True:
            try:
                line = await process.stdout.readline()
            except ValueError:  # a line beyond the reader's limit: not ours, read on
                continue
            if not line:
                break
            with contextlib.suppress(ValueError, TypeError):
                self._latest[process.pid] = WorkerStats(**json.loads(line))
        # The child is gone: its counts stay in the sums.
        self._retired = add_stats(self._retired, self._latest.pop(process.pid, WorkerStats()))

    async def _keep(self, index: int) -> None:
        delay = RESTART_DELAY
        while True:
            process = self._processes[index]
            assert process is not None
            started = asyncio.get_running_loop().time()
            code = await process.wait()
            if self._stopping:
                return
            if code == 0:
                logger.info("Delivery process %d was stopped; not started again", process.pid)
                return
            if asyncio.get_running_loop().time() - started >= HEALTHY_RUN:
                delay = RESTART_DELAY
            logger.error(
                "Delivery process %d exited with %s; starting it again in %.0f s",
                process.pid,
                code,
                delay,
            )
            await asyncio.sleep(delay)
            if self._stopping:
                return
            self._processes[index] = await self._spawn(index)
            delay = min(delay * 2, MAX_RESTART_DELAY)

    async def stop(self, grace: float) -> None:
        """SIGTERM to every child; kill whichever is still there after `grace` seconds."""
        self._stopping = True
        for keeper in self._keepers:
            keeper.cancel()
        await asyncio.gather(*self._keepers, return_exceptions=True)
        self._keepers.clear()
        alive = [p for p in self._processes if p is not None and p.returncode is None]
        for process in alive:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        if not alive:
            return
        await asyncio.wait([asyncio.create_task(p.wait()) for p in alive], timeout=grace)
        for process in alive:
            if process.returncode is None:
                logger.error("Delivery process %d did not stop in time: killed", process.pid)
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        await asyncio.gather(*self._readers, return_exceptions=True)


async def run_delivery(settings: Settings) -> int:
    """`python -m bot deliver`: one delivery worker until SIGTERM/SIGINT, or until the bot
    process that started it is gone."""
    from bot.app import WORKER_SHARE_OF_SHUTDOWN, create_bot, create_redis
    from bot.db import create_engine, create_session_factory
    from bot.middlewares import REDIS_PREFIX
    from handlers.admin.broadcast_views import render_progress
    from services.broadcasts.worker import DeliveryWorker

    engine = create_engine(settings.database_url, pool_size=4)
    bot = create_bot(settings)
    redis = create_redis(settings)
    worker = DeliveryWorker.from_settings(
        bot, create_session_factory(engine), settings, render_progress, redis, REDIS_PREFIX
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    watch = asyncio.create_task(_watch_parent(stop))
    report = asyncio.create_task(_report_stats(worker.stats))
    await worker.start()
    logger.info("Delivery process %d started (worker %s)", os.getpid(), worker.name)
    try:
        await stop.wait()
    finally:
        watch.cancel()
        await worker.stop(grace=settings.shutdown_timeout * WORKER_SHARE_OF_SHUTDOWN)
        report.cancel()
        _print_stats(worker.stats)  # the last counts, after the sends in flight landed
        await bot.session.close()
        if redis is not None:
            await redis.aclose()
        await engine.dispose()
    logger.info("Delivery process %d stopped", os.getpid())
    return 0


async def _watch_parent(stop: asyncio.Event) -> None:
    parent = os.environ.get("PROFINFORM_PARENT_PID")
    if not parent:
        return
    while os.getppid() == int(parent):  # noqa: ASYNC110 (nothing to wait on: polled)
        await asyncio.sleep(PARENT_CHECK)
    logger.warning("The bot process that started this delivery process is gone: stopping")
    stop.set()


async def _report_stats(stats: WorkerStats) -> None:
    while True:
        _print_stats(stats)
        await asyncio.sleep(STATS_INTERVAL)


def _print_stats(stats: WorkerStats) -> None:
    with contextlib.suppress(OSError):  # the parent is gone
        print(json.dumps(dataclasses.asdict(stats)), flush=True)


def add_stats(*many: WorkerStats) -> WorkerStats:
    """Several workers' counters as one."""
    fields = [field.name for field in dataclasses.fields(WorkerStats)]
    return WorkerStats(**{name: sum(getattr(s, name) for s in many) for name in fields})
