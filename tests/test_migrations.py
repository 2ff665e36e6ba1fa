"""The stairway: every migration upgrades, downgrades and upgrades again."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from bot.db import create_engine
from bot.migrate import alembic_config, downgrade, upgrade
from models import Base


def _revisions(url: str) -> list[str]:
    script = ScriptDirectory.from_config(alembic_config(url))
    return [r.revision for r in reversed(list(script.walk_revisions("base", "heads")))]


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    await engine.dispose()
    return names - {"alembic_version"}


async def test_stairway(database_url: str) -> None:
    revisions = _revisions(database_url)
    assert revisions, "no migrations found"
    for index, revision in enumerate(revisions):
        previous = revisions[index - 1] if index else "base"
        await asyncio.to_thread(upgrade, database_url, revision)
        await asyncio.to_thread(downgrade, database_url, previous)
        await asyncio.to_thread(upgrade, database_url, revision)
    assert {"organizations", "people", "roles", "topics", "subscriptions"} <= await _tables(
        database_url
    )
    await asyncio.to_thread(downgrade, database_url, "base")
    assert await _tables(database_url) == set()


async def test_the_migrations_build_exactly_the_models(migrated_url: str) -> None:
    engine = create_engine(migrated_url)
    async with engine.connect() as connection:
        differences = await connection.run_sync(
            lambda c: compare_metadata(
                MigrationContext.configure(c, opts={"compare_type": True}), Base.metadata
            )
        )
    await engine.dispose()
    assert differences == []


async def test_topics_are_seeded(migrated_url: str) -> None:
    engine = create_engine(migrated_url)
    async with engine.connect() as connection:
        rows = (
            await connection.execute(text("SELECT slug, is_default FROM topics ORDER BY position"))
        ).all()
    await engine.dispose()
    assert [slug for slug, _ in rows] == [
        "news",
        "law",
        "partnership",
        "best_practice",
        "collective_actions",
        "contests",
        "education",
        "profcards",
        "youth",
    ]
    assert {slug for slug, default in rows if default} == {"news", "law"}


async def test_sqlite_connections_have_wal_foreign_keys_and_busy_timeout(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    async with engine.connect() as connection:
        journal = (await connection.execute(text("PRAGMA journal_mode"))).scalar()
        foreign_keys = (await connection.execute(text("PRAGMA foreign_keys"))).scalar()
        timeout = (await connection.execute(text("PRAGMA busy_timeout"))).scalar()
    await engine.dispose()
    assert (journal, foreign_keys, timeout) == ("wal", 1, 5000)
