"""Broadcast delivery end to end: the outbox, the worker and the fake Bot API over HTTP.

Most tests run a `DeliveryWorker` of their own (fast rate, tiny poll interval) against the
`fake`; the wiring tests run the whole application. Nothing here asserts on speed.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiogram import Bot
from redis.asyncio import Redis
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import create_bot
from bot.config import Settings
from fakeapi import FakeTelegram, FakeUser
from models import (
    Audience,
    Broadcast,
    BroadcastKind,
    BroadcastStatus,
    BroadcastTopic,
    Delivery,
    DeliveryStatus,
    Organization,
    Person,
    RecallStatus,
    Role,
    RoleKind,
    Subscription,
    Topic,
    utcnow,
)
from models.clock import FakeClock
from services.broadcasts import outbox
from services.broadcasts.progress import ProgressSnapshot
from services.broadcasts.ratelimit import RateLimiter, RedisTimeline
from services.broadcasts.worker import DeliveryWorker, in_quiet_hours
from tests.conftest import RunningBot
from tests.helpers import eventually

Sessions = async_sessionmaker[AsyncSession]
MOSCOW = ZoneInfo("Europe/Moscow")
FIRST = 700_000  # chat ids of the seeded members start here


# --- set-up helpers ------------------------------------------------------------------------


async def add_people(
    sessions: Sessions,
    chat_ids: Iterable[int],
    *,
    topics: Iterable[str] = ("news",),
    org_code: str | None = None,
    blocked: bool = False,
) -> list[int]:
    """Registered members subscribed to `topics`; returns their person ids."""
    async with sessions() as session:
        topic_ids = list(await session.scalars(select(Topic.id).where(Topic.slug.in_(topics))))
        org_id = None
        if org_code is not None:
            org_id = await session.scalar(
                select(Organization.id).where(Organization.code == org_code)
            )
        people = [
            Person(
                telegram_id=chat,
                first_name=f"U{chat}",
                consent_at=utcnow(),
                blocked=blocked,
                org_id=org_id,
            )
            for chat in chat_ids
        ]
        session.add_all(people)
        await session.flush()
        session.add_all(
            Subscription(person_id=p.id, topic_id=t) for p in people for t in topic_ids
        )
        await session.commit()
        return [p.id for p in people]


async def new_broadcast(
    sessions: Sessions,
    *,
    text: str | None = None,
    source: tuple[int, list[int]] | None = None,
    kind: BroadcastKind = BroadcastKind.NEWS,
    topics: Iterable[str] = ("news",),
    audience: Audience = Audience.ALL,
    org_code: str | None = None,
    progress: tuple[int, int] | None = None,
    status: BroadcastStatus = BroadcastStatus.DRAFT,
    scheduled_at: datetime | None = None,
) -> int:
    """A confirmed-looking broadcast (not yet enqueued)."""
    async with sessions() as session:
        org_id = None
        if org_code is not None:
            org_id = await session.scalar(
                select(Organization.id).where(Organization.code == org_code)
            )
        broadcast = Broadcast(
            kind=kind,
            status=status,
            text=text,
            source_chat_id=source[0] if source else None,
            source_message_ids=source[1] if source else [],
            audience=audience,
            audience_org_id=org_id,
            total=0,
            scheduled_at=scheduled_at,
            progress_chat_id=progress[0] if progress else None,
            progress_message_id=progress[1] if progress else None,
        )
        session.add(broadcast)
        await session.flush()
        for topic_id in await session.scalars(select(Topic.id).where(Topic.slug.in_(topics))):
            session.add(BroadcastTopic(broadcast_id=broadcast.id, topic_id=topic_id))
        await session.commit()
        return broadcast.id


async def enqueue(sessions: Sessions, broadcast_id: int) -> int:
    async with sessions() as session:
        return await outbox.enqueue(session, broadcast_id)


async def queued(sessions: Sessions, chats: Iterable[int], **options: Any) -> int:
    """Members in `chats` (subscribed to news) and an enqueued broadcast to them."""
    await add_people(sessions, chats)
    broadcast_id = await new_broadcast(sessions, **options)
    await enqueue(sessions, broadcast_id)
    return broadcast_id


async def run_until_done(worker: DeliveryWorker, sessions: Sessions, broadcast_id: int) -> None:
    await worker.start()
    await until_done(sessions, broadcast_id)


async def deliveries(sessions: Sessions, broadcast_id: int) -> list[Delivery]:
    async with sessions() as session:
        rows = await session.scalars(
            select(Delivery).where(Delivery.broadcast_id == broadcast_id).order_by(Delivery.id)
        )
        return list(rows)


async def status_counts(sessions: Sessions, broadcast_id: int) -> ProgressSnapshot:
    async with sessions() as session:
        return await outbox.stats(session, broadcast_id)


async def broadcast_row(sessions: Sessions, broadcast_id: int) -> Broadcast:
    async with sessions() as session:
        broadcast = await session.get(Broadcast, broadcast_id)
        assert broadcast is not None
        return broadcast


async def until_done(sessions: Sessions, broadcast_id: int, within: float = 15.0) -> Broadcast:
    async def done() -> Broadcast | None:
        broadcast = await broadcast_row(sessions, broadcast_id)
        return broadcast if broadcast.status is BroadcastStatus.DONE else None

    result: Broadcast = await eventually(done, within=within)
    return result


async def source_message(fake: FakeTelegram, user: FakeUser, text: str) -> int:
    """A message the admin wrote (the fake keeps it), as the source of a copy."""
    update_body = await fake.send_message(user, text, wait=False)
    return int(update_body["message"]["message_id"])


def copies_in(fake: FakeTelegram, chat_id: int) -> list[str]:
    return [m.text or "" for m in fake.messages(chat_id)]


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture
async def bot(settings: Settings) -> AsyncIterator[Bot]:
    bot = create_bot(settings)
    yield bot
    await bot.session.close()


WorkerFactory = Callable[..., DeliveryWorker]


@pytest.fixture
async def workers(bot: Bot, session_factory: Sessions) -> AsyncIterator[WorkerFactory]:
    """Builds started-later workers with test-friendly defaults; stops them all at the end."""
    made: list[DeliveryWorker] = []

    def make(client: Bot | None = None, **options: Any) -> DeliveryWorker:
        defaults: dict[str, Any] = {
            "rate": 1000.0,
            "concurrency": 8,
            "paid": False,
            "tz": MOSCOW,
            "quiet_hours": (0, 0),  # none
            "progress_interval": 0.05,
            "render_progress": None,
            "poll_interval": 0.05,
            "retry_backoff": 0.05,
        }
        worker = DeliveryWorker(client or bot, session_factory, **{**defaults, **options})
        made.append(worker)
        return worker

    yield make
    for worker in made:
        await worker.stop()


@pytest.fixture
async def admin_source(fake: FakeTelegram, admin: FakeUser) -> tuple[int, list[int]]:
    return admin.id, [await source_message(fake, admin, "Профсоюз добился индексации")]


CROWD = range(FIRST, FIRST + 40)


@pytest.fixture
async def crowd(session_factory: Sessions, admin_source: tuple[int, list[int]]) -> int:
    """40 members and the admin's news to them, enqueued; returns the broadcast id."""
    return await queued(session_factory, CROWD, source=admin_source)


