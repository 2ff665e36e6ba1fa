"""Audit trail: one row per admin action (who, when, what), kept anonymised after /forget.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=True),
        sa.Column(
            "kind",
            # A plain string column (no CHECK): a new kind needs no migration.
            sa.Enum(
                "broadcast_sent",
                "broadcast_scheduled",
                "broadcast_paused",
                "broadcast_resumed",
                "broadcast_cancelled",
                "broadcast_recalled",
                "orgs_imported",
                "questionnaire_uploaded",
                "campaign_opened",
                "campaign_extended",
                "campaign_closed",
                "campaign_reminded",
                "invite_created",
                "invites_created",
                "invite_revoked",
                "role_granted",
                "report_exported",
                "audit_exported",
                name="audit_kind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column(
            "via",
            sa.Enum("chat", "cli", name="audit_via", native_enum=False, length=8),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["people.id"],
            name=op.f("fk_audit_entries_actor_id_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
    )
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entries_at"), ["at"], unique=False)
        batch_op.create_index("ix_audit_entries_actor_at", ["actor_id", "at"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entries_actor_at")
        batch_op.drop_index(batch_op.f("ix_audit_entries_at"))

    op.drop_table("audit_entries")
