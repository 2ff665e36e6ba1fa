"""Conversation state (aiogram FSM) kept in the database so a restart resumes every step."""

from __future__ import annotations

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin


class FsmRecord(TimestampMixin, Base):
    __tablename__ = "fsm_states"

    # aiogram's StorageKey rendered as one string: bot:chat:user[:thread][:business][:destiny].
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
