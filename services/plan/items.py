"""Reading the plan, states, and reports of execution (`mark_done`)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Plan, PlanAssignee, PlanItem, PlanPeriod, PlanReport, PlanState, utcnow
from services.plan.due import OPEN_KEY
from services.plan.people import responsible_people


@dataclass(frozen=True)
class ItemView:
    item: PlanItem
    periods: list[PlanPeriod]
    names: list[str]

    def next_due(self) -> PlanPeriod | None:
        """The earliest period not done yet that has a date."""
        pending = [p for p in self.periods if p.done_at is None and p.due_on is not None]
        return min(pending, key=lambda p: p.key) if pending else None


class MarkRefusal(enum.StrEnum):
    """Why a report was not taken; nothing is written then."""

    NO_ITEM = "no_item"
    CANCELLED = "cancelled"
    NOT_RESPONSIBLE = "not_responsible"
    NO_PERIOD = "no_period"
    ALREADY_DONE = "already_done"


class MarkError(Exception):
    def __init__(self, reason: MarkRefusal) -> None:
        self.reason = reason
        super().__init__(reason.value)


async def years(session: AsyncSession) -> list[int]:
    return list(await session.scalars(select(Plan.year).order_by(Plan.year)))


async def plan_of(session: AsyncSession, year: int) -> Plan | None:
    return await session.scalar(select(Plan).where(Plan.year == year))


@dataclass(frozen=True)
class PickItem:
    """An item as a picker shows it (the event creation flow)."""

    id: int
    year: int
    number: int
    text: str
    state: PlanState


async def items_for_picking(
    session: AsyncSession, year: int | None = None, *, include_cancelled: bool = False
) -> list[PickItem]:
    """Items of the year's plan (or of every plan), by year and number; cancelled ones left
    out unless asked for."""
    query = select(Plan.year, PlanItem).join(Plan, Plan.id == PlanItem.plan_id)
    if year is not None:
        query = query.where(Plan.year == year)
    if not include_cancelled:
        query = query.where(PlanItem.state != PlanState.CANCELLED)
    rows = await session.execute(query.order_by(Plan.year, PlanItem.number))
    return [
        PickItem(item.id, plan_year, item.number, item.text, item.state)
        for plan_year, item in rows.all()
    ]


async def item_views(
    session: AsyncSession,
    plan_id: int,
    *,
    state: PlanState | None = None,
    person_id: int | None = None,
) -> list[ItemView]:
    """The plan's items with periods and names, optionally filtered."""
    query = select(PlanItem).where(PlanItem.plan_id == plan_id).order_by(PlanItem.number)
    if state is not None:
        query = query.where(PlanItem.state == state)
    items = list(await session.scalars(query))
    ids = [item.id for item in items]
    periods: dict[int, list[PlanPeriod]] = {i: [] for i in ids}
    for period in await session.scalars(
        select(PlanPeriod).where(PlanPeriod.item_id.in_(ids)).order_by(PlanPeriod.key)
    ):
        periods[period.item_id].append(period)
    names: dict[int, list[str]] = {i: [] for i in ids}
    for assignee in await session.scalars(
        select(PlanAssignee).where(PlanAssignee.item_id.in_(ids)).order_by(PlanAssignee.id)
    ):
        names[assignee.item_id].append(assignee.name)
    views = [ItemView(item, periods[item.id], names[item.id]) for item in items]
    if person_id is not None:
        views = [v for v in views if person_id in await responsible_people(session, v.item.id)]
    return views


def state_for(item: PlanItem, periods: list[PlanPeriod], today: date, reported: bool) -> PlanState:
    """The state the periods give (a cancelled item stays cancelled)."""
    if item.state is PlanState.CANCELLED:
        return PlanState.CANCELLED
    dated = [p for p in periods if p.due_on is not None]
    if dated and len(dated) == len(periods) and all(p.done_at for p in dated):
        return PlanState.DONE
    if any(p.done_at is None and p.due_on is not None and p.due_on < today for p in dated):
        return PlanState.OVERDUE
    if reported or any(p.done_at for p in periods):
        return PlanState.IN_PROGRESS
    return PlanState.PLANNED


