"""Inserting a row that a concurrent writer may insert first (another replica's sweep, an
admin's «Открыть» at the sweep's minute, two officers of one school at once)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy import Select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


async def first_writer_wins(
    session: AsyncSession, write: Callable[[], Awaitable[T]], existing: Select[T]
) -> T:
    """Run `write` (it adds the row and commits) and return its result; when a unique
    constraint says another transaction committed the same row first, roll back and return
    that row instead. Any other integrity error is raised as it is."""
    try:
        return await write()
    except IntegrityError:
        await session.rollback()
        found = await session.scalar(existing)
        if found is None:
            raise
        return found
