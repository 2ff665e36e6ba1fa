"""Apply Alembic migrations from code (start-up, `python -m bot migrate`, tests)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"


def alembic_config(database_url: str) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.attributes["database_url"] = database_url
    # The bot configures logging itself; alembic's fileConfig would replace it.
    config.attributes["configure_logging"] = False
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


async def upgrade_async(database_url: str, revision: str = "head") -> None:
    # env.py drives its own event loop with asyncio.run, so it must run outside ours.
    await asyncio.to_thread(upgrade, database_url, revision)


def head_revision(database_url: str) -> str | None:
    """The newest migration in the code: what a current database is at."""
    return ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
