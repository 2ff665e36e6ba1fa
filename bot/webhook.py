"""Webhook mode: aiogram's own aiohttp request handler behind the secret token, bounded like
polling, with `/healthz` (the process answers), `/readyz` (it can do its work) and `/metrics`
(which polling serves on METRICS_PORT too).

Telegram gets its answer at once (aiogram's background handling); the updates themselves are
handled at most UPDATE_CONCURRENCY at a time, the bound polling has, so a burst waits in line
instead of exhausting the database pool.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
METRICS_PATH = "/metrics"
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

Checks = Callable[[], Awaitable[dict[str, bool]]]


class BoundedRequestHandler(SimpleRequestHandler):
    """aiogram's SimpleRequestHandler, answering at once, handling `concurrency` updates at
    a time, and saying in the log (never with the token itself) why a request was refused."""

    def __init__(
        self, dispatcher: Dispatcher, bot: Bot, *, secret_token: str, concurrency: int, **data: Any
    ) -> None:
        super().__init__(
            dispatcher, bot, handle_in_background=True, secret_token=secret_token, **data
        )
        self._slots = asyncio.Semaphore(concurrency)

    async def _background_feed_update(self, bot: Bot, update: dict[str, Any]) -> None:
        async with self._slots:
            await super()._background_feed_update(bot, update)

    async def handle(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER)
        if not self.verify_secret(given or "", self.bot):
            logger.warning(
                "Webhook request refused: %s secret token (from %s)",
                "no" if given is None else "a wrong",
                request.remote,
            )
            return web.Response(status=401, text="Unauthorized")
        return await super().handle(request)

    async def close(self) -> None:
        """The Application closes the bot's session itself, after the dispatcher's shutdown."""


def add_metrics_route(app: web.Application, render: Callable[[], Awaitable[bytes]]) -> None:
    async def metrics(_request: web.Request) -> web.Response:
        return web.Response(body=await render(), headers={"Content-Type": METRICS_CONTENT_TYPE})

    app.router.add_get(METRICS_PATH, metrics)


def add_health_routes(app: web.Application, checks: Checks) -> None:
    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_request: web.Request) -> web.Response:
        results = await checks()
        ready = all(results.values())
        body = {"status": "ok" if ready else "not ready", "checks": results}
        return web.json_response(body, status=200 if ready else 503)

    app.router.add_get(HEALTH_PATH, healthz)
    app.router.add_get(READY_PATH, readyz)
