"""Subscriber statistics on the real, migrated database with the sample Kursk directory:
exact counts per topic, per territory and per week, blocked members, territorial scoping."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import Organization, Person
from services import topics as topic_service
from services.reports import subscribers
from services.reports.subscribers import SubscriberStats, TerritoryCount, WeekGrowth
from tests.helpers import add_member

MSK = ZoneInfo("Europe/Moscow")
# A Thursday: with weeks=4 the report covers the weeks of 02.11, 09.11, 16.11 and 23.11.
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
MONDAYS = [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 23)]
BELOVO = "Беловская районная организация Профсоюза"
BOLSHESOLDATSKOE = "Большесолдатская районная организация Профсоюза"

# (telegram id, organisation code, topics, consent moment in UTC, blocked)
MEMBERS = [
    # Before the four weeks: counted in the totals only.
    (1001, "46-01-001", ("news", "law"), datetime(2026, 10, 1, 9, 0, tzinfo=UTC), False),
    # A member of the territorial organisation itself.
    (1002, "46-01", ("news",), datetime(2026, 11, 3, 10, 0, tzinfo=UTC), True),
    # Nobody joins in the week of 09.11 (in Moscow time).
    (2001, "46-02-003", ("law", "partnership"), datetime(2026, 11, 17, 8, 0, tzinfo=UTC), False),
    # Sunday 22:30 in UTC is Monday 01:30 in Kursk: the week of 16.11, not of 09.11.
    (2002, "46-02-001", ("news",), datetime(2026, 11, 15, 22, 30, tzinfo=UTC), True),
    # A university reporting directly to the regional organisation.
    (3001, "46-00-001", ("news",), datetime(2026, 11, 24, 7, 0, tzinfo=UTC), False),
    # Has not chosen an organisation.
    (4001, None, ("news", "law", "contests"), datetime(2026, 11, 25, 15, 0, tzinfo=UTC), False),
]


async def _add(
    sessions: async_sessionmaker[AsyncSession],
    telegram_id: int,
    org_code: str | None,
    topics: tuple[str, ...],
    consent_at: datetime,
    blocked: bool,
) -> None:
    """A member registered through the chat's services, then moved back to `consent_at`."""
    person_id = await add_member(sessions, telegram_id, org_code, topics)
    async with sessions() as session:
        await session.execute(
            update(Person)
            .where(Person.id == person_id)
            .values(consent_at=consent_at, blocked=blocked)
        )
        await session.commit()


@pytest.fixture
async def sessions(
    session_factory: async_sessionmaker[AsyncSession], directory: None
) -> async_sessionmaker[AsyncSession]:
    for member in MEMBERS:
        await _add(session_factory, *member)
    return session_factory


async def _org_id(sessions: async_sessionmaker[AsyncSession], code: str) -> int:
    async with sessions() as session:
        org_id = await session.scalar(select(Organization.id).where(Organization.code == code))
    assert org_id is not None
    return org_id


async def _collect(
    sessions: async_sessionmaker[AsyncSession], territory: str | None = None, **options: Any
) -> SubscriberStats:
    territory_id = await _org_id(sessions, territory) if territory else None
    options = {"weeks": 4, "tz": MSK, "now": NOW, **options}
    async with sessions() as session:
        return await subscribers.collect(session, territory_id=territory_id, **options)


def _topics(stats: SubscriberStats) -> dict[str, tuple[int, int]]:
    return {topic.slug: (topic.subscribers, topic.blocked) for topic in stats.topics}


def _weeks(stats: SubscriberStats) -> list[tuple[date, int, int]]:
    return [(week.start, week.new, week.total) for week in stats.weeks]


async def test_members_per_topic(sessions: async_sessionmaker[AsyncSession]) -> None:
    stats = await _collect(sessions)
    counts = _topics(stats)
    assert counts["news"] == (5, 2)
    assert counts["law"] == (3, 0)
    assert counts["partnership"] == (1, 0)
    assert counts["contests"] == (1, 0)
    # Topics nobody follows are listed too, with 0, in the order of the topics menu.
    assert counts["education"] == (0, 0)
    async with sessions() as session:
        menu = [topic.slug for topic in await topic_service.list_topics(session)]
    assert [topic.slug for topic in stats.topics] == menu
    news = next(topic for topic in stats.topics if topic.slug == "news")
    assert news.title == "Новости профсоюзных органов"
    assert news.active == 3


async def test_members_per_territory(sessions: async_sessionmaker[AsyncSession]) -> None:
    stats = await _collect(sessions)
    rows = {row.name: row for row in stats.territories}
    assert (rows[BELOVO].members, rows[BELOVO].blocked) == (2, 1)
    assert (rows[BOLSHESOLDATSKOE].members, rows[BOLSHESOLDATSKOE].blocked) == (2, 1)
    assert rows["Глушковская районная организация Профсоюза"].members == 0
    assert rows["Организации областного подчинения"].members == 1
    assert rows["Не указана"] == TerritoryCount(None, "Не указана", 1, 0)
    # All 33 territorial organisations, then the regional group, then no organisation.
    assert len(stats.territories) == 35
    assert [row.name for row in stats.territories[-2:]] == [
        "Организации областного подчинения",
        "Не указана",
    ]
    assert rows[BELOVO].org_id == await _org_id(sessions, "46-01")
    assert rows["Организации областного подчинения"].org_id == await _org_id(sessions, "46")


