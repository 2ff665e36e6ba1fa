"""APScheduler wiring: it only triggers sweeps; what is due lives in our own tables."""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from models import utcnow
from services.broadcasts.worker import DeliveryWorker
from services.monitoring import campaigns

logger = logging.getLogger(__name__)

MONITORING_SWEEP_JOB = "monitoring-sweep"
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


def create_scheduler(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    worker: DeliveryWorker,
) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=settings.tz)
    scheduler.add_job(
        monitoring_sweep,
        "interval",
        seconds=SWEEP_INTERVAL_SECONDS,
        id=MONITORING_SWEEP_JOB,
        args=[session_factory, schedule_of(settings), worker],
        # Right at start-up too: whatever fell due while the bot was down goes out now.
        next_run_time=utcnow(),
        max_instances=1,
        coalesce=True,
        replace_existing=True,
    )
    return scheduler
