"""Campaigns driven by rows and a controllable clock: opening, prompts, reminders only to those
who have not submitted, exactly once across a restart, escalation after the deadline."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.scheduler import MONITORING_SWEEP_JOB, schedule_of
from fakeapi import FakeTelegram, FakeUser
from models import (
    Broadcast,
    Campaign,
    CampaignNotice,
    CampaignStatus,
    NoticeKind,
)
from services.monitoring import campaigns, versions
from tests.conftest import ADMIN_ID, RunningBot
from tests.helpers import add_member, eventually, grant, submit_for, topic_slugs

pytestmark = pytest.mark.usefixtures("directory")

# 1 December 2026, 10:00 Moscow = 07:00 UTC; deadline 20 December 18:00 Moscow = 15:00 UTC.
OPENING = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
DEADLINE = datetime(2026, 12, 20, 15, 0, tzinfo=UTC)
OFFICERS = {"belovo_school": (400001, "46-01-001"), "kursk_school": (400002, "46-29-004")}
CHAIR = 400009  # territorial admin of 46-01


@pytest.fixture
async def people(running_bot: RunningBot) -> None:
    for telegram_id, org in OFFICERS.values():
        await add_member(running_bot.sessions, telegram_id, org, topics=())
        await grant(running_bot.sessions, telegram_id, "officer", org)
    await add_member(running_bot.sessions, CHAIR, None, topics=())
    await grant(running_bot.sessions, CHAIR, "territorial_admin", "46-01")
    await add_member(running_bot.sessions, ADMIN_ID, None, topics=())


async def sweep(running_bot: RunningBot, now: datetime) -> list[int]:
    return await running_bot.sweep(now)


def texts(fake: FakeTelegram, chat_id: int) -> list[str]:
    return [m.text or "" for m in fake.messages(chat_id)]


async def test_nothing_opens_before_the_schedule(running_bot: RunningBot, people: None) -> None:
    assert await sweep(running_bot, OPENING - timedelta(minutes=1)) == []
    assert await sweep(running_bot, datetime(2026, 11, 15, 9, 0, tzinfo=UTC)) == []
    async with running_bot.sessions() as session:
        assert await session.scalar(select(func.count(Campaign.id))) == 0


async def test_the_quarter_opens_and_every_officer_is_prompted_once(
    fake: FakeTelegram, running_bot: RunningBot, people: None
) -> None:
    assert len(await sweep(running_bot, OPENING)) == 1
    for telegram_id, _ in OFFICERS.values():
        await eventually(lambda t=telegram_id: any("Открыт приём" in x for x in texts(fake, t)))
    async with running_bot.sessions() as session:
        campaign = await campaigns.current(session)
        assert campaign is not None
        assert (campaign.year, campaign.quarter, campaign.deadline) == (2026, 4, DEADLINE)
        notices = list(
            await session.scalars(
                select(CampaignNotice.due_at)
                .where(CampaignNotice.kind == NoticeKind.REMINDER)
                .order_by(CampaignNotice.due_at)
            )
        )
        assert notices == [DEADLINE - timedelta(days=d) for d in (7, 3, 1)]
    # The next sweeps, and a restart, send nothing again.
    assert await sweep(running_bot, OPENING + timedelta(minutes=1)) == []
    await running_bot.restart()
    assert await sweep(running_bot, OPENING + timedelta(minutes=2)) == []
    prompts = [t for t in texts(fake, OFFICERS["kursk_school"][0]) if "Открыт приём" in t]
    assert len(prompts) == 1


async def test_reminders_go_only_to_non_submitters_exactly_once_across_a_restart(
    fake: FakeTelegram, running_bot: RunningBot, people: None
) -> None:
    await sweep(running_bot, OPENING)
    await submit_for(running_bot.sessions, "46-29-004")
    week_before = DEADLINE - timedelta(days=7)
    assert len(await sweep(running_bot, week_before)) == 1
    belovo, kursk = OFFICERS["belovo_school"][0], OFFICERS["kursk_school"][0]
    await eventually(lambda: any("Напоминание" in t for t in texts(fake, belovo)))
    await running_bot.restart()
    # The bot was down past the 3-day reminder: it goes out once, late.
    late = DEADLINE - timedelta(days=2)
    assert len(await sweep(running_bot, late)) == 1
    assert await sweep(running_bot, late + timedelta(minutes=5)) == []
    await eventually(lambda: len([t for t in texts(fake, belovo) if "Напоминание" in t]) == 2)
    assert not [t for t in texts(fake, kursk) if "Напоминание" in t]


async def test_after_the_deadline_admins_get_the_missing_organisations(
    fake: FakeTelegram, running_bot: RunningBot, people: None
) -> None:
    await sweep(running_bot, OPENING)
    await submit_for(running_bot.sessions, "46-01-001")
    created = await sweep(running_bot, DEADLINE + timedelta(minutes=1))
    assert len(created) == 2  # the chair of 46-01 and the regional summary
    chair = await eventually(lambda: [t for t in texts(fake, CHAIR) if "срок истёк" in t])
    assert "Беловская районная организация Профсоюза" in chair[0]
    assert "МКОУ «Беловская средняя общеобразовательная школа»" not in chair[0]  # submitted
    summary = await eventually(lambda: [t for t in texts(fake, ADMIN_ID) if "срок истёк" in t])
    assert "Отправили анкету 1 из 398" in summary[0]
    async with running_bot.sessions() as session:
        campaign = await campaigns.current(session)
        assert campaign is not None and campaign.status is CampaignStatus.CLOSED
        assert not campaigns.is_accepting(campaign, DEADLINE + timedelta(minutes=1))
    assert await sweep(running_bot, DEADLINE + timedelta(hours=1)) == []


async def test_extend_reopens_and_replans_reminders(running_bot: RunningBot, people: None) -> None:
    await sweep(running_bot, OPENING)
    schedule = schedule_of(running_bot.settings)
    async with running_bot.sessions() as session:
        campaign = await campaigns.current(session)
        assert campaign is not None
        await campaigns.close(session, campaign, OPENING + timedelta(days=1))
        await campaigns.extend(session, campaign, DEADLINE + timedelta(days=5), schedule)
        assert campaigns.is_accepting(campaign, DEADLINE + timedelta(days=1))
        escalations = await session.scalar(
            select(func.count(CampaignNotice.id)).where(
                CampaignNotice.kind == NoticeKind.ESCALATION
            )
        )
    assert escalations == 1


async def test_the_scheduler_triggers_the_sweep(running_bot: RunningBot) -> None:
    assert running_bot.app is not None
    job = running_bot.app.scheduler.get_job(MONITORING_SWEEP_JOB)
    assert job is not None and job.trigger.interval == timedelta(seconds=60)
    async with running_bot.sessions() as session:
        assert await session.scalar(select(func.count(Broadcast.id))) == 0


async def test_a_listed_admin_who_only_ever_wrote_gets_the_summary(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser
) -> None:
    # ADMIN_ID is in ADMIN_IDS and never registered as a member: one command is enough.
    for telegram_id, org in OFFICERS.values():
        await add_member(running_bot.sessions, telegram_id, org, topics=())
        await grant(running_bot.sessions, telegram_id, "officer", org)
    await fake.send_message(admin, "/monitoring")
    assert "Мониторинг ещё не открывался" in (fake.last_message(admin.id).text or "")
    await sweep(running_bot, OPENING)
    await sweep(running_bot, DEADLINE + timedelta(minutes=1))
    summary = await eventually(lambda: [t for t in texts(fake, ADMIN_ID) if "срок истёк" in t])
    assert "Отправили анкету 0 из 398" in summary[0]
    # Recorded as a person for delivery, with no topics: news do not reach them uninvited.
    assert await topic_slugs(running_bot.sessions, ADMIN_ID) == set()


async def test_sweeps_and_an_admin_opening_at_once_open_the_quarter_once(
    fake: FakeTelegram,
    running_bot: RunningBot,
    people: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Several replicas' sweeps and an admin's «Открыть» in the same instant: one opens the
    quarter (and stores the default questionnaire), the others see it open; nothing raises."""
    schedule = schedule_of(running_bot.settings)

    async def one_sweep() -> list[int]:
        async with running_bot.sessions() as session:
            return await campaigns.sweep(session, schedule, OPENING)

    async def admin_opens() -> int:
        async with running_bot.sessions() as session:
            return (await campaigns.open_now(session, schedule, OPENING)).id

    async def questionnaire() -> int:
        async with running_bot.sessions() as session:
            return (await versions.current(session)).id

    caplog.set_level(logging.WARNING)
    results = await asyncio.gather(
        *(one_sweep() for _ in range(4)), admin_opens(), *(questionnaire() for _ in range(3))
    )
    running_bot.wake_worker()
    created = [broadcast for batch in results[:4] for broadcast in batch]
    assert len(created) == 1  # the prompt, queued by exactly one of the sweeps
    async with running_bot.sessions() as session:
        [campaign] = (await session.scalars(select(Campaign))).all()
        assert results[4] == campaign.id
        assert set(results[5:]) == {campaign.questionnaire_id}
    for telegram_id, _ in OFFICERS.values():
        await eventually(lambda t=telegram_id: any("Открыт приём" in x for x in texts(fake, t)))
        assert len([x for x in texts(fake, telegram_id) if "Открыт приём" in x]) == 1
    assert not [r for r in caplog.records if "IntegrityError" in r.getMessage()]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
