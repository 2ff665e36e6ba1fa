"""How far a broadcast is: the snapshot the admin's progress card is rendered from.

The renderer itself (Russian text and the Pause/Cancel/Recall buttons) belongs to the handlers
layer; the delivery worker only calls it. aiogram is imported for the type only, so the
command line, which imports this module through `outbox`, stays free of aiogram.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, TypeAlias

from models import Broadcast, BroadcastKind, BroadcastStatus, DeliveryStatus, RecallStatus

if TYPE_CHECKING:
    from aiogram.types import InlineKeyboardMarkup


@dataclass(frozen=True)
class ProgressSnapshot:
    """Counts of one broadcast's deliveries by status, and the pace so far."""

    broadcast_id: int
    kind: BroadcastKind
    status: BroadcastStatus
    recall_status: RecallStatus | None
    total: int
    sent: int
    blocked: int
    failed: int
    pending: int
    recalled: int
    rate: float  # deliveries finished (sent, blocked or failed) per second since the start
    eta_seconds: float | None  # None unless sending at a known pace
    started_at: datetime | None
    finished_at: datetime | None
    preview: str | None = None  # the first words
    author: str | None = None  # the admin's name; None: the command line or the bot itself
    automatic: bool = False  # a monitoring notice, sent by the bot itself

    @property
    def done(self) -> int:
        """Deliveries that reached a final outcome (recalled ones were sent first)."""
        return self.sent + self.blocked + self.failed + self.recalled


# (text, keyboard) of the admin's progress message; written in handlers, passed in by bot/app.
ProgressRenderer: TypeAlias = Callable[
    [ProgressSnapshot], "tuple[str, InlineKeyboardMarkup | None]"
]


def snapshot(
    broadcast: Broadcast,
    counts: Mapping[DeliveryStatus, int],
    now: datetime,
    author: str | None = None,
) -> ProgressSnapshot:
    """Build the snapshot from the broadcast row and its per-status delivery counts."""
    sent = counts.get(DeliveryStatus.SENT, 0)
    blocked = counts.get(DeliveryStatus.BLOCKED, 0)
    failed = counts.get(DeliveryStatus.FAILED, 0)
    pending = counts.get(DeliveryStatus.PENDING, 0)
    recalled = counts.get(DeliveryStatus.RECALLED, 0)
    finished = sent + blocked + failed + recalled
    end = broadcast.finished_at or now
    elapsed = (end - broadcast.started_at).total_seconds() if broadcast.started_at else 0.0
    rate = finished / elapsed if elapsed > 0 else 0.0
    sending = broadcast.status is BroadcastStatus.SENDING
    return ProgressSnapshot(
        broadcast_id=broadcast.id,
        kind=broadcast.kind,
        status=broadcast.status,
        recall_status=broadcast.recall_status,
        total=broadcast.total,
        sent=sent,
        blocked=blocked,
        failed=failed,
        pending=pending,
        recalled=recalled,
        rate=rate,
        eta_seconds=pending / rate if sending and rate > 0 else None,
        started_at=broadcast.started_at,
        finished_at=broadcast.finished_at,
        preview=broadcast.preview,
        author=author,
        automatic=broadcast.campaign_id is not None,
    )
