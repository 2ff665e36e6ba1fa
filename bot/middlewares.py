"""Outer middlewares: flood guard, one DB session per update, the person and their roles."""

from __future__ import annotations

import enum
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.types import TelegramObject, Update, User
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services import audit, people
from texts import ru

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class ThrottleMiddleware(BaseMiddleware):
    """Drops a user's updates beyond `rate` per `period` seconds and says so once per burst.

    The counts live in this process, or in Redis (`redis` given) so that several replicas
    share one limit per person."""

    def __init__(
        self,
        rate: int,
        period: float,
        clock: Callable[[], float] = time.monotonic,
        redis: Redis | None = None,
    ):
        self.rate = rate
        self.period = period
        self._clock = clock
        self._hits: dict[int, deque[float]] = {}
        self._warned: dict[int, float] = {}
        self._redis = redis
        self._script = redis.register_script(_REDIS_THROTTLE) if redis is not None else None

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

    async def _verdict(self, user_id: int) -> Verdict:
        if self._script is not None:
            keys = [f"{REDIS_PREFIX}:throttle:{user_id}", f"{REDIS_PREFIX}:throttled:{user_id}"]
            args: list[int | float | str] = [self.rate, self.period, secrets.token_hex(6)]
            return Verdict(int(await self._script(keys=keys, args=args)))
        if self._allow(user_id):
            return Verdict.ALLOW
        now = self._clock()
        if now - self._warned.get(user_id, -self.period) >= self.period:
            self._warned[user_id] = now
            return Verdict.WARN
        return Verdict.DROP

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None:
            return await handler(event, data)
        verdict = await self._verdict(user.id)
        if verdict is Verdict.ALLOW:
            return await handler(event, data)
        if verdict is Verdict.WARN:
            await _tell_throttled(data["bot"], event, user.id)
        return None


class Verdict(enum.IntEnum):
    DROP = 0
    ALLOW = 1
    WARN = 2  # dropped, and the first of its burst: the person is told


REDIS_PREFIX = "profinform"
# A sliding window per person in a sorted set, on Redis's own clock (replicas' clocks differ);
# the «said once» mark expires with the window.
_REDIS_THROTTLE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local period = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - period)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  if redis.call('SET', KEYS[2], '1', 'NX', 'PX', math.ceil(period * 1000)) then
    return 2
  end
  return 0
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(period * 1000))
return 1
"""


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
