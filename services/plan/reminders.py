"""Reminders before each due month's end and the once-only overdue notice to regional admins.

Driven by rows: a `plan_notices` row per (period, person, kind) is created when it falls due
and claimed with a conditional UPDATE before sending, so a restart (or a second replica)
neither repeats nor, short of a crash mid-send, skips one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.types import InlineKeyboardMarkup
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Person,
    PlanAssignee,
    PlanItem,
    PlanNotice,
    PlanPeriod,
    PlanState,
    Role,
    RoleKind,
    utcnow,
)
from services.plan.due import period_label
from services.plan.items import refresh_state
from services.plan.people import responsible_people
from texts import plan as texts
from texts.ru import h

logger = logging.getLogger(__name__)
OVERDUE = "overdue"
DEFAULT_REMIND_DAYS = (14, 3)
# Between two notices: «председатели ТПО и ППО» may reach hundreds of officers at once, and
# Telegram allows about 30 messages a second.
PACE_SECONDS = 1 / 25


@dataclass(frozen=True)
class PlanSchedule:
    tz: ZoneInfo
    remind_days: tuple[int, ...] = DEFAULT_REMIND_DAYS
    admin_ids: frozenset[int] = frozenset()


def reminder_kind(days_left: int, remind_days: Iterable[int]) -> str | None:
    """The reminder due with `days_left` days to the deadline: the nearest one already
    reached (a missed 14-day reminder is not sent once the 3-day one is due)."""
    reached = [d for d in remind_days if 0 <= days_left <= d]
    return f"remind{min(reached)}" if reached else None


async def regional_admins(session: AsyncSession, admin_ids: frozenset[int]) -> set[int]:
    return set(
        await session.scalars(
            select(Person.id)
            .outerjoin(Role, Role.person_id == Person.id)
            .where(or_(Person.telegram_id.in_(admin_ids), Role.kind == RoleKind.REGIONAL_ADMIN))
        )
    )


async def _due_notices(
    session: AsyncSession, today: date, schedule: PlanSchedule
) -> list[tuple[int, int, str]]:
    """(period, person, kind) of every notice due today."""
    rows = await session.execute(
        select(PlanPeriod, PlanItem)
        .join(PlanItem, PlanItem.id == PlanPeriod.item_id)
        .where(
            PlanPeriod.due_on.is_not(None),
            PlanPeriod.done_at.is_(None),
            PlanItem.state != PlanState.CANCELLED,
        )
    )
    wanted: list[tuple[int, int, str]] = []
    admins: set[int] | None = None
    for period, item in rows:
        assert period.due_on is not None
        if period.due_on < today:
            if item.state is not PlanState.OVERDUE:
                await refresh_state(session, item, today)
            if admins is None:
                admins = await regional_admins(session, schedule.admin_ids)
            wanted.extend((period.id, person, OVERDUE) for person in admins)
            continue
        kind = reminder_kind((period.due_on - today).days, schedule.remind_days)
        if kind:
            people = await responsible_people(session, item.id)
            wanted.extend((period.id, person, kind) for person in people)
    await session.commit()
    return wanted


async def _create_rows(session: AsyncSession, wanted: list[tuple[int, int, str]]) -> None:
    if not wanted:
        return
    periods = {period for period, _, _ in wanted}
    existing = {
        tuple(row)
        for row in (
            await session.execute(
                select(PlanNotice.period_id, PlanNotice.person_id, PlanNotice.kind).where(
                    PlanNotice.period_id.in_(periods)
                )
            )
        ).all()
    }
    fresh = [key for key in dict.fromkeys(wanted) if key not in existing]
    for period_id, person_id, kind in fresh:
        session.add(PlanNotice(period_id=period_id, person_id=person_id, kind=kind))
    try:
        await session.commit()
    except IntegrityError:  # another replica's sweep created them first: they exist now
        await session.rollback()


# The buttons under a notice (the handlers' callback data): (overdue?, item, period key).
MarkupFor = Callable[[bool, PlanItem, str], InlineKeyboardMarkup]


async def sweep(
    session: AsyncSession,
    bot: Bot,
    now: datetime,
    schedule: PlanSchedule,
    markup_for: MarkupFor,
) -> int:
    """Create the notices due now and send the unsent ones; returns how many were sent."""
    today = now.astimezone(schedule.tz).date()
    await _create_rows(session, await _due_notices(session, today, schedule))
    pending = list(
        (
            await session.execute(
                select(PlanNotice, PlanPeriod, PlanItem, Person)
                .join(PlanPeriod, PlanPeriod.id == PlanNotice.period_id)
                .join(PlanItem, PlanItem.id == PlanPeriod.item_id)
                .join(Person, Person.id == PlanNotice.person_id)
                .where(PlanNotice.sent_at.is_(None))
                .order_by(PlanNotice.id)
            )
        ).all()
    )
    sent = 0
    for notice, period, item, person in pending:
        claimed = await session.execute(
            update(PlanNotice)
            .where(PlanNotice.id == notice.id, PlanNotice.sent_at.is_(None))
            .values(sent_at=utcnow())
        )
        await session.commit()
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue  # another sweep sent it
        if period.done_at is not None or item.state is PlanState.CANCELLED or person.blocked:
            continue
        text, markup = await _render(session, notice, period, item, markup_for)
        try:
            await bot.send_message(person.telegram_id, text, reply_markup=markup)
            sent += 1
            await asyncio.sleep(PACE_SECONDS)
        except TelegramRetryAfter as error:
            # Telegram's flood limit is global: stop here; the next sweep sends the rest.
            await _release(session, notice.id)
            logger.warning("Plan sweep paused by Telegram for %s s", error.retry_after)
            break
        except TelegramForbiddenError:
            # Blocked or deactivated: they are gone for every feature, as a broadcast marks them.
            await session.execute(
                update(Person).where(Person.id == person.id).values(blocked=True)
            )
            await session.commit()
        except TelegramBadRequest as error:
            logger.warning(
                "Plan notice %s to person %s failed: %s", notice.id, person.id, error.message
            )
        except TelegramAPIError:
            # Network trouble or a server error: not sent; the next sweep tries again.
            await _release(session, notice.id)
            logger.exception("Plan notice %s not sent", notice.id)
            break
    return sent


async def _release(session: AsyncSession, notice_id: int) -> None:
    """Un-claim a notice that was not sent, so the next sweep sends it."""
    await session.execute(
        update(PlanNotice).where(PlanNotice.id == notice_id).values(sent_at=None)
    )
    await session.commit()


async def _render(
    session: AsyncSession,
    notice: PlanNotice,
    period: PlanPeriod,
    item: PlanItem,
    markup_for: MarkupFor,
) -> tuple[str, InlineKeyboardMarkup]:
    assert period.due_on is not None
    fields = {
        "number": item.number,
        "text": h(item.text),
        "label": period_label(period.key),
        "date": period.due_on.strftime("%d.%m.%Y"),
    }
    markup = markup_for(notice.kind == OVERDUE, item, period.key)
    if notice.kind == OVERDUE:
        names = await session.scalars(
            select(PlanAssignee.name).where(PlanAssignee.item_id == item.id)
        )
        return texts.OVERDUE.format(**fields, names=h(", ".join(names))), markup
    return texts.REMIND.format(**fields), markup
