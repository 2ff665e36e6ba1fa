"""The one clock every timestamp and every "what is due now" comes from.

`utcnow()` is the only place in the code that reads the time of day; the sweep, campaigns,
reminders, quiet hours, reports' latest quarter, scheduled broadcasts, invites' expiry and the
models' own defaults all call it. The process runs on `SystemClock`; tests (and a demo of a
future date) install a `FakeClock` with `use()`, so nothing depends on the real date.
Durations (rate limits, progress intervals, flood guard) are measured on `time.monotonic`,
which no calendar can break.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The machine's own clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock set to a given moment that runs on from there at the machine's pace (so a
    retry "in 0.05 s" still falls due), or stands still when `frozen`."""

    def __init__(self, moment: datetime, *, frozen: bool = False) -> None:
        self.frozen = frozen
        self.set(moment)

    def now(self) -> datetime:
        if self.frozen:
            return self._moment
        return self._moment + timedelta(seconds=time.monotonic() - self._set_at)

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware moment")
        self._moment, self._set_at = moment.astimezone(UTC), time.monotonic()

    def advance(self, delta: timedelta) -> None:
        self.set(self.now() + delta)


_clock: Clock = SystemClock()


def utcnow() -> datetime:
    """The current moment by the installed clock, timezone-aware; every stored timestamp is
    UTC."""
    return _clock.now()


def current() -> Clock:
    return _clock


def install(clock: Clock) -> Clock:
    """Make `clock` the process's clock; returns the one it replaces."""
    global _clock
    previous, _clock = _clock, clock
    return previous


@contextlib.contextmanager
def use(clock: Clock) -> Iterator[Clock]:
    """The process runs on `clock` inside the block, on the previous one after it."""
    previous = install(clock)
    try:
        yield clock
    finally:
        install(previous)
