"""Foundation: organisations, people, roles, topics (seeded), subscriptions, FSM state.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The topics the union informs about (programme «Информационная работа в Профсоюзе»).
# Frozen here on purpose: a migration must not import the live model code.
TOPICS = [
    (
        "news",
        "Новости профсоюзных органов",
        "Решения и события областной, территориальных и первичных организаций",
        True,
    ),
    (
        "law",
        "Изменения законодательства",
        "Новое в трудовом праве и законодательстве об образовании",
        True,
    ),
    (
        "partnership",
        "Социальное партнёрство",
        "Соглашения, коллективные договоры, работа с работодателями и властью",
        False,
    ),
    ("best_practice", "Лучшие практики", "Опыт лучших профсоюзных организаций области", False),
    ("collective_actions", "Коллективные действия", "Акции, пикеты, кампании Профсоюза", False),
    ("contests", "Акции и конкурсы", "Конкурсы, фестивали, выставки и их итоги", False),
    ("education", "Обучение и семинары", "Профсоюзное образование, семинары, вебинары", False),
    (
        "profcards",
        "Программа «Профкардс»",
        "Скидки и предложения дисконтной программы для членов Профсоюза",
        False,
    ),
    ("youth", "Молодёжный совет", "События и проекты Молодёжного совета", False),
]


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column(
            "level",
            sa.Enum(
                "regional",
                "territorial",
                "primary",
                name="org_level",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=300), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["organizations.id"],
            name=op.f("fk_organizations_parent_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("code", name=op.f("uq_organizations_code")),
    )
    op.create_index(op.f("ix_organizations_parent_id"), "organizations", ["parent_id"])

    topics = op.create_table(
        "topics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("is_default", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topics")),
        sa.UniqueConstraint("slug", name=op.f("uq_topics_slug")),
    )
    op.bulk_insert(
        topics,
        [
            {
                "slug": slug,
                "title": title,
                "description": description,
                "position": (index + 1) * 10,
                "is_default": is_default,
            }
            for index, (slug, title, description, is_default) in enumerate(TOPICS)
        ],
    )

    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("first_name", sa.String(length=128), nullable=False),
        sa.Column("last_name", sa.String(length=128), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked", sa.Boolean(), server_default=sa.false(), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_people_org_id_organizations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint("telegram_id", name=op.f("uq_people_telegram_id")),
    )
    op.create_index(op.f("ix_people_org_id"), "people", ["org_id"])

    op.create_table(
        "roles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "regional_admin",
                "territorial_admin",
                "officer",
                name="role_kind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_roles_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_roles_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roles")),
        sa.UniqueConstraint("person_id", "kind", "org_id", name="uq_roles_grant"),
    )
    op.create_index(op.f("ix_roles_org_id"), "roles", ["org_id"])
    op.create_index(op.f("ix_roles_person_id"), "roles", ["person_id"])

    op.create_table(
        "subscriptions",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_subscriptions_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["topics.id"],
            name=op.f("fk_subscriptions_topic_id_topics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", "topic_id", name=op.f("pk_subscriptions")),
    )
    op.create_index(op.f("ix_subscriptions_topic_id"), "subscriptions", ["topic_id"])

    op.create_table(
        "fsm_states",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=200), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_fsm_states")),
    )


def downgrade() -> None:
    op.drop_table("fsm_states")
    op.drop_index(op.f("ix_subscriptions_topic_id"), table_name="subscriptions")
    op.drop_table("subscriptions")
    op.drop_index(op.f("ix_roles_person_id"), table_name="roles")
    op.drop_index(op.f("ix_roles_org_id"), table_name="roles")
    op.drop_table("roles")
    op.drop_index(op.f("ix_people_org_id"), table_name="people")
    op.drop_table("people")
    op.drop_table("topics")
    op.drop_index(op.f("ix_organizations_parent_id"), table_name="organizations")
    op.drop_table("organizations")