# --- the outbox ----------------------------------------------------------------------------


async def test_enqueue_counts_each_audience(session_factory: Sessions, directory: None) -> None:
    belovo_school = await add_people(session_factory, [1, 2], org_code="46-01-001")
    await add_people(session_factory, [3], org_code="46-01-002", topics=("law",))
    await add_people(session_factory, [4], org_code="46-02")
    await add_people(session_factory, [5])  # no organisation chosen yet
    await add_people(session_factory, [6], org_code="46-01-001", blocked=True)
    async with session_factory() as session:
        session.add(
            Role(
                person_id=belovo_school[0],
                kind=RoleKind.OFFICER,
                org_id=await session.scalar(
                    select(Organization.id).where(Organization.code == "46-01-001")
                ),
            )
        )
        await session.commit()

    cases: list[tuple[dict[str, Any], int]] = [
        ({"audience": Audience.ALL}, 4),
        ({"audience": Audience.ALL, "topics": ("law",)}, 1),
        ({"audience": Audience.ALL, "topics": ("news", "law")}, 5),
        ({"audience": Audience.TERRITORY, "org_code": "46-01"}, 2),
        ({"audience": Audience.ORG, "org_code": "46-01-002", "topics": ("law",)}, 1),
        ({"audience": Audience.ORG, "org_code": "46-01-001"}, 2),
        ({"audience": Audience.OFFICERS, "topics": ()}, 1),
    ]
    for options, expected in cases:
        broadcast_id = await new_broadcast(session_factory, text="x", **options)
        assert await enqueue(session_factory, broadcast_id) == expected, options
        rows = await deliveries(session_factory, broadcast_id)
        assert len(rows) == expected
        assert all(r.status is DeliveryStatus.PENDING and r.attempts == 0 for r in rows)
        assert 6 not in {r.chat_id for r in rows}  # blocked people are left out


async def test_enqueue_is_idempotent(session_factory: Sessions) -> None:
    await add_people(session_factory, range(FIRST, FIRST + 5))
    broadcast_id = await new_broadcast(session_factory, text="x")

    assert await enqueue(session_factory, broadcast_id) == 5
    first = await broadcast_row(session_factory, broadcast_id)
    await add_people(session_factory, [FIRST + 5])  # joined after the broadcast started
    assert await enqueue(session_factory, broadcast_id) == 5

    assert len(await deliveries(session_factory, broadcast_id)) == 5
    again = await broadcast_row(session_factory, broadcast_id)
    assert again.status is BroadcastStatus.SENDING and again.total == 5
    assert again.started_at == first.started_at is not None


