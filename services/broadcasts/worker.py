"""The delivery worker: drains the outbox into Telegram under the rate limiter.

Any number of workers, in any number of processes and replicas, drain one outbox together.
Each claims the next rows of the oldest SENDING broadcast for itself (`outbox.claim_pending`:
a claim with an expiry, taken with `FOR UPDATE SKIP LOCKED` on PostgreSQL), so two workers
never send one row; a dead worker's claims run out after `claim_seconds` and its rows go
back to the pool, a stopping worker releases them. The claims of rows still to be sent are
renewed every third of that, so a long 429 pause does not hand them to another worker. Each
row is sent in its own task, at most `concurrency` in flight, each waiting for its turn at
the `RateLimiter`, whose slots are shared through Redis when there is one (so the sum of
all workers stays under `BROADCAST_RATE`), else split evenly between this machine's
`BROADCAST_WORKERS`.

One of the workers is the coordinator (`_Coordinator`: a PostgreSQL advisory lock, or a lock
file beside the SQLite database; another worker takes over at once when its holder is gone).
It alone activates scheduled broadcasts that are due, carries out recalls and edits the
admins' progress cards, so none of that happens twice. Any process may enqueue (the chat,
the command line): the loop finds new work by polling the database every `poll_interval`
seconds, or at once after `wake()`. Between rows it re-reads the broadcast's status about
once a second, so Pause and Cancel take effect within a second plus the sends already in
flight.

Crash safety — the invariant:

    A row is marked only after its send returned, and a send's concurrency slot is released
    only after its row's result has been committed. So at any moment at most `concurrency`
    rows are "sent, or maybe sent, but still PENDING in the database".

Results are written by one writer task that commits everything finished since its last
commit in one transaction (an executemany), every few milliseconds, so the database is not
what limits the rate, on SQLite either (README, "Benchmarks"). After a crash (kill -9,
power loss) the other workers, or the restarted one, continue with the PENDING rows once the
dead worker's claims ran out: nobody is lost, and at most `concurrency` people get the
message twice (the sends in flight or finished-but-unwritten at the crash).
A graceful `stop()` lets the sends in flight finish and be written, so a deploy repeats
nothing.

Errors: 429 pauses every sender (`RateLimiter.pause_for`) and the row is resent after the
pause, not counted as an attempt; 403 marks the row BLOCKED and the person blocked; 400 marks
it FAILED at once; network errors, timeouts and 5xx are retried with exponential backoff
(the row stays PENDING with `next_attempt_at`) and FAILED after `max_attempts`. What is
stored and logged is Telegram's error description and ids, never message text (152-FZ) and
never the token.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import socket
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from models import Broadcast, BroadcastKind, BroadcastStatus, DeliveryStatus, utcnow
from services.broadcasts import outbox
from services.broadcasts.outbox import Outcome, PendingRow, SentRow
from services.broadcasts.progress import ProgressRenderer
from services.broadcasts.ratelimit import RateLimiter, RedisTimeline
from services.broadcasts.sending import send_copy

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from bot.config import Settings
if sys.platform != "win32":
    import fcntl

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
MAX_ATTEMPTS = 5
RETRY_BACKOFF = 2.0  # seconds before the first retry; doubles with each attempt
MAX_BACKOFF = 300.0
STATUS_CHECK_INTERVAL = 1.0  # how often a running broadcast's status is re-read
FLUSH_INTERVAL = 0.01  # the writer waits at most this long for more results to commit
STOP_TIMEOUT = 10.0
# A revoked token (401) is an operator's problem: wait for them instead of failing everyone.
UNAUTHORIZED_PAUSE = 60.0
PIN_ATTEMPTS = 3
ERROR_LENGTH = 200  # deliveries.error is String(200)

# Any constant shared by every worker of one database: the PostgreSQL advisory lock's key.
COORDINATOR_LOCK_KEY = 0x70726F66  # "prof"
CLAIM_SECONDS = 30.0  # a claim's term; renewed every third of it
# A worker claims about this many seconds of sending at its rate (at least two rows per
# slot), so that the workers finish a broadcast at about the same time.
CLAIM_AHEAD_SECONDS = 2.0
COORDINATOR_RETRY = 1.0  # how often a worker that is not the coordinator tries to become it

# Worth another attempt later: the message may simply not have got through.
_TRANSIENT = (TelegramNetworkError, TelegramServerError, ClientDecodeError, TimeoutError)


@dataclass
class WorkerStats:
    """What this worker did since it was created (for logs and the benchmark)."""

    sent: int = 0
    blocked: int = 0
    failed: int = 0
    retried: int = 0
    rate_limited: int = 0  # 429 answers
    paused_seconds: float = 0.0  # retry_after summed over them
    recalled: int = 0


def in_quiet_hours(moment: datetime, tz: ZoneInfo, quiet_hours: tuple[int, int]) -> bool:
    """Whether the local hour is in [start, end), the range wrapping midnight if start > end."""
    start, end = quiet_hours
    hour = moment.astimezone(tz).hour
    if start == end:
        return False
    return start <= hour < end if start < end else hour >= start or hour < end


def _is_transient(error: Exception) -> bool:
    # 413 is a subclass of the network error, but resending the same content cannot help.
    return isinstance(error, _TRANSIENT) and not isinstance(error, TelegramEntityTooLarge)


class _Coordinator:
    """At most one coordinating worker per database: it activates scheduled broadcasts,
    carries out recalls and edits the progress cards; every worker sends.

    PostgreSQL: a session-level advisory lock on a connection held for the worker's lifetime.
    SQLite: an flock() on a file beside the database. Both vanish with the process, so a
    killed coordinator never blocks the next one.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._connection: AsyncConnection | None = None
        self._fd: int | None = None
        self.held = False

    async def acquire(self) -> bool:
        """Try (without waiting) to become the coordinator; True while it is."""
        if not self.held:
            async with self._sessions() as session:
                engine = session.bind
            assert isinstance(engine, AsyncEngine)
            if engine.dialect.name == "postgresql":
                self.held = await self._lock_postgres(engine)
            else:
                self.held = self._lock_file(engine.url.database)
        return self.held

    async def release(self) -> None:
        """Let another worker coordinate (at stop; a crash releases by itself)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": COORDINATOR_LOCK_KEY}
                )
                await connection.commit()
            await connection.close()
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the file drops its flock
        self.held = False

    async def _lock_postgres(self, engine: AsyncEngine) -> bool:
        connection = await engine.connect()
        got = await connection.scalar(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": COORDINATOR_LOCK_KEY}
        )
        await connection.commit()  # the lock is the session's: no transaction stays open
        if got:
            self._connection = connection
        else:
            await connection.close()
        return bool(got)

    def _lock_file(self, database: str | None) -> bool:
        if sys.platform == "win32" or not database or database == ":memory:":
            return True  # nowhere to put a lock (or no flock): one process is assumed
        fd = os.open(f"{database}.worker-lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True


class _ResultWriter:
    """Commits finished sends in batches; each sender waits until its own row is committed.

    A batch is committed when `flush_at` results wait (half the concurrency: the other half
    keeps sending meanwhile) or `interval` after the first one, whichever comes first. So at
    high rates a commit covers many rows, and at low rates a row waits only milliseconds.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        interval: float,
        flush_at: int,
        retry_delay: float,
        worker: str,
    ) -> None:
        self._sessions = sessions
        self._worker = worker
        self._interval = interval
        self._flush_at = max(flush_at, 1)
        self._retry_delay = retry_delay
        self._outcomes: list[Outcome] = []
        self._recalled: list[int] = []
        self._waiters: list[asyncio.Future[None]] = []
        self._ready = asyncio.Event()
        self._full = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._closing = False
        self._task = asyncio.create_task(self._run(), name="delivery-results")

    async def write(self, outcome: Outcome | None = None, recalled: int | None = None) -> None:
        """Queue one result and return once it is committed."""
        if outcome is not None:
            self._outcomes.append(outcome)
        if recalled is not None:
            self._recalled.append(recalled)
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        self._ready.set()
        if len(self._waiters) >= self._flush_at:
            self._full.set()
        await waiter

    async def close(self, grace: float) -> None:
        """Commit what is queued (within `grace` seconds) and stop."""
        task, self._task = self._task, None
        if task is None:
            return
        self._closing = True
        self._ready.set()
        self._full.set()
        try:
            # Shielded: cancelling a commit half-way would lose the batch it holds.
            await asyncio.wait_for(asyncio.shield(task), grace)
        except TimeoutError:
            task.cancel()
            logger.error("%d delivery results not written at stop", len(self._waiters))

    async def _run(self) -> None:
        while not (self._closing and not self._waiters):
            await self._ready.wait()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._full.wait(), self._interval)
            self._ready.clear()
            self._full.clear()
            await self._flush()

    async def _flush(self) -> None:
        outcomes, recalled, waiters = self._outcomes, self._recalled, self._waiters
        if not waiters:
            return
        self._outcomes, self._recalled, self._waiters = [], [], []
        while True:
            try:
                async with self._sessions() as session:
                    await outbox.record_outcomes(
                        session, outcomes, recalled, worker=self._worker
                    )
                break
            except Exception:
                # Never drop a result: the senders keep their slots (so sending pauses) until
                # the database is back.
                logger.exception("writing %d delivery results failed, retrying", len(waiters))
                await asyncio.sleep(self._retry_delay)
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)


