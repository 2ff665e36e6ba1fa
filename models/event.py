"""Seminars and trainings (/events): the event, and one row per person who registered."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin, UtcDateTime, str_enum


class EventKind(enum.StrEnum):
    SEMINAR = "seminar"
    WEBINAR = "webinar"
    LESSON = "lesson"
    MEETING = "meeting"
    CONTEST = "contest"


class EventAudience(enum.StrEnum):
    OFFICERS = "officers"  # information officers
    AIS_OFFICERS = "ais_officers"  # officers of the AIS register (RoleKind.AIS_OFFICER)
    TERRITORIAL_CHAIRS = "territorial_chairs"  # territorial admins
    PRIMARY_CHAIRS = "primary_chairs"  # officers of primary organisations
    TOPIC = "topic"  # members subscribed to a topic


class EventStatus(enum.StrEnum):
    ANNOUNCED = "announced"
    CANCELLED = "cancelled"


class RegistrationStatus(enum.StrEnum):
    REGISTERED = "registered"
    WAITING = "waiting"
    CANCELLED = "cancelled"


class Event(TimestampMixin, Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind, "event_kind"))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # An address or an online link, as the organiser typed it.
    place: Mapped[str] = mapped_column(String(500))
    audience: Mapped[EventAudience] = mapped_column(
        str_enum(EventAudience, "event_audience", length=32)
    )
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="SET NULL"))
    # None: the whole region; a territorial admin's events stay in their territory.
    territory_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    capacity: Mapped[int | None] = mapped_column(Integer)
    # Seats taken: the race-free capacity check is one conditional UPDATE of this counter.
    registered: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    status: Mapped[EventStatus] = mapped_column(
        str_enum(EventStatus, "event_status"), default=EventStatus.ANNOUNCED
    )
    organiser_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="SET NULL")
    )
    # What participants send to the bot during the event to check in.
    checkin_code: Mapped[str] = mapped_column(String(8))
    # The plan item the event carries out (the plan lives on another branch: no FK yet).
    plan_item_id: Mapped[int | None] = mapped_column(Integer)
    # Set once the event has been reported as held (`services.events.on_event_held`).
    held_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class EventRegistration(TimestampMixin, Base):
    __tablename__ = "event_registrations"
    __table_args__ = (
        UniqueConstraint("event_id", "person_id", name="uq_event_registrations_person"),
        Index("ix_event_registrations_event_status", "event_id", "status", "queued_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    status: Mapped[RegistrationStatus] = mapped_column(
        str_enum(RegistrationStatus, "registration_status")
    )
    # The waiting list's order: the moment of the (latest) tap.
    queued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attended: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    rating: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    # Each reminder and the feedback question go once: the sweep claims the row first.
    day_reminder_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    soon_reminder_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    feedback_asked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