async def refresh_state(session: AsyncSession, item: PlanItem, today: date) -> PlanState:
    periods = list(await session.scalars(select(PlanPeriod).where(PlanPeriod.item_id == item.id)))
    reported = (
        await session.scalar(
            select(PlanReport.id)
            .join(PlanPeriod, PlanPeriod.id == PlanReport.period_id)
            .where(PlanPeriod.item_id == item.id)
            .limit(1)
        )
        is not None
    )
    item.state = state_for(item, periods, today, reported)
    return item.state


async def refresh_states(session: AsyncSession, plan_id: int, today: date) -> None:
    """Bring the plan's stored states up to `today` (an item past due turns overdue before the
    sweep has seen it, e.g. right after an import); commits only when one changed."""
    changed = False
    for item in await session.scalars(select(PlanItem).where(PlanItem.plan_id == plan_id)):
        before = item.state
        changed = await refresh_state(session, item, today) is not before or changed
    if changed:
        await session.commit()


async def mark_done(
    session: AsyncSession,
    item_id: int,
    period: str,
    *,
    by_person_id: int | None,
    report_text: str,
    today: date,
    link: str | None = None,
    file_id: str | None = None,
    file_kind: str | None = None,
    check_responsible: bool = True,
) -> PlanReport:
    """Record a report of execution for the item's `period` ("YYYY-MM" or "open") and set the
    period done (an open period only counts the report). Raises MarkError, writing nothing,
    for a missing or cancelled item, a period it does not have or already done, or (with
    `check_responsible`) a person it does not name. Commits."""
    item = await session.get(PlanItem, item_id)
    if item is None:
        raise MarkError(MarkRefusal.NO_ITEM)
    if item.state is PlanState.CANCELLED:
        raise MarkError(MarkRefusal.CANCELLED)
    if check_responsible and (
        by_person_id is None or by_person_id not in await responsible_people(session, item_id)
    ):
        raise MarkError(MarkRefusal.NOT_RESPONSIBLE)
    row = await session.scalar(
        select(PlanPeriod).where(PlanPeriod.item_id == item_id, PlanPeriod.key == period)
    )
    if row is None:
        raise MarkError(MarkRefusal.NO_PERIOD)
    if period != OPEN_KEY:
        # Conditional: of two reports at once, one sets the period done, the other is refused.
        done = await session.execute(
            update(PlanPeriod)
            .where(PlanPeriod.id == row.id, PlanPeriod.done_at.is_(None))
            .values(done_at=utcnow())
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            await session.rollback()
            raise MarkError(MarkRefusal.ALREADY_DONE)
    report = PlanReport(
        period_id=row.id,
        person_id=by_person_id,
        text=report_text,
        link=link,
        file_id=file_id,
        file_kind=file_kind,
    )
    session.add(report)
    await session.flush()
    await session.refresh(row)
    await refresh_state(session, item, today)
    await session.commit()
    return report


async def cancel_item(session: AsyncSession, item_id: int) -> bool:
    item = await session.get(PlanItem, item_id)
    if item is None or item.state is PlanState.CANCELLED:
        return False
    item.state = PlanState.CANCELLED
    await session.commit()
    return True


async def reports_of(session: AsyncSession, item_id: int) -> list[tuple[PlanPeriod, PlanReport]]:
    rows = await session.execute(
        select(PlanPeriod, PlanReport)
        .join(PlanReport, PlanReport.period_id == PlanPeriod.id)
        .where(PlanPeriod.item_id == item_id)
        .order_by(PlanReport.created_at, PlanReport.id)
    )
    return [(period, report) for period, report in rows.all()]
