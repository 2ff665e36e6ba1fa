"""Leases: who holds a single-holder job (the scheduled sweeps, the one instance of a bot
without Redis) and until when; a holder that stops renewing loses it at `expires_at`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UtcDateTime


class Lease(Base):
    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    # host:pid:token of the process holding it (no personal data).
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
