"""The fake Bot API answers a real aiogram Bot / Dispatcher the way Telegram does."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters import CommandStart
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from fakeapi import FakeTelegram, FakeUser, UpdateNotProcessedError, UploadedFile

TOKEN = "123456:TEST"
CHAT = 42


def keyboard(text: str, data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=text, callback_data=data)]]
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN) as fake:
        yield fake


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
    bot = Bot(TOKEN, session=session)
    yield bot
    await bot.session.close()


async def test_send_message_round_trip_is_recorded_decoded(fake: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(CHAT, "hello", reply_markup=keyboard("btn", "data:1"))

    assert sent.text == "hello"
    assert sent.chat.id == CHAT
    assert sent.from_user is not None and sent.from_user.is_bot
    assert sent.reply_markup is not None
    assert sent.reply_markup.inline_keyboard[0][0].callback_data == "data:1"
    [call] = fake.calls_of("sendMessage", chat_id=CHAT)
    assert call.params["text"] == "hello"
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["text"] == "btn"
    last = fake.last_message(CHAT)
    assert last is not None
    assert (last.message_id, last.text) == (sent.message_id, "hello")
    assert last.buttons == [[("btn", "data:1")]]
    assert fake.stats.sent == 1


async def test_digit_text_stays_a_string(fake: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(CHAT, "42")

    assert sent.text == "42"
    assert fake.calls_of("sendMessage")[0].params == {"chat_id": CHAT, "text": "42"}


async def test_injected_429_raises_retry_after(fake: FakeTelegram, bot: Bot) -> None:
    fake.fail_next("sendMessage", status=429, retry_after=5)

    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(CHAT, "first")
    assert caught.value.retry_after == 5
    assert "retry after 5" in caught.value.message
    await bot.send_message(CHAT, "second")  # the rule was used up
    assert fake.stats.rate_limited == 1


async def test_injected_server_error_for_one_chat(fake: FakeTelegram, bot: Bot) -> None:
    fake.fail_next("sendMessage", status=502, chat_id=7)

    await bot.send_message(CHAT, "other chat is fine")
    with pytest.raises(TelegramServerError, match="Bad Gateway"):
        await bot.send_message(7, "boom")


async def test_blocked_deactivated_and_unknown_chats(fake: FakeTelegram, bot: Bot) -> None:
    fake.block(CHAT)
    fake.deactivate(43)
    fake.unknown_chat(44)

    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(CHAT, "x")
    with pytest.raises(TelegramForbiddenError, match="user is deactivated"):
        await bot.copy_message(43, from_chat_id=CHAT, message_id=1)
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(44, "x")
    assert fake.stats.blocked == 2

    fake.unblock(CHAT)
    await bot.send_message(CHAT, "welcome back")


async def test_rate_limit_answers_429_beyond_n_per_second(fake: FakeTelegram, bot: Bot) -> None:
    fake.set_rate_limit(3, retry_after=2)

    for i in range(3):
        await bot.send_message(100 + i, "ok")
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(200, "too fast")
    assert caught.value.retry_after == 2
    assert (fake.stats.sent, fake.stats.rate_limited) == (3, 1)

    fake.set_rate_limit(None)
    await bot.send_message(200, "limit off")


async def test_edit_message_text_rules(fake: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(CHAT, "text", reply_markup=keyboard("a", "a"))

    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "text", chat_id=CHAT, message_id=sent.message_id, reply_markup=keyboard("a", "a")
        )
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("new", chat_id=CHAT, message_id=999)

    # Like Telegram, an edit without reply_markup drops the inline keyboard.
    edited = await bot.edit_message_text("text", chat_id=CHAT, message_id=sent.message_id)
    assert isinstance(edited, Message) and edited.reply_markup is None
    last = fake.last_message(CHAT)
    assert last is not None and last.buttons == []

    await bot.delete_message(CHAT, sent.message_id)
    assert fake.last_message(CHAT) is None
    assert fake.messages(CHAT, include_deleted=True)[0].deleted


async def test_callback_queries_are_answered_once(fake: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="query ID is invalid"):
        await bot.answer_callback_query("made-up")

    # For a client that makes its own updates (the questionnaire benchmark): any id, once.
    fake.api.any_callback_query = True
    assert await bot.answer_callback_query("made-up")
    with pytest.raises(TelegramBadRequest, match="query ID is invalid"):
        await bot.answer_callback_query("made-up")


async def test_content_validation(fake: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(CHAT, "x" * 4097)
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(CHAT, "<b>bold <i>both</b></i>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(CHAT, "1 < 2 unescaped", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(CHAT, "x", reply_markup=keyboard("b", "d" * 65))
    document = BufferedInputFile(b"data", filename="a.txt")
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_document(CHAT, document, caption="c" * 1025)

    html = await bot.send_message(CHAT, "<b>Hi</b> &amp; bye", parse_mode="HTML")
    assert html.text == "Hi & bye"
    assert html.entities is not None and html.entities[0].type == "bold"
    assert html.html_text == "<b>Hi</b> &amp; bye"
    last = fake.last_message(CHAT)
    assert last is not None and last.text == "<b>Hi</b> &amp; bye"
    assert last.plain_text == "Hi & bye"


async def test_user_document_get_file_and_download(fake: FakeTelegram, bot: Bot) -> None:
    user = FakeUser(CHAT)
    update = await fake.send_document(user, "report.xlsx", b"PK\x03\x04", wait=False)
    document = update["message"]["document"]

    file = await bot.get_file(document["file_id"])
    assert file.file_size == 4 and file.file_path is not None
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None and downloaded.read() == b"PK\x03\x04"


async def test_bot_upload_is_recorded_and_copyable(fake: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_document(
        CHAT, BufferedInputFile(b"a;b\n1;2\n", filename="export.csv"), caption="Выгрузка"
    )

    assert sent.document is not None and sent.document.file_name == "export.csv"
    assert sent.caption == "Выгрузка"
    uploaded = fake.calls_of("sendDocument")[0].params["document"]
    assert uploaded == UploadedFile("export.csv", b"a;b\n1;2\n", uploaded.content_type)

    copy = await bot.copy_message(43, from_chat_id=CHAT, message_id=sent.message_id)
    last = fake.last_message(43)
    assert last is not None and last.message_id == copy.message_id
    assert (last.kind, last.caption) == ("document", "Выгрузка")
    with pytest.raises(TelegramBadRequest, match="message to copy not found"):
        await bot.copy_message(43, from_chat_id=CHAT, message_id=999)


async def test_latency_delays_calls(fake: FakeTelegram, bot: Bot) -> None:
    await bot.get_me()  # open the connection first, so only the latency is measured
    fake.set_latency(0.1, 0.1)

    started = time.monotonic()
    await bot.send_message(CHAT, "slow")
    assert time.monotonic() - started >= 0.1


async def test_injected_update_times_out_without_polling(fake: FakeTelegram) -> None:
    with pytest.raises(UpdateNotProcessedError, match="did not fetch update 1"):
        await fake.send_message(FakeUser(CHAT), "/start", wait_timeout=0.1)


async def test_dispatcher_polling_end_to_end(fake: FakeTelegram, bot: Bot) -> None:
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer("hi", reply_markup=keyboard("btn", "pressed"))

    @router.callback_query(F.data == "pressed")
    async def pressed(callback: CallbackQuery) -> None:
        assert isinstance(callback.message, Message)
        await callback.message.edit_text("edited")
        await callback.answer("done")

    dp = Dispatcher()
    dp.include_router(router)
    polling = asyncio.create_task(
        dp.start_polling(bot, handle_as_tasks=False, handle_signals=False)
    )
    try:
        await fake.wait_polling()
        user = FakeUser(CHAT, username="ivan")

        update = await fake.send_message(user, "/start")
        assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
        last = fake.last_message(CHAT)
        assert last is not None and last.text == "hi"
        assert last.buttons == [[("btn", "pressed")]]

        await fake.click(user, "btn")
        last = fake.last_message(CHAT)
        assert last is not None and last.text == "edited" and last.buttons == []
        assert [a["text"] for a in fake.callback_answers] == ["done"]

        with pytest.raises(AssertionError, match="no inline button 'btn'"):
            await fake.click(user, "btn")
    finally:
        await dp.stop_polling()
        await polling
