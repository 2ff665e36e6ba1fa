"""aiogram's HTTP session, with the parsed response models kept alive.

aiogram parses every Bot API answer with the pydantic generic `Response[T]`, where T is the
method's result type. pydantic caches each parametrisation in a weak-value dictionary, so
once the garbage collector has run, the next call builds the model anew: about 4 ms of CPU
per Bot API call, a third of what a questionnaire answer costs (measured with
`python -m bench.questionnaire --breakdown`). Holding one strong reference per result type
(a few dozen at most) makes pydantic's own cache hit every time.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

_KEPT: dict[Any, type[Any]] = {}


class ApiSession(AiohttpSession):
    def check_response(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        status_code: int,
        content: str,
    ) -> Response[TelegramType]:
        returning = method.__returning__
        if returning not in _KEPT:
            _KEPT[returning] = Response[returning]  # type: ignore[valid-type]
        return super().check_response(bot, method, status_code, content)