async def test_activate_due_enqueues_only_what_is_due(session_factory: Sessions) -> None:
    await add_people(session_factory, [FIRST])
    now = utcnow()
    due = await new_broadcast(
        session_factory,
        text="x",
        status=BroadcastStatus.SCHEDULED,
        scheduled_at=now - timedelta(minutes=1),
    )
    later = await new_broadcast(
        session_factory,
        text="x",
        status=BroadcastStatus.SCHEDULED,
        scheduled_at=now + timedelta(hours=1),
    )
    async with session_factory() as session:
        assert await outbox.activate_due(session, now) == [due]
        assert await outbox.activate_due(session, now) == []
    assert (await broadcast_row(session_factory, due)).status is BroadcastStatus.SENDING
    assert (await broadcast_row(session_factory, later)).status is BroadcastStatus.SCHEDULED
    assert len(await deliveries(session_factory, due)) == 1


async def test_stats_counts_by_status(session_factory: Sessions) -> None:
    broadcast_id = await queued(session_factory, range(FIRST, FIRST + 4), text="x")
    rows = await deliveries(session_factory, broadcast_id)
    async with session_factory() as session:
        for row, status in zip(
            rows, [DeliveryStatus.SENT, DeliveryStatus.SENT, DeliveryStatus.BLOCKED], strict=False
        ):
            await session.execute(
                update(Delivery).where(Delivery.id == row.id).values(status=status)
            )
        await session.commit()
        snapshot = await outbox.stats(session, broadcast_id)
    assert (
        snapshot.total,
        snapshot.sent,
        snapshot.blocked,
        snapshot.failed,
        snapshot.pending,
    ) == (4, 2, 1, 0, 1)
    assert snapshot.status is BroadcastStatus.SENDING and snapshot.kind is BroadcastKind.NEWS
    assert snapshot.rate > 0 and snapshot.eta_seconds is not None


# --- delivering ----------------------------------------------------------------------------


async def test_every_member_gets_the_copy_exactly_once(
    fake: FakeTelegram,
    session_factory: Sessions,
    workers: WorkerFactory,
    admin_source: tuple[int, list[int]],
) -> None:
    chats = range(FIRST, FIRST + 40)
    await add_people(session_factory, chats)
    await add_people(session_factory, [FIRST + 99], topics=("law",))  # not subscribed
    broadcast_id = await new_broadcast(session_factory, source=admin_source)
    assert await enqueue(session_factory, broadcast_id) == 40
    worker = workers()
    await worker.start()

    done = await until_done(session_factory, broadcast_id)

    assert done.finished_at is not None
    for chat in chats:
        assert copies_in(fake, chat) == ["Профсоюз добился индексации"], chat
    assert not fake.messages(FIRST + 99)
    rows = await deliveries(session_factory, broadcast_id)
    assert {r.status for r in rows} == {DeliveryStatus.SENT}
    for row in rows:
        message = fake.last_message(row.chat_id)
        assert message is not None and row.message_ids == [message.message_id]
        assert row.sent_at is not None
    copy = fake.calls_of("copyMessage", chat_id=FIRST)[0].params
    assert copy["from_chat_id"] == admin_source[0]
    assert copy.get("disable_notification") is False
    assert "allow_paid_broadcast" not in copy


async def test_an_album_is_copied_in_one_call(
    fake: FakeTelegram, session_factory: Sessions, workers: WorkerFactory, admin: FakeUser
) -> None:
    album = [
        (await fake.send_photo(admin, caption, media_group_id="A1", wait=False))["message"]
        for caption in ("Фото 1", None, None)
    ]
    await add_people(session_factory, [FIRST, FIRST + 1])
    broadcast_id = await new_broadcast(
        session_factory, source=(admin.id, [m["message_id"] for m in album])
    )
    await enqueue(session_factory, broadcast_id)
    await run_until_done(workers(), session_factory, broadcast_id)

    for chat in (FIRST, FIRST + 1):
        calls = fake.calls_of("copyMessages", chat_id=chat)
        assert len(calls) == 1
        assert calls[0].params["message_ids"] == [m["message_id"] for m in album]
        shown = fake.messages(chat)
        assert [m.kind for m in shown] == ["photo"] * 3
    rows = await deliveries(session_factory, broadcast_id)
    assert [len(r.message_ids or []) for r in rows] == [3, 3]
    assert not fake.calls_of("copyMessage")


