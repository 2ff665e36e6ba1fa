"""One broadcast message into one chat, as members get it: the single place that knows how."""

from __future__ import annotations

from aiogram import Bot
from aiogram.enums import ParseMode
from aiogram.types import InlineKeyboardMarkup

from models import Broadcast


async def send_copy(
    bot: Bot,
    broadcast: Broadcast,
    chat_id: int,
    *,
    disable_notification: bool,
    allow_paid_broadcast: bool = False,
) -> list[int]:
    """Deliver the broadcast's content to `chat_id`; returns the new message ids there.

    Chat-composed broadcasts are copies of the admin's message(s), so formatting and media
    arrive exactly as written; command-line broadcasts are HTML text.
    """
    paid = allow_paid_broadcast or None
    if broadcast.text is not None:
        sent = await bot.send_message(
            chat_id,
            broadcast.text,
            parse_mode=ParseMode.HTML,
            disable_notification=disable_notification,
            allow_paid_broadcast=paid,
            reply_markup=(
                InlineKeyboardMarkup.model_validate(broadcast.reply_markup)
                if broadcast.reply_markup
                else None
            ),
        )
        return [sent.message_id]
    if broadcast.source_chat_id is None or not broadcast.source_message_ids:
        raise ValueError(f"broadcast {broadcast.id} has nothing to send")
    if len(broadcast.source_message_ids) == 1:
        copied = await bot.copy_message(
            chat_id,
            from_chat_id=broadcast.source_chat_id,
            message_id=broadcast.source_message_ids[0],
            disable_notification=disable_notification,
            allow_paid_broadcast=paid,
        )
        return [copied.message_id]
    # An album (or several messages): one call keeps the album together.
    copies = await bot.copy_messages(
        chat_id,
        from_chat_id=broadcast.source_chat_id,
        message_ids=list(broadcast.source_message_ids),
        disable_notification=disable_notification,
    )
    return [copy.message_id for copy in copies]
