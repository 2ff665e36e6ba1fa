"""/news: the latest broadcasts of the member's topics, for whoever joined late."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from models import Person
from services.broadcasts import compose
from services.broadcasts.sending import send_copy
from texts import ru


async def cmd_news(
    message: Message, session: AsyncSession, person: Person, bot: Bot, settings: Settings
) -> None:
    found = await compose.news_for(session, person)
    if not found:
        await message.answer(ru.NEWS_EMPTY)
        return
    await message.answer(ru.NEWS_TITLE)
    # Oldest first, so the newest ends up at the bottom of the chat, where people read.
    for broadcast in reversed(found):
        moment = broadcast.finished_at or broadcast.created_at
        date = moment.astimezone(settings.tz).strftime("%d.%m.%Y")
        await message.answer(
            ru.NEWS_ITEM.format(date=date, kind=ru.BC_KIND_TITLES[broadcast.kind]),
            disable_notification=True,
        )
        try:
            await send_copy(bot, broadcast, message.chat.id, disable_notification=True)
        except TelegramBadRequest:
            # The admin deleted the original: Telegram has nothing left to copy.
            await message.answer(ru.NEWS_UNAVAILABLE.format(date=date), disable_notification=True)


def router() -> Router:
    """This module's handlers on a fresh router (one per dispatcher)."""
    r = Router(name=__name__)
    r.message.register(cmd_news, Command("news"))
    return r
