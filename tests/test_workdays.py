"""Working days on the Russian calendar of the `holidays` package (the question SLA)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from services import workdays

MSK = ZoneInfo("Europe/Moscow")


def test_weekends_and_public_holidays_are_not_working_days() -> None:
    assert workdays.is_workday(date(2026, 5, 14))  # a Thursday
    assert not workdays.is_workday(date(2026, 5, 16))  # Saturday
    assert not workdays.is_workday(date(2026, 5, 1))  # Праздник Весны и Труда, a Friday
    assert not workdays.is_workday(date(2026, 5, 11))  # День Победы moved to Monday
    for day in range(1, 9):  # the New Year holidays and Christmas
        assert not workdays.is_workday(date(2026, 1, day))
    assert workdays.is_workday(date(2026, 1, 12))
    assert not workdays.is_workday(date(2025, 6, 12))  # День России
    assert not workdays.is_workday(date(2025, 11, 4))  # День народного единства


def test_adding_working_days_skips_the_may_holidays() -> None:
    asked = datetime(2026, 4, 30, 15, 0, tzinfo=MSK)  # Thursday before the May holidays
    assert workdays.add(asked, 1) == datetime(2026, 5, 4, 15, 0, tzinfo=MSK)
    assert workdays.add(asked, 3) == datetime(2026, 5, 6, 15, 0, tzinfo=MSK)
    # Friday 8 May, then the weekend and Monday 11 May (Victory Day moved): Tuesday 12 May.
    assert workdays.add(datetime(2026, 5, 8, 10, 0, tzinfo=MSK), 1) == datetime(
        2026, 5, 12, 10, 0, tzinfo=MSK
    )


def test_adding_working_days_across_the_new_year() -> None:
    asked = datetime(2025, 12, 29, 9, 30, tzinfo=MSK)  # Monday
    # 30 December, then 31 December and 1–11 January are days off: 12 and 13 January.
    assert workdays.add(asked, 3) == datetime(2026, 1, 13, 9, 30, tzinfo=MSK)


def test_working_days_between() -> None:
    assert workdays.between(date(2026, 5, 14), date(2026, 5, 14)) == 0
    assert workdays.between(date(2026, 5, 14), date(2026, 5, 19)) == 3
    assert workdays.between(date(2026, 4, 30), date(2026, 5, 12)) == 6  # 4–8 and 12 May