async def test_a_command_line_broadcast_is_html_text(
    fake: FakeTelegram, session_factory: Sessions, workers: WorkerFactory
) -> None:
    await add_people(session_factory, [FIRST, FIRST + 1], topics=("law",))
    async with session_factory() as session:
        broadcast = await outbox.create_text_broadcast(
            session,
            text="<b>Изменения</b> в законе &amp; ТК",
            topic_slugs=["law"],
            org_code=None,
            alert=False,
        )
    assert broadcast.status is BroadcastStatus.SENDING and broadcast.total == 2
    await workers(paid=True).start()

    await until_done(session_factory, broadcast.id)

    for chat in (FIRST, FIRST + 1):
        [call] = fake.calls_of("sendMessage", chat_id=chat)
        assert call.params["parse_mode"] == "HTML"
        assert call.params["allow_paid_broadcast"] is True
        message = fake.last_message(chat)
        assert message is not None and message.plain_text == "Изменения в законе & ТК"


def test_quiet_hours_wrap_midnight() -> None:
    at = lambda hour: datetime(2026, 1, 10, hour, 30, tzinfo=MOSCOW)  # noqa: E731
    assert [in_quiet_hours(at(h), MOSCOW, (22, 8)) for h in (21, 22, 23, 0, 7, 8)] == [
        False,
        True,
        True,
        True,
        True,
        False,
    ]
    assert in_quiet_hours(at(13), MOSCOW, (12, 14))
    assert not in_quiet_hours(at(23), MOSCOW, (12, 14))
    assert not in_quiet_hours(at(3), MOSCOW, (0, 0))


@pytest.mark.parametrize(
    ("kind", "hour", "silent", "pinned"),
    [
        (BroadcastKind.NEWS, 23, True, False),
        (BroadcastKind.NEWS, 12, False, False),
        (BroadcastKind.ALERT, 23, False, True),
    ],
)
async def test_news_is_silent_at_night_and_alerts_ring_and_are_pinned(
    fake: FakeTelegram,
    session_factory: Sessions,
    workers: WorkerFactory,
    admin_source: tuple[int, list[int]],
    clock: FakeClock,
    kind: BroadcastKind,
    hour: int,
    silent: bool,
    pinned: bool,
) -> None:
    clock.set(clock.now().astimezone(MOSCOW).replace(hour=hour, minute=30))
    broadcast_id = await queued(session_factory, [FIRST], source=admin_source, kind=kind)
    worker = workers(quiet_hours=(22, 8))
    await run_until_done(worker, session_factory, broadcast_id)

    [copy] = fake.calls_of("copyMessage", chat_id=FIRST)
    assert copy.params["disable_notification"] is silent
    pins = fake.calls_of("pinChatMessage", chat_id=FIRST)
    assert len(pins) == int(pinned)
    if pinned:
        assert pins[0].params["message_id"] == fake.messages(FIRST)[0].message_id


async def test_a_failed_pin_does_not_fail_the_alert(
    fake: FakeTelegram,
    session_factory: Sessions,
    workers: WorkerFactory,
    admin_source: tuple[int, list[int]],
) -> None:
    broadcast_id = await queued(
        session_factory, [FIRST], source=admin_source, kind=BroadcastKind.ALERT
    )
    fake.fail_next("pinChatMessage", status=400, description="Bad Request: not enough rights")
    await run_until_done(workers(), session_factory, broadcast_id)
    [row] = await deliveries(session_factory, broadcast_id)
    assert row.status is DeliveryStatus.SENT and len(copies_in(fake, FIRST)) == 1


# --- errors --------------------------------------------------------------------------------


async def test_429_pauses_everyone_then_resends(
    fake: FakeTelegram,
    session_factory: Sessions,
    workers: WorkerFactory,
    admin_source: tuple[int, list[int]],
) -> None:
    chats = range(FIRST, FIRST + 10)
    broadcast_id = await queued(session_factory, chats, source=admin_source)
    fake.fail_next("copyMessage", status=429, retry_after=1, chat_id=FIRST + 3)
    worker = workers(concurrency=2)
    await worker.start()

    await until_done(session_factory, broadcast_id)

    assert all(len(copies_in(fake, chat)) == 1 for chat in chats)
    assert worker.stats.rate_limited == fake.stats.rate_limited == 1
    rows = await deliveries(session_factory, broadcast_id)
    assert {(r.status, r.attempts) for r in rows} == {(DeliveryStatus.SENT, 0)}
    # Nothing was sent while Telegram asked to wait (a lower bound: slowness only adds).
    calls = fake.calls_of("copyMessage")
    refused = next(i for i, c in enumerate(calls) if c.params["chat_id"] == FIRST + 3)
    assert calls[refused + 1].ts - calls[refused].ts >= 0.9


