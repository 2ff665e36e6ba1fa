"""Subscriber statistics: members per topic, per territory and per week, and who blocked the bot.

Counted by a handful of aggregate queries (GROUP BY in the database, a few hundred rows at
most come back), never one query per person. Every function can be scoped to one territory
— the territorial organisation itself and its primaries — which is what a territorial admin
may see. "Members" are the people registered now: someone who used /forget is gone from every
count, including the past weeks of the growth series.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Final, TypeVar

from sqlalchemy import Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Organization, OrgLevel, Person, Subscription, utcnow
from services import topics as topic_service
from services.orgs import group_members
from texts import charts as texts
from texts.ru import REGIONAL_SUBORDINATION

DEFAULT_WEEKS: Final = 12

SelectT = TypeVar("SelectT", bound=Select[Any])


@dataclass(frozen=True)
class TopicCount:
    """Subscribers of one topic; `blocked` of them do not receive broadcasts now."""

    slug: str
    title: str
    subscribers: int
    blocked: int

    @property
    def active(self) -> int:
        """Subscribers a broadcast on this topic reaches."""
        return self.subscribers - self.blocked


@dataclass(frozen=True)
class TerritoryCount:
    """Members whose organisation belongs to one territory.

    `org_id` is the territorial organisation; for primaries reporting directly to the regional
    organisation (and for the regional one itself) it is the regional organisation, named
    «Организации областного подчинения»; None for members who have not chosen an organisation.
    """

    org_id: int | None
    name: str
    members: int
    blocked: int

    @property
    def active(self) -> int:
        return self.members - self.blocked


@dataclass(frozen=True)
class WeekGrowth:
    """One ISO week (Monday to Sunday, local time): who joined in it and how many members
    there were at its end (the current week: so far)."""

    start: date
    new: int
    total: int

    @property
    def end(self) -> date:
        """The Sunday of the week."""
        return self.start + timedelta(days=6)

    @property
    def iso_week(self) -> tuple[int, int]:
        """(ISO year, ISO week number)."""
        year, week, _ = self.start.isocalendar()
        return year, week


@dataclass(frozen=True)
class SubscriberStats:
    """Everything the subscriber report shows, for the whole region or one territory."""

    members: int
    blocked: int
    topics: tuple[TopicCount, ...]
    territories: tuple[TerritoryCount, ...]
    weeks: tuple[WeekGrowth, ...]

    @property
    def active(self) -> int:
        """Members who receive broadcasts (have not blocked the bot)."""
        return self.members - self.blocked


@dataclass(frozen=True)
class Table:
    """Rows ready for an XLSX sheet, a CSV file or a chat message: plain strings and ints."""

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str | int, ...], ...]


# ---------------------------------------------------------------------------------------------
# Queries


def _scoped(query: SelectT, territory_id: int | None) -> SelectT:
    """Keep only members of the group's organisations: the same subtree as monitoring's
    (`orgs.group_members`), whatever the report."""
    if territory_id is None:
        return query
    return query.where(Person.org_id.in_(group_members(territory_id)))


def _blocked_count() -> Any:
    """SUM of blocked people in a group; CASE works the same on SQLite and PostgreSQL."""
    return func.coalesce(func.sum(case((Person.blocked, 1), else_=0)), 0)


async def topic_counts(session: AsyncSession, territory_id: int | None = None) -> list[TopicCount]:
    """Every topic in menu order, with its subscribers; topics nobody follows show 0."""
    query = (
        select(Subscription.topic_id, func.count(), _blocked_count())
        .join(Person, Person.id == Subscription.person_id)
        .group_by(Subscription.topic_id)
    )
    counts = {
        topic_id: (int(total), int(blocked))
        for topic_id, total, blocked in await session.execute(_scoped(query, territory_id))
    }
    return [
        TopicCount(topic.slug, topic.title, *counts.get(topic.id, (0, 0)))
        for topic in await topic_service.list_topics(session)
    ]


@dataclass(frozen=True)
class _Org:
    parent_id: int | None
    level: OrgLevel
    name: str


def _territory_of(org_id: int, orgs: dict[int, _Org]) -> int:
    """The organisation a member is counted under: the territorial one above (or equal to) the
    member's organisation, else the regional one."""
    org = orgs[org_id]
    if org.level is OrgLevel.PRIMARY and org.parent_id is not None:
        return org.parent_id  # territorial, or regional for «областного подчинения»
    return org_id  # territorial or regional itself


def _sort_key(name: str) -> str:
    """Russian alphabetical order, near enough without a locale: ё sorts as е."""
    return name.casefold().replace("ё", "е")