async def test_totals_and_blocked(sessions: async_sessionmaker[AsyncSession]) -> None:
    stats = await _collect(sessions)
    assert (stats.members, stats.blocked, stats.active) == (6, 2, 4)


async def test_weekly_growth_in_local_weeks(sessions: async_sessionmaker[AsyncSession]) -> None:
    stats = await _collect(sessions)
    assert _weeks(stats) == [
        (MONDAYS[0], 1, 2),
        (MONDAYS[1], 0, 2),  # nobody joined: the week is there, with 0
        (MONDAYS[2], 2, 4),
        (MONDAYS[3], 2, 6),
    ]
    assert stats.weeks[1].iso_week == (2026, 46)
    assert stats.weeks[1].end == date(2026, 11, 15)


async def test_weeks_follow_the_time_zone(sessions: async_sessionmaker[AsyncSession]) -> None:
    """In UTC the Sunday-night member belongs to the week before."""
    stats = await _collect(sessions, tz=UTC)
    assert [week.new for week in stats.weeks] == [1, 1, 1, 2]


async def test_one_week_and_a_long_window(sessions: async_sessionmaker[AsyncSession]) -> None:
    current = await _collect(sessions, weeks=1)
    assert _weeks(current) == [(MONDAYS[3], 2, 6)]
    year = await _collect(sessions, weeks=52)
    assert len(year.weeks) == 52
    assert sum(week.new for week in year.weeks) == 6
    assert year.weeks[-1].total == 6


async def test_weeks_must_be_positive(sessions: async_sessionmaker[AsyncSession]) -> None:
    with pytest.raises(ValueError):
        await _collect(sessions, weeks=0)


async def test_territorial_scope(sessions: async_sessionmaker[AsyncSession]) -> None:
    stats = await _collect(sessions, "46-01")
    assert (stats.members, stats.blocked) == (2, 1)
    assert [(row.name, row.members, row.blocked) for row in stats.territories] == [(BELOVO, 2, 1)]
    assert _topics(stats)["news"] == (2, 1)
    assert _topics(stats)["law"] == (1, 0)
    assert _topics(stats)["partnership"] == (0, 0)  # Большесолдатская's, not ours
    assert [(week.new, week.total) for week in stats.weeks] == [(1, 2), (0, 2), (0, 2), (0, 2)]

    other = await _collect(sessions, "46-02")
    assert [(row.name, row.members) for row in other.territories] == [(BOLSHESOLDATSKOE, 2)]
    assert _topics(other)["partnership"] == (1, 0)
    assert [week.new for week in other.weeks] == [0, 0, 2, 0]


async def test_empty_territory(sessions: async_sessionmaker[AsyncSession]) -> None:
    stats = await _collect(sessions, "46-03")
    assert (stats.members, stats.blocked) == (0, 0)
    assert [(row.name, row.members) for row in stats.territories] == [
        ("Глушковская районная организация Профсоюза", 0)
    ]
    assert all(topic.subscribers == 0 for topic in stats.topics)
    assert stats.weeks == tuple(WeekGrowth(monday, 0, 0) for monday in MONDAYS)


async def test_empty_database(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    stats = await _collect(session_factory)
    assert (stats.members, stats.blocked, stats.territories) == (0, 0, ())
    assert [week.total for week in stats.weeks] == [0, 0, 0, 0]


@contextmanager
def _statements(sessions: async_sessionmaker[AsyncSession]) -> Iterator[list[str]]:
    """The SQL statements the engine runs inside the block."""
    engine = sessions.kw["bind"].sync_engine
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_a_few_aggregate_queries_whatever_the_number_of_people(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    with _statements(sessions) as few:
        await _collect(sessions)
    for index in range(30):
        await _add(sessions, 5000 + index, "46-05-001", ("news",), NOW, index % 2 == 0)
    with _statements(sessions) as many:
        stats = await _collect(sessions)
    assert stats.members == 36
    assert len(many) == len(few) <= 6


async def test_tables(sessions: async_sessionmaker[AsyncSession]) -> None:
    topics, territories, weeks = subscribers.subscribers_tables(await _collect(sessions))

    assert topics.header == ("Тема", "Подписчиков", "Получают рассылки", "Заблокировали бота")
    assert topics.rows[0] == ("Новости профсоюзных органов", 5, 3, 2)

    assert territories.rows[0] == (BELOVO, 2, 1, 1)
    assert territories.rows[-2] == ("Не указана", 1, 1, 0)
    assert territories.rows[-1] == ("Итого", 6, 4, 2)

    assert weeks.header == ("Неделя", "Новых участников", "Всего участников")
    assert weeks.rows == (
        ("02.11–08.11.2026", 1, 2),
        ("09.11–15.11.2026", 0, 2),
        ("16.11–22.11.2026", 2, 4),
        ("23.11–29.11.2026", 2, 6),
    )
    for table in (topics, territories, weeks):
        assert all(len(row) == len(table.header) for row in table.rows)
        assert all(isinstance(cell, str | int) for row in table.rows for cell in row)
