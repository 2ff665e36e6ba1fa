"""Quarterly monitoring: questionnaires (versioned), campaigns, officers' invites, submissions."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin, UtcDateTime, str_enum, utcnow


class Questionnaire(Base):
    """One version of a questionnaire definition (the validated YAML as JSON)."""

    __tablename__ = "questionnaires"
    __table_args__ = (
        UniqueConstraint("code", "version", name="uq_questionnaires_version"),
        UniqueConstraint("code", "definition_hash", name="uq_questionnaires_content"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    definition_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(
        UtcDateTime, default=utcnow, server_default=func.now()
    )


class CampaignStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Campaign(TimestampMixin, Base):
    """One quarter's monitoring; it freezes the questionnaire version it was opened with."""

    __tablename__ = "campaigns"
    __table_args__ = (UniqueConstraint("year", "quarter", name="uq_campaigns_quarter"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaires.id", ondelete="RESTRICT")
    )
    year: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[int] = mapped_column(Integer)
    opens_at: Mapped[datetime] = mapped_column(UtcDateTime)
    deadline: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[CampaignStatus] = mapped_column(str_enum(CampaignStatus, "campaign_status"))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    @hybrid_property
    def period(self) -> int:
        """The quarter as one number that sorts in time (2026 Q4 → 20264 < 20271): the one
        ordering of campaigns, in Python and in SQL."""
        return self.year * 10 + self.quarter


class NoticeKind(enum.StrEnum):
    PROMPT = "prompt"  # the campaign is open: every officer
    REMINDER = "reminder"  # N days before the deadline: officers whose org has not submitted
    ESCALATION = "escalation"  # after the deadline: admins get the missing organisations


class CampaignNotice(Base):
    """A notice a campaign owes; done_at is set in the transaction that enqueues it."""

    __tablename__ = "campaign_notices"
    __table_args__ = (
        UniqueConstraint("campaign_id", "kind", "due_at", name="uq_campaign_notices_due"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[NoticeKind] = mapped_column(str_enum(NoticeKind, "notice_kind"))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="SET NULL")
    )


class OfficerInvite(Base):
    """A deep link that makes whoever opens it an information officer of one organisation."""

    __tablename__ = "officer_invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    created_by_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(
        UtcDateTime, default=utcnow, server_default=func.now()
    )
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    used_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SubmissionStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class Submission(TimestampMixin, Base):
    """An organisation's answers in one campaign; all its officers share it."""

    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("campaign_id", "org_id", name="uq_submissions_org"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[SubmissionStatus] = mapped_column(
        str_enum(SubmissionStatus, "submission_status")
    )
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    submitted_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )


class Answer(Base):
    """One answer, saved the moment it is given; None means «skipped»."""

    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint("submission_id", "question_id", name="uq_answers_question"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(40))
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    answered_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    answered_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AnswerChange(Base):
    """Who changed a submitted answer, when, from what to what."""

    __tablename__ = "answer_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    changed_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
