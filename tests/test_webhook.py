"""Webhook mode end to end: the real Application serving aiohttp, the fake Bot API posting
updates to it as Telegram does, the secret token checked, health and readiness probes."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest
from pydantic import SecretStr

from bot.app import Application
from bot.config import Settings
from bot.webhook import SECRET_HEADER
from fakeapi import FakeTelegram, FakeUser
from tests.helpers import eventually
from texts import ru

SECRET = "s3cret-Token_for-the-tests"
PATH = "/telegram/hook"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class WebhookBot:
    def __init__(self, app: Application, base: str) -> None:
        self.app = app
        self.base = base


@pytest.fixture
async def webhook_bot(settings: Settings, fake: FakeTelegram) -> AsyncIterator[WebhookBot]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    configured = settings.model_copy(
        update={
            "webhook_url": f"{base}{PATH}",
            "webhook_secret": SecretStr(SECRET),
            "webhook_host": "127.0.0.1",
            "webhook_port": port,
            "webhook_path": PATH,
        }
    )
    app = Application.build(configured)
    task = asyncio.create_task(app.run(handle_signals=False))
    await eventually(lambda: fake.calls_of("setWebhook"))
    # setWebhook comes only once the socket listens: Telegram posts right after it.
    async with aiohttp.ClientSession() as http, http.get(f"{base}/healthz") as response:
        assert response.status == 200
    yield WebhookBot(app, base)
    await app.stop()
    await asyncio.wait_for(task, timeout=10)
    await app.close()


async def test_updates_arrive_by_webhook_and_are_answered(
    fake: FakeTelegram, webhook_bot: WebhookBot, member: FakeUser
) -> None:
    [call] = fake.calls_of("setWebhook")
    assert call.params["url"] == f"{webhook_bot.base}{PATH}"
    assert call.params["secret_token"] == SECRET
    assert "message" in call.params["allowed_updates"]
    await fake.send_message(member, "/start")
    welcome = await eventually(lambda: fake.last_message(member.id))
    assert "152-ФЗ" in (welcome.text or "")
    await fake.click(member, ru.CONSENT_YES)
    await eventually(lambda: "Согласие получено" in (fake.last_message(member.id).text or ""))


async def test_a_missing_or_wrong_secret_is_refused_and_logged_without_it(
    webhook_bot: WebhookBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    chat = {"id": 1, "type": "private"}
    update = {"update_id": 999, "message": {"message_id": 1, "date": 0, "chat": chat}}
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {SECRET_HEADER: "wrong-secret-of-some-length"}):
            async with http.post(f"{webhook_bot.base}{PATH}", json=update, headers=headers) as r:
                assert r.status == 401
    refused = [
        r.getMessage() for r in caplog.records if "Webhook request refused" in r.getMessage()
    ]
    assert len(refused) == 2
    assert "no secret" in refused[0] and "a wrong secret" in refused[1]
    assert SECRET not in caplog.text and "wrong-secret-of-some-length" not in caplog.text


async def test_health_and_readiness(webhook_bot: WebhookBot) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{webhook_bot.base}/healthz") as response:
            assert response.status == 200
        async with http.get(f"{webhook_bot.base}/readyz") as response:
            assert response.status == 200
            body = await response.json()
        assert body["checks"] == {
            "database": True,
            "migrations": True,
            "delivery_worker": True,
            "scheduler": True,
        }
        # The worker stopped (a crash, a shutdown in progress): not ready, and it says why.
        await webhook_bot.app.worker.stop()
        async with http.get(f"{webhook_bot.base}/readyz") as response:
            assert response.status == 503
            body = await response.json()
        assert body["checks"]["delivery_worker"] is False and body["checks"]["database"]


async def test_the_fake_refuses_get_updates_while_a_webhook_is_set(
    fake: FakeTelegram, webhook_bot: WebhookBot
) -> None:
    url = f"{fake.base_url}/bot{webhook_bot.app.settings.bot_token.get_secret_value()}/getUpdates"
    async with aiohttp.ClientSession() as http, http.post(url, json={}) as response:
        assert response.status == 409


async def _metrics(base: str) -> str:
    async with aiohttp.ClientSession() as http, http.get(f"{base}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return await response.text()


async def test_metrics_count_updates_by_handler_and_deliveries(
    fake: FakeTelegram, webhook_bot: WebhookBot, member: FakeUser
) -> None:
    await fake.send_message(member, "/start")
    await eventually(lambda: fake.last_message(member.id))
    text = await eventually(
        lambda: _metrics_with(webhook_bot.base, 'handler="handlers.member.start.cmd_start"')
    )
    assert (
        'profinform_updates_total{handler="handlers.member.start.cmd_start",type="message"} 1.0'
        in text
    )
    assert "profinform_update_seconds_bucket" in text
    assert 'profinform_messages_total{outcome="sent"} 0.0' in text
    assert "profinform_rate_limited_total 0.0" in text
    assert "profinform_delivery_worker_up 1.0" in text
    assert 'profinform_lease_held{lease="sweeps"} 1.0' in text  # this replica runs the sweeps
    assert "Мария" not in text and "m_ivanova" not in text  # no names, no texts


async def _metrics_with(base: str, needle: str) -> str | None:
    text = await _metrics(base)
    return text if needle in text else None


async def test_polling_serves_metrics_and_probes_on_metrics_port(
    settings: Settings, fake: FakeTelegram, member: FakeUser
) -> None:
    from tests.conftest import RunningBot

    port = _free_port()
    bot = RunningBot(
        settings.model_copy(update={"metrics_port": port, "metrics_host": "127.0.0.1"})
    )
    await bot.start()
    try:
        await fake.send_message(member, "/help")
        base = f"http://127.0.0.1:{port}"
        text = await _metrics(base)
        assert 'handler="handlers.member.help.cmd_help"' in text
        assert "profinform_outbox_pending" in text or "# HELP profinform_outbox_pending" in text
        async with aiohttp.ClientSession() as http, http.get(f"{base}/readyz") as response:
            assert response.status == 200
    finally:
        await bot.stop()
