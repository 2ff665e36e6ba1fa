"""`FakeTelegram`: the aiohttp server and the test-facing facade of the fake Bot API.

The server speaks the wire protocol aiogram uses: `POST /bot{token}/{method}` with
url-encoded or multipart form data (every non-string value JSON-encoded, files referenced as
`attach://<part>`), and `GET /file/bot{token}/{path}` for downloads.  Method semantics live in
`methods.py`, updates in `updates.py`, data in `state.py`; this module only does HTTP,
recording, latency, and the public API tests call. `demo.py` offers that API over HTTP too
(`/_demo/…`), for demos of `python -m fakeapi` with curl.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Iterable
from types import TracebackType
from typing import Any

from aiohttp import BodyPartReader, hdrs, web

from .demo import Demo
from .methods import BotApi
from .state import (
    DEFAULT_DESCRIPTIONS,
    ApiError,
    Call,
    ChatMessage,
    ChatStatus,
    FailureRule,
    FakeUser,
    JsonDict,
    Stats,
    UploadedFile,
    World,
    bad_request,
    too_many_requests,
)
from .updates import UpdateFactory, UpdateQueue

# Parameters whose form values are strings even when they look like JSON ("42", "true"):
# aiogram sends str values raw, so only the field's type tells "42" the text from 42 the int.
STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_query_id",
        "inline_message_id",
        "file_id",
        "url",
        "action",
        "emoji",
        "title",
        "description",
        "short_description",
        "name",
        "language_code",
        "business_connection_id",
        "message_effect_id",
        "question",
        "explanation",
        "explanation_parse_mode",
        "address",
        "phone_number",
        "first_name",
        "last_name",
        "vcard",
        "custom_title",
        "payload",
        "currency",
        "start_parameter",
        "secret_token",
        "document",
        "photo",
        "video",
        "animation",
        "audio",
        "voice",
        "video_note",
        "sticker",
        "thumbnail",
    }
)
_JSON_START = frozenset('{["-0123456789tfn')
_ATTACH = "attach://"
MAX_REQUEST_BYTES = 64 * 1024 * 1024


def decode_value(name: str, value: str) -> Any:
    """JSON-decode a form value when it is JSON, keep it a string otherwise."""
    if name in STRING_FIELDS or not value or value[0] not in _JSON_START:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _resolve_attachments(value: Any, files: dict[str, UploadedFile], used: set[str]) -> Any:
    """Replace `attach://name` references (also inside InputMedia lists) with the file."""
    if isinstance(value, str):
        if value.startswith(_ATTACH):
            name = value[len(_ATTACH) :]
            uploaded = files.get(name)
            if uploaded is not None:
                used.add(name)
                return uploaded
        return value
    if isinstance(value, list):
        return [_resolve_attachments(item, files, used) for item in value]
    if isinstance(value, dict):
        return {key: _resolve_attachments(item, files, used) for key, item in value.items()}
    return value


async def read_params(request: web.Request) -> JsonDict:
    """Decode query string + url-encoded / multipart / JSON body into typed parameters."""
    fields: dict[str, str] = dict(request.query) if request.query else {}
    files: dict[str, UploadedFile] = {}
    if request.body_exists:
        content_type = request.content_type
        if content_type == "application/json":
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("JSON body must be an object")
            return {**{k: decode_value(k, v) for k, v in fields.items()}, **body}
        if content_type == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                if part.filename is not None:
                    files[part.name] = UploadedFile(
                        filename=part.filename,
                        content=bytes(await part.read()),
                        content_type=part.headers.get(hdrs.CONTENT_TYPE),
                    )
                else:
                    fields[part.name] = await part.text()
        else:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, str):
                    fields[key] = value
    params = {key: decode_value(key, value) for key, value in fields.items()}
    if files:
        used: set[str] = set()
        params = {k: _resolve_attachments(v, files, used) for k, v in params.items()}
        for name, uploaded in files.items():
            if name not in used:  # a file sent directly as the parameter itself
                params[name] = uploaded
    return params


def _json_response(payload: JsonDict, status: int = 200) -> web.Response:
    return web.Response(
        text=json.dumps(payload, ensure_ascii=False),
        status=status,
        content_type="application/json",
    )


class FakeTelegram:
    """A fake Telegram Bot API server for one bot, with helpers to play the user's side.

    Start it, point aiogram at `base_url` with `TelegramAPIServer.from_base`, inject updates
    with `send_message` / `click` / `send_document` and inspect `calls` and `messages()`.
    """

    def __init__(
        self,
        token: str | None = "123456:TEST",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        record_calls: bool = True,
        record_get_updates: bool = False,
        strict: bool = True,
        bot_username: str = "profinform_test_bot",
        bot_first_name: str = "Profinform Test",
        update_timeout: float = 10.0,
        seed: int = 0,
    ) -> None:
        """`token=None` accepts any token in URLs (handy for a standalone server).

        `strict=False` lets copyMessage / forwardMessage of unknown source messages and sends
        of unknown file_ids succeed with placeholders, for benchmarks that never seed them.
        """
        self.token = token
        self.host = host
        self.record_calls = record_calls
        self.record_get_updates = record_get_updates
        self.update_timeout = update_timeout
        self._requested_port = port
        self._port: int | None = None
        self._runner: web.AppRunner | None = None
        self._latency: tuple[float, float] | None = None
        self._rng = random.Random(seed)
        self.calls: list[Call] = []

        head = (token or "").split(":", 1)[0]
        self.bot_id = int(head) if head.isdigit() else 123456
        self.bot_user: JsonDict = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.world = World()
        self._queue = UpdateQueue()
        self._factory = UpdateFactory(self.world, self.bot_user)
        self.api = BotApi(self.world, self._queue, self.bot_user, strict=strict)
        self.demo = Demo(self)

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("FakeTelegram is already started")
        self._queue.reopen()
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self.demo.add_routes(app)  # the user's side over HTTP, for `python -m fakeapi` demos
        # A short shutdown timeout: requests left are long polls of a bot that is gone.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._requested_port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop serving; pending injected updates fail their waiters.  Idempotent."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        self._queue.close()  # wakes long polls so cleanup need not wait for their timeout
        await self.api.webhook.close()
        await runner.cleanup()
        self._port = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeTelegram is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """For `TelegramAPIServer.from_base(fake.base_url)`."""
        return f"http://{self.host}:{self.port}"

    # -- HTTP ------------------------------------------------------------------------------

    async def _handle_method(self, request: web.Request) -> web.Response:
        if self.token is not None and request.match_info["token"] != self.token:
            return _json_response(ApiError(401, "Unauthorized").payload(), 401)
        sent_name = request.match_info["method"]
        method = sent_name.lower()
        name = self.api.canonical.get(method, sent_name)
        try:
            params = await read_params(request)
        except ValueError as error:
            return _json_response(bad_request(f"can't parse request: {error}").payload(), 400)
        if method == "getupdates":
            return await self._get_updates(name, params)
        if self.record_calls:
            self.calls.append(Call(name, params, time.monotonic()))
        if self._latency is not None:
            await asyncio.sleep(self._rng.uniform(*self._latency))
        try:
            result = self.api.call(method, params)
        except ApiError as error:
            return _json_response(error.payload(), error.status)
        return _json_response({"ok": True, "result": result})

    async def _get_updates(self, name: str, params: JsonDict) -> web.Response:
        if self.record_get_updates and self.record_calls:
            self.calls.append(Call(name, params, time.monotonic()))
        if self.api.webhook.active:
            conflict = ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
            return _json_response(conflict.payload(), 409)
        try:
            if self.api.failures:
                self.api.take_failure("getupdates", None)
        except ApiError as error:
            return _json_response(error.payload(), error.status)
        updates = await self._queue.get(
            params.get("offset"), params.get("limit"), params.get("timeout", 0)
        )
        return _json_response({"ok": True, "result": updates})

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        stored = self.world.files_by_path.get(request.match_info["path"])
        token_ok = self.token is None or request.match_info["token"] == self.token
        if stored is None or stored.content is None or not token_ok:
            return _json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, 404
            )
        return web.Response(
            body=stored.content, content_type=stored.mime_type or "application/octet-stream"
        )

    # -- recorded calls --------------------------------------------------------------------

    def calls_of(self, method: str, **params: Any) -> list[Call]:
        """Recorded calls of `method` (any letter case) whose params equal the given ones."""
        wanted = method.lower()
        return [
            call
            for call in self.calls
            if call.method.lower() == wanted
            and all(call.params.get(key) == value for key, value in params.items())
        ]

    def clear_calls(self) -> None:
        self.calls.clear()

    @property
    def callback_answers(self) -> list[JsonDict]:
        """Params of every accepted answerCallbackQuery, recorded even with record_calls off."""
        return self.api.callback_answers

    @property
    def stats(self) -> Stats:
        return self.api.stats

    # -- chats as the user sees them -------------------------------------------------------

    def messages(
        self, chat_id: int, *, include_deleted: bool = False, include_user: bool = False
    ) -> list[ChatMessage]:
        """Bot messages in the chat, oldest first (the user's own ones on request)."""
        chat = self.world.chats.get(chat_id)
        if chat is None:
            return []
        return [
            message
            for message in chat.messages.values()
            if (include_user or message.from_bot) and (include_deleted or not message.deleted)
        ]

    def last_message(self, chat_id: int) -> ChatMessage | None:
        """The newest non-deleted bot message in the chat, or None."""
        chat = self.world.chats.get(chat_id)
        if chat is None:
            return None
        for message in reversed(chat.messages.values()):
            if message.from_bot and not message.deleted:
                return message
        return None

    def message(self, chat_id: int, message_id: int) -> ChatMessage | None:
        """Any stored message by id, deleted ones included."""
        chat = self.world.chats.get(chat_id)
        return None if chat is None else chat.messages.get(message_id)

    # -- the user's side: injected updates -------------------------------------------------

    async def send_update(
        self, body: JsonDict, *, wait: bool = True, wait_timeout: float | None = None
    ) -> JsonDict:
        """Queue a raw update body such as {"my_chat_member": {...}}; returns the update."""
        query = body.get("callback_query")
        if isinstance(query, dict) and "id" in query:
            self.api.open_callback_ids.add(str(query["id"]))  # so the bot may answer it
        update, done = self._queue.put(body)
        if wait:
            await self._queue.wait_done(
                update["update_id"],
                done,
                self.update_timeout if wait_timeout is None else wait_timeout,
            )
        return update

    async def send_message(
        self, user: FakeUser, text: str, *, wait: bool = True, wait_timeout: float | None = None
    ) -> JsonDict:
        """The user writes `text` in the private chat (a leading /command gets its entity)."""
        return await self.send_update(
            self._factory.text_message(user, text), wait=wait, wait_timeout=wait_timeout
        )

    async def send_document(
        self,
        user: FakeUser,
        filename: str,
        content: bytes,
        mime_type: str | None = None,
        caption: str | None = None,
        *,
        forwarded_from: FakeUser | None = None,
        wait: bool = True,
        wait_timeout: float | None = None,
    ) -> JsonDict:
        """The user sends a file (or forwards one `forwarded_from` wrote); getFile and the
        download URL then serve `content`."""
        body = self._factory.document_message(
            user, filename, content, mime_type, caption, forwarded_from
        )
        return await self.send_update(body, wait=wait, wait_timeout=wait_timeout)

    async def send_photo(
        self,
        user: FakeUser,
        caption: str | None = None,
        *,
        media_group_id: str | None = None,
        wait: bool = True,
        wait_timeout: float | None = None,
    ) -> JsonDict:
        """The user sends a photo; several with one `media_group_id` make an album."""
        body = self._factory.photo_message(user, caption, media_group_id)
        return await self.send_update(body, wait=wait, wait_timeout=wait_timeout)

    async def send_sticker(
        self, user: FakeUser, *, wait: bool = True, wait_timeout: float | None = None
    ) -> JsonDict:
        """The user sends a sticker."""
        body = self._factory.sticker_message(user)
        return await self.send_update(body, wait=wait, wait_timeout=wait_timeout)

    async def click(
        self,
        user: FakeUser,
        button_text: str,
        message_id: int | None = None,
        *,
        wait: bool = True,
        wait_timeout: float | None = None,
    ) -> JsonDict:
        """Press the inline button with exactly `button_text` on `message_id` (or the newest
        bot message that has one) and send its callback_data."""
        message, button = self._find_button(user.id, button_text, message_id)
        data = button.get("callback_data")
        if data is None:
            raise AssertionError(
                f"button {button_text!r} on message {message.message_id} has no "
                f"callback_data: {button}"
            )
        return await self._callback(user, str(data), message, wait=wait, wait_timeout=wait_timeout)

    async def send_callback(
        self,
        user: FakeUser,
        data: str,
        message_id: int | None = None,
        *,
        wait: bool = True,
        wait_timeout: float | None = None,
    ) -> JsonDict:
        """A callback query with arbitrary (e.g. forged) data, attached to `message_id` or
        to the newest bot message in the chat (none if the chat has no bot messages)."""
        if message_id is None:
            message = self.last_message(user.id)
        else:
            message = self.message(user.id, message_id)
            if message is None:
                raise AssertionError(f"chat {user.id} has no message {message_id}")
        return await self._callback(user, data, message, wait=wait, wait_timeout=wait_timeout)

    async def _callback(
        self,
        user: FakeUser,
        data: str,
        message: ChatMessage | None,
        *,
        wait: bool,
        wait_timeout: float | None,
    ) -> JsonDict:
        attached = None if message is None else self.api.message_dict(message)
        body = self._factory.callback_query(user, data, attached)
        return await self.send_update(body, wait=wait, wait_timeout=wait_timeout)

    def _find_button(
        self, chat_id: int, text: str, message_id: int | None
    ) -> tuple[ChatMessage, JsonDict]:
        if message_id is not None:
            message = self.message(chat_id, message_id)
            if message is None or message.deleted or not message.from_bot:
                raise AssertionError(f"chat {chat_id} has no visible bot message {message_id}")
            candidates = [message]
        else:
            candidates = list(reversed(self.messages(chat_id)))
        for candidate in candidates:
            button = candidate.find_button(text)
            if button is not None:
                return candidate, button
        visible = [
            f"  message {m.message_id}: {[[b[0] for b in row] for row in m.buttons]}"
            for m in candidates[:5]
            if m.inline_markup is not None
        ]
        listing = "\n".join(visible) or "  (no inline keyboards)"
        raise AssertionError(
            f"no inline button {text!r} in chat {chat_id}; visible buttons:\n{listing}"
        )

    async def wait_polling(self, wait_timeout: float = 5.0) -> None:
        """Return once the bot has called getUpdates (so its startup is over)."""
        try:
            async with asyncio.timeout(wait_timeout):
                await self._queue.polled.wait()
        except TimeoutError:
            raise AssertionError(f"bot did not call getUpdates within {wait_timeout} s") from None

    # -- failure injection -----------------------------------------------------------------

    def block(self, chat_id: int) -> None:
        """The user blocked the bot: sends to the chat answer 403."""
        self.world.statuses[chat_id] = ChatStatus.BLOCKED

    def deactivate(self, chat_id: int) -> None:
        """The user deleted their account: sends answer 403 "user is deactivated"."""
        self.world.statuses[chat_id] = ChatStatus.DEACTIVATED

    def unknown_chat(self, chat_id: int) -> None:
        """Sends to the chat answer 400 "chat not found"."""
        self.world.statuses[chat_id] = ChatStatus.NOT_FOUND

    def unblock(self, chat_id: int) -> None:
        """Undo block / deactivate / unknown_chat."""
        self.world.statuses.pop(chat_id, None)

    def block_fraction(self, fraction: float, chat_ids: Iterable[int], seed: int = 0) -> set[int]:
        """Block a deterministic `fraction` of `chat_ids`; returns the blocked ids."""
        ids = list(chat_ids)
        chosen = random.Random(seed).sample(ids, round(len(ids) * fraction))
        for chat_id in chosen:
            self.block(chat_id)
        return set(chosen)

    def fail_next(
        self,
        method: str,
        *,
        status: int,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """The next `times` calls of `method` ("*" for any), optionally only those to
        `chat_id`, fail with `status`; a 429 carries `retry_after` (default 1)."""
        if status == 429:
            retry = 1 if retry_after is None else retry_after
            error = too_many_requests(retry)
            if description is not None:
                error.description = description
        else:
            error = ApiError(
                status,
                description or DEFAULT_DESCRIPTIONS.get(status, f"Error {status}"),
                retry_after,
            )
        self.api.failures.append(FailureRule(method.lower(), error, times, chat_id))

    def clear_failures(self) -> None:
        self.api.failures.clear()

    def set_rate_limit(
        self, per_second: float | None, retry_after: int = 1, *, per_chat_limit: bool = False
    ) -> None:
        """Answer 429 to send-like calls beyond `per_second` in any sliding second (None:
        off); `per_chat_limit` also allows one message per second to any single chat."""
        self.api.limiter.configure(per_second, retry_after, per_chat_limit)

    def set_latency(self, min_s: float, max_s: float | None = None) -> None:
        """Delay every call except getUpdates by uniform(min_s, max_s); 0 turns it off."""
        high = min_s if max_s is None else max_s
        self._latency = None if high <= 0 else (min_s, high)
