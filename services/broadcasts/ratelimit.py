"""A global rate limiter for Bot API calls: evenly spaced sends, one per second into a chat.

Telegram allows about 30 messages per second to different chats and about one per second into
one chat; beyond that it answers 429 with `retry_after`, and the wait grows if the bot keeps
pushing. The limiter therefore *schedules* calls rather than counting them: every `acquire()`
reserves the next free slot on an evenly spaced timeline and sleeps until it. Slots never
accumulate while idle, so there are no bursts at all, and a strict sliding-window server
never sees more than `rate` calls in any second.

Why there is headroom: the server counts a call when it *arrives*, and network latency varies
from call to call. With calls started every `1/r` seconds and a latency jitter of `J` seconds,
a server window of one second sees the calls started within `1 + J` seconds, so the strict
bound is `r < rate / (1 + J)`. `HEADROOM` = 0.955 keeps 30/s sends under a 30/s window for
J up to about 45 ms (the fake's `--latency 0.04 0.08`) and still delivers above 95 % of the
limit; see README "Benchmarks".

`pause_for()` is the global stop after a 429: every waiting and future acquirer sleeps until
it ends; slots reserved before the pause are void and taken again after it.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

HEADROOM = 0.955
PER_CHAT_INTERVAL = 1.0


class RateLimiter:
    """Spaces calls to stay under `rate` per second overall and one per second into a chat."""

    def __init__(
        self,
        rate: float,
        *,
        headroom: float = HEADROOM,
        per_chat_interval: float = PER_CHAT_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        if rate <= 0 or not 0 < headroom <= 1:
            raise ValueError("rate must be positive and headroom in (0, 1]")
        self.rate = rate
        self.interval = 1.0 / (rate * headroom)
        self.per_chat_interval = per_chat_interval
        self._clock = clock
        self._sleep = sleep
        self._next_slot = float("-inf")
        self._paused_until = float("-inf")
        # chat id → when its latest call starts; oldest first, trimmed to the last second, so
        # its size stays about rate × per_chat_interval however many chats a broadcast has.
        self._chat_slots: OrderedDict[int, float] = OrderedDict()

    @property
    def paused_until(self) -> float:
        """The clock value a `pause_for` lasts until (in the past when not paused)."""
        return self._paused_until

    def pause_for(self, seconds: float) -> None:
        """Stop every acquirer for `seconds` from now (a 429's retry_after); never shortens."""
        self._paused_until = max(self._paused_until, self._clock() + max(seconds, 0.0))

    async def acquire(self, chat_id: int | None = None) -> None:
        """Wait for this call's turn; `chat_id` also applies the one-per-second-per-chat rule."""
        while True:
            now = self._clock()
            if chat_id is not None:
                ready = self._chat_ready_at(chat_id)
                if ready > now:
                    await self._sleep(ready - now)
                    continue  # another caller may have taken the chat meanwhile: look again
            slot = max(now, self._next_slot, self._paused_until)
            self._next_slot = slot + self.interval
            previous = self._reserve_chat(chat_id, slot, now)
            if slot <= now:
                return
            await self._sleep(slot - now)
            if self._paused_until <= slot:
                return
            # A 429 arrived while this caller slept: its slot is void, queue again after it.
            self._release_chat(chat_id, slot, previous)

    def _chat_ready_at(self, chat_id: int) -> float:
        last = self._chat_slots.get(chat_id)
        return float("-inf") if last is None else last + self.per_chat_interval

    def _reserve_chat(self, chat_id: int | None, slot: float, now: float) -> float | None:
        """Record the chat's call at `slot`; returns what it replaced, for `_release_chat`."""
        if chat_id is None:
            return None
        slots = self._chat_slots
        previous = slots.pop(chat_id, None)
        slots[chat_id] = slot
        horizon = now - self.per_chat_interval
        while slots:
            oldest_chat, oldest = next(iter(slots.items()))
            if oldest > horizon:
                break
            del slots[oldest_chat]
        return previous

    def _release_chat(self, chat_id: int | None, slot: float, previous: float | None) -> None:
        if chat_id is None or self._chat_slots.get(chat_id) != slot:
            return
        if previous is None:
            del self._chat_slots[chat_id]
        else:
            self._chat_slots[chat_id] = previous
