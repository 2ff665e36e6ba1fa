"""/help: the commands, with the admin ones for admins."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from services.people import Roles
from texts import ru


async def cmd_help(message: Message, roles: Roles) -> None:
    await message.answer(ru.HELP + (ru.HELP_ADMIN if roles.regional_admin else ""))


def router() -> Router:
    """This module's handlers on a fresh router (one per dispatcher)."""
    r = Router(name=__name__)
    r.message.register(cmd_help, Command("help"))
    return r
