"""Work a handler hands on to run after it returns: the tap is answered and its transaction
committed first, the slower message (a document upload) follows without holding the update."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from aiogram.exceptions import TelegramForbiddenError

logger = logging.getLogger(__name__)


class Later:
    """Runs handed-on sends as tasks, keeps them until done, logs (never raises) failures.

    Only for what may follow the committed state: a crash in between loses the message, never
    the row it tells about."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self.failed = 0

    def run(self, work: Coroutine[Any, Any, Any], what: str) -> None:
        """Start `work`; `what` names it in the log (no personal data)."""
        task = asyncio.create_task(self._guarded(work, what))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guarded(self, work: Coroutine[Any, Any, Any], what: str) -> None:
        try:
            await work
        except TelegramForbiddenError:
            logger.info("%s: not delivered, the person has blocked the bot", what)
        except Exception:
            self.failed += 1
            logger.exception("%s failed", what)

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def drain(self, grace: float | None = None) -> None:
        """Wait for what still runs (shutdown, tests, the benchmark); cancel it after `grace`
        seconds."""
        while self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=grace)
            if late:
                logger.warning("%d handed-on sends still running: cancelled", len(late))
                for task in late:
                    task.cancel()
                await asyncio.gather(*late, return_exceptions=True)
                return
