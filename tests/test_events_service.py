"""Events without the chat: concurrent taps against the capacity (SQLite and PostgreSQL),
who an announcement reaches, and the benchmark script kept honest."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import (
    Event,
    EventAudience,
    EventKind,
    EventRegistration,
    Person,
    RegistrationStatus,
    utcnow,
)
from services import events, orgs
from services.people import Roles
from tests.helpers import add_member, grant

pytestmark = pytest.mark.usefixtures("directory")
ROOT = Path(__file__).resolve().parent.parent


async def _create(
    sessions: async_sessionmaker[AsyncSession],
    audience: EventAudience,
    *,
    capacity: int | None = None,
    territory: str | None = None,
    topic_id: int | None = None,
) -> Event:
    async with sessions() as session:
        roles = Roles(regional_admin=True)
        if territory is not None:
            org = await orgs.get_by_code(session, territory)
            assert org is not None
            roles = Roles(territories=frozenset({org.id}))
        draft = events.EventDraft(
            title="Семинар",
            description="",
            kind=EventKind.SEMINAR,
            starts_at=utcnow() + timedelta(days=3),
            ends_at=utcnow() + timedelta(days=3, hours=1),
            place="Курск",
            audience=audience,
            topic_id=topic_id,
            capacity=capacity,
        )
        return await events.create(session, draft, 1, roles)


async def _news(sessions: async_sessionmaker[AsyncSession]) -> int:
    from models import Topic

    async with sessions() as session:
        found = await session.scalar(select(Topic.id).where(Topic.slug == "news"))
        assert found is not None
        return found


async def test_concurrent_taps_never_exceed_capacity_nor_double(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    ids = [await add_member(session_factory, 400000 + n, "46-29-004") for n in range(40)]
    event = await _create(
        session_factory, EventAudience.TOPIC, capacity=15, topic_id=await _news(session_factory)
    )

    async def tap(person_id: int) -> events.Joined:
        async with session_factory() as session:
            person = await session.get(Person, person_id)
            assert person is not None
            return await events.register(session, event.id, person)

    # Everyone taps twice, all at once.
    outcomes = await asyncio.gather(*(tap(pid) for pid in ids + ids))
    counted = {kind: outcomes.count(kind) for kind in events.Joined}
    assert counted[events.Joined.REGISTERED] == 15
    assert counted[events.Joined.WAITING] == 25
    assert counted[events.Joined.ALREADY] == 40
    async with session_factory() as session:
        rows = (
            await session.execute(
                select(EventRegistration.status, func.count()).group_by(EventRegistration.status)
            )
        ).all()
        seats = await session.scalar(select(Event.registered).where(Event.id == event.id))
    assert dict(rows) == {RegistrationStatus.REGISTERED: 15, RegistrationStatus.WAITING: 25}
    assert seats == 15

    # Concurrent cancellations of registered people: each freed seat goes to one waiting
    # person, the counter stays at capacity.
    async with session_factory() as session:
        registered = list(
            await session.scalars(
                select(EventRegistration.person_id).where(
                    EventRegistration.status == RegistrationStatus.REGISTERED
                )
            )
        )

    async def leave(person_id: int) -> events.Left:
        async with session_factory() as session:
            return await events.cancel_registration(session, event.id, person_id)

    left = await asyncio.gather(*(leave(pid) for pid in registered[:10]))
    promoted = [item.promoted_telegram_id for item in left]
    assert None not in promoted and len(set(promoted)) == 10
    async with session_factory() as session:
        now_registered = await session.scalar(
            select(func.count()).where(EventRegistration.status == RegistrationStatus.REGISTERED)
        )
        seats = await session.scalar(select(Event.registered).where(Event.id == event.id))
    assert now_registered == seats == 15


async def test_announcement_audiences(session_factory: async_sessionmaker[AsyncSession]) -> None:
    sessions = session_factory
    belovo_school, kursk_school = "46-01-001", "46-29-004"
    await add_member(sessions, 500001, belovo_school, topics={"education"})
    await add_member(sessions, 500002, kursk_school, topics={"education"})
    await add_member(sessions, 500003, kursk_school, topics=set())
    await grant(sessions, 500003, "ais_officer", kursk_school)
    await add_member(sessions, 500004, None, topics=set())
    await grant(sessions, 500004, "territorial_admin", "46-29")
    await add_member(sessions, 500005, kursk_school, topics=set())
    await grant(sessions, 500005, "officer", kursk_school)
    await add_member(sessions, 500006, None, topics=set())
    await grant(sessions, 500006, "officer", "46-01")  # an officer of a territorial org

    async def reached(event: Event) -> set[int]:
        from services.broadcasts import audience

        async with sessions() as session:
            stored = await session.get(Event, event.id)
            assert stored is not None
            broadcast = await events.announce(session, stored, "Семинар", {}, None)
            rows = await session.execute(audience.recipients(broadcast))
            return {int(chat) for _, chat in rows}

    async with sessions() as session:
        from models import Topic

        education = await session.scalar(select(Topic.id).where(Topic.slug == "education"))
    topic_everywhere = await _create(sessions, EventAudience.TOPIC, topic_id=education)
    assert await reached(topic_everywhere) == {500001, 500002}
    topic_kursk = await _create(
        sessions, EventAudience.TOPIC, topic_id=education, territory="46-29"
    )
    assert await reached(topic_kursk) == {500002}
    assert await reached(await _create(sessions, EventAudience.AIS_OFFICERS)) == {500003}
    chairs = await _create(sessions, EventAudience.TERRITORIAL_CHAIRS)
    assert await reached(chairs) == {500004}
    primary = await _create(sessions, EventAudience.PRIMARY_CHAIRS)
    assert await reached(primary) == {500005}
    officers = await _create(sessions, EventAudience.OFFICERS)
    assert await reached(officers) == {500005, 500006}
    officers_belovo = await _create(sessions, EventAudience.OFFICERS, territory="46-01")
    assert await reached(officers_belovo) == {500006}


def test_benchmark_registers_everyone_once() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.events", "--people", "40", "--seats", "25", "--spread", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["verified"] is True and figures["errors"] == 0
    assert figures["taps"] >= 41


async def test_forget_gives_the_seat_to_the_waiting_list(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    from services import people

    ids = [await add_member(session_factory, 600000 + n, "46-29-004") for n in range(3)]
    event = await _create(
        session_factory, EventAudience.TOPIC, capacity=2, topic_id=await _news(session_factory)
    )
    async with session_factory() as session:
        for person_id in ids:
            person = await session.get(Person, person_id)
            assert person is not None
            await events.register(session, event.id, person)
        assert await people.forget(session, 600000, UTC)
    async with session_factory() as session:
        statuses = list(
            await session.scalars(select(EventRegistration.status).order_by(EventRegistration.id))
        )
        seats = await session.scalar(select(Event.registered).where(Event.id == event.id))
    assert statuses == [RegistrationStatus.REGISTERED, RegistrationStatus.REGISTERED]
    assert seats == 2
    from models import Broadcast

    async with session_factory() as session:  # the one moved up is told through the outbox
        (notice,) = await session.scalars(select(Broadcast))
    assert notice.recipient_ids == [600002] and notice.text.startswith("Освободилось место")


async def test_cancelling_stops_an_announcement_still_going_out(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    from models import Broadcast, BroadcastStatus

    officer = await add_member(session_factory, 610000, "46-29-004")
    await grant(session_factory, 610000, "officer", "46-29-004")
    event = await _create(session_factory, EventAudience.OFFICERS)
    async with session_factory() as session:
        loaded = await events.get(session, event.id)
        assert loaded is not None
        broadcast = await events.announce(session, loaded, "Семинар", {}, None)
        person = await session.get(Person, officer)
        assert person is not None and await events.may_join(session, loaded, person)
    async with session_factory() as session:
        done = await events.cancel_event(
            session, event.id, Roles(regional_admin=True), 1, UTC, None
        )
        assert done == events.Cancellation(events.Cancelled.DONE, 0)  # nobody registered yet
        again = await events.cancel_event(
            session, event.id, Roles(regional_admin=True), 1, UTC, None
        )
        assert again.outcome is events.Cancelled.CLOSED
        status = await session.scalar(
            select(Broadcast.status).where(Broadcast.id == broadcast.id)
        )
        queued = await session.scalar(select(func.count()).select_from(Broadcast))
    assert status is BroadcastStatus.CANCELLED
    assert queued == 1  # no notice: there was no one to tell
