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

Several workers (processes, replicas) share one limit through a `Timeline`: the one of this
process (`LocalTimeline`), or `RedisTimeline`, where the next free slot and the pause live in
Redis and are moved by one atomic script on Redis's own clock, so the sum of all workers is
spaced exactly as one worker would be. The one-per-second-per-chat rule stays in each
process: a chat's deliveries are claimed by one worker at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Protocol

from redis.asyncio import Redis

HEADROOM = 0.955
PER_CHAT_INTERVAL = 1.0
# A caller woken this much later than its slot (the process stalled: a busy CPU, a garbage
# collection) takes a new slot instead of going at once with everyone else woken late: the
# stall would otherwise end in a burst, and several workers' bursts add up to a 429.
LATE_TOLERANCE = 0.03
MICRO = 1_000_000
UNREACHABLE_RETRY = 1.0  # seconds between tries while the shared timeline does not answer
UNREACHABLE_WARN_EVERY = 60.0

logger = logging.getLogger(__name__)


class Timeline(Protocol):
    """The slots of one global limit. Times are opaque numbers on the timeline's own clock."""

    async def reserve(self, interval: float) -> tuple[float, float]:
        """Take the next free slot (none before a pause ends) and move it on by `interval`;
        returns (seconds to wait for it, the slot's mark for `voided`)."""
        ...

    async def voided(self, mark: float) -> bool:
        """Whether a pause begun since makes the slot `mark` void."""
        ...

    async def pause(self, seconds: float) -> None:
        """No slot for anyone before `seconds` from now (never shortens a pause)."""
        ...


class LocalTimeline:
    """The slots in this process: exact for its own workers only."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._next_slot = float("-inf")
        self.paused_until = float("-inf")

    async def reserve(self, interval: float) -> tuple[float, float]:
        now = self._clock()
        slot = max(now, self._next_slot, self.paused_until)
        self._next_slot = slot + interval
        return slot - now, slot

    async def voided(self, mark: float) -> bool:
        return self.paused_until > mark

    async def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, self._clock() + max(seconds, 0.0))


# KEYS: next slot, paused until; ARGV: interval µs, spare lifetime ms. Redis's clock, in µs.
# The next slot's key outlives the slot itself (a long pause puts it far ahead), or it would
# expire early and the same slots be handed out again.
_RESERVE = """
local t = redis.call('TIME')
local now = t[1] * 1000000 + t[2]
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'),
                      tonumber(redis.call('GET', KEYS[2]) or '0'))
local after = slot + tonumber(ARGV[1])
local lifetime = math.floor((after - now) / 1000) + tonumber(ARGV[2])
redis.call('SET', KEYS[1], string.format('%d', after), 'PX', string.format('%d', lifetime))
return {string.format('%d', slot - now), string.format('%d', slot)}
"""
# KEYS: paused until; ARGV: seconds µs, key lifetime ms.
_PAUSE = """
local t = redis.call('TIME')
local until_ = t[1] * 1000000 + t[2] + tonumber(ARGV[1])
if until_ > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], string.format('%d', until_), 'PX', ARGV[2])
end
return 1
"""


class RedisTimeline:
    """The slots in Redis, shared by every worker of every replica using `prefix`."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._keys = [f"{prefix}:next-slot", f"{prefix}:paused-until"]
        self._reserve = redis.register_script(_RESERVE)
        self._pause = redis.register_script(_PAUSE)

    async def reserve(self, interval: float) -> tuple[float, float]:
        wait, slot = await self._reserve(keys=self._keys, args=[round(interval * MICRO), 60_000])
        return int(wait) / MICRO, float(slot)

    async def voided(self, mark: float) -> bool:
        paused = await self._redis.get(self._keys[1])
        return paused is not None and int(paused) > mark

    async def pause(self, seconds: float) -> None:
        lifetime = round((max(seconds, 0.0) + 60) * 1000)
        await self._pause(keys=self._keys[1:], args=[round(max(seconds, 0.0) * MICRO), lifetime])


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
        timeline: Timeline | None = None,
    ) -> None:
        if rate <= 0 or not 0 < headroom <= 1:
            raise ValueError("rate must be positive and headroom in (0, 1]")
        self.rate = rate
        self.interval = 1.0 / (rate * headroom)
        self.per_chat_interval = per_chat_interval
        self._clock = clock
        self._sleep = sleep
        self._timeline = timeline if timeline is not None else LocalTimeline(clock)
        # This process's own view of a pause (the shared one is the timeline's): acquirers
        # here stop at once, before the timeline has even heard of it.
        self._paused_until = float("-inf")
        self._pauses: set[asyncio.Task[None]] = set()
        self._warned_at = float("-inf")
        # chat id → when its latest call starts; oldest first, trimmed to the last second, so
        # its size stays about rate × per_chat_interval however many chats a broadcast has.
        self._chat_slots: OrderedDict[int, float] = OrderedDict()

    @property
    def paused_until(self) -> float:
        """The clock value a `pause_for` lasts until (in the past when not paused)."""
        return self._paused_until

    def pause_for(self, seconds: float) -> None:
        """Stop every acquirer for `seconds` from now (a 429's retry_after); never shortens.
        A shared timeline hears of it at once too, so every other worker stops as well."""
        self._paused_until = max(self._paused_until, self._clock() + max(seconds, 0.0))
        task = asyncio.ensure_future(self._share_pause(seconds))
        self._pauses.add(task)
        task.add_done_callback(self._pauses.discard)

    async def _share_pause(self, seconds: float) -> None:
        try:
            await self._timeline.pause(seconds)
        except Exception:  # Redis away: this process still waits; the next 429 tries again
            logger.warning("the rate limiter's pause was not shared", exc_info=True)

    async def acquire(self, chat_id: int | None = None) -> None:
        """Wait for this call's turn; `chat_id` also applies the one-per-second-per-chat rule."""
        while True:
            now = self._clock()
            if chat_id is not None:
                ready = self._chat_ready_at(chat_id)
                if ready > now:
                    await self._sleep(ready - now)
                    continue  # another caller may have taken the chat meanwhile: look again
            if self._paused_until > now:
                await self._sleep(self._paused_until - now)
                continue
            try:
                wait, mark = await self._timeline.reserve(self.interval)
            except Exception:  # Redis away: nobody knows the shared slots, so nobody sends
                self._warn_unreachable()
                await self._sleep(UNREACHABLE_RETRY)
                continue
            now = self._clock()
            slot = now + wait
            previous = self._reserve_chat(chat_id, slot, now)
            if wait <= 0:
                return
            await self._sleep(wait)
            on_time = self._clock() - slot <= LATE_TOLERANCE
            if on_time and self._paused_until <= slot and not await self._voided(mark):
                return
            # Woken late, or a 429 arrived while this caller slept (its slot is void): queue
            # again.
            self._release_chat(chat_id, slot, previous)

    async def _voided(self, mark: float) -> bool:
        try:
            return await self._timeline.voided(mark)
        except Exception:  # the slot was taken while Redis answered: it stands
            self._warn_unreachable()
            return False

    def _warn_unreachable(self) -> None:
        now = self._clock()
        if now - self._warned_at >= UNREACHABLE_WARN_EVERY:
            self._warned_at = now
            logger.warning("The shared rate limit (Redis) does not answer: sending waits for it")

    async def close(self) -> None:
        """Let the pauses being shared reach the timeline."""
        if self._pauses:
            with contextlib.suppress(Exception):
                await asyncio.gather(*self._pauses, return_exceptions=True)

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
