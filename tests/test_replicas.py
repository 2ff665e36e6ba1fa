"""Two replicas of the bot on one database and one Redis, behind webhooks: a person's
conversation goes on correctly whichever replica gets each update, and the flood guard is one
limit across both. Needs Redis (TEST_REDIS_URL; CI runs it on PostgreSQL with Redis)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from bot.app import Application
from bot.config import Settings
from fakeapi import FakeTelegram, FakeUser
from tests.helpers import eventually, org_code_of
from tests.test_webhook import _free_port
from texts import ru

pytestmark = [
    pytest.mark.usefixtures("directory"),
    pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="needs TEST_REDIS_URL"),
]

SECRET = "replica-secret-0123456789"


@pytest.fixture
async def replicas(settings: Settings, fake: FakeTelegram) -> AsyncIterator[list[str]]:
    """Two running replicas; yields their webhook URLs."""
    apps, tasks, urls = [], [], []
    for index in range(2):
        port = _free_port()
        url = f"http://127.0.0.1:{port}/hook"
        app = Application.build(
            settings.model_copy(
                update={
                    "webhook_url": url,
                    "webhook_secret": SecretStr(SECRET),
                    "webhook_host": "127.0.0.1",
                    "webhook_port": port,
                    "webhook_path": "/hook",
                    "throttle_rate": 5,
                    "throttle_period": 60.0,
                }
            )
        )
        apps.append(app)
        urls.append(url)
        tasks.append(asyncio.create_task(app.run(handle_signals=False)))
        await eventually(lambda index=index: len(fake.calls_of("setWebhook")) > index)
    yield urls
    for app, task in zip(apps, tasks, strict=True):
        await app.stop()
        await asyncio.wait_for(task, timeout=10)
        await app.close()


def via(fake: FakeTelegram, url: str) -> None:
    """The next updates go to this replica (as a load balancer might send them)."""
    fake.api.webhook.set(url, SECRET)


async def screen_with(fake: FakeTelegram, user: FakeUser, words: str) -> str:
    async def shown() -> str | None:
        text = (fake.last_message(user.id) or None) and fake.last_message(user.id).text  # type: ignore[union-attr]
        return text if text and words in text else None

    return await eventually(shown)


async def test_a_conversation_hops_between_replicas(
    fake: FakeTelegram, replicas: list[str], member: FakeUser, settings: Settings
) -> None:
    a, b = replicas
    via(fake, a)
    await fake.send_message(member, "/start")
    await screen_with(fake, member, "152-ФЗ")
    via(fake, b)
    await fake.click(member, ru.CONSENT_YES)
    await screen_with(fake, member, "Согласие получено")
    via(fake, a)  # the search state was written by B: A must see it, not a stale copy
    await fake.send_message(member, "гимназия 4")
    await screen_with(fake, member, "Нашлось")
    via(fake, b)
    await fake.click(member, "МБОУ «Гимназия № 4» г. Курска")
    await screen_with(fake, member, "Выберите темы")
    via(fake, a)  # B ended the search step: A must not treat this text as a search
    before = len(fake.messages(member.id))
    await fake.send_message(member, "СОШ № 5")
    reply = await eventually(lambda: [m for m in fake.messages(member.id)[before:] if m.from_bot])
    assert "Нашлось" not in (reply[0].text or "")
    assert await org_code_of_sessions(settings, member.id) == "46-29-004"


async def org_code_of_sessions(settings: Settings, telegram_id: int) -> str | None:
    from bot.db import create_engine, create_session_factory

    engine = create_engine(settings.database_url)
    try:
        return await org_code_of(create_session_factory(engine), telegram_id)
    finally:
        await engine.dispose()


async def test_the_flood_guard_is_one_limit_across_replicas(
    fake: FakeTelegram, replicas: list[str], member: FakeUser
) -> None:
    for n in range(8):
        via(fake, replicas[n % 2])
        await fake.send_message(member, "/help")
    await eventually(lambda: any(m.text == ru.THROTTLED for m in fake.messages(member.id)))
    await asyncio.sleep(0.5)  # let both replicas finish what they took
    helps = [m for m in fake.messages(member.id) if m.from_bot and "/topics" in (m.text or "")]
    assert len(helps) == 5  # throttle_rate, not 5 per replica
    assert sum(m.text == ru.THROTTLED for m in fake.messages(member.id)) == 1
