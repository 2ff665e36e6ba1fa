"""Reminders before each due month's end and the once-only overdue notice to regional admins.

Driven by rows: a `plan_notices` row per (period, person, kind) is created when it falls due;
the rows of one (period, kind) are claimed with a conditional UPDATE and queued as one outbox
broadcast in the same transaction, so a restart (or a second replica) neither repeats nor
skips one: the delivery worker sends it, resuming after a crash.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select, update
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
)
from services.broadcasts import outbox
from services.plan.due import period_label
from services.plan.items import refresh_state
from services.plan.people import responsible_people
from texts import plan as texts
from texts.ru import h

OVERDUE = "overdue"
DEFAULT_REMIND_DAYS = (14, 3)


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


# The button under a notice as Bot API JSON (the handlers' callback data): (overdue?, item,
# period key).
Markup = dict[str, Any]
MarkupFor = Callable[[bool, PlanItem, str], Markup]


async def sweep(
    session: AsyncSession,
    now: datetime,
    schedule: PlanSchedule,
    markup_for: MarkupFor,
) -> list[int]:
    """Create the notices due now and queue the unqueued ones, one outbox broadcast per
    (period, kind); returns the broadcasts queued (the delivery worker sends them)."""
    today = now.astimezone(schedule.tz).date()
    await _create_rows(session, await _due_notices(session, today, schedule))
    groups = (
        await session.execute(
            select(PlanNotice.period_id, PlanNotice.kind)
            .join(PlanPeriod, PlanPeriod.id == PlanNotice.period_id)
            .join(PlanItem, PlanItem.id == PlanPeriod.item_id)
            # Done or cancelled meanwhile: nothing to remind of; the rows just stay unqueued.
            .where(
                PlanNotice.sent_at.is_(None),
                PlanPeriod.done_at.is_(None),
                PlanItem.state != PlanState.CANCELLED,
            )
            .group_by(PlanNotice.period_id, PlanNotice.kind)
            .order_by(func.min(PlanNotice.id))
        )
    ).all()
    await session.commit()
    queued: list[int] = []
    for period_id, kind in groups:
        made = await _queue(session, period_id, kind, now, markup_for)
        if made is not None:
            queued.append(made)
    return queued


async def _queue(
    session: AsyncSession, period_id: int, kind: str, now: datetime, markup_for: MarkupFor
) -> int | None:
    """Claim the unqueued rows of (period, kind) and queue one PEOPLE broadcast to them, in
    one transaction (`outbox.enqueue` commits both): a crash keeps both or neither, and of
    two sweeps at once each row goes to the one whose UPDATE … RETURNING claimed it."""
    claimed = await session.scalars(
        update(PlanNotice)
        .where(
            PlanNotice.period_id == period_id,
            PlanNotice.kind == kind,
            PlanNotice.sent_at.is_(None),
        )
        .values(sent_at=now)
        .returning(PlanNotice.person_id)
        .execution_options(synchronize_session=False)
    )
    people = list(claimed)
    if not people:  # another sweep queued them
        await session.commit()
        return None
    chats = list(await session.scalars(select(Person.telegram_id).where(Person.id.in_(people))))
    period, item = (
        await session.execute(
            select(PlanPeriod, PlanItem)
            .join(PlanItem, PlanItem.id == PlanPeriod.item_id)
            .where(PlanPeriod.id == period_id)
        )
    ).one()
    text = await _render(session, kind, period, item)
    # Silent in the quiet hours (the day turns at midnight) and never pinned: a notice.
    return await outbox.queue_notice(
        session,
        chats,
        text,
        preview=f"{item.number}. {item.text}",
        markup=markup_for(kind == OVERDUE, item, period.key),
    )


async def _render(session: AsyncSession, kind: str, period: PlanPeriod, item: PlanItem) -> str:
    assert period.due_on is not None
    fields = {
        "number": item.number,
        "text": h(item.text),
        "label": period_label(period.key),
        "date": period.due_on.strftime("%d.%m.%Y"),
    }
    if kind == OVERDUE:
        names = await session.scalars(
            select(PlanAssignee.name).where(PlanAssignee.item_id == item.id)
        )
        return texts.OVERDUE.format(**fields, names=h(", ".join(names)))
    return texts.REMIND.format(**fields)
