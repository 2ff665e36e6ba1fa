"""`python -m bot backup` and `restore`, as an operator runs them (subprocesses)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.db import create_engine, create_session_factory
from bot.migrate import upgrade_async
from models import Organization, Person
from tests.conftest import RunningBot
from tests.helpers import add_member
from tests.test_cli import run_cli

on_postgres = bool(os.environ.get("TEST_DATABASE_URL"))


async def _counts(url: str) -> tuple[int, int]:
    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session:
            people = await session.scalar(select(func.count()).select_from(Person))
            orgs = await session.scalar(select(func.count()).select_from(Organization))
            return int(people or 0), int(orgs or 0)
    finally:
        await engine.dispose()


async def cli(*args: str, url: str, cwd: Path) -> tuple[int, str, str]:
    done = await asyncio.to_thread(run_cli, *args, cwd=cwd, DATABASE_URL=url)
    return done.returncode, done.stdout, done.stderr


@pytest.mark.skipif(on_postgres, reason="SQLite's online backup; PostgreSQL has pg_dump")
@pytest.mark.usefixtures("directory")
async def test_backup_while_running_and_restore_with_and_without_force(
    running_bot: RunningBot, migrated_url: str, tmp_path: Path
) -> None:
    await add_member(running_bot.sessions, 100501, "46-01-001")
    copy = tmp_path / "copies" / "bot-2026-05-14.db"
    code, out, err = await cli("backup", str(copy), url=migrated_url, cwd=tmp_path)
    assert code == 0, err
    assert str(copy) in out and copy.exists()
    code, _, err = await cli("backup", str(copy), url=migrated_url, cwd=tmp_path)
    assert code == 1 and "уже есть" in err  # a copy is never overwritten

    fresh = f"sqlite+aiosqlite:///{tmp_path / 'restored.db'}"
    code, out, err = await cli("restore", str(copy), url=fresh, cwd=tmp_path)
    assert code == 0, err
    assert await _counts(fresh) == await _counts(migrated_url) == (1, 399)

    other = f"sqlite+aiosqlite:///{tmp_path / 'other.db'}"
    await upgrade_async(other)
    engine = create_engine(other)
    await add_member(create_session_factory(engine), 100502, None)
    await engine.dispose()
    code, _, err = await cli("restore", str(copy), url=other, cwd=tmp_path)
    assert code == 1 and "--force" in err and "Traceback" not in err
    assert await _counts(other) == (1, 0)  # untouched
    code, _, err = await cli("restore", str(copy), "--force", url=other, cwd=tmp_path)
    assert code == 0, err
    assert await _counts(other) == (1, 399)

    not_a_copy = tmp_path / "notes.txt"
    not_a_copy.write_text("не база")
    code, _, err = await cli("restore", str(not_a_copy), url=fresh, cwd=tmp_path)
    assert code == 1 and "не резервная копия" in err


async def test_postgres_is_pointed_to_pg_dump(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://user:secret@127.0.0.1:1/nowhere"
    code, _, err = await cli("backup", str(tmp_path / "x.dump"), url=url, cwd=tmp_path)
    assert code == 1 and "pg_dump" in err and "secret" not in err
