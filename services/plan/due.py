"""Due periods as the plan documents write them («март, июнь 2022», «в течение года»…).

A period is the month an item is due in (by its last day), as (year, month); items with no
date («в течение всего времени», «по плану ЦС») have one open period instead. Whatever the
parser cannot read is an error, never a guess.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import Final

MONTHS: Final = (
    "январь",
    "февраль",
    "март",
    "апрель",
    "май",
    "июнь",
    "июль",
    "август",
    "сентябрь",
    "октябрь",
    "ноябрь",
    "декабрь",
)
MONTH_NUMBER: Final = {name: index for index, name in enumerate(MONTHS, start=1)}
OPEN_KEY: Final = "open"
# Phrases with no date: the item runs all the time, nothing falls due.
OPEN_PHRASES: Final = frozenset(
    {
        "в течение всего времени",
        "в течение всего периода",
        "постоянно",
        "по плану цс",
        "во время проведения конкурсов",
        "по мере необходимости",
    }
)
YEAR_WORD: Final = r"(\d{4})\s*(?:г\.?|года?)?"
_YEARS_ONLY: Final = re.compile(rf"(?:{YEAR_WORD}[\s,;]*)+")
_YEAR_TOKEN: Final = re.compile(YEAR_WORD)
_WITHIN_YEAR: Final = re.compile(rf"в течение(?:\s+{YEAR_WORD})?\s+года?")
_TRAILING_YEAR: Final = re.compile(rf"^(.*?)\s*{YEAR_WORD}$")
_RANGE: Final = re.compile(r"^([а-яё]+)\s*[-–—]\s*([а-яё]+)$")


class DueError(ValueError):
    """The phrase is not a due period this parser knows."""


@dataclass(frozen=True)
class Due:
    """What a «Сроки» cell means: the months due (year, month), or no date at all."""

    months: tuple[tuple[int, int], ...] = ()

    @property
    def open(self) -> bool:
        return not self.months

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(period_key(y, m) for y, m in self.months) or (OPEN_KEY,)


def period_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def due_date(key: str) -> date | None:
    """The last day of the period's month; None for the open period."""
    if key == OPEN_KEY:
        return None
    year, month = (int(part) for part in key.split("-"))
    return date(year, month, calendar.monthrange(year, month)[1])


def period_label(key: str) -> str:
    """«март 2022», or «без срока»."""
    if key == OPEN_KEY:
        return "без срока"
    year, month = (int(part) for part in key.split("-"))
    return f"{MONTHS[month - 1]} {year}"


def normalise(text: str) -> str:
    return " ".join(text.casefold().replace("ё", "е").split()).strip(" .;,")


def _month(word: str, phrase: str) -> int:
    number = MONTH_NUMBER.get(word)
    if number is None:
        raise DueError(f"не удалось понять срок «{phrase}»: «{word}» — не месяц")
    return number


def parse_due(phrase: str, plan_year: int | None) -> Due:
    """The periods `phrase` names; a month without a year is in the plan's year."""
    text = normalise(phrase)
    if not text:
        raise DueError("не указан срок")
    if text in OPEN_PHRASES:
        return Due()
    within = _WITHIN_YEAR.fullmatch(text)
    if within:
        year = int(within.group(1)) if within.group(1) else plan_year
        if year is None:
            raise DueError(f"не указан год для срока «{phrase}»")
        return Due(((year, 12),))
    if _YEARS_ONLY.fullmatch(text):
        years = sorted({int(y) for y in _YEAR_TOKEN.findall(text)})
        return Due(tuple((year, 12) for year in years))
    head, year = text, plan_year
    trailing = _TRAILING_YEAR.match(text)
    if trailing:
        head, year = trailing.group(1).strip(" ,;"), int(trailing.group(2))
    if not head:
        raise DueError(f"не удалось понять срок «{phrase}»")
    months: list[int] = []
    for part in re.split(r"\s*[,;]\s*|\s+и\s+", head):
        ranged = _RANGE.match(part)
        if ranged:
            first, last = _month(ranged.group(1), phrase), _month(ranged.group(2), phrase)
            if last < first:
                raise DueError(f"не удалось понять срок «{phrase}»: конец раньше начала")
            months.append(last)  # a range is due once, by its end
        else:
            months.append(_month(part, phrase))
    if year is None:
        raise DueError(f"не указан год для срока «{phrase}»")
    return Due(tuple((year, month) for month in sorted(set(months))))
