"""aiogram FSM storage in our own database, so a conversation survives a restart.

At federal scale this moves to aiogram's RedisStorage; nothing else depends on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import FsmRecord


class DatabaseStorage(BaseStorage):
    """One row per conversation key; a row with no state and no data is deleted."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory
        self._keys = DefaultKeyBuilder(with_bot_id=True, with_destiny=True)

    async def _load(self, key: StorageKey) -> FsmRecord | None:
        async with self._sessions() as session:
            return await session.get(FsmRecord, self._keys.build(key))

    async def _save(self, key: StorageKey, *, state: Any = ..., data: Any = ...) -> None:
        built = self._keys.build(key)
        # Two attempts: a concurrent first write for the same key makes the insert collide.
        for attempt in range(2):
            async with self._sessions() as session:
                record = await session.get(FsmRecord, built)
                if record is None:
                    record = FsmRecord(key=built, state=None, data={})
                    session.add(record)
                if state is not ...:
                    record.state = state
                if data is not ...:
                    record.data = dict(data)
                if record.state is None and not record.data:
                    if record in session.new:
                        return
                    await session.delete(record)
                try:
                    await session.commit()
                    return
                except IntegrityError:
                    if attempt:
                        raise

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._save(key, state=value)

    async def get_state(self, key: StorageKey) -> str | None:
        record = await self._load(key)
        return record.state if record else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._save(key, data=data)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        record = await self._load(key)
        return dict(record.data) if record else {}

    async def close(self) -> None:
        """The engine belongs to the application, which disposes of it."""
