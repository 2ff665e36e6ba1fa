"""The command menus: one for members, one per officer's and per admin's chat."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat

from texts import ru

logger = logging.getLogger(__name__)


def _commands(spec: dict[str, str]) -> list[BotCommand]:
    return [BotCommand(command=name, description=text) for name, text in spec.items()]


async def set_commands(bot: Bot, admin_chat_ids: Iterable[int]) -> None:
    """Members see the member menu; each admin's private chat gets the admin menu."""
    await bot.set_my_commands(
        _commands(ru.MEMBER_COMMANDS), scope=BotCommandScopeAllPrivateChats()
    )
    for chat_id in admin_chat_ids:
        await set_chat_menu(bot, chat_id, ru.ADMIN_COMMANDS)


async def set_chat_menu(bot: Bot, chat_id: int, spec: dict[str, str]) -> None:
    """One person's own menu (an officer's has /anketa); Telegram keeps it across restarts."""
    try:
        await bot.set_my_commands(_commands(spec), scope=BotCommandScopeChat(chat_id=chat_id))
    except (TelegramBadRequest, TelegramForbiddenError) as error:
        # An admin who never opened the bot has no chat yet; the menu comes on a later start.
        logger.warning("No menu for chat %s: %s", chat_id, error.message)
