"""The database layer under concurrency: SQLite's in-process writer queue and the FSM storage's
write-through cache."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import SelfDeadlock
from bot.storage import DatabaseStorage
from models import FsmRecord, Topic

Sessions = async_sessionmaker[AsyncSession]


async def add_topic(sessions: Sessions, slug: str) -> None:
    async with sessions() as session:
        session.add(Topic(slug=slug, title=slug, position=100))
        await session.commit()


async def test_many_simultaneous_writers_all_commit(session_factory: Sessions) -> None:
    await asyncio.gather(*(add_topic(session_factory, f"t{i}") for i in range(40)))
    async with session_factory() as session:
        added = await session.scalar(select(func.count()).where(Topic.slug.like("t%")))
    assert added == 40


async def test_a_failed_write_gives_the_queue_back(session_factory: Sessions) -> None:
    await add_topic(session_factory, "dup")
    with pytest.raises(IntegrityError):
        await add_topic(session_factory, "dup")  # the unique slug: rolled back
    # Had the failed writer kept its place, this would wait out the 5 s queue timeout.
    await asyncio.wait_for(add_topic(session_factory, "after"), timeout=2)


async def test_a_second_writer_waits_for_the_first_commit_then_goes_on(
    session_factory: Sessions,
) -> None:
    async with session_factory() as probe:
        if probe.get_bind().dialect.name != "sqlite":
            pytest.skip("the writer queue is SQLite's")
    async with session_factory() as holder:
        holder.add(Topic(slug="first", title="first", position=100))
        await holder.flush()  # the write transaction is open and holds the queue
        second = asyncio.create_task(add_topic(session_factory, "second"))
        await asyncio.sleep(0.3)
        assert not second.done()  # queued behind the open transaction, not failing
        await holder.commit()
    await asyncio.wait_for(second, timeout=2)  # it goes on as soon as the first commits


async def test_a_task_writing_on_two_connections_at_once_fails_fast(
    session_factory: Sessions,
) -> None:
    """Its second write could only wait for its own first: a bug, said at once, instead of
    every writer of the process stalling for the 5 s busy timeout."""
    async with session_factory() as probe:
        if probe.get_bind().dialect.name != "sqlite":
            pytest.skip("the writer queue is SQLite's")
    async with session_factory() as holder:
        holder.add(Topic(slug="first", title="first", position=100))
        await holder.flush()
        with pytest.raises(SelfDeadlock):  # in this task: wait_for would run it in another
            await add_topic(session_factory, "second")
        await holder.commit()
    await asyncio.wait_for(add_topic(session_factory, "third"), timeout=1)  # nothing leaked


def key(user_id: int) -> StorageKey:
    return StorageKey(bot_id=1, chat_id=user_id, user_id=user_id)


async def test_fsm_storage_reads_what_it_wrote_and_survives_a_new_instance(
    session_factory: Sessions,
) -> None:
    storage = DatabaseStorage(session_factory)
    await storage.set_state(key(1), "Answering:question")
    await storage.set_data(key(1), {"sub": 5, "sel": ["a"]})
    data = await storage.get_data(key(1))
    data["sel"].append("b")  # a handler changing the copy it got must not change the cache
    assert await storage.get_data(key(1)) == {"sub": 5, "sel": ["a"]}

    fresh = DatabaseStorage(session_factory)  # a restart: nothing cached
    assert await fresh.get_state(key(1)) == "Answering:question"
    assert await fresh.get_data(key(1)) == {"sub": 5, "sel": ["a"]}

    await fresh.set_state(key(1), None)
    await fresh.set_data(key(1), {})
    async with session_factory() as session:
        assert await session.get(FsmRecord, "fsm:1:1:1:default") is None  # empty rows go away
    assert await storage.get_state(key(2)) is None


async def test_fsm_storage_evicts_old_entries_and_reads_them_back(
    session_factory: Sessions,
) -> None:
    storage = DatabaseStorage(session_factory, cache_size=2)
    for user_id in (1, 2, 3):
        await storage.set_data(key(user_id), {"n": user_id})
    assert [await storage.get_data(key(u)) for u in (1, 2, 3)] == [{"n": 1}, {"n": 2}, {"n": 3}]
    await storage.set_data(key(1), {"n": 10})  # evicted: read back from the table, then changed
    assert await DatabaseStorage(session_factory).get_data(key(1)) == {"n": 10}


async def test_a_writer_killed_mid_statement_leaves_no_lock_behind(
    session_factory: Sessions,
) -> None:
    """A task cancelled inside a statement of its write transaction (a handler's timeout, a
    shutdown): its connection is invalidated, and the next writer must not find SQLite's file
    lock still held by it («database is locked» after the busy timeout). Cancelled at many
    points of the statement, since where it lands decides what the pool is left with."""
    async with session_factory() as probe:
        if probe.get_bind().dialect.name != "sqlite":
            pytest.skip("the writer queue is SQLite's")

    async def writer(slug: str) -> None:
        async with session_factory() as session:
            session.add(Topic(slug=slug, title=slug, position=100))
            await session.flush()  # the write transaction is open
            await session.execute(
                text(
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                    "WHERE i < 20000) UPDATE topics SET position = position + "
                    "(SELECT count(*) FROM n) - 20000 WHERE slug = :slug"
                ),
                {"slug": slug},
            )
            await session.commit()

    for attempt in range(30):
        task = asyncio.create_task(writer(f"stuck{attempt}"))
        await asyncio.sleep(attempt * 0.0005)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await asyncio.wait_for(add_topic(session_factory, f"after{attempt}"), timeout=4)
    async with session_factory() as session:
        after = await session.scalar(select(func.count()).where(Topic.slug.like("after%")))
    assert after == 30