async def test_blocked_and_deactivated_members_are_marked(
    fake: FakeTelegram,
    session_factory: Sessions,
    workers: WorkerFactory,
    admin_source: tuple[int, list[int]],
) -> None:
    fake.block(FIRST)
    fake.deactivate(FIRST + 1)
    broadcast_id = await queued(session_factory, range(FIRST, FIRST + 3), source=admin_source)
    await run_until_done(workers(), session_factory, broadcast_id)

    rows = {r.chat_id: r for r in await deliveries(session_factory, broadcast_id)}
    assert rows[FIRST].status is DeliveryStatus.BLOCKED
    assert rows[FIRST].error == "Forbidden: bot was blocked by the user"
    assert rows[FIRST + 1].status is DeliveryStatus.BLOCKED
    assert rows[FIRST + 1].error == "Forbidden: user is deactivated"
    assert rows[FIRST + 2].status is DeliveryStatus.SENT
    async with session_factory() as session:
        blocked = dict((await session.execute(select(Person.telegram_id, Person.blocked))).all())
    assert blocked == {FIRST: True, FIRST + 1: True, FIRST + 2: False}
    snapshot = await status_counts(session_factory, broadcast_id)
    assert (snapshot.sent, snapshot.blocked) == (1, 2)


async def test_chat_not_found_fails_without_retry(
    fake: FakeTelegram,
    session_factory: Sessions,
    workers: WorkerFactory,
    admin_source: tuple[int, list[int]],
) -> None:
    fake.unknown_chat(FIRST)
    broadcast_id = await queued(session_factory, [FIRST], source=admin_source)
    await run_until_done(workers(), session_factory, broadcast_id)

    [row] = await deliveries(session_factory, broadcast_id)
    assert (row.status, row.attempts, row.error) == (
        DeliveryStatus.FAILED,
        1,
        "Bad Request: chat not found",
    )
    assert len(fake.calls_of("copyMessage", chat_id=FIRST)) == 1


@pytest.mark.parametrize("status", [500, 502])
async def test_server_errors_are_retried_then_sent(
    fake: FakeTelegram,
    session_factory: Sessions,
    workers: WorkerFactory,
    admin_source: tuple[int, list[int]],
    status: int,
) -> None:
    fake.fail_next("copyMessage", status=status, times=2, chat_id=FIRST)
    broadcast_id = await queued(session_factory, [FIRST, FIRST + 1], source=admin_source)
    await run_until_done(workers(), session_factory, broadcast_id)

    rows = {r.chat_id: r for r in await deliveries(session_factory, broadcast_id)}
    assert (rows[FIRST].status, rows[FIRST].attempts) == (DeliveryStatus.SENT, 2)
    assert rows[FIRST].error is None
    assert len(copies_in(fake, FIRST)) == 1
    assert (rows[FIRST + 1].status, rows[FIRST + 1].attempts) == (DeliveryStatus.SENT, 0)


async def test_a_timeout_is_retried(
    fake: FakeTelegram,
    settings: Settings,
    session_factory: Sessions,
    workers: WorkerFactory,
    admin_source: tuple[int, list[int]],
) -> None:
    broadcast_id = await queued(session_factory, [FIRST], source=admin_source)
    impatient = create_bot(settings)
    impatient.session.timeout = 0.2
    fake.set_latency(0.5)
    try:
        await workers(impatient).start()
        await eventually(lambda: fake.stats.calls >= 1)

        async def attempted() -> bool:
            [row] = await deliveries(session_factory, broadcast_id)
            return row.attempts >= 1

        await eventually(attempted)
        fake.set_latency(0)
        await until_done(session_factory, broadcast_id)
    finally:
        await impatient.session.close()

    [row] = await deliveries(session_factory, broadcast_id)
    assert row.status is DeliveryStatus.SENT and row.attempts >= 1


async def test_gives_up_after_five_attempts(
    fake: FakeTelegram,
    session_factory: Sessions,
    workers: WorkerFactory,
    admin_source: tuple[int, list[int]],
) -> None:
    fake.fail_next("copyMessage", status=503, times=100)
    broadcast_id = await queued(session_factory, [FIRST], source=admin_source)
    worker = workers()
    await worker.start()

    await until_done(session_factory, broadcast_id)

    [row] = await deliveries(session_factory, broadcast_id)
    assert (row.status, row.attempts, row.error) == (
        DeliveryStatus.FAILED,
        5,
        "Service Unavailable",
    )
    assert len(fake.calls_of("copyMessage")) == 5
    assert (worker.stats.retried, worker.stats.failed) == (4, 1)


async def test_the_strict_window_of_the_server_is_respected_end_to_end(
    fake: FakeTelegram,
    session_factory: Sessions,
    workers: WorkerFactory,
    admin_source: tuple[int, list[int]],
) -> None:
    # A real rate, under the fake's sliding window: whatever it refuses is resent.
    chats = range(FIRST, FIRST + 30)
    fake.set_rate_limit(20)
    fake.set_latency(0.005, 0.02)
    broadcast_id = await queued(session_factory, chats, source=admin_source)
    await run_until_done(workers(rate=20.0), session_factory, broadcast_id)

    assert all(len(copies_in(fake, chat)) == 1 for chat in chats)


