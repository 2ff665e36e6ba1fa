"""APScheduler wiring: it only triggers sweeps; what is due lives in our own tables."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from models import utcnow
from services.broadcasts.worker import DeliveryWorker
from services.monitoring import campaigns

logger = logging.getLogger(__name__)

MONITORING_SWEEP_JOB = "monitoring-sweep"
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


async def monitoring_sweep(
    session_factory: async_sessionmaker[AsyncSession],
    schedule: campaigns.Schedule,
    worker: DeliveryWorker,
) -> None:
    """Open due campaigns and send due notices; each run opens its own session."""
    async with session_factory() as session:
        created = await campaigns.sweep(session, schedule, utcnow())
    if created:
        logger.info("Monitoring sweep queued broadcasts %s", created)
        worker.wake()


async def events_sweep(
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    worker: DeliveryWorker,
) -> list[int]:
    """Seminars and trainings: due reminders, feedback questions, held events."""
    from handlers.member.events import feedback_markup
    from services import events

    async with session_factory() as session:
        created = await events.sweep(
            session, utcnow(), settings.event_remind_minutes, settings.tz, feedback_markup
        )
    if created:
        logger.info("Events sweep queued broadcasts %s", created)
        worker.wake()
    return created


def create_scheduler(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    worker: DeliveryWorker,
) -> tuple[AsyncIOScheduler, Callable[[], Awaitable[None]]]:
    """The scheduler, and the sweep to run once at start-up (whatever fell due while the bot
    was down goes out then, not a minute later).

    APScheduler only says *when to look*, on its own wall clock; *what is due* is decided by
    the sweep against the one clock (`models.utcnow`), so tests and a faked date agree.
    """
    sweep = functools.partial(monitoring_sweep, session_factory, schedule_of(settings), worker)
    scheduler = AsyncIOScheduler(timezone=settings.tz)
    scheduler.add_job(
        sweep,
        "interval",
        seconds=SWEEP_INTERVAL_SECONDS,
        id=MONITORING_SWEEP_JOB,
        max_instances=1,
        coalesce=True,
        replace_existing=True,
    )

    events = functools.partial(events_sweep, session_factory, settings, worker)
    scheduler.add_job(
        events,
        "interval",
        seconds=SWEEP_INTERVAL_SECONDS,
        id=EVENTS_SWEEP_JOB,
        max_instances=1,
        coalesce=True,
        replace_existing=True,
    )

    async def sweep_at_startup() -> None:
        try:
            await sweep()
        except Exception:  # the bot must start all the same; the next sweep tries again
            logger.exception("Monitoring sweep at start-up failed")
        try:
            await events()
        except Exception:
            logger.exception("Events sweep at start-up failed")

    return scheduler, sweep_at_startup
