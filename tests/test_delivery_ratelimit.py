"""The delivery rate limiter on a virtual clock: spacing, per-chat rule, 429 pauses, memory."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest

from fakeapi.state import RateLimiter as ServerWindow
from services.broadcasts.ratelimit import LocalTimeline, RateLimiter

T = TypeVar("T")


class VirtualClock:
    """Time that moves only when every task is asleep: sleeps end in order, instantly."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        assert seconds > 0, "the limiter must never spin with zero sleeps"
        self.slept.append(seconds)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + seconds, next(self._seq), future))
        await future

    async def run(self, *coros: Coroutine[Any, Any, T]) -> list[T]:
        """Run the coroutines to completion, advancing time whenever all of them sleep."""
        tasks = [asyncio.ensure_future(c) for c in coros]
        while not all(t.done() for t in tasks):
            for _ in range(5):  # let every runnable task reach its next sleep
                await asyncio.sleep(0)
            if self._sleepers and not all(t.done() for t in tasks):
                wake, _, future = heapq.heappop(self._sleepers)
                self.now = max(self.now, wake)
                future.set_result(None)
        return [t.result() for t in tasks]


def limiter(clock: VirtualClock, rate: float, **kwargs: float) -> RateLimiter:
    return RateLimiter(rate, clock=clock, sleep=clock.sleep, **kwargs)


async def stamp(lim: RateLimiter, clock: VirtualClock, chat_id: int | None = None) -> float:
    await lim.acquire(chat_id)
    return clock.now


async def test_calls_are_evenly_spaced_without_a_first_burst() -> None:
    clock = VirtualClock()
    lim = limiter(clock, 10, headroom=1.0)
    times = await clock.run(*(stamp(lim, clock, chat) for chat in range(25)))
    assert times == pytest.approx([i * 0.1 for i in range(25)])


async def test_idle_time_does_not_save_up_a_burst() -> None:
    clock = VirtualClock()
    lim = limiter(clock, 10, headroom=1.0)
    await clock.run(stamp(lim, clock))
    clock.now = 100.0
    times = await clock.run(*(stamp(lim, clock) for _ in range(3)))
    assert times == pytest.approx([100.0, 100.1, 100.2])


async def test_headroom_keeps_a_strict_window_happy_despite_latency_jitter() -> None:
    # The fake server's own sliding window, fed with arrival = start + latency in [40, 80] ms
    # (the worst case alternates the extremes): no call is ever refused.
    clock = VirtualClock()
    lim = limiter(clock, 30)
    starts = await clock.run(*(stamp(lim, clock, chat) for chat in range(300)))
    window = ServerWindow()
    window.configure(30, 1, per_chat=False)
    arrivals = sorted(s + (0.08 if i % 29 == 0 else 0.04) for i, s in enumerate(starts))
    for arrival in arrivals:
        assert window.check(None, arrival) is None
        window.accept(None, arrival)
    assert len(starts) / starts[-1] > 0.95 * 30


async def test_one_call_per_second_into_one_chat() -> None:
    clock = VirtualClock()
    lim = limiter(clock, 100, headroom=1.0)
    same = [stamp(lim, clock, 7) for _ in range(3)]
    other = [stamp(lim, clock, 8)]
    times = await clock.run(*same, *other)
    assert sorted(times[:3]) == pytest.approx([0.0, 1.0, 2.0])
    assert times[3] == pytest.approx(0.01)


async def test_calls_without_a_chat_skip_the_per_chat_rule() -> None:
    clock = VirtualClock()
    lim = limiter(clock, 100, headroom=1.0)
    times = await clock.run(*(stamp(lim, clock) for _ in range(3)))
    assert times == pytest.approx([0.0, 0.01, 0.02])


async def test_pause_stops_waiting_and_new_callers_until_it_ends() -> None:
    clock = VirtualClock()
    lim = limiter(clock, 10, headroom=1.0)
    await clock.run(stamp(lim, clock))  # t=0

    async def pause_soon() -> float:
        await clock.sleep(0.05)
        lim.pause_for(2.0)
        return -1.0

    results = await clock.run(pause_soon(), *(stamp(lim, clock, chat) for chat in range(3)))
    times = sorted(results[1:])
    assert times[0] == pytest.approx(2.05)  # the slot at 0.1 was void: after the pause
    assert times == pytest.approx([2.05, 2.15, 2.25])


async def test_a_shorter_pause_never_shortens_a_longer_one() -> None:
    clock = VirtualClock()
    lim = limiter(clock, 10)
    lim.pause_for(5)
    lim.pause_for(1)
    assert lim.paused_until == 5
    times = await clock.run(stamp(lim, clock))
    assert times == [5.0]


async def test_per_chat_memory_stays_bounded() -> None:
    clock = VirtualClock()
    lim = limiter(clock, 1000, headroom=1.0)
    chats = iter(range(5000))

    async def sender() -> None:  # like the worker: a few callers, each one call at a time
        for chat in chats:
            await lim.acquire(chat)

    await clock.run(*(sender() for _ in range(16)))
    # Only chats whose call was within the last second (or is still waiting) are remembered.
    assert len(lim._chat_slots) <= 1000 + 16


def test_bad_arguments_are_rejected() -> None:
    with pytest.raises(ValueError):
        RateLimiter(0)
    with pytest.raises(ValueError):
        RateLimiter(30, headroom=1.5)


async def test_callers_woken_late_by_a_stall_take_new_slots_instead_of_a_burst() -> None:
    clock = VirtualClock()
    lim = limiter(clock, 10, headroom=1.0)
    stalled = False

    async def stall_once(seconds: float) -> None:
        nonlocal stalled
        await clock.sleep(seconds)
        if not stalled and clock.now >= 0.25:  # the process stands still for half a second
            stalled = True
            clock.now += 0.5

    lim._sleep = stall_once
    times = await clock.run(*(stamp(lim, clock) for _ in range(20)))
    # However late the sleepers woke, no server second saw more than the rate.
    window = ServerWindow()
    window.configure(10, retry_after=1, per_chat=False)
    for moment in sorted(times):
        assert window.check(None, moment) is None, moment
        window.accept(None, moment)
    assert stalled


async def test_while_the_shared_timeline_does_not_answer_nobody_sends() -> None:
    clock = VirtualClock()
    failures = 2

    class Flaky(LocalTimeline):
        async def reserve(self, interval: float) -> tuple[float, float]:
            nonlocal failures
            if failures:
                failures -= 1
                raise ConnectionError("Redis is away")
            return await super().reserve(interval)

    lim = RateLimiter(10, clock=clock, sleep=clock.sleep, timeline=Flaky(clock))
    [moment] = await clock.run(stamp(lim, clock))
    assert moment == 2.0  # two retries a second apart, then the slot at once