# --- steering ------------------------------------------------------------------------------


async def test_pause_resume_and_cancel(
    fake: FakeTelegram,
    session_factory: Sessions,
    workers: WorkerFactory,
    crowd: int,
) -> None:
    chats, broadcast_id = CROWD, crowd
    worker = workers(rate=10.0, concurrency=2)
    await worker.start()
    await eventually(lambda: fake.stats.sent >= 5)

    async with session_factory() as session:
        assert await outbox.set_paused(session, broadcast_id, True)
        assert not await outbox.set_paused(session, broadcast_id, True)
    await asyncio.sleep(1.5)  # the worker notices within a second; in-flight sends land
    paused_at = fake.stats.sent
    await asyncio.sleep(0.5)
    assert fake.stats.sent == paused_at < 40
    assert (await broadcast_row(session_factory, broadcast_id)).status is BroadcastStatus.PAUSED

    async with session_factory() as session:
        assert await outbox.set_paused(session, broadcast_id, False)
    worker.wake()
    await eventually(lambda: fake.stats.sent >= paused_at + 3)
    async with session_factory() as session:
        assert await outbox.cancel(session, broadcast_id)
        assert not await outbox.set_paused(session, broadcast_id, False)  # never resumed
    await asyncio.sleep(1.5)
    cancelled_at = fake.stats.sent
    await asyncio.sleep(0.5)
    assert fake.stats.sent == cancelled_at < 40

    snapshot = await status_counts(session_factory, broadcast_id)
    assert snapshot.status is BroadcastStatus.CANCELLED
    assert snapshot.sent == cancelled_at and snapshot.pending == 40 - cancelled_at
    assert all(len(copies_in(fake, chat)) <= 1 for chat in chats)


async def test_restart_mid_broadcast_resumes_without_repeats(
    fake: FakeTelegram,
    settings: Settings,
    session_factory: Sessions,
    crowd: int,
) -> None:
    chats, broadcast_id = CROWD, crowd
    running = RunningBot(settings.model_copy(update={"broadcast_rate": 40.0}))
    await running.start()
    try:
        await eventually(lambda: fake.stats.sent >= 15)
        await running.restart()  # a deploy: graceful stop, then a new process
        assert 15 <= fake.stats.sent < 40
        await until_done(session_factory, broadcast_id)
    finally:
        await running.stop()

    assert [len(copies_in(fake, chat)) for chat in chats] == [1] * 40


async def test_after_a_crash_nobody_is_lost_and_repeats_stay_within_concurrency(
    fake: FakeTelegram,
    session_factory: Sessions,
    workers: WorkerFactory,
    crowd: int,
    clock: FakeClock,
) -> None:
    chats, broadcast_id = CROWD, crowd
    fake.set_latency(0.02, 0.05)
    first = workers(rate=200.0, concurrency=4, batch_size=8)  # claims 8 rows at a time
    await first.start()
    await eventually(lambda: fake.stats.sent >= 20)

    # kill -9: every task dies where it stands; nothing more is written.
    doomed = [first._loop_task, first._writer._task, first._renewer, *first._in_flight]
    for task in doomed:
        assert task is not None
        task.cancel()
    await asyncio.gather(*doomed, return_exceptions=True)  # type: ignore[arg-type]
    first._loop_task = None
    await first._coordinator.release()  # what the operating system does for a dead process
    claimed = [row for row in await deliveries(session_factory, broadcast_id) if row.claimed_by]
    assert claimed and {row.claimed_by for row in claimed} == {first.name}
    await asyncio.sleep(0.1)  # the requests already on the wire reach the fake
    at_kill = {row.chat_id: len(copies_in(fake, row.chat_id)) for row in claimed}
    fake.set_latency(0)

    # Its claims hold for their term: another worker leaves those rows alone until then.
    second = workers(concurrency=4, claim_seconds=30.0)
    await second.start()
    await eventually(lambda: second.stats.sent >= 1)
    await eventually(lambda: fake.stats.sent >= len(chats) - len(claimed))
    await asyncio.sleep(0.3)
    assert (await broadcast_row(session_factory, broadcast_id)).status is BroadcastStatus.SENDING
    assert {row.chat_id: len(copies_in(fake, row.chat_id)) for row in claimed} == at_kill
    clock.advance(timedelta(seconds=31))  # the dead worker's claims run out
    await until_done(session_factory, broadcast_id)
    got = [len(copies_in(fake, chat)) for chat in chats]
    assert min(got) == 1
    assert sum(n - 1 for n in got) <= 4
    assert not [row for row in await deliveries(session_factory, broadcast_id) if row.claimed_by]


