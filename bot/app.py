"""Builds the running bot: engine → sessions → Bot → Dispatcher with middlewares and routers."""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import signal as signal_module
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.webhook.aiohttp_server import setup_application
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import migrate
from bot.api_session import ApiSession
from bot.config import Settings
from bot.db import create_engine, create_session_factory
from bot.metrics import Metrics
from bot.middlewares import (
    REDIS_PREFIX,
    DbSessionMiddleware,
    PersonMiddleware,
    ThrottleMiddleware,
)
from bot.scheduler import GuardedScheduler, create_scheduler
from bot.storage import DatabaseStorage
from bot.webhook import BoundedRequestHandler, add_health_routes, add_metrics_route
from bot.workers import DeliveryProcesses
from handlers import build_root_router
from handlers.admin.broadcast_views import render_progress as render_progress_card
from handlers.later import Later
from handlers.menus import set_commands
from services import leases, people
from services.broadcasts.progress import ProgressRenderer
from services.broadcasts.worker import DeliveryWorker

logger = logging.getLogger(__name__)

# Of SHUTDOWN_TIMEOUT, what the delivery worker gets to finish its sends in flight; whatever
# it has not finished by then is cancelled, its rows left pending for the next run to send.
WORKER_SHARE_OF_SHUTDOWN = 0.6
CHILDREN_SHARE_OF_SHUTDOWN = 0.85  # how long a BROADCAST_WORKERS child may take to exit
# What the sends handlers handed on (handlers/later.py) get before them, out of the same budget.
LATER_SHARE_OF_SHUTDOWN = 0.1


def create_bot(settings: Settings) -> Bot:
    api = (
        TelegramAPIServer.from_base(settings.telegram_api_url)
        if settings.telegram_api_url
        else PRODUCTION
    )
    return Bot(
        token=settings.bot_token.get_secret_value(),
        session=ApiSession(api=api),
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


def create_redis(settings: Settings) -> Redis | None:
    """The one Redis client of the process (FSM, flood guard, the shared rate limit)."""
    return Redis.from_url(settings.redis_url) if settings.redis_url else None


def create_dispatcher(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession], redis: Redis | None
) -> Dispatcher:
    # With Redis every replica sees one conversation state; without it, our own table (and
    # this process's cache of it, exact while it is the only process of the bot).
    storage: BaseStorage = (
        RedisStorage(redis, key_builder=DefaultKeyBuilder(prefix=f"{REDIS_PREFIX}:fsm"))
        if redis is not None
        else DatabaseStorage(session_factory)
    )
    dp = Dispatcher(storage=storage, settings=settings, session_factory=session_factory)
    # Order matters: drop floods before touching the database, then open the session,
    # then load the person with it.
    dp.update.outer_middleware(
        ThrottleMiddleware(settings.throttle_rate, settings.throttle_period, redis=redis)
    )
    dp.update.outer_middleware(DbSessionMiddleware(session_factory))
    dp.update.outer_middleware(PersonMiddleware(settings.admin_ids))
    dp.include_router(build_root_router())
    dp.startup.register(_on_startup)
    return dp


