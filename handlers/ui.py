"""Small rendering helpers shared by handlers."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from texts.ru import h

TEXT_LIMIT = 4096  # Telegram's longest message
ELLIPSIS = "…"


def clip(raw: str, room: int) -> str:
    """`raw` escaped for HTML, cut with «…» so that it takes at most `room` characters."""
    escaped = h(raw)
    if len(escaped) <= room:
        return escaped
    if room < len(ELLIPSIS):
        return ""
    cut = raw[: room - len(ELLIPSIS)]
    # «<» and «&» grow when escaped (to at most five characters): drop a fifth of the excess.
    while (excess := len(h(cut)) - room + len(ELLIPSIS)) > 0:
        cut = cut[: len(cut) - -(-excess // 5)]
    return h(cut) + ELLIPSIS


def fit(head: str, sections: Sequence[tuple[str, str]], limit: int = TEXT_LIMIT) -> str:
    """`head` and each section's template filled (`{text}`) with its raw text escaped, the
    texts cut so that the whole stays within one message: the room is shared out evenly,
    what a short text leaves over goes to the longer ones."""
    room = limit - len(head) - sum(len(template.format(text="")) for template, _ in sections)
    sizes = [len(h(raw)) for _, raw in sections]
    budget = [0] * len(sections)
    left = len(sections)
    for index in sorted(range(len(sections)), key=sizes.__getitem__):
        budget[index] = max(0, min(sizes[index], room // left))
        room -= budget[index]
        left -= 1
    return head + "".join(
        template.format(text=clip(raw, size))
        for (template, raw), size in zip(sections, budget, strict=True)
    )


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
