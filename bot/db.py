"""Engine and session factory; SQLite gets WAL, foreign keys and a busy timeout."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, ExecutionContext, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.util import await_only

SQLITE_BUSY_TIMEOUT_MS = 5000
WRITE_STATEMENTS = ("INSERT", "UPDATE", "DELETE", "REPLACE")

log = logging.getLogger(__name__)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the delivery worker write while handlers read; FKs are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class SqliteWriterQueue:
    """Lets one connection of this process write to SQLite at a time, the others queue.

    SQLite has one writer per database. Without this, connections that find the write lock
    taken wait in SQLite's busy handler, which sleeps 1, 2, 5, … 100 ms between tries and
    holds an aiosqlite thread meanwhile: under 50 officers at once an answer took seconds and
    some failed with «database is locked». Here a connection asks an asyncio lock before its
    first write statement (pysqlite begins the write transaction at that statement; reads run
    outside it) and gives it back when the pool gets the connection back, that is after the
    commit or rollback. Waiting is then FIFO on the event loop and wakes the moment the writer
    is done. Other processes (the CLI) still meet SQLite's busy timeout, as before.

    A task that writes on a second connection while its first still holds uncommitted writes
    could only wait for itself: that raises SelfDeadlock at once, a bug to fix (commit before
    touching another session, the FSM storage's included), rather than stalling every writer
    of the process for the busy timeout. A connection that waits longer than the busy timeout
    (something else is wrong) goes on without the lock, and SQLite arbitrates as before.
    """

    def __init__(self, timeout: float = SQLITE_BUSY_TIMEOUT_MS / 1000) -> None:
        self.timeout = timeout
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None  # the task whose connection holds it

    def install(self, engine: AsyncEngine) -> None:
        event.listen(engine.sync_engine, "before_cursor_execute", self._before_execute)
        event.listen(engine.sync_engine.pool, "checkin", self._on_checkin)
        event.listen(engine.sync_engine.pool, "invalidate", self._on_invalidate)

    def _before_execute(
        self,
        conn: Connection,
        _cursor: Any,
        statement: str,
        _parameters: Any,
        _context: ExecutionContext | None,
        _executemany: bool,
    ) -> None:
        if conn.info.get("writer") or not statement.lstrip().upper().startswith(WRITE_STATEMENTS):
            return
        task = asyncio.current_task()
        if self._lock.locked() and self._owner is task:
            raise SelfDeadlock(statement.split(None, 3)[:3])
        try:
            if self._lock.locked():
                await_only(asyncio.wait_for(self._lock.acquire(), self.timeout))
            else:  # the common case: no task for wait_for to create, no wait
                await_only(self._lock.acquire())
        except TimeoutError:
            log.warning("SQLite write queue: waited %.0f s, writing without it", self.timeout)
            return
        conn.info["writer"] = True
        self._owner = task

    @staticmethod
    def _on_invalidate(dbapi_connection: Any, _record: ConnectionPoolEntry, _exc: Any) -> None:
        """A task cancelled inside a write statement (a timeout, a shutdown) gets its
        connection invalidated, not rolled back: the pool only closes it, and aiosqlite's
        close of a connection whose worker thread is still busy may never reach SQLite. The
        open write transaction then kept SQLite's file lock, and every other connection of the
        process failed with «database is locked» after the busy timeout (the flaky delivery
        crash test). Rolling back first gives the file lock back whatever the close does."""
        if dbapi_connection is None:
            return
        try:
            dbapi_connection.rollback()
        except Exception as error:  # the connection is going away: nothing else to do
            log.warning("SQLite write queue: rollback of an invalidated connection failed: %s",
                        type(error).__name__)

    def _on_checkin(self, _dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        if record.info.pop("writer", False):
            self._owner = None
            self._lock.release()


class SelfDeadlock(RuntimeError):
    """A task began a write on one connection while its other connection held SQLite's lock."""


def ensure_sqlite_dir(url: str) -> None:
    """Create the folder of a file-based SQLite database (`data/` on a fresh clone)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def create_engine(url: str, pool_size: int = 5) -> AsyncEngine:
    """An async engine for `url`, with the SQLite connection settings applied where relevant."""
    ensure_sqlite_dir(url)
    engine = create_async_engine(
        url,
        pool_pre_ping=not url.startswith("sqlite"),
        pool_size=pool_size,
        max_overflow=pool_size + 10,
    )
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
        SqliteWriterQueue().install(engine)
    return engine


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