async def territory_counts(
    session: AsyncSession, territory_id: int | None = None
) -> list[TerritoryCount]:
    """Members per territory: every territorial organisation in scope (0 when it has nobody)
    by name, then «областного подчинения», then members without an organisation."""
    query = select(Person.org_id, func.count(), _blocked_count()).group_by(Person.org_id)
    per_org = list(await session.execute(_scoped(query, territory_id)))
    orgs = {
        org_id: _Org(parent_id, level, name)
        for org_id, parent_id, level, name in await session.execute(
            select(Organization.id, Organization.parent_id, Organization.level, Organization.name)
        )
    }

    members: Counter[int | None] = Counter()
    blocked: Counter[int | None] = Counter()
    for org_id, total, blocked_here in per_org:
        key = None if org_id is None else _territory_of(org_id, orgs)
        members[key] += int(total)
        blocked[key] += int(blocked_here)

    territories = sorted(
        (
            org_id
            for org_id, org in orgs.items()
            if org.level is OrgLevel.TERRITORIAL and territory_id in (None, org_id)
        ),
        key=lambda org_id: _sort_key(orgs[org_id].name),
    )
    regional = sorted(
        key for key in members if key is not None and orgs[key].level is OrgLevel.REGIONAL
    )

    def row(key: int | None, name: str) -> TerritoryCount:
        return TerritoryCount(key, name, members[key], blocked[key])

    return [
        *(row(key, orgs[key].name) for key in territories),
        *(row(key, REGIONAL_SUBORDINATION) for key in regional),
        *([row(None, texts.NO_TERRITORY)] if members[None] else []),
    ]


def _week_starts(now: datetime, weeks: int, tz: tzinfo) -> list[date]:
    """Mondays of the last `weeks` ISO weeks in local time, the current week last."""
    today = now.astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=weeks - 1 - index) for index in range(weeks)]


def _local_midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(), tz).astimezone(UTC)


async def weekly_growth(
    session: AsyncSession,
    *,
    weeks: int = DEFAULT_WEEKS,
    tz: tzinfo = UTC,
    now: datetime | None = None,
    territory_id: int | None = None,
) -> list[WeekGrowth]:
    """New members per ISO week (by consent date) for the last `weeks` weeks, with the running
    total; a week nobody joined is there with 0.

    Weeks start on local Mondays (pass the bot's time zone): a member who agreed at 01:30
    Monday in Kursk joined that week, though it is still Sunday in UTC.
    """
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    starts = _week_starts(now or utcnow(), weeks, tz)
    bounds = [_local_midnight(day, tz) for day in [*starts, starts[-1] + timedelta(weeks=1)]]
    # Bucket -1: before the first week (the starting total); weeks: after the current one.
    bucket = case(
        *((Person.consent_at < bound, index - 1) for index, bound in enumerate(bounds)),
        else_=weeks,
    )
    # GROUP BY a column of a subquery, not the CASE itself: PostgreSQL does not see two
    # copies of an expression with bound parameters as the same expression.
    buckets = _scoped(select(bucket.label("week")), territory_id).subquery()
    counts = {
        int(week): int(total)
        for week, total in await session.execute(
            select(buckets.c.week, func.count()).group_by(buckets.c.week)
        )
    }

    total = counts.get(-1, 0)
    growth = []
    for index, start in enumerate(starts):
        new = counts.get(index, 0)
        total += new
        growth.append(WeekGrowth(start=start, new=new, total=total))
    return growth


async def collect(
    session: AsyncSession,
    *,
    territory_id: int | None = None,
    weeks: int = DEFAULT_WEEKS,
    tz: tzinfo = UTC,
    now: datetime | None = None,
) -> SubscriberStats:
    """The whole subscriber report, for the region or for one territory."""
    territories = await territory_counts(session, territory_id)
    return SubscriberStats(
        # Every member is in exactly one territory row, «Не указана» included.
        members=sum(row.members for row in territories),
        blocked=sum(row.blocked for row in territories),
        topics=tuple(await topic_counts(session, territory_id)),
        territories=tuple(territories),
        weeks=tuple(
            await weekly_growth(session, weeks=weeks, tz=tz, now=now, territory_id=territory_id)
        ),
    )


# ---------------------------------------------------------------------------------------------
# Tables


def _topics_table(topics: Sequence[TopicCount]) -> Table:
    return Table(
        texts.TABLE_TOPICS,
        texts.TABLE_TOPICS_HEADER,
        tuple((row.title, row.subscribers, row.active, row.blocked) for row in topics),
    )


def _territories_table(stats: SubscriberStats) -> Table:
    rows = [(row.name, row.members, row.active, row.blocked) for row in stats.territories]
    total = (texts.TOTAL_ROW, stats.members, stats.active, stats.blocked)
    return Table(texts.TABLE_TERRITORIES, texts.TABLE_TERRITORIES_HEADER, (*rows, total))


def _weeks_table(weeks: Sequence[WeekGrowth]) -> Table:
    return Table(
        texts.TABLE_WEEKS,
        texts.TABLE_WEEKS_HEADER,
        tuple(
            (texts.WEEK_RANGE.format(start=week.start, end=week.end), week.new, week.total)
            for week in weeks
        ),
    )


def subscribers_tables(stats: SubscriberStats) -> list[Table]:
    """The report as three tables — by topic, by territory (with a total), by week — one
    sheet each in XLSX; a subscriber can follow several topics, so topics have no total."""
    return [_topics_table(stats.topics), _territories_table(stats), _weeks_table(stats.weeks)]
