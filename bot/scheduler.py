"""APScheduler wiring: it only triggers sweeps; what is due lives in our own tables."""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from models import utcnow
from services import leases, questions
from services.broadcasts.worker import DeliveryWorker
from services.monitoring import campaigns
from services.plan import reminders as plan_reminders
from services.plan.reminders import PlanSchedule

logger = logging.getLogger(__name__)

MONITORING_SWEEP_JOB = "monitoring-sweep"
QUESTIONS_SWEEP_JOB = "questions-sweep"
PLAN_SWEEP_JOB = "plan-sweep"
EVENTS_SWEEP_JOB = "events-sweep"
SWEEP_INTERVAL_SECONDS = 60


def schedule_of(settings: Settings) -> campaigns.Schedule:
    return campaigns.Schedule(
        months=settings.campaign_months,
        open_day=settings.campaign_open_day,
        open_time=settings.campaign_open_time,
        deadline_day=settings.campaign_deadline_day,
        deadline_time=settings.campaign_deadline_time,
        reminder_days=settings.reminder_days,
        tz=settings.tz,
        admin_ids=settings.admin_ids,
    )


LEASE_HEARTBEAT_JOB = "lease-heartbeat"


class GuardedScheduler(AsyncIOScheduler):
    """Every job added runs only while this replica holds the sweeps lease (services.leases):
    the sweeps run on one replica at a time, and another takes over within `LEASE_SECONDS` plus
    a heartbeat when the holder dies. A job added with `add_job` is guarded whatever it is, so
    a new sweep needs nothing more than its own `add_job`. The heartbeat renews the `kept`
    leases (the sweeps', and the instance lease without Redis) every third of their term."""

    def __init__(self, keeper: leases.Keeper, **options: Any) -> None:
        super().__init__(**options)
        self.keeper = keeper
        self.kept: list[leases.Keeper] = [keeper]
        self._catching_up: asyncio.Future[None] | None = None
        super().add_job(
            self._heartbeat,
            "interval",
            seconds=max(keeper.ttl.total_seconds() / 3, 1.0),
            id=LEASE_HEARTBEAT_JOB,
            max_instances=1,
            coalesce=True,
        )

    def add_job(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return super().add_job(self.guard(func), *args, **kwargs)

    def guard(self, func: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
        """`func` (a coroutine function or a plain one) run only under the sweeps lease."""

        @functools.wraps(func)
        async def guarded(*args: Any, **kwargs: Any) -> Any:
            if not await self.keeper.hold():
                return None
            result = func(*args, **kwargs)
            return await result if inspect.isawaitable(result) else result

        return guarded

    async def _heartbeat(self) -> None:
        for keeper in self.kept:
            was = keeper.held
            try:
                await keeper.hold()
            except Exception:  # the database is away: the next beat tries again
                logger.warning("Lease %r not renewed", keeper.name, exc_info=True)
            if keeper is self.keeper and keeper.held and not was:
                # Beside the heartbeat, which must go on renewing however long the sweeps take.
                self._catching_up = asyncio.ensure_future(self._catch_up())

    async def _catch_up(self) -> None:
        """Taken over from a holder that died: run every job now, not at its next tick, so
        what fell due meanwhile goes out at once (each sweep marks what it sent: nothing the
        old holder sent goes out twice)."""
        logger.info("Sweeps lease taken over: running the scheduled jobs now")
        for job in self.get_jobs():
            if job.id == LEASE_HEARTBEAT_JOB:
                continue
            try:
                await job.func(*job.args, **job.kwargs)
            except Exception:
                logger.exception("Scheduled job %s failed after the takeover", job.id)

    async def release_leases(self) -> None:
        """Give every kept lease back (a graceful stop), so another replica takes over now."""
        for keeper in self.kept:
            try:
                await keeper.release()
            except Exception:  # it expires on its own
                logger.warning("Lease %r not released", keeper.name, exc_info=True)


def plan_schedule_of(settings: Settings) -> PlanSchedule:
    return PlanSchedule(
        tz=settings.tz, remind_days=settings.plan_remind_days, admin_ids=settings.admin_ids
    )


# A sweep's service call: (its session, the settings, now) → the broadcasts it queued.
SweepCall = Callable[[AsyncSession, Settings, datetime], Awaitable[list[int]]]
# The job: (the session factory, the settings, the worker to wake) → the broadcasts queued.
SweepJob = Callable[
    [async_sessionmaker[AsyncSession], Settings, DeliveryWorker], Awaitable[list[int]]
]


@dataclass(frozen=True)
class Sweep:
    """A declared sweep: the scheduler adds `run` as job `job_id` every `seconds`."""

    job_id: str
    seconds: int
    run: SweepJob


# Every sweep, in the order the start-up runs them; filled by `@sweep`. Each name declared
# below (`monitoring_sweep`, …) is the job itself: `monitoring_sweep(session_factory,
# settings, worker)` runs it once, as the tests do.
SWEEPS: list[Sweep] = []


def sweep(job_id: str, seconds: int = SWEEP_INTERVAL_SECONDS) -> Callable[[SweepCall], SweepJob]:
    """Declare a scheduled sweep once: its job id, interval and service call. The job opens
    its own session, runs the call at the one clock's now, and wakes the delivery worker when
    broadcasts were queued."""

    def declare(call: SweepCall) -> SweepJob:
        async def job(
            session_factory: async_sessionmaker[AsyncSession],
            settings: Settings,
            worker: DeliveryWorker,
        ) -> list[int]:
            async with session_factory() as session:
                queued = await call(session, settings, utcnow())
            if queued:
                logger.info("Sweep %s queued broadcasts %s", job_id, queued)
                worker.wake()
            return queued

        # Named after the call, for logs and tracebacks (not `functools.wraps`: APScheduler
        # would check the job's arguments against the call's signature).
        job.__name__, job.__qualname__ = call.__name__, call.__qualname__
        job.__doc__ = call.__doc__
        SWEEPS.append(Sweep(job_id, seconds, job))
        return job

    return declare


@sweep(MONITORING_SWEEP_JOB)
async def monitoring_sweep(session: AsyncSession, settings: Settings, now: datetime) -> list[int]:
    """Open due campaigns and queue due notices."""
    return await campaigns.sweep(session, schedule_of(settings), now)


@sweep(QUESTIONS_SWEEP_JOB)
async def questions_sweep(session: AsyncSession, settings: Settings, now: datetime) -> list[int]:
    """Members' questions past the SLA: one reminder, then one escalation."""
    return await questions.sla_sweep(
        session, now, settings.question_sla_days, settings.admin_ids, settings.tz
    )


@sweep(EVENTS_SWEEP_JOB)
async def events_sweep(session: AsyncSession, settings: Settings, now: datetime) -> list[int]:
    """Seminars and trainings: due reminders, feedback questions, held events (before the
    plan's sweep: a held event may mark a plan period done)."""
    from handlers.member.events import feedback_markup
    from services import events

    return await events.sweep(
        session, now, settings.event_remind_minutes, settings.tz, feedback_markup
    )


@sweep(PLAN_SWEEP_JOB)
async def plan_sweep(session: AsyncSession, settings: Settings, now: datetime) -> list[int]:
    """Plan reminders and overdue notices due now."""
    from handlers.plan_report import notice_markup

    return await plan_reminders.sweep(session, now, plan_schedule_of(settings), notice_markup)


def create_scheduler(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    worker: DeliveryWorker,
) -> tuple[GuardedScheduler, Callable[[], Awaitable[None]]]:
    """The scheduler, and the sweep to run once at start-up (whatever fell due while the bot
    was down goes out then, not a minute later).

    APScheduler only says *when to look*, on its own wall clock; *what is due* is decided by
    the sweep against the one clock (`models.utcnow`), so tests and a faked date agree.
    """
    sweeps = {
        each.job_id: functools.partial(each.run, session_factory, settings, worker)
        for each in SWEEPS
    }
    keeper = leases.Keeper(session_factory, leases.SWEEPS, settings.lease_seconds)
    scheduler = GuardedScheduler(keeper, timezone=settings.tz)
    for each in SWEEPS:
        scheduler.add_job(
            sweeps[each.job_id],
            "interval",
            seconds=each.seconds,
            id=each.job_id,
            max_instances=1,
            coalesce=True,
            replace_existing=True,
        )

    async def sweep_at_startup() -> None:
        for job_id, job in sweeps.items():
            try:
                await job()
            except Exception:  # the bot must start all the same; the next sweep tries again
                logger.exception("Sweep %s at start-up failed", job_id)

    guarded_at_startup = scheduler.guard(sweep_at_startup)

    async def startup_under_lease() -> None:
        try:
            await guarded_at_startup()
        except Exception:  # the lease's database is away: the heartbeat tries again
            logger.exception("Sweeps lease not taken at start-up")

    return scheduler, startup_under_lease
