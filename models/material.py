"""The library of methodological materials: categories and the materials themselves."""

from __future__ import annotations

import enum

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin, str_enum

TITLE_LENGTH = 200


class MaterialKind(enum.StrEnum):
    DOCUMENT = "document"
    VIDEO = "video"
    PHOTO = "photo"
    LINK = "link"


class MaterialAudience(enum.StrEnum):
    ALL = "all"  # every member
    ACTIVISTS = "activists"  # anyone holding a role: officers, consultants, admins


class MaterialCategory(Base):
    __tablename__ = "material_categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)


class Material(TimestampMixin, Base):
    __tablename__ = "materials"
    __table_args__ = (Index("ix_materials_category_created", "category_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_LENGTH))
    description: Mapped[str] = mapped_column(Text, default="")
    # casefold() of title and description (ё as е): the same case-insensitive Cyrillic search
    # on SQLite, whose lower() is ASCII-only, and on PostgreSQL.
    search_text: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int] = mapped_column(
        ForeignKey("material_categories.id", ondelete="RESTRICT"), index=True
    )
    audience: Mapped[MaterialAudience] = mapped_column(
        str_enum(MaterialAudience, "material_audience")
    )
    # A territorial admin's material is shown to the territory's people only; None: regional.
    territory_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[MaterialKind] = mapped_column(str_enum(MaterialKind, "material_kind"))
    # Telegram's id of the file for this bot token; `materials reupload` refreshes it.
    file_id: Mapped[str | None] = mapped_column(String(255))
    file_unique_id: Mapped[str | None] = mapped_column(String(64))
    file_name: Mapped[str | None] = mapped_column(String(255))
    mime_type: Mapped[str | None] = mapped_column(String(100))
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    url: Mapped[str | None] = mapped_column(String(2000))
    # The bot's own copy, relative to FILES_DIR; None for links and files over 20 MB.
    stored_path: Mapped[str | None] = mapped_column(String(300))
    hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    opens: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    author_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
