"""aiogram's HTTP session: the parsed response models kept alive, and JSON request bodies.

aiogram parses every Bot API answer with the pydantic generic `Response[T]`, where T is the
method's result type. pydantic caches each parametrisation in a weak-value dictionary, so
once the garbage collector has run, the next call builds the model anew: about 4 ms of CPU
per Bot API call, a third of what a questionnaire answer costs (measured with
`python -m bench.questionnaire --breakdown`). Holding one strong reference per result type
(a few dozen at most) makes pydantic's own cache hit every time.

aiogram also sends every request as a form: each keyboard is dumped to JSON and then
percent-encoded, and each form gets a multipart writer with a random boundary. A request
without a file goes out as one JSON body instead, which the Bot API accepts the same way
(https://core.telegram.org/bots/api#making-requests); uploads keep aiogram's form.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiohttp import BytesPayload, FormData

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

    # aiohttp posts a payload as readily as a form; aiogram's signature names only the form.
    def build_form_data(  # type: ignore[override]
        self, bot: Bot, method: TelegramMethod[TelegramType]
    ) -> FormData | BytesPayload:
        files: dict[str, Any] = {}
        body = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if prepared is not None and prepared != "":  # what aiogram's form leaves out
                body[key] = prepared
        if files:
            return super().build_form_data(bot, method)
        return BytesPayload(self.json_dumps(body).encode(), content_type="application/json")
