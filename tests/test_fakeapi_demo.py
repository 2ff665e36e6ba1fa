"""The fake's demo endpoints (/_demo/…) over real HTTP: a person with curl plays the user
against the real bot polling the fake."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import openpyxl
import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import CommandStart
from aiogram.types import Message

from fakeapi import FakeTelegram
from fakeapi.demo import _pretty
from tests.conftest import ADMIN_ID, SAMPLE_ORGS, RunningBot
from tests.helpers import person_of

CONSENT = "✅ Согласен(на)"
PERSON = 100555

pytestmark = pytest.mark.usefixtures("directory")


@pytest.fixture
async def http(fake: FakeTelegram) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=fake.base_url) as session:
        yield session


async def call(
    http: aiohttp.ClientSession, method: str, path: str, status: int = 200, **kwargs: Any
) -> Any:
    async with http.request(method, path, **kwargs) as response:
        body = await response.json()
        assert response.status == status, body
        return body


async def test_onboarding_by_http_as_with_curl(
    fake: FakeTelegram, running_bot: RunningBot, http: aiohttp.ClientSession
) -> None:
    chat = f"/_demo/chats/{PERSON}"
    profile = {"text": "/start", "first_name": "Мария", "username": "@m_demo"}
    started = await call(http, "POST", f"{chat}/message", data=profile)  # a form, as curl -d
    screen = started["screen"]
    assert started["ok"] and started["update_id"] == 1
    assert screen["from"] == "bot" and "152-ФЗ" in screen["text"]
    assert screen["buttons"] == [[CONSENT, "Не согласен(на)"]]

    clicked = await call(http, "POST", f"{chat}/click", json={"button": CONSENT})
    picker = clicked["screen"]
    assert picker["message_id"] == screen["message_id"] and picker["edited"] is True
    assert "Согласие получено" in picker["text"]
    assert ["Беловская районная организация Профсоюза"] in picker["buttons"]

    seen = await call(http, "GET", chat)
    assert [(m["from"], m["text"][:6]) for m in seen["messages"]] == [
        ("user", "/start"),
        ("bot", picker["text"][:6]),
    ]
    stored = await person_of(running_bot.sessions, PERSON)
    assert stored is not None and stored.consent_at is not None
    assert (stored.first_name, stored.username) == ("Мария", "m_demo")  # the profile stayed


async def test_a_file_goes_in_and_a_report_comes_out(
    fake: FakeTelegram, running_bot: RunningBot, http: aiohttp.ClientSession
) -> None:
    chat = f"/_demo/chats/{ADMIN_ID}"
    form = aiohttp.FormData()
    form.add_field("file", SAMPLE_ORGS.read_bytes(), filename="kursk_orgs.csv")
    loaded = await call(http, "POST", f"{chat}/document", data=form)
    assert "без изменений: 399" in loaded["screen"]["text"]  # the directory fixture had it

    exported = await call(http, "POST", f"{chat}/message", data={"text": "/orgs"})
    document = exported["screen"]
    assert document["kind"] == "document"
    assert document["file"]["name"] == "organizations.xlsx"
    async with http.get(document["file"]["url"]) as response:
        assert response.status == 200
        assert 'filename="organizations.xlsx"' in response.headers["Content-Disposition"]
        content = await response.read()
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    assert sheet.max_row == 1 + 399


async def test_mistakes_are_told_plainly(
    fake: FakeTelegram, running_bot: RunningBot, http: aiohttp.ClientSession
) -> None:
    chat = f"/_demo/chats/{PERSON}"
    await call(http, "POST", f"{chat}/message", data={"text": "/start"})
    missing = await call(http, "POST", f"{chat}/click", 404, data={"button": "Нет такой"})
    assert "no inline button 'Нет такой'" in missing["error"] and CONSENT in missing["error"]
    assert not missing["ok"]
    assert "'text'" in (await call(http, "POST", f"{chat}/message", 400, data={}))["error"]
    await call(http, "POST", "/_demo/chats/abc/message", 400, data={"text": "/start"})
    no_file = await call(http, "POST", f"{chat}/document", 400, data={"caption": "x"})
    assert "-F file=@" in no_file["error"]
    await call(http, "GET", "/_demo/files/NOPE", 404)


async def test_without_a_bot_the_post_says_so(
    fake: FakeTelegram, http: aiohttp.ClientSession
) -> None:
    body = {"text": "/start", "timeout": "0.2"}
    refused = await call(http, "POST", f"/_demo/chats/{PERSON}/message", 504, data=body)
    assert "did not fetch update 1" in refused["error"] and "stays queued" in refused["error"]


async def test_the_answer_waits_for_a_bot_that_handles_updates_as_tasks(
    fake: FakeTelegram, http: aiohttp.ClientSession
) -> None:
    """As the real bot runs: an update counts as taken when fetched, before it is handled."""
    router = Router()

    @router.message(CommandStart())
    async def slow_start(message: Message) -> None:
        await asyncio.sleep(0.15)  # a database query or two
        await message.answer("Здравствуйте")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    bot = Bot(
        fake.token or "", session=AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
    )
    polling = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False))
    try:
        await fake.wait_polling()
        path = f"/_demo/chats/{PERSON}/message"
        hasty = await call(http, "POST", path, data={"text": "/start", "settle": "0"})
        assert hasty["screen"] is None  # fetched, not yet answered
        await asyncio.sleep(0.3)
        patient = await call(http, "POST", path, data={"text": "/start"})
        assert patient["screen"]["text"] == "Здравствуйте"
        assert patient["screen"]["message_id"] == 4  # /start, answer, /start, this answer
    finally:
        await dispatcher.stop_polling()
        await polling
        await bot.session.close()


def test_answers_are_json_a_person_can_read() -> None:
    payload = {"screen": {"text": "a\nb [x]", "buttons": [["Да", 'Нет, "не'], ["[C]"]]}}
    text = _pretty(payload)
    assert json.loads(text) == payload
    assert '      ["Да", "Нет, \\"не"],\n' in text  # a row of buttons is one line
