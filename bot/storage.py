"""aiogram FSM storage in our own database, so a conversation survives a restart.

Reads come from an in-process cache that every write goes through: aiogram asks for the state
on every update and handlers read the data once or twice more, and before the cache each of
those was a session and a query of its own (measured with `python -m bench.questionnaire`).
The cache is exact because this process is the only writer of `fsm_states`: Telegram lets
one process poll a bot, and nothing else in the code touches the table. A write that does not
change anything is not sent to the database at all.

At federal scale this moves to aiogram's RedisStorage; nothing else depends on it.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from weakref import WeakValueDictionary

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey
from sqlalchemy import bindparam, delete, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import FsmRecord

CACHE_SIZE = 20_000  # conversations kept in memory; older ones are read again when needed

# Core statements built once; state and data come with each execution, typed by the columns.
_TABLE = FsmRecord.metadata.tables[FsmRecord.__tablename__]
_INSERT = insert(_TABLE)
_UPDATE = update(_TABLE).where(_TABLE.c.key == bindparam("row_key"))
_DELETE = delete(_TABLE).where(_TABLE.c.key == bindparam("row_key"))


@dataclass(frozen=True)
class _Entry:
    state: str | None = None
    # As JSON text: each read decodes a copy of its own, so a handler that changes a nested
    # list in place cannot change the cache behind the database's back, and comparing two
    # versions of the data is comparing two strings.
    data: str = "{}"
    stored: bool = False  # whether the row exists in the database

    @property
    def empty(self) -> bool:
        return self.state is None and self.data == "{}"


class DatabaseStorage(BaseStorage):
    """One row per conversation key; a row with no state and no data is deleted."""

    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], cache_size: int = CACHE_SIZE
    ) -> None:
        self._sessions = session_factory
        self._keys = DefaultKeyBuilder(with_bot_id=True, with_destiny=True)
        self._cache: OrderedDict[str, _Entry] = OrderedDict()
        self._cache_size = cache_size
        # One writer per key at a time, so the cache follows the order of the commits.
        self._locks: WeakValueDictionary[str, asyncio.Lock] = WeakValueDictionary()

    def _lock(self, built: str) -> asyncio.Lock:
        lock = self._locks.get(built)
        if lock is None:
            lock = self._locks[built] = asyncio.Lock()
        return lock

    async def _entry(self, built: str) -> _Entry:
        entry = self._cache.get(built)
        if entry is not None:
            self._cache.move_to_end(built)
            return entry
        async with self._sessions() as session:
            record = await session.get(FsmRecord, built)
            entry = _Entry(record.state, _dump(record.data), stored=True) if record else _Entry()
        # A write for this key may have finished while we read: its entry is newer than ours.
        return self._cache.get(built) or self._remember(built, entry)

    def _remember(self, built: str, entry: _Entry) -> _Entry:
        self._cache[built] = entry
        self._cache.move_to_end(built)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return entry

    async def _save(self, key: StorageKey, **change: Any) -> None:
        built = self._keys.build(key)
        async with self._lock(built):
            old = await self._entry(built)
            new = replace(old, **change)
            if (new.state, new.data) == (old.state, old.data):
                return
            try:
                async with self._sessions() as session:
                    try:
                        await self._write(session, built, old, new)
                        await session.commit()
                    except IntegrityError:  # the row appeared after we read it: keep it
                        await session.rollback()
                        await self._write(session, built, replace(old, stored=True), new)
                        await session.commit()
            except BaseException:
                # The commit may or may not have landed: read the key afresh next time.
                self._cache.pop(built, None)
                raise
            self._remember(built, replace(new, stored=not new.empty))

    @staticmethod
    async def _write(session: AsyncSession, built: str, old: _Entry, new: _Entry) -> None:
        if new.empty:
            await session.execute(_DELETE, {"row_key": built})
        elif old.stored:
            values = {"row_key": built, "state": new.state, "data": json.loads(new.data)}
            await session.execute(_UPDATE, values)
        else:
            values = {"key": built, "state": new.state, "data": json.loads(new.data)}
            await session.execute(_INSERT, values)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self._save(key, state=state.state if isinstance(state, State) else state)

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._entry(self._keys.build(key))).state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._save(key, data=_dump(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((await self._entry(self._keys.build(key))).data)
        return data

    async def close(self) -> None:
        """The engine belongs to the application, which disposes of it."""


def _dump(data: Mapping[str, Any]) -> str:
    return json.dumps(dict(data), ensure_ascii=False, separators=(",", ":"))
