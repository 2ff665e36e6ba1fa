"""Working days in Russia: Saturdays, Sundays and public holidays (the `holidays` package's
maintained calendar, transfers included) do not count."""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta

import holidays


@functools.lru_cache(maxsize=64)
def _year(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("RU", years=year))


def is_workday(day: date) -> bool:
    return day.weekday() < 5 and day not in _year(day.year)


def add(moment: datetime, days: int) -> datetime:
    """The moment `days` working days after `moment`: the same time of day on the
    `days`-th working day after its date."""
    day = moment.date()
    left = days
    while left > 0:
        day += timedelta(days=1)
        if is_workday(day):
            left -= 1
    return datetime.combine(day, moment.timetz())


def between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end`."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if is_workday(day):
            count += 1
    return count
