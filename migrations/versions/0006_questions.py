"""Members' questions to the committee: categories (seeded), questions, threads, the FAQ.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CATEGORIES = [
    ("pay", "Оплата труда"),
    ("contract", "Трудовой договор и увольнение"),
    ("hours", "Рабочее время и отпуск"),
    ("safety", "Охрана труда"),
    ("attestation", "Аттестация и квалификация"),
    ("pension", "Пенсии и льготы"),
    ("social", "Социальные гарантии и «Профкардс»"),
    ("other", "Другое"),
]


def upgrade() -> None:
    categories = op.create_table(
        "question_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_categories")),
        sa.UniqueConstraint("slug", name=op.f("uq_question_categories_slug")),
    )
    op.bulk_insert(
        categories,
        [
            {"slug": slug, "title": title, "position": index}
            for index, (slug, title) in enumerate(CATEGORIES)
        ],
    )
    op.create_table(
        "consultant_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("role_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["role_id"],
            ["roles.id"],
            name=op.f("fk_consultant_categories_role_id_roles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["question_categories.id"],
            name=op.f("fk_consultant_categories_category_id_question_categories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultant_categories")),
        sa.UniqueConstraint("role_id", "category_id", name="uq_consultant_categories"),
    )
    op.create_index(op.f("ix_consultant_categories_role_id"), "consultant_categories", ["role_id"])
    op.create_table(
        "questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("territory_id", sa.Integer(), nullable=True),
        sa.Column("anonymous", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "open",
                "taken",
                "answered",
                "closed",
                name="question_status",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("taken_by", sa.Integer(), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_reason", sa.String(length=500), nullable=True),
        sa.Column("clarified", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("rating_comment", sa.String(length=1000), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_questions_person_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["question_categories.id"],
            name=op.f("fk_questions_category_id_question_categories"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_questions_org_id_organizations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["organizations.id"],
            name=op.f("fk_questions_territory_id_organizations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["taken_by"],
            ["people.id"],
            name=op.f("fk_questions_taken_by_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questions")),
    )
    for column in ("person_id", "category_id", "territory_id", "status", "asked_at"):
        op.create_index(op.f(f"ix_questions_{column}"), "questions", [column])
    op.create_table(
        "question_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "question",
                "answer",
                "clarify",
                name="question_post_kind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_question_posts_question_id_questions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["people.id"],
            name=op.f("fk_question_posts_author_id_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_posts")),
    )
    op.create_index(op.f("ix_question_posts_question_id"), "question_posts", ["question_id"])
    op.create_table(
        "faq_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("search", sa.Text(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["question_categories.id"],
            name=op.f("fk_faq_entries_category_id_question_categories"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faq_entries")),
    )
    op.create_index(op.f("ix_faq_entries_category_id"), "faq_entries", ["category_id"])


def downgrade() -> None:
    op.drop_table("faq_entries")
    op.drop_table("question_posts")
    op.drop_table("questions")
    op.drop_table("consultant_categories")
    op.drop_table("question_categories")
