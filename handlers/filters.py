"""Filters: what the middlewares resolved for this update, and checks of the event itself.

Every filter here is a coroutine. aiogram runs a plain callable filter (an `F…` rule or a bare
`State` among them) in a worker thread with `asyncio.to_thread`, a thread hop for each check
of each update; `When` and `StateFilter` check the same on the event loop.
`tests/test_dispatch_speed.py` keeps it so for every handler.
"""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.filters import Filter
from aiogram.types import TelegramObject
from aiogram.utils.magic_filter import MagicFilter

from models import Person
from services.people import Roles


class Registered(Filter):
    """The person has given consent and has a record."""

    async def __call__(self, event: TelegramObject, person: Person | None = None) -> bool:
        return person is not None


class RegionalAdmin(Filter):
    """A regional admin: listed in ADMIN_IDS or granted the role."""

    async def __call__(self, event: TelegramObject, roles: Roles | None = None) -> bool:
        return roles is not None and roles.regional_admin


class AnyAdmin(Filter):
    """A regional admin or a territorial admin of at least one territory."""

    async def __call__(self, event: TelegramObject, roles: Roles | None = None) -> bool:
        return roles is not None and roles.is_admin


class When(Filter):
    """A magic filter (`F…`) checked on the event loop, not in aiogram's worker thread."""

    def __init__(self, rule: MagicFilter) -> None:
        self.rule = rule

    async def __call__(self, event: TelegramObject) -> Any:
        return self.rule.resolve(event)


PRIVATE = When(F.chat.type == "private")
NOT_COMMAND = When(~F.text.startswith("/"))  # text that is no command, or no text at all
TYPED = When(F.text & ~F.text.startswith("/"))  # text that is no command


class Answerer(Filter):
    """Answers members' questions: a consultant or an admin."""

    async def __call__(self, event: TelegramObject, roles: Roles | None = None) -> bool:
        return roles is not None and roles.answers_questions
