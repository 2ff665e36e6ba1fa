"""Outer middlewares: flood guard, one DB session per update, the person and their roles."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.types import TelegramObject, Update, User
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services import audit, people
from texts import ru

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class ThrottleMiddleware(BaseMiddleware):
    """Drops a user's updates beyond `rate` per `period` seconds and says so once per burst."""

    def __init__(self, rate: int, period: float, clock: Callable[[], float] = time.monotonic):
        self.rate = rate
        self.period = period
        self._clock = clock
        self._hits: dict[int, deque[float]] = {}
        self._warned: dict[int, float] = {}

    def _allow(self, user_id: int) -> bool:
        now = self._clock()
        hits = self._hits.setdefault(user_id, deque())
        while hits and now - hits[0] >= self.period:
            hits.popleft()
        if len(hits) >= self.rate:
            return False
        hits.append(now)
        if len(self._hits) > 10_000:
            self._forget_idle(now)
        return True

    def _forget_idle(self, now: float) -> None:
        for user_id in [u for u, h in self._hits.items() if not h or now - h[-1] >= self.period]:
            self._hits.pop(user_id, None)
            self._warned.pop(user_id, None)

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or self._allow(user.id):
            return await handler(event, data)
        now = self._clock()
        if now - self._warned.get(user.id, -self.period) >= self.period:
            self._warned[user.id] = now
            await _tell_throttled(data["bot"], event, user.id)
        return None


async def _tell_throttled(bot: Bot, event: TelegramObject, user_id: int) -> None:
    if isinstance(event, Update) and event.callback_query is not None:
        await bot.answer_callback_query(event.callback_query.id, ru.THROTTLED)
    else:
        await bot.send_message(user_id, ru.THROTTLED)


class DbSessionMiddleware(BaseMiddleware):
    """Opens one session per update; services decide when to commit."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        async with self.session_factory() as session:
            data["session"] = session
            return await handler(event, data)


class PersonMiddleware(BaseMiddleware):
    """Loads the person behind the update (if registered) and resolves their roles once; the
    `actor` is who the audit trail names for whatever this update does."""

    def __init__(self, admin_ids: frozenset[int]) -> None:
        self.admin_ids = admin_ids

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        session: AsyncSession = data["session"]
        person, roles, actor = None, people.Roles(), None
        if user is not None and not user.is_bot:
            person, roles = await people.person_and_roles(session, user.id, self.admin_ids)
            profile = profile_of(user)
            if person is None and user.id in self.admin_ids:
                person = await people.register_staff(session, profile)
            elif person is not None and await people.seen(session, person, profile):
                await data["bot"].send_message(user.id, ru.UNBLOCKED)
            actor = audit.chat_actor(person, profile)
        data["person"] = person
        data["roles"] = roles
        data["actor"] = actor
        return await handler(event, data)


def profile_of(user: User) -> people.TelegramProfile:
    """aiogram's User as the plain value the services take."""
    return people.TelegramProfile(
        telegram_id=user.id,
        first_name=user.first_name,
        last_name=user.last_name,
        username=user.username,
    )
