"""The last line of defence: log the failure with its update id, apologise, keep running."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent

from texts import ru

logger = logging.getLogger(__name__)


async def on_error(event: ErrorEvent, bot: Bot) -> bool:
    update = event.update
    # The traceback names code, not message texts: people's words stay out of the log.
    logger.error(
        "Update %s failed: %s",
        update.update_id,
        type(event.exception).__name__,
        exc_info=event.exception,
    )
    user = update.message or update.callback_query or update.edited_message
    chat_id = user.from_user.id if user is not None and user.from_user is not None else None
    if chat_id is None:
        return True
    try:
        if update.callback_query is not None:
            await bot.answer_callback_query(update.callback_query.id, ru.ERROR, show_alert=True)
        else:
            await bot.send_message(chat_id, ru.ERROR)
    except TelegramAPIError:
        logger.warning(
            "Could not tell the person about the failure of update %s", update.update_id
        )
    return True
