"""What nothing else answered: unknown text, stale or forged buttons, files from non-admins."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from handlers.filters import PRIVATE, When
from models import Person
from services.people import Roles
from texts import ru


async def on_stale_button(callback: CallbackQuery) -> None:
    # A button from before a restart that no longer matches, or callback data made up by hand.
    await callback.answer(ru.STALE_BUTTON, show_alert=True)


ADMIN_ONLY_COMMANDS = (
    "broadcast",
    "broadcasts",
    "orgs",
    "officers",
    "invite",
    "invites",
    "monitoring",
    "audit",
    "consultant",  # regional admins only (handlers/admin/consultants.py)
)


async def on_admin_command(message: Message) -> None:
    await message.answer(ru.ADMIN_ONLY)


async def on_file(message: Message, roles: Roles) -> None:
    await message.answer(ru.ADMIN_ONLY if roles.is_admin else ru.FILES_ADMIN_ONLY)


async def on_anything_else(message: Message, person: Person | None) -> None:
    await message.answer(ru.NOT_UNDERSTOOD if person is not None else ru.NEED_START)


def router() -> Router:
    """Registered last: it matches everything the feature routers did not."""
    r = Router(name=__name__)
    r.callback_query.register(on_stale_button)
    r.message.register(on_admin_command, PRIVATE, Command(*ADMIN_ONLY_COMMANDS))
    r.message.register(on_file, PRIVATE, When(F.document))
    r.message.register(on_anything_else, PRIVATE)
    return r
