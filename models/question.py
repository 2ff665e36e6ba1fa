"""Members' questions to the committee: categories, questions, their threads, the FAQ."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin, UtcDateTime, str_enum


class QuestionCategory(Base):
    """A category of questions; seeded by the migration, so a new one needs no code."""

    __tablename__ = "question_categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer, default=0)


class ConsultantCategory(Base):
    """A consultant's categories (a role without rows here answers every category): a
    territory with nobody for a question's category sends it to the region."""

    __tablename__ = "consultant_categories"
    __table_args__ = (UniqueConstraint("role_id", "category_id", name="uq_consultant_categories"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int] = mapped_column(
        ForeignKey("question_categories.id", ondelete="CASCADE")
    )


class QuestionStatus(enum.StrEnum):
    DRAFT = "draft"  # the member is still writing it
    OPEN = "open"  # waiting for somebody to take it
    TAKEN = "taken"  # an answerer took it and writes the answer
    ANSWERED = "answered"
    CLOSED = "closed"  # closed without an answer, with a reason


class Question(TimestampMixin, Base):
    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Empty after the member's /forget: the counts stay, the person does not.
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    category_id: Mapped[int] = mapped_column(
        ForeignKey("question_categories.id", ondelete="RESTRICT"), index=True
    )
    # The member's organisation when asked, and the territory it was routed to (None: region).
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="SET NULL"))
    territory_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    status: Mapped[QuestionStatus] = mapped_column(
        str_enum(QuestionStatus, "question_status"), index=True
    )
    asked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    taken_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    taken_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_reason: Mapped[str | None] = mapped_column(String(500))
    clarified: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    rating: Mapped[int | None] = mapped_column(Integer)  # 1 👍, -1 👎
    rating_comment: Mapped[str | None] = mapped_column(String(1000))
    # The SLA sweep marks these with a conditional UPDATE: once each, across restarts.
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class PostKind(enum.StrEnum):
    QUESTION = "question"
    ANSWER = "answer"
    CLARIFY = "clarify"


class QuestionPost(Base):
    """One message of a question's thread, kept to be copied as written (chat + message id)
    and, for search and reports, its text; /forget empties both."""

    __tablename__ = "question_posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[PostKind] = mapped_column(str_enum(PostKind, "question_post_kind"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(32), default="text")
    text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class FaqEntry(TimestampMixin, Base):
    """A published Q&A: edited text, no trace of who asked."""

    __tablename__ = "faq_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_id: Mapped[int] = mapped_column(
        ForeignKey("question_categories.id", ondelete="RESTRICT"), index=True
    )
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    # casefold() of question and answer: SQLite's lower() knows no Cyrillic.
    search: Mapped[str] = mapped_column(Text)
    # Taken off /faq by an answerer; the text stays, so it can be put back.
    hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
