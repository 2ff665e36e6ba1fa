"""Broadcasts and their outbox: one delivery row per (broadcast, recipient)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
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

PREVIEW_LENGTH = 120


class BroadcastKind(enum.StrEnum):
    NEWS = "news"
    ALERT = "alert"  # law-change alert: sound at any hour, pinned


class BroadcastStatus(enum.StrEnum):
    DRAFT = "draft"  # being composed in the chat
    SCHEDULED = "scheduled"  # confirmed, waits for scheduled_at; no deliveries yet
    SENDING = "sending"  # deliveries enqueued; the worker drains them
    PAUSED = "paused"
    DONE = "done"
    CANCELLED = "cancelled"


class RecallStatus(enum.StrEnum):
    RECALLING = "recalling"
    RECALLED = "recalled"


class Audience(enum.StrEnum):
    ALL = "all"  # every subscriber of the topics (a territorial admin: within the territory)
    TERRITORY = "territory"  # one territorial organisation and its primaries
    ORG = "org"  # one primary organisation
    OFFICERS = "officers"  # information officers only
    # Officers of organisations that have not submitted the campaign's questionnaire yet.
    OFFICERS_PENDING = "officers_pending"
    # Named people (`recipient_ids`): a campaign's escalation to the admins concerned.
    PEOPLE = "people"


class Broadcast(TimestampMixin, Base):
    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[BroadcastKind] = mapped_column(str_enum(BroadcastKind, "broadcast_kind"))
    status: Mapped[BroadcastStatus] = mapped_column(
        str_enum(BroadcastStatus, "broadcast_status"), index=True
    )
    # Who composed it (None: the command line).
    author_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    # Composed in the chat: the admin's own message(s), delivered with copyMessage(s).
    source_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    source_message_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    # Composed on the command line: HTML text, delivered with sendMessage.
    text: Mapped[str | None] = mapped_column(Text)
    # The first words as the admin wrote them (plain text), for the list and the card.
    preview: Mapped[str | None] = mapped_column(String(PREVIEW_LENGTH))
    audience: Mapped[Audience] = mapped_column(str_enum(Audience, "broadcast_audience"))
    audience_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )
    # A territorial admin's broadcasts never leave their territory.
    territory_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )
    scheduled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    total: Mapped[int] = mapped_column(Integer, default=0)
    # The admin's progress message, edited while the broadcast runs.
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_message_id: Mapped[int | None] = mapped_column(Integer)
    # Monitoring notices (prompts, reminders, escalations) are broadcasts of a campaign.
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    # Telegram ids of the recipients when the audience is PEOPLE.
    recipient_ids: Mapped[list[int] | None] = mapped_column(JSON)
    recall_status: Mapped[RecallStatus | None] = mapped_column(
        str_enum(RecallStatus, "recall_status"), nullable=True
    )
    # An inline keyboard (Bot API JSON) under a text broadcast: a material's «Открыть».
    reply_markup: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The bot's own notice to named people (the plan's reminders), not an admin's broadcast:
    # left out of /broadcasts and /news.
    notice: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class BroadcastTopic(Base):
    __tablename__ = "broadcast_topics"

    broadcast_id: Mapped[int] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE"), primary_key=True
    )
    topic_id: Mapped[int] = mapped_column(
        ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True
    )


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    BLOCKED = "blocked"  # 403: blocked the bot or deactivated
    FAILED = "failed"  # 400 chat not found, too many network errors, …
    RECALLED = "recalled"  # the delivered message was deleted again


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "person_id", name="uq_deliveries_recipient"),
        # The worker's query: the next pending rows of one broadcast, in id order.
        Index("ix_deliveries_broadcast_status", "broadcast_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[DeliveryStatus] = mapped_column(str_enum(DeliveryStatus, "delivery_status"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Ids of the delivered message(s) in the member's chat: what a recall deletes.
    message_ids: Mapped[list[int] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(String(200))
    # Which delivery worker is sending this PENDING row, and until when its claim holds: the
    # row goes back to the pool when the worker dies (its claim runs out) or stops (released).
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)

    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
