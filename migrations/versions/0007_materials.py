"""The library of methodological materials: categories (seeded), materials; a broadcast can
carry an inline keyboard (a material's announcement opens it).

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CATEGORIES = [
    ("motivation", "Мотивация профчленства"),
    ("legal", "Правовая работа"),
    ("organizational", "Организационная работа"),
    ("economic", "Экономическая работа"),
    ("social", "Социальная работа"),
    ("info_pr", "Информационная работа и PR"),
    ("ais", "Работа в АИС"),
    ("labour_safety", "Охрана труда"),
    ("youth", "Молодёжь"),
]


def upgrade() -> None:
    categories = op.create_table(
        "material_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_material_categories")),
        sa.UniqueConstraint("slug", name=op.f("uq_material_categories_slug")),
    )
    op.bulk_insert(
        categories,
        [
            {"slug": slug, "title": title, "position": position}
            for position, (slug, title) in enumerate(CATEGORIES, start=1)
        ],
    )
    op.create_table(
        "materials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column(
            "audience",
            sa.Enum("all", "activists", name="material_audience", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("territory_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "document",
                "video",
                "photo",
                "link",
                name="material_kind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("file_id", sa.String(length=255), nullable=True),
        sa.Column("file_unique_id", sa.String(length=64), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("mime_type", sa.String(length=100), nullable=True),
        sa.Column("file_size", sa.BigInteger(), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("stored_path", sa.String(length=300), nullable=True),
        sa.Column("hidden", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("opens", sa.Integer(), server_default="0", nullable=False),
        sa.Column("author_telegram_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["material_categories.id"],
            name=op.f("fk_materials_category_id_material_categories"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["organizations.id"],
            name=op.f("fk_materials_territory_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_materials")),
    )
    op.create_index(op.f("ix_materials_category_id"), "materials", ["category_id"])
    op.create_index(op.f("ix_materials_territory_id"), "materials", ["territory_id"])
    op.create_index("ix_materials_category_created", "materials", ["category_id", "created_at"])
    with op.batch_alter_table("broadcasts") as batch:
        batch.add_column(sa.Column("reply_markup", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("broadcasts") as batch:
        batch.drop_column("reply_markup")
    op.drop_index("ix_materials_category_created", table_name="materials")
    op.drop_index(op.f("ix_materials_territory_id"), table_name="materials")
    op.drop_index(op.f("ix_materials_category_id"), table_name="materials")
    op.drop_table("materials")
    op.drop_table("material_categories")
