"""Webhook delivery, as Telegram does it after setWebhook: each pending update is POSTed to
the bot's URL with the secret token header, in order, one at a time; a 2xx answer confirms
it (that means *received*: a bot that handles updates in the background has not finished
it yet), anything else or a refused connection is retried shortly after."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiohttp

from .updates import UpdateQueue

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
RETRY_SECONDS = 0.2

logger = logging.getLogger(__name__)


class WebhookPusher:
    def __init__(self, queue: UpdateQueue) -> None:
        self._queue = queue
        self.url = ""
        self.secret = ""
        self.failed_posts = 0
        self._task: asyncio.Task[None] | None = None
        self._cancelled: asyncio.Task[None] | None = None

    @property
    def active(self) -> bool:
        return bool(self.url)

    def set(self, url: str, secret: str) -> None:
        self.url, self.secret = url, secret
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._push(), name="fake-webhook")

    def delete(self) -> None:
        """deleteWebhook: stop posting (getUpdates works again)."""
        self.url = self.secret = ""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            self._cancelled = task

    async def close(self) -> None:
        """The server stops: no post left in flight."""
        self.delete()
        task, self._cancelled = self._cancelled, None
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _push(self) -> None:
        async with aiohttp.ClientSession() as http:
            while True:
                update = await self._queue.first_pending()
                headers = {SECRET_HEADER: self.secret} if self.secret else {}
                try:
                    async with http.post(self.url, json=update, headers=headers) as response:
                        delivered = 200 <= response.status < 300
                except aiohttp.ClientError:
                    delivered = False
                if delivered:
                    self._queue.confirm(update["update_id"] + 1)
                else:
                    self.failed_posts += 1
                    await asyncio.sleep(RETRY_SECONDS)
