"""The organisation tree: regional → territorial → primary."""

from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, TimestampMixin, str_enum


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
    level: Mapped[OrgLevel] = mapped_column(str_enum(OrgLevel, "org_level"))
    name: Mapped[str] = mapped_column(String(300))

    parent: Mapped[Organization | None] = relationship(remote_side=[id], lazy="raise")

    def __repr__(self) -> str:
        return f"Organization(code={self.code!r}, level={self.level.value})"