async def _on_startup(
    bot: Bot, settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    async with session_factory() as session:
        admins = settings.admin_ids | await people.admin_telegram_ids(session)
    await set_commands(bot, sorted(admins))


def _scheduler_hooks(
    scheduler: AsyncIOScheduler,
) -> tuple[Callable[[], Awaitable[None]], Callable[[], Awaitable[None]]]:
    # Coroutines on purpose: aiogram runs plain functions in a thread, and the scheduler must
    # start inside the running event loop.
    async def start() -> None:
        scheduler.start()

    async def stop() -> None:
        if scheduler.running:
            scheduler.shutdown(wait=False)

    return start, stop


@functools.cache  # once per process: a later call would also freeze its garbage-to-be
def settle_heap() -> None:
    """Keep the garbage collector off what startup built, for the life of the process.

    Modules, pydantic's and SQLAlchemy's models, the routers: hundreds of thousands of objects
    that live as long as the process. A full collection walks every one of them while the
    event loop stands still: 0.4 s about once a minute with 700 officers answering
    (`python -m bench.questionnaire`, `gc_longest_ms`). Frozen once started, they are not
    walked again; what updates create is collected as before.
    """
    gc.collect()
    gc.freeze()


@dataclass
class Application:
    """Everything a running bot holds; built the same way by `python -m bot` and the tests."""

    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    bot: Bot
    dispatcher: Dispatcher
    worker: DeliveryWorker
    delivery_processes: DeliveryProcesses  # BROADCAST_WORKERS − 1 children
    scheduler: GuardedScheduler
    metrics: Metrics
    later: Later
    _stopped: asyncio.Event | None = field(default=None, init=False)  # webhook mode
    _stop_soon: asyncio.Future[None] | None = field(default=None, init=False)  # on a signal

    @classmethod
    def build(
        cls, settings: Settings, render_progress: ProgressRenderer | None = render_progress_card
    ) -> Application:
        """`render_progress` draws the admin's progress card (None: the card is not edited)."""
        # Each update in flight uses up to two connections at once (its session and the FSM's).
        engine = create_engine(settings.database_url, pool_size=settings.update_concurrency)
        session_factory = create_session_factory(engine)
        bot = create_bot(settings)
        redis = create_redis(settings)
        dispatcher = create_dispatcher(settings, session_factory, redis)
        worker = DeliveryWorker.from_settings(
            bot, session_factory, settings, render_progress, redis, REDIS_PREFIX
        )
        scheduler, sweep_at_startup = create_scheduler(settings, session_factory, worker)
        processes = DeliveryProcesses(settings, settings.broadcast_workers - 1)
        metrics = Metrics(worker, session_factory, processes)
        metrics.watch_leases(scheduler.kept)
        dispatcher.message.middleware(metrics.middleware())
        dispatcher.callback_query.middleware(metrics.middleware())
        # The worker and the scheduler live as long as polling does; handlers get the worker
        # to `wake()` it.
        dispatcher["delivery_worker"] = worker
        # Sends a handler hands on (the event confirmation's .ics): finished at shutdown
        # before the worker's grace, as updates in flight are.
        later = Later()
        dispatcher["later"] = later
        dispatcher.startup.register(worker.start)
        dispatcher.startup.register(processes.start)
        start_scheduler, stop_scheduler = _scheduler_hooks(scheduler)
        dispatcher.startup.register(sweep_at_startup)
        dispatcher.startup.register(start_scheduler)
        dispatcher.shutdown.register(stop_scheduler)

        async def finish_later() -> None:
            await later.drain(grace=settings.shutdown_timeout * LATER_SHARE_OF_SHUTDOWN)

        dispatcher.shutdown.register(finish_later)

        async def stop_worker() -> None:
            # Most of SHUTDOWN_TIMEOUT for the sends in flight; the rest for closing down.
            # The children stop with the same share, and get a little more before they are
            # killed: their own stop writes the last results and hands claims back after it.
            grace = settings.shutdown_timeout * WORKER_SHARE_OF_SHUTDOWN
            await asyncio.gather(
                worker.stop(grace=grace),
                processes.stop(grace=settings.shutdown_timeout * CHILDREN_SHARE_OF_SHUTDOWN),
            )

        dispatcher.shutdown.register(stop_worker)
        return cls(
            settings=settings,
            engine=engine,
            session_factory=session_factory,
            bot=bot,
            dispatcher=dispatcher,
            worker=worker,
            delivery_processes=processes,
            scheduler=scheduler,
            metrics=metrics,
            later=later,
        )

    async def run_polling(
        self, *, handle_signals: bool = True, handle_as_tasks: bool = True
    ) -> None:
        """Long polling until stopped (SIGINT/SIGTERM, or `stop()`); /metrics, /healthz and
        /readyz on METRICS_PORT when it is set."""
        settle_heap()
        probes = None
        if self.settings.metrics_port:
            probes = await self._serve(
                self._with_probes(web.Application()),
                self.settings.metrics_host,
                self.settings.metrics_port,
            )
        try:
            await self.dispatcher.start_polling(
                self.bot,
                handle_signals=handle_signals,
                handle_as_tasks=handle_as_tasks,
                # Bounded: a burst of updates (700 officers at the deadline) queues here
                # instead of exhausting the connection pool, where waits would end in errors.
                tasks_concurrency_limit=self.settings.update_concurrency,
                close_bot_session=False,
            )
        finally:
            if probes is not None:
                await probes.cleanup()

    async def run(self, *, handle_signals: bool = True) -> None:
        """Webhook mode when WEBHOOK_URL is set, long polling otherwise."""
        if self.settings.webhook_url:
            await self.run_webhook(handle_signals=handle_signals)
        else:
            await self.run_polling(handle_signals=handle_signals)

    async def run_webhook(self, *, handle_signals: bool = True) -> None:
        """Serve Telegram's webhook (and the probes) until stopped; setWebhook at start-up,
        after the worker, the start-up sweep and the scheduler have started and the socket
        listens."""
        settle_heap()
        settings = self.settings
        web_app = self._with_probes(web.Application())
        BoundedRequestHandler(
            self.dispatcher,
            self.bot,
            secret_token=settings.webhook_secret.get_secret_value(),
            concurrency=settings.update_concurrency,
        ).register(web_app, path=settings.webhook_path)
        setup_application(web_app, self.dispatcher, bot=self.bot)

        self._stopped = asyncio.Event()
        if handle_signals:
            loop = asyncio.get_running_loop()
            for signal in (signal_module.SIGINT, signal_module.SIGTERM):
                loop.add_signal_handler(signal, self._stopped.set)
        runner = await self._serve(web_app, settings.webhook_host, settings.webhook_port)
        try:
            # Only once the socket listens: an update Telegram posts right after setWebhook
            # must find the server (aiohttp's on_startup runs before the site binds).
            await self.bot.set_webhook(
                url=settings.webhook_url,
                secret_token=settings.webhook_secret.get_secret_value(),
                allowed_updates=self.dispatcher.resolve_used_update_types(),
            )
            where = f"{settings.webhook_host}:{settings.webhook_port}"
            logger.info("Webhook set; serving on %s", where)
            await self._stopped.wait()
        finally:
            await runner.cleanup()  # the dispatcher's shutdown: scheduler and worker stop

    def _with_probes(self, web_app: web.Application) -> web.Application:
        add_health_routes(web_app, self.readiness)
        add_metrics_route(web_app, self.metrics.render)
        return web_app

    @staticmethod
    async def _serve(web_app: web.Application, host: str, port: int) -> web.AppRunner:
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except BaseException:
            await runner.cleanup()
            raise
        return runner

    async def readiness(self) -> dict[str, bool]:
        """What /readyz reports: the database answers at the newest migration, the delivery
        worker and the scheduler run."""
        try:
            async with self.engine.connect() as connection:
                current = await connection.scalar(text("SELECT version_num FROM alembic_version"))
            database, migrated = True, current == migrate.head_revision(self.settings.database_url)
        except Exception:  # unreachable, or not migrated at all
            logger.warning("Readiness: the database does not answer", exc_info=True)
            database = migrated = False
        return {
            "database": database,
            "migrations": migrated,
            # The children are not asked: a delivery helper being restarted must not take
            # the replica out of the webhook's traffic (profinform_delivery_worker_up tells).
            "delivery_worker": self.worker.running,
            "scheduler": self.scheduler.running,
        }

    async def run_until_signal(self) -> None:
        """`run()` with SIGTERM/SIGINT handled here: stop taking updates, let the dispatcher's
        shutdown finish the sends in flight (or hand them back), and give up on whatever still
        runs at SHUTDOWN_TIMEOUT: the process exits within it."""
        loop = asyncio.get_running_loop()
        running = asyncio.current_task()
        assert running is not None
        deadline: list[asyncio.TimerHandle] = []

        def overdue() -> None:
            logger.error(
                "Shutdown took over SHUTDOWN_TIMEOUT (%.0f s): stopping what still runs",
                self.settings.shutdown_timeout,
            )
            running.cancel()

        def on_signal(signal: signal_module.Signals) -> None:
            if deadline:  # a second signal: already stopping
                return
            logger.info(
                "%s: stopping (at most %.0f s)", signal.name, self.settings.shutdown_timeout
            )
            deadline.append(loop.call_later(self.settings.shutdown_timeout, overdue))
            self._stop_soon = asyncio.ensure_future(self.stop())

        for signal in (signal_module.SIGINT, signal_module.SIGTERM):
            loop.add_signal_handler(signal, on_signal, signal)
        try:
            await self.run(handle_signals=False)
        finally:
            for signal in (signal_module.SIGINT, signal_module.SIGTERM):
                loop.remove_signal_handler(signal)
            for timer in deadline:
                timer.cancel()

    async def stop(self) -> None:
        if self._stopped is not None:  # webhook mode
            self._stopped.set()
            return
        await self.dispatcher.stop_polling()

    async def claim_instance(self) -> str | None:
        """Without Redis this process must be the bot's only one on its database (the FSM
        cache, the flood guard live in it): take the instance lease, renewed by the scheduler's
        heartbeat; None when taken, else the live holder (the caller refuses to start). A
        holder of this machine whose process is gone counts as dead at once."""
        if self.settings.redis_url:
            return None
        keeper = leases.Keeper(
            self.session_factory,
            leases.INSTANCE,
            self.settings.lease_seconds,
            holder=self.scheduler.keeper.holder,
            stale=leases.stale_on_this_host,
        )
        if not await keeper.hold():
            return keeper.other
        self.scheduler.kept.append(keeper)
        return None

    async def close(self) -> None:
        await self.scheduler.release_leases()
        await self.dispatcher.storage.close()
        await self.bot.session.close()
        await self.engine.dispose()
