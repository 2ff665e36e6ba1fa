"""`GET /metrics` in Prometheus format (prometheus-client): updates, handler latency, errors,
deliveries, 429s and time paused, outbox depth per broadcast, campaign completion, notices.

One registry per Application (the tests build many). Updates are counted by an inner
middleware, where aiogram knows which handler it chose; the delivery worker's own counters
(`WorkerStats`) are read at scrape time, so the send path carries no extra work; what lives
in the database (the outbox, the campaign) is queried at scrape time too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.types import TelegramObject, Update, User
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.logs import UPDATE_LOGGER
from bot.workers import DeliveryProcesses, add_stats
from models import CampaignNotice, Delivery, DeliveryStatus
from services.broadcasts.worker import DeliveryWorker
from services.leases import Keeper
from services.monitoring import campaigns

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]

update_log = logging.getLogger(UPDATE_LOGGER)


class _WorkerCollector(Collector):
    """This replica's deliveries: its own worker's and its BROADCAST_WORKERS children's."""

    def __init__(self, worker: DeliveryWorker, children: DeliveryProcesses | None) -> None:
        self._worker = worker
        self._children = children

    def collect(self) -> Iterator[Metric]:
        stats = self._worker.stats
        if self._children is not None:
            stats = add_stats(stats, self._children.stats)
        messages = CounterMetricFamily(
            "profinform_messages", "Broadcast deliveries by outcome", labels=["outcome"]
        )
        for outcome in ("sent", "blocked", "failed", "retried", "recalled"):
            messages.add_metric([outcome], getattr(stats, outcome))
        yield messages
        yield CounterMetricFamily(
            "profinform_rate_limited", "429 answers from Telegram", value=stats.rate_limited
        )
        yield CounterMetricFamily(
            "profinform_paused_seconds",
            "Seconds of sending paused at Telegram's request (retry_after)",
            value=stats.paused_seconds,
        )
        yield GaugeMetricFamily(
            "profinform_delivery_worker_up",
            "1 while this process's delivery worker runs (and every child of it)",
            value=int(
                self._worker.running and (self._children is None or self._children.running)
            ),
        )


class _LeaseCollector(Collector):
    def __init__(self, keepers: list[Keeper]) -> None:
        self._keepers = keepers  # the scheduler's list: a lease kept later shows up too

    def collect(self) -> Iterator[Metric]:
        held = GaugeMetricFamily(
            "profinform_lease_held",
            "1 while this process holds the lease (sweeps: it runs the scheduled sweeps)",
            labels=["lease"],
        )
        for keeper in self._keepers:
            held.add_metric([keeper.name], int(keeper.held))
        yield held


class Metrics:
    def __init__(
        self,
        worker: DeliveryWorker,
        session_factory: async_sessionmaker[AsyncSession],
        children: DeliveryProcesses | None = None,
    ) -> None:
        self.registry = CollectorRegistry()
        self._sessions = session_factory
        registry = self.registry
        self.updates = Counter(
            "profinform_updates", "Updates handled", ["type", "handler"], registry=registry
        )
        self.errors = Counter(
            "profinform_update_errors",
            "Updates whose handler raised",
            ["handler"],
            registry=registry,
        )
        self.latency = Histogram(
            "profinform_update_seconds",
            "Time spent in the handler",
            ["handler"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.outbox = Gauge(
            "profinform_outbox_pending",
            "Deliveries waiting, by broadcast",
            ["broadcast"],
            registry=registry,
        )
        self.completion = Gauge(
            "profinform_campaign_submitted",
            "Organisations of the latest campaign that submitted, and that must",
            ["quarter", "what"],
            registry=registry,
        )
        self.notices = Gauge(
            "profinform_campaign_notices_sent",
            "Campaign notices sent (prompts, reminders, escalations)",
            ["kind"],
            registry=registry,
        )
        registry.register(_WorkerCollector(worker, children))

    def watch_leases(self, keepers: list[Keeper]) -> None:
        self.registry.register(_LeaseCollector(keepers))

    def middleware(self) -> BaseMiddleware:
        return _UpdateMetrics(self)

    async def render(self) -> bytes:
        """The exposition, with the database's figures read now."""
        async with self._sessions() as session:
            await self._refresh(session)
        return generate_latest(self.registry)

    async def _refresh(self, session: AsyncSession) -> None:
        self.outbox.clear()
        pending = await session.execute(
            select(Delivery.broadcast_id, func.count())
            .where(Delivery.status == DeliveryStatus.PENDING)
            .group_by(Delivery.broadcast_id)
        )
        for broadcast_id, count in pending:
            self.outbox.labels(str(broadcast_id)).set(count)
        self.notices.clear()
        sent = await session.execute(
            select(CampaignNotice.kind, func.count())
            .where(CampaignNotice.broadcast_id.is_not(None))
            .group_by(CampaignNotice.kind)
        )
        for kind, count in sent:
            self.notices.labels(str(kind)).set(count)
        self.completion.clear()
        campaign = await campaigns.current(session)
        if campaign is not None:
            rows = await campaigns.completion(session, campaign)
            quarter = f"{campaign.year}-Q{campaign.quarter}"
            self.completion.labels(quarter, "submitted").set(sum(r.submitted for r in rows))
            self.completion.labels(quarter, "total").set(sum(r.total for r in rows))


class _UpdateMetrics(BaseMiddleware):
    """Inner middleware of the message and callback observers: the handler is chosen."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        chosen = data.get("handler")
        name = (
            f"{chosen.callback.__module__}.{chosen.callback.__name__}"
            if isinstance(chosen, HandlerObject)
            else "unknown"
        )
        metrics = self._metrics
        metrics.updates.labels(type(event).__name__.lower(), name).inc()
        started = time.perf_counter()
        try:
            return await handler(event, data)
        except Exception:
            metrics.errors.labels(name).inc()
            raise
        finally:
            elapsed = time.perf_counter() - started
            metrics.latency.labels(name).observe(elapsed)
            if update_log.isEnabledFor(logging.INFO):
                _log_update(event, data, name, elapsed)


def _log_update(event: TelegramObject, data: dict[str, Any], handler: str, elapsed: float) -> None:
    """The per-update line: ids, the handler and the time it took; no text, no name."""
    update = data.get("event_update")
    user: User | None = data.get("event_from_user")
    update_log.info(
        "Update handled",
        extra={
            "update_id": update.update_id if isinstance(update, Update) else None,
            "update_type": type(event).__name__.lower(),
            "user_id": user.id if user is not None else None,
            "handler": handler,
            "duration_ms": round(elapsed * 1000, 2),
        },
    )
