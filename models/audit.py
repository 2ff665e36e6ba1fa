"""The audit trail: who did what and when among the admins' actions (152-FZ and governance)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UtcDateTime, str_enum
from models.clock import utcnow


class AuditKind(enum.StrEnum):
    """What was done; stored as the plain string, so a new kind needs no migration."""

    BROADCAST_SENT = "broadcast_sent"
    BROADCAST_SCHEDULED = "broadcast_scheduled"
    BROADCAST_PAUSED = "broadcast_paused"
    BROADCAST_RESUMED = "broadcast_resumed"
    BROADCAST_CANCELLED = "broadcast_cancelled"
    BROADCAST_RECALLED = "broadcast_recalled"
    ORGS_IMPORTED = "orgs_imported"
    QUESTIONNAIRE_UPLOADED = "questionnaire_uploaded"
    CAMPAIGN_OPENED = "campaign_opened"
    CAMPAIGN_EXTENDED = "campaign_extended"
    CAMPAIGN_CLOSED = "campaign_closed"
    CAMPAIGN_REMINDED = "campaign_reminded"
    INVITE_CREATED = "invite_created"
    INVITES_CREATED = "invites_created"
    INVITE_REVOKED = "invite_revoked"
    ROLE_GRANTED = "role_granted"
    REPORT_EXPORTED = "report_exported"
    AUDIT_EXPORTED = "audit_exported"
    MATERIAL_ADDED = "material_added"
    MATERIAL_CHANGED = "material_changed"
    MATERIAL_DELETED = "material_deleted"
    PLAN_IMPORTED = "plan_imported"
    PLAN_NAME_LINKED = "plan_name_linked"
    FAQ_PUBLISHED = "faq_published"
    FAQ_CHANGED = "faq_changed"
    EVENT_CANCELLED = "event_cancelled"
    AIS_GRANTED = "ais_granted"
    AIS_REVOKED = "ais_revoked"


class AuditVia(enum.StrEnum):
    CHAT = "chat"
    CLI = "cli"


class AuditEntry(Base):
    """One action. `details` holds ids, codes, quarters and file names only: never a message's
    text or anyone else's personal data. /forget of the actor keeps the row, anonymised."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_actor_at", "actor_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    # The actor's name as it was at the time (the OS login for the command line).
    actor_name: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[AuditKind] = mapped_column(str_enum(AuditKind, "audit_kind", length=32))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    via: Mapped[AuditVia] = mapped_column(str_enum(AuditVia, "audit_via", length=8))