class _ProgressCards:
    """Edits the admin's progress message: at most every `interval` s, and once at the end;
    only while `active()` (this worker is the coordinator), so one worker edits each card."""

    def __init__(
        self,
        bot: Bot,
        sessions: async_sessionmaker[AsyncSession],
        limiter: RateLimiter,
        render: ProgressRenderer | None,
        interval: float,
        active: Callable[[], bool],
    ) -> None:
        self._bot = bot
        self._sessions = sessions
        self._limiter = limiter
        self._render = render
        self._interval = interval
        self._active = active
        self._due: dict[int, float] = {}  # broadcast id → loop time of the next periodic edit
        self._shown: dict[int, tuple[str, str | None]] = {}  # what the card shows now
        self._tasks: dict[int, asyncio.Task[None]] = {}

    def tick(self, broadcast_id: int) -> None:
        """A periodic edit in the background, if one is due and none is running."""
        if self._render is None or broadcast_id in self._tasks or not self._active():
            return
        now = time.monotonic()
        if now < self._due.get(broadcast_id, 0.0):
            return
        self._due[broadcast_id] = now + self._interval
        task = asyncio.create_task(self._edit(broadcast_id))
        self._tasks[broadcast_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(broadcast_id, None))

    async def final(self, broadcast_id: int, *, finished_here: bool = False) -> None:
        """The last edit of a run (done, paused, cancelled, recalled); forgets the card. The
        worker that finished a broadcast edits it even when it does not coordinate: exactly
        one worker finishes each, and the coordinator may never have seen it running."""
        running = self._tasks.get(broadcast_id)
        if running is not None:
            await asyncio.wait([running])
        if self._render is not None and (finished_here or self._active()):
            await self._edit(broadcast_id)
        self._due.pop(broadcast_id, None)
        self._shown.pop(broadcast_id, None)

    async def follow(self, running: Iterable[int]) -> None:
        """The coordinator's round: tick the card of every broadcast being sent (whichever
        worker sends it), and the final edit of a card whose broadcast stopped meanwhile (a
        pause, or another worker finished it)."""
        running = set(running)
        for broadcast_id in running:
            self.tick(broadcast_id)
        for broadcast_id in [known for known in self._due if known not in running]:
            async with self._sessions() as session:
                if await outbox.live_claims(session, broadcast_id, utcnow()):
                    continue  # other workers' sends are still landing: the next round
            await self.final(broadcast_id)

    async def close(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def _edit(self, broadcast_id: int) -> None:
        # Progress is a courtesy: no failure here may stop or slow down delivery.
        try:
            await self._edit_card(broadcast_id)
        except TelegramRetryAfter as error:
            self._limiter.pause_for(error.retry_after)
        except TelegramBadRequest as error:
            if "message is not modified" not in error.message:
                # The card is gone or cannot be edited: no more periodic tries, one final.
                self._due[broadcast_id] = float("inf")
                logger.warning("progress of broadcast %d not shown: %s", broadcast_id, error)
        except Exception:
            logger.exception("progress of broadcast %d not shown", broadcast_id)

    async def _edit_card(self, broadcast_id: int) -> None:
        assert self._render is not None
        async with self._sessions() as session:
            snapshot = await outbox.stats(session, broadcast_id)
            broadcast = await session.get(Broadcast, broadcast_id)
        if broadcast is None or broadcast.progress_chat_id is None:
            return
        if broadcast.progress_message_id is None:
            return
        text, markup = self._render(snapshot)
        card = (text, markup.model_dump_json() if markup is not None else None)
        if self._shown.get(broadcast_id) == card:
            return
        await self._limiter.acquire(broadcast.progress_chat_id)
        self._shown[broadcast_id] = card
        await self._bot.edit_message_text(
            text=text,
            chat_id=broadcast.progress_chat_id,
            message_id=broadcast.progress_message_id,
            reply_markup=markup,
            parse_mode=ParseMode.HTML,
        )


class DeliveryWorker:
    """Sends broadcasts from the outbox; `start()` with the bot, `stop()` before closing it."""

    def __init__(
        self,
        bot: Bot,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        rate: float,
        concurrency: int,
        paid: bool,
        tz: ZoneInfo,
        quiet_hours: tuple[int, int],
        progress_interval: float,
        render_progress: ProgressRenderer | None,
        poll_interval: float = 1.0,
        batch_size: int = BATCH_SIZE,
        max_attempts: int = MAX_ATTEMPTS,
        retry_backoff: float = RETRY_BACKOFF,
        flush_interval: float = FLUSH_INTERVAL,
        claim_seconds: float = CLAIM_SECONDS,
        limiter: RateLimiter | None = None,
    ) -> None:
        """`rate` is this worker's own limit unless `limiter` (shared by several) is given."""
        self.limiter = limiter if limiter is not None else RateLimiter(rate)
        self.stats = WorkerStats()
        # Unique among every worker of every replica; says where it runs, for an operator.
        self.name = f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._bot = bot
        self._sessions = session_factory
        self._concurrency = concurrency
        self._paid = paid
        self._tz = tz
        self._quiet_hours = quiet_hours
        self._poll_interval = poll_interval
        self._batch_size = batch_size
        self._max_attempts = max_attempts
        self._retry_backoff = retry_backoff
        self._slots = asyncio.Semaphore(concurrency)
        self._claim_seconds = claim_seconds
        # Rows per claim: about CLAIM_AHEAD_SECONDS of sending, never under two per slot.
        self._claim_size = min(
            batch_size, max(2 * concurrency, math.ceil(self.limiter.rate * CLAIM_AHEAD_SECONDS))
        )
        self._coordinator = _Coordinator(session_factory)
        self._coordinator_tried = float("-inf")
        self._writer = _ResultWriter(
            session_factory,
            interval=flush_interval,
            flush_at=concurrency // 2,
            retry_delay=poll_interval,
            worker=self.name,
        )
        self._cards = _ProgressCards(
            bot,
            session_factory,
            self.limiter,
            render_progress,
            progress_interval,
            active=lambda: self._coordinator.held,
        )
        self._in_flight: dict[asyncio.Task[None], int] = {}  # send task → broadcast id
        self._claimed: set[int] = set()  # delivery ids being sent (their rows still PENDING)
        self._held: set[int] = set()  # delivery ids claimed in the database, not yet written
        self._lost: set[int] = set()  # claimed, not started, and the claim ran out meanwhile
        self._renewer: asyncio.Task[None] | None = None
        self._cursors: dict[int, int] = {}  # broadcast id → last delivery id handed out
        self._recall_cursors: dict[int, int] = {}
        self._wake = asyncio.Event()
        self._stopping = False
        self._waiting_logged = False
        self._loop_task: asyncio.Task[None] | None = None

    @classmethod
    def from_settings(
        cls,
        bot: Bot,
        session_factory: async_sessionmaker[AsyncSession],
        settings: Settings,
        render_progress: ProgressRenderer | None,
        redis: Redis | None = None,
        redis_prefix: str = "profinform",
    ) -> DeliveryWorker:
        """The worker as configured in `.env` (rate, concurrency, paid mode, quiet hours).

        With Redis every worker of every replica shares one limit of the configured rate;
        without it this machine's BROADCAST_WORKERS split it evenly (and there is one
        replica: see `Application.claim_instance`)."""
        rate = settings.effective_broadcast_rate
        limiter = None
        if redis is not None:
            bot_id = settings.bot_token.get_secret_value().split(":", 1)[0]
            timeline = RedisTimeline(redis, f"{redis_prefix}:ratelimit:{bot_id}")
            limiter = RateLimiter(rate, timeline=timeline)
        else:
            rate /= settings.broadcast_workers
        return cls(
            bot,
            session_factory,
            rate=rate,
            concurrency=settings.broadcast_concurrency,
            paid=settings.paid_broadcast,
            tz=settings.tz,
            quiet_hours=(settings.quiet_hours_start, settings.quiet_hours_end),
            progress_interval=settings.progress_interval,
            render_progress=render_progress,
            claim_seconds=settings.lease_seconds,
            limiter=limiter,
        )

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the loop (idempotent); unfinished broadcasts simply continue."""
        if self._loop_task is not None:
            return
        self._stopping = False
        self._writer.start()
        self._loop_task = asyncio.create_task(self._run(), name="delivery-worker")
        self._renewer = asyncio.create_task(self._renew_claims(), name="delivery-claims")
        logger.info(
            "Delivery worker started (%.0f/s, %d in flight)", self.limiter.rate, self._concurrency
        )

    async def stop(self, grace: float = STOP_TIMEOUT) -> None:
        """Stop claiming; let the sends in flight finish and be written, within `grace` s."""
        loop_task, self._loop_task = self._loop_task, None
        if loop_task is None:
            return
        self._stopping = True
        self._wake.set()
        deadline = time.monotonic() + grace
        await _finish_or_cancel([loop_task], grace)
        await _finish_or_cancel(list(self._in_flight), deadline - time.monotonic())
        await self._writer.close(max(deadline - time.monotonic(), 1.0))
        renewer, self._renewer = self._renewer, None
        if renewer is not None:
            renewer.cancel()
            await asyncio.gather(renewer, return_exceptions=True)
        await self._release(self._held)  # no row left claimed: the others may send them now
        await self._cards.close()
        await self.limiter.close()
        await self._coordinator.release()
        self._cursors.clear()
        self._recall_cursors.clear()
        logger.info("Delivery worker stopped: %s", self.stats)

    @property
    def running(self) -> bool:
        """Started and its loop alive (a crashed loop is not running)."""
        return self._loop_task is not None and not self._loop_task.done()

    def wake(self) -> None:
        """Look for work now instead of at the next poll (after an enqueue, resume, recall)."""
        self._wake.set()

    # --- the loop --------------------------------------------------------------------------

    async def _run(self) -> None:
        while not self._stopping:
            try:
                busy = await self._step()
            except Exception:
                logger.exception("delivery worker step failed")
                busy = False
            if not busy and not self._stopping:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll_interval)
                self._wake.clear()

    async def _step(self) -> bool:
        """One unit of work; False when there was nothing to do right now."""
        coordinating = await self._coordinate()
        async with self._sessions() as session:
            activated = await outbox.activate_due(session, utcnow()) if coordinating else []
            recalls = await outbox.recalling(session) if coordinating else []
            sending = await outbox.sending(session)
        if activated:
            logger.info("Scheduled broadcasts enqueued: %s", activated)
        if coordinating:
            await self._cards.follow(sending)
        for broadcast_id in recalls:
            if await self._recall_batch(broadcast_id):
                return True
        for broadcast_id in sending:
            if await self._send_batch(broadcast_id):
                return True
        return False

    async def _coordinate(self) -> bool:
        """Whether this worker is the coordinator (trying to become it about once a second)."""
        if self._coordinator.held:
            return True
        now = time.monotonic()
        if now - self._coordinator_tried < COORDINATOR_RETRY:
            return False
        self._coordinator_tried = now
        if await self._coordinator.acquire():
            logger.info("Delivery worker %s coordinates this database's broadcasts", self.name)
            self._waiting_logged = False
            return True
        if not self._waiting_logged:
            logger.info("Delivery worker %s sends; another one coordinates", self.name)
            self._waiting_logged = True
        return False

    async def _send_batch(self, broadcast_id: int) -> bool:
        now = utcnow()
        async with self._sessions() as session:
            broadcast = await session.get(Broadcast, broadcast_id)
            if broadcast is None:
                return False
            rows = await outbox.claim_pending(
                session,
                broadcast_id,
                worker=self.name,
                after_id=self._cursors.get(broadcast_id, 0),
                now=now,
                until=now + timedelta(seconds=self._claim_seconds),
                limit=self._claim_size,
            )
        rows = [row for row in rows if row.id not in self._claimed]
        self._held.update(row.id for row in rows)
        if not rows:
            return await self._end_of_pass(broadcast_id)
        logger.debug("Broadcast %d: %d rows from delivery %d", broadcast_id, len(rows), rows[0].id)
        stopped = await self._dispatch(
            broadcast_id, rows, lambda row: self._deliver(broadcast, row)
        )
        self._lost.clear()  # every row of the batch was started, skipped or is handed back now
        if stopped or self._stopping:
            # Hand back what was claimed and not started (the sends in flight keep theirs).
            await self._release({row.id for row in rows} & (self._held - self._claimed))
        if stopped:
            # Paused, cancelled or recalled meanwhile: show it once the sends in flight landed.
            await self._wait_in_flight(broadcast_id)
            await self._cards.final(broadcast_id)
        return True

    async def _renew_claims(self) -> None:
        """Every third of the claims' term, extend the claims of the rows still to be sent."""
        while True:
            await asyncio.sleep(self._claim_seconds / 3)
            held = set(self._held)
            if not held:
                continue
            until = utcnow() + timedelta(seconds=self._claim_seconds)
            try:
                async with self._sessions() as session:
                    kept = await outbox.renew_claims(session, self.name, held, until)
            except Exception:
                logger.exception("renewing %d delivery claims failed", len(held))
                continue
            # Rows no longer this worker's (sent and written meanwhile, or a claim that ran
            # out and went to another worker): the ones not started yet are not sent here.
            lost = held & ((self._held - kept) - self._claimed)
            if lost:
                logger.warning("%d delivery claims ran out; another worker sends them", len(lost))
                self._held -= lost
                self._lost |= lost

    async def _release(self, delivery_ids: set[int]) -> None:
        if not delivery_ids:
            return
        try:
            async with self._sessions() as session:
                await outbox.release_claims(session, self.name, delivery_ids)
        except Exception:  # they run out by themselves after the claims' term
            logger.exception("releasing %d delivery claims failed", len(delivery_ids))
        self._held -= delivery_ids

    async def _end_of_pass(self, broadcast_id: int) -> bool:
        """No due row after the cursor: go round again for retries, or finish the broadcast."""
        if self._cursors.pop(broadcast_id, 0) or self._has_in_flight(broadcast_id):
            await self._wait_in_flight(broadcast_id)
            return True
        async with self._sessions() as session:
            done = await outbox.finish_if_drained(session, broadcast_id, utcnow())
        if done:
            logger.info("Broadcast %d done", broadcast_id)
            await self._cards.final(broadcast_id, finished_here=True)
        return done  # not done: the rows left wait for their next attempt

    async def _dispatch(
        self,
        broadcast_id: int,
        rows: list[PendingRow] | list[SentRow],
        job: Callable[..., Awaitable[None]],
    ) -> bool:
        """Start `job(row)` for each row, at most `concurrency` at once; True if the broadcast
        stopped being SENDING (or RECALLING) meanwhile."""
        cursors = self._recall_cursors if isinstance(rows[0], SentRow) else self._cursors
        checked = time.monotonic()
        for row in rows:
            if time.monotonic() - checked >= STATUS_CHECK_INTERVAL:
                if not await self._still_running(broadcast_id, cursors):
                    return True
                checked = time.monotonic()
            await self._slots.acquire()
            if self._stopping:
                self._slots.release()
                return False
            if row.id in self._lost:  # another worker has it now
                self._lost.discard(row.id)
                self._slots.release()
                continue
            self._claimed.add(row.id)
            cursors[broadcast_id] = row.id
            task = asyncio.create_task(self._in_slot(row.id, job(row)))
            self._in_flight[task] = broadcast_id
            task.add_done_callback(self._in_flight.pop)
            self._cards.tick(broadcast_id)
        return False

    async def _in_slot(self, delivery_id: int, job: Awaitable[None]) -> None:
        try:
            await job
        except Exception:
            logger.exception("delivery %d: unexpected error", delivery_id)
        finally:
            self._claimed.discard(delivery_id)
            self._slots.release()

    async def _still_running(self, broadcast_id: int, cursors: dict[int, int]) -> bool:
        async with self._sessions() as session:
            if cursors is self._recall_cursors:
                return broadcast_id in await outbox.recalling(session)
            return await outbox.status_of(session, broadcast_id) is BroadcastStatus.SENDING

    def _has_in_flight(self, broadcast_id: int) -> bool:
        return broadcast_id in self._in_flight.values()

    async def _wait_in_flight(self, broadcast_id: int) -> None:
        tasks = [task for task, owner in self._in_flight.items() if owner == broadcast_id]
        if tasks:
            await asyncio.wait(tasks)

    # --- one delivery ----------------------------------------------------------------------

    async def _deliver(self, broadcast: Broadcast, row: PendingRow) -> None:
        outcome = await self._attempt(broadcast, row)
        self._count(outcome)
        await self._writer.write(outcome)
        self._held.discard(row.id)

    async def _attempt(self, broadcast: Broadcast, row: PendingRow) -> Outcome:
        while True:
            await self.limiter.acquire(row.chat_id)
            silent = broadcast.kind is BroadcastKind.NEWS and in_quiet_hours(
                utcnow(), self._tz, self._quiet_hours
            )
            try:
                message_ids = await send_copy(
                    self._bot,
                    broadcast,
                    row.chat_id,
                    disable_notification=silent,
                    allow_paid_broadcast=self._paid,
                )
            except (TelegramRetryAfter, TelegramUnauthorizedError) as error:
                self._pause(error)  # the row is resent after the pause, not counted
                continue
            except Exception as error:
                return self._failure(row, error)
            if broadcast.kind is BroadcastKind.ALERT and message_ids:
                await self._pin(row, message_ids[0])
            return Outcome(
                row.id,
                row.person_id,
                DeliveryStatus.SENT,
                row.attempts,
                message_ids=message_ids,
                sent_at=utcnow(),
            )

    def _pause(self, error: TelegramRetryAfter | TelegramUnauthorizedError) -> None:
        if isinstance(error, TelegramRetryAfter):
            self.stats.rate_limited += 1
            self.stats.paused_seconds += error.retry_after
            self.limiter.pause_for(error.retry_after)
            logger.warning(
                "Telegram asked to wait %d s (429); every send waits", error.retry_after
            )
        else:
            self.limiter.pause_for(UNAUTHORIZED_PAUSE)
            logger.error(
                "Telegram rejects the bot token (401); sending paused for %.0f s",
                UNAUTHORIZED_PAUSE,
            )

    def _failure(self, row: PendingRow, error: Exception) -> Outcome:
        """What a failed send means for its row: blocked, failed, or another attempt later."""
        reason = self._describe(error)
        if isinstance(error, TelegramForbiddenError):
            return Outcome(
                row.id, row.person_id, DeliveryStatus.BLOCKED, row.attempts, error=reason
            )
        if not isinstance(error, TelegramAPIError) and not _is_transient(error):
            logger.error("delivery %d: unexpected %s", row.id, type(error).__name__)
        attempts = row.attempts + 1
        if not _is_transient(error) or attempts >= self._max_attempts:
            return Outcome(row.id, row.person_id, DeliveryStatus.FAILED, attempts, error=reason)
        delay = min(self._retry_backoff * 2 ** (attempts - 1), MAX_BACKOFF)
        return Outcome(
            row.id,
            row.person_id,
            DeliveryStatus.PENDING,
            attempts,
            error=reason,
            next_attempt_at=utcnow() + timedelta(seconds=delay),
        )

    def _describe(self, error: Exception) -> str:
        """Telegram's own description (never message content), token masked, column-sized."""
        text = error.message if isinstance(error, TelegramAPIError) else type(error).__name__
        return text.replace(self._bot.token, "***")[:ERROR_LENGTH]

    async def _pin(self, row: PendingRow, message_id: int) -> None:
        """Pin an alert; a failed pin leaves the delivery itself SENT."""
        for _ in range(PIN_ATTEMPTS):
            await self.limiter.acquire()
            try:
                # The alert itself rang already: pin quietly.
                await self._bot.pin_chat_message(
                    row.chat_id, message_id, disable_notification=True
                )
                return
            except TelegramRetryAfter as error:
                self._pause(error)
            except Exception as error:
                logger.warning("delivery %d: not pinned: %s", row.id, self._describe(error))
                return

    def _count(self, outcome: Outcome) -> None:
        stats = self.stats
        if outcome.status is DeliveryStatus.SENT:
            stats.sent += 1
        elif outcome.status is DeliveryStatus.BLOCKED:
            stats.blocked += 1
        elif outcome.status is DeliveryStatus.FAILED:
            stats.failed += 1
        else:
            stats.retried += 1

    # --- recall ----------------------------------------------------------------------------

    async def _recall_batch(self, broadcast_id: int) -> bool:
        if broadcast_id not in self._recall_cursors:
            # Copies still in flight must be written first, or the pass would miss them.
            await self._wait_in_flight(broadcast_id)
        since = utcnow() - outbox.RECALL_WINDOW
        async with self._sessions() as session:
            rows = await outbox.claim_sent(
                session,
                broadcast_id,
                after_id=self._recall_cursors.get(broadcast_id, 0),
                since=since,
                limit=self._batch_size,
            )
        rows = [row for row in rows if row.id not in self._claimed]
        if rows:
            await self._dispatch(broadcast_id, rows, self._recall)
            return True
        await self._wait_in_flight(broadcast_id)
        self._recall_cursors.pop(broadcast_id, None)
        async with self._sessions() as session:
            if await outbox.live_claims(session, broadcast_id, utcnow()):
                # Other workers' sends are still landing (they stop within a second, their
                # claims with them): another pass then, or their copies would stay.
                return False
            finished = await outbox.finish_recall(session, broadcast_id)
        if finished:
            logger.info("Broadcast %d recalled", broadcast_id)
            await self._cards.final(broadcast_id)
        return finished

    async def _recall(self, row: SentRow) -> None:
        if await self._delete(row):
            self.stats.recalled += 1
            await self._writer.write(recalled=row.id)

    async def _delete(self, row: SentRow) -> bool:
        """Delete one delivered copy (an album at once); True when it is gone."""
        for attempt in range(1, self._max_attempts + 1):
            await self.limiter.acquire(row.chat_id)
            try:
                if len(row.message_ids) == 1:
                    await self._bot.delete_message(row.chat_id, row.message_ids[0])
                elif row.message_ids:
                    await self._bot.delete_messages(row.chat_id, row.message_ids)
                return True
            except TelegramRetryAfter as error:
                self._pause(error)
            except TelegramBadRequest as error:
                # Already deleted by the member is as good as recalled.
                return "message to delete not found" in error.message
            except Exception as error:
                if not _is_transient(error):
                    logger.warning("delivery %d: not recalled: %s", row.id, self._describe(error))
                    return False
                await asyncio.sleep(self._retry_backoff * attempt)
        return False


async def _finish_or_cancel(tasks: list[asyncio.Task[None]], grace: float) -> None:
    """Wait for `tasks` up to `grace` seconds, then cancel the rest and wait for that."""
    if not tasks:
        return
    _, late = await asyncio.wait(tasks, timeout=max(grace, 0.0))
    for task in late:
        task.cancel()
    if late:
        await asyncio.wait(late)
        logger.warning("%d delivery tasks cancelled at stop", len(late))