async def test_two_workers_drain_one_outbox_each_row_once(
    fake: FakeTelegram,
    session_factory: Sessions,
    workers: WorkerFactory,
    crowd: int,
) -> None:
    # Two bot processes on one database (or replicas on PostgreSQL): both deliver, each row
    # claimed by one of them; one coordinates.
    chats, broadcast_id = CROWD, crowd
    fake.set_latency(0.01, 0.02)
    first, second = workers(rate=40.0, batch_size=10), workers(rate=40.0, batch_size=10)
    await first.start()
    await eventually(lambda: fake.stats.sent >= 5)
    await second.start()
    await eventually(lambda: second.stats.sent >= 3)
    assert first._coordinator.held and not second._coordinator.held

    await first.stop()  # the deploy's old process goes away: the other one goes on alone
    assert not [
        row
        for row in await deliveries(session_factory, broadcast_id)
        if row.claimed_by == first.name
    ]  # it handed back what it had claimed and not sent
    await until_done(session_factory, broadcast_id)

    assert [len(copies_in(fake, chat)) for chat in chats] == [1] * 40
    assert first.stats.sent + second.stats.sent == 40 and second.stats.sent > 3
    await eventually(lambda: second._coordinator.held)  # and coordinates from now on


async def test_a_recall_waits_for_the_other_workers_sends_in_flight(
    fake: FakeTelegram, session_factory: Sessions, workers: WorkerFactory, crowd: int
) -> None:
    chats, broadcast_id = CROWD, crowd
    first, second = workers(rate=40.0, batch_size=10), workers(rate=40.0, batch_size=10)
    send = second._attempt

    async def slow(broadcast: Broadcast, row: Any) -> Any:
        await asyncio.sleep(1.5)  # a 429 pause, a slow network on that worker
        return await send(broadcast, row)

    second._attempt = slow  # type: ignore[method-assign]
    await first.start()
    await eventually(lambda: fake.stats.sent >= 3)
    await second.start()
    await eventually(lambda: len(second._claimed) >= 3)
    assert first._coordinator.held  # the coordinator recalls; the other one is mid-send
    async with session_factory() as session:
        assert await outbox.request_recall(session, broadcast_id)

    async def recalled() -> bool:
        broadcast = await broadcast_row(session_factory, broadcast_id)
        return broadcast.recall_status is RecallStatus.RECALLED

    await eventually(recalled, within=15)
    assert not second._claimed  # its sends landed before the recall finished...
    rows = await deliveries(session_factory, broadcast_id)
    sent = [row.chat_id for row in rows if row.status is DeliveryStatus.SENT]
    assert not [chat for chat in sent if copies_in(fake, chat)]  # ...and were deleted too
    assert all(len(copies_in(fake, chat)) == 0 for chat in chats)


async def test_recall_deletes_recent_copies(
    fake: FakeTelegram,
    session_factory: Sessions,
    workers: WorkerFactory,
    admin_source: tuple[int, list[int]],
) -> None:
    chats = [FIRST, FIRST + 1, FIRST + 2]
    fake.block(FIRST + 2)
    broadcast_id = await queued(session_factory, chats, source=admin_source)
    worker = workers()
    await worker.start()
    await until_done(session_factory, broadcast_id)
    async with session_factory() as session:  # one copy is too old to delete
        await session.execute(
            update(Delivery)
            .where(Delivery.chat_id == FIRST + 1)
            .values(sent_at=utcnow() - timedelta(hours=49))
        )
        await session.commit()
        assert await outbox.request_recall(session, broadcast_id)
        assert not await outbox.request_recall(session, broadcast_id)
    worker.wake()

    async def recalled() -> bool:
        broadcast = await broadcast_row(session_factory, broadcast_id)
        return broadcast.recall_status is RecallStatus.RECALLED

    await eventually(recalled)
    assert not fake.messages(FIRST) and len(fake.messages(FIRST, include_deleted=True)) == 1
    assert len(fake.messages(FIRST + 1)) == 1
    rows = {r.chat_id: r.status for r in await deliveries(session_factory, broadcast_id)}
    assert rows == {
        FIRST: DeliveryStatus.RECALLED,
        FIRST + 1: DeliveryStatus.SENT,
        FIRST + 2: DeliveryStatus.BLOCKED,
    }
    assert worker.stats.recalled == 1


async def test_nothing_to_recall_is_refused(session_factory: Sessions) -> None:
    broadcast_id = await queued(session_factory, [FIRST], text="x")
    async with session_factory() as session:
        assert not await outbox.request_recall(session, broadcast_id)


def render(snapshot: ProgressSnapshot) -> tuple[str, None]:
    return f"{snapshot.status.value}: {snapshot.sent}/{snapshot.total}", None


