"""The campaign schedule: when each quarter's campaign opens and closes, in local time.

Standard library only, so the settings can take their defaults from here: the default
schedule is written once, as this dataclass's defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

MOSCOW = ZoneInfo("Europe/Moscow")


@dataclass(frozen=True)
class Schedule:
    """When campaigns open and close, in local time; built from the settings, whose defaults
    are these (the only place the default schedule is written)."""

    months: tuple[int, ...] = (3, 6, 9, 12)
    open_day: int = 1
    open_time: time = time(10, 0)
    deadline_day: int = 20
    deadline_time: time = time(18, 0)
    reminder_days: tuple[int, ...] = (7, 3, 1)
    tz: ZoneInfo = MOSCOW
    admin_ids: frozenset[int] = frozenset()

    def window(self, year: int, month: int) -> tuple[datetime, datetime]:
        """Opening moment and deadline (UTC) of the campaign of that month."""
        opens = datetime.combine(date(year, month, self.open_day), self.open_time, self.tz)
        deadline = datetime.combine(
            date(year, month, self.deadline_day), self.deadline_time, self.tz
        )
        return opens.astimezone(UTC), deadline.astimezone(UTC)


def quarter_of(month: int) -> int:
    return (month - 1) // 3 + 1
