"""Small rendering helpers shared by handlers."""

from __future__ import annotations

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message


async def show(
    callback: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Replace the screen the button was on; send a new message when it cannot be edited."""
    message = callback.message
    if isinstance(message, Message):
        try:
            await message.edit_text(text, reply_markup=markup)
            return
        except TelegramBadRequest as error:
            # Pressing the same button twice re-renders the same screen: nothing to change.
            if "message is not modified" in error.message:
                return
            if "message to edit not found" not in error.message and (
                "message can't be edited" not in error.message
            ):
                raise
    await send(callback, text, markup)


async def send(
    callback: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """A new message to the person who pressed the button."""
    if callback.bot is None:
        raise RuntimeError("the callback query is not bound to a bot")
    await callback.bot.send_message(callback.from_user.id, text, reply_markup=markup)
