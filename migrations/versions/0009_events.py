"""Seminars and trainings: events, registrations (waiting list, attendance, feedback,
reminders sent); a broadcast may carry an inline keyboard («Записаться»).

Revision ID: 0009
Revises: 0005
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str, length: int = 16) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=length)


def _stamps() -> list[sa.Column]:
    return [
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    ]


def upgrade() -> None:
    # The announcement's «Записаться» rides on broadcasts.reply_markup (0007_materials).
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "kind",
            _enum("event_kind", "seminar", "webinar", "lesson", "meeting", "contest"),
            nullable=False,
        ),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=500), nullable=False),
        sa.Column(
            "audience",
            _enum(
                "event_audience",
                "officers",
                "ais_officers",
                "territorial_chairs",
                "primary_chairs",
                "topic",
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("topic_id", sa.Integer(), nullable=True),
        sa.Column("territory_id", sa.Integer(), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("registered", sa.Integer(), server_default="0", nullable=False),
        sa.Column("status", _enum("event_status", "announced", "cancelled"), nullable=False),
        sa.Column("organiser_telegram_id", sa.BigInteger(), nullable=True),
        sa.Column("broadcast_id", sa.Integer(), nullable=True),
        sa.Column("checkin_code", sa.String(length=8), nullable=False),
        sa.Column("plan_item_id", sa.Integer(), nullable=True),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=True),
        *_stamps(),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["topics.id"],
            name=op.f("fk_events_topic_id_topics"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["organizations.id"],
            name=op.f("fk_events_territory_id_organizations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["broadcast_id"],
            ["broadcasts.id"],
            name=op.f("fk_events_broadcast_id_broadcasts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    op.create_index(op.f("ix_events_starts_at"), "events", ["starts_at"])
    op.create_index(op.f("ix_events_territory_id"), "events", ["territory_id"])
    op.create_table(
        "event_registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            _enum("registration_status", "registered", "waiting", "cancelled"),
            nullable=False,
        ),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attended", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("day_reminder_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("soon_reminder_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("feedback_asked_at", sa.DateTime(timezone=True), nullable=True),
        *_stamps(),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_registrations_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_event_registrations_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_registrations")),
        sa.UniqueConstraint("event_id", "person_id", name="uq_event_registrations_person"),
    )
    op.create_index(op.f("ix_event_registrations_person_id"), "event_registrations", ["person_id"])
    op.create_index(
        "ix_event_registrations_event_status",
        "event_registrations",
        ["event_id", "status", "queued_at"],
    )


def downgrade() -> None:
    op.drop_table("event_registrations")
    op.drop_table("events")