async def test_progress_message_is_edited_and_ends_done(
    fake: FakeTelegram,
    bot: Bot,
    session_factory: Sessions,
    workers: WorkerFactory,
    admin: FakeUser,
    admin_source: tuple[int, list[int]],
) -> None:
    card = await bot.send_message(admin.id, "Рассылка поставлена в очередь")
    broadcast_id = await queued(
        session_factory,
        range(FIRST, FIRST + 20),
        source=admin_source,
        progress=(admin.id, card.message_id),
    )
    worker = workers(rate=50.0, progress_interval=0.1, render_progress=render)
    await run_until_done(worker, session_factory, broadcast_id)

    async def final_card() -> bool:
        shown = fake.message(admin.id, card.message_id)
        return shown is not None and shown.text == "done: 20/20"

    await eventually(final_card)
    edits = fake.calls_of("editMessageText", chat_id=admin.id)
    assert len(edits) >= 2  # at least one while sending, and the final one
    assert edits[0].params["text"].startswith("sending: ")


async def test_a_failing_progress_card_does_not_stop_delivery(
    fake: FakeTelegram,
    session_factory: Sessions,
    workers: WorkerFactory,
    admin: FakeUser,
    admin_source: tuple[int, list[int]],
) -> None:
    def broken(snapshot: ProgressSnapshot) -> tuple[str, None]:
        if snapshot.sent == 2:
            raise RuntimeError("renderer bug")
        return render(snapshot)

    no_such_message = (admin.id, 999_999)
    broadcast_id = await queued(
        session_factory, range(FIRST, FIRST + 5), source=admin_source, progress=no_such_message
    )
    await run_until_done(workers(render_progress=broken), session_factory, broadcast_id)
    assert all(len(copies_in(fake, c)) == 1 for c in range(FIRST, FIRST + 5))


# --- wiring --------------------------------------------------------------------------------


async def test_the_running_bot_delivers_what_another_process_enqueued(
    fake: FakeTelegram, running_bot: RunningBot, session_factory: Sessions
) -> None:
    assert running_bot.app is not None
    assert running_bot.app.dispatcher["delivery_worker"] is running_bot.app.worker
    await add_people(session_factory, [FIRST, FIRST + 1], topics=("law",))
    async with session_factory() as session:  # e.g. `python -m bot broadcast`
        broadcast = await outbox.create_text_broadcast(
            session, text="Новый закон", topic_slugs=["law"], org_code=None, alert=True
        )

    await until_done(session_factory, broadcast.id)
    assert copies_in(fake, FIRST) == copies_in(fake, FIRST + 1) == ["Новый закон"]
    assert len(fake.calls_of("pinChatMessage")) == 2


needs_redis = pytest.mark.skipif(
    not os.environ.get("TEST_REDIS_URL"), reason="a limit shared by workers needs Redis"
)


@needs_redis
async def test_workers_sharing_one_limit_in_redis_stay_under_it_together(
    fake: FakeTelegram,
    session_factory: Sessions,
    workers: WorkerFactory,
    admin_source: tuple[int, list[int]],
    redis_url: str,
) -> None:
    # Telegram's 30/s for the bot as a whole: two workers at 30/s each would get 429s, two
    # sharing one limit in Redis never do.
    chats = range(FIRST, FIRST + 90)
    broadcast_id = await queued(session_factory, chats, source=admin_source)
    fake.set_rate_limit(30, retry_after=1, per_chat_limit=True)
    fake.set_latency(0.005, 0.02)
    redis = Redis.from_url(redis_url)
    try:
        shared = [
            workers(
                rate=30.0,
                batch_size=10,
                limiter=RateLimiter(30.0, timeline=RedisTimeline(redis, "test:ratelimit")),
            )
            for _ in range(2)
        ]
        for worker in shared:
            await worker.start()
        await until_done(session_factory, broadcast_id, within=30)
    finally:
        for worker in shared:
            await worker.stop()
        await redis.aclose()
    assert fake.stats.rate_limited == 0
    assert [len(copies_in(fake, chat)) for chat in chats] == [1] * 90
    assert all(worker.stats.sent > 10 for worker in shared)


@needs_redis
async def test_a_pause_after_a_429_stops_every_worker_sharing_the_limit(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    try:
        here, there = RedisTimeline(redis, "test:pause"), RedisTimeline(redis, "test:pause")
        _, mark = await there.reserve(0.01)
        assert not await there.voided(mark)
        await here.pause(2.0)  # a 429 in another process
        assert await there.voided(mark)  # the slot taken before it is void
        wait, _ = await there.reserve(0.01)
        assert 1.5 < wait <= 2.0  # and the next one comes after the pause
        await here.pause(120.0)  # a long one: the next slot's key outlives it
        await there.reserve(0.01)
        assert await redis.pttl("test:pause:next-slot") > 120_000
    finally:
        await redis.aclose()
