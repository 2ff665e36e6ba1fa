"""`python -m bot backup FILE` and `restore FILE` for the embedded SQLite database.

The backup is SQLite's online backup API: a consistent snapshot while the bot runs and
writes (WAL included). PostgreSQL has its own tools: `pg_dump -Fc` and `pg_restore`, which
the README documents; these commands say so rather than half-do it. A restore refuses to
overwrite a database that holds data unless told `--force`, then brings the copy up to the
newest migration.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

# Tables whose rows mean "this database is in use": a restore over them needs --force.
DATA_TABLES = ("people", "organizations", "broadcasts", "campaigns")


class BackupError(Exception):
    """A refusal, in Russian, for the command line."""


@dataclass(frozen=True)
class Copied:
    path: Path
    pages: int


def sqlite_path(database_url: str) -> Path:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupError(
            "Для PostgreSQL используйте его собственные средства: "
            "pg_dump -Fc -f FILE БАЗА и pg_restore --clean -d БАЗА FILE (см. README)."
        )
    if not url.database or url.database == ":memory:":
        raise BackupError("У базы в памяти нет файла для резервной копии.")
    return Path(url.database)


def _copy(source: sqlite3.Connection, target: sqlite3.Connection) -> int:
    pages = 0

    def progress(_status: int, _remaining: int, total: int) -> None:
        nonlocal pages
        pages = total

    source.backup(target, pages=1024, progress=progress)
    return pages


def backup(database_url: str, file: Path) -> Copied:
    """A consistent copy of the live database into `file` (which must not exist)."""
    database = sqlite_path(database_url)
    if not database.exists():
        raise BackupError(f"Базы {database} нет: копировать нечего.")
    if file.exists():
        raise BackupError(
            f"Файл {file} уже есть: укажите новый, старая копия не перезаписывается."
        )
    file.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(database)) as source, closing(sqlite3.connect(file)) as target:
        pages = _copy(source, target)
    return Copied(file, pages)


def _holds_data(connection: sqlite3.Connection) -> bool:
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    return any(
        connection.execute(f'SELECT EXISTS (SELECT 1 FROM "{table}")').fetchone()[0]
        for table in DATA_TABLES
        if table in tables
    )


def restore(database_url: str, file: Path, *, force: bool) -> Copied:
    """Replace the database with the copy in `file`; refuses a database with data unless
    `force`. The caller applies the migrations afterwards."""
    database = sqlite_path(database_url)
    if not file.exists():
        raise BackupError(f"Файла {file} нет.")
    with closing(sqlite3.connect(f"file:{file}?mode=ro", uri=True)) as copy:
        try:
            copy.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.DatabaseError:
            raise BackupError(f"{file} — не резервная копия базы бота.") from None
        database.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(database)) as target:
            if _holds_data(target) and not force:
                raise BackupError(
                    f"В базе {database} уже есть данные: восстановление их заменит. "
                    "Если это и нужно, повторите с --force (остановите бота перед этим)."
                )
            pages = _copy(copy, target)
    return Copied(database, pages)
