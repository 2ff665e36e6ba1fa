"""The organisation tree: regional → territorial → primary."""

from __future__ import annotations

import enum

from sqlalchemy import Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, TimestampMixin


class OrgLevel(enum.StrEnum):
    REGIONAL = "regional"
    TERRITORIAL = "territorial"
    PRIMARY = "primary"


class Organization(TimestampMixin, Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The code is the identity across imports; it also travels in deep links (`org_<code>`).
    code: Mapped[str] = mapped_column(String(32), unique=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    level: Mapped[OrgLevel] = mapped_column(
        Enum(
            OrgLevel,
            name="org_level",
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    name: Mapped[str] = mapped_column(String(300))

    parent: Mapped[Organization | None] = relationship(remote_side=[id], lazy="raise")

    def __repr__(self) -> str:
        return f"Organization(code={self.code!r}, level={self.level.value})"
