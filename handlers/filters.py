"""Filters that read what the middlewares resolved for this update."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import TelegramObject

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
