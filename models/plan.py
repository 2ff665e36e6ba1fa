"""The programme's plan of events: items, their due periods, who answers for them, reports."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin, UtcDateTime, str_enum
from models.clock import utcnow


class PlanState(enum.StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    OVERDUE = "overdue"
    CANCELLED = "cancelled"


class Plan(TimestampMixin, Base):
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)


class PlanItem(TimestampMixin, Base):
    __tablename__ = "plan_items"
    __table_args__ = (UniqueConstraint("plan_id", "number", name="uq_plan_items_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    # The «Ответственные» and «Сроки» cells as the document writes them.
    responsible: Mapped[str] = mapped_column(Text)
    due_text: Mapped[str] = mapped_column(String(300))
    state: Mapped[PlanState] = mapped_column(
        str_enum(PlanState, "plan_state"), default=PlanState.PLANNED
    )


class PlanPeriod(Base):
    """One time an item is due: `key` is "YYYY-MM" (due by the month's last day) or "open"
    for items without a date («в течение всего времени»)."""

    __tablename__ = "plan_periods"
    __table_args__ = (UniqueConstraint("item_id", "key", name="uq_plan_periods_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("plan_items.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(16))
    due_on: Mapped[date | None] = mapped_column(Date)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class PlanAssignee(Base):
    """A name of the «Ответственные» cell; `name_key` is its casefolded form (search, links)."""

    __tablename__ = "plan_assignees"
    __table_args__ = (UniqueConstraint("item_id", "name_key", name="uq_plan_assignees_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("plan_items.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200), index=True)


class PlanNameLink(Base):
    """A name as plans write it, linked once to a person of the bot."""

    __tablename__ = "plan_name_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)


class PlanReport(Base):
    """A report of execution for one period of an item."""

    __tablename__ = "plan_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(
        ForeignKey("plan_periods.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(500))
    file_id: Mapped[str | None] = mapped_column(String(200))
    file_kind: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PlanNotice(Base):
    """A reminder or overdue notice for (period, person, kind); the row makes it once-only."""

    __tablename__ = "plan_notices"
    __table_args__ = (
        UniqueConstraint("period_id", "person_id", "kind", name="uq_plan_notices_once"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(
        ForeignKey("plan_periods.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "remind14", "remind3", "overdue"
    # When it was queued as an outbox broadcast (the delivery worker sends it from there).
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
