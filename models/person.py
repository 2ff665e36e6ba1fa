"""People who talk to the bot, and the roles they hold."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin, UtcDateTime, str_enum


class Person(TimestampMixin, Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    first_name: Mapped[str] = mapped_column(String(128), default="")
    last_name: Mapped[str | None] = mapped_column(String(128))
    username: Mapped[str | None] = mapped_column(String(64))
    org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    # 152-FZ: the moment the person agreed to the processing of personal data.
    consent_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Set when Telegram answers 403 (blocked / deactivated); cleared by their next message or tap.
    blocked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class RoleKind(enum.StrEnum):
    REGIONAL_ADMIN = "regional_admin"
    TERRITORIAL_ADMIN = "territorial_admin"
    OFFICER = "officer"
    # Answers members' questions: for one territory (org_id) or the whole region (None).
    CONSULTANT = "consultant"
    # Keeps the organisation's register in the AIS (a seminars audience of their own).
    AIS_OFFICER = "ais_officer"


class Role(Base):
    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("person_id", "kind", "org_id", name="uq_roles_grant"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[RoleKind] = mapped_column(str_enum(RoleKind, "role_kind", length=32))
    # Territory of a territorial admin, organisation of an officer; empty for regional admins.
    org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
