"""Demo endpoints beside the Bot API: play the user's side over HTTP, with curl.

The tests play the user by calling `FakeTelegram` methods in-process; a demo of
`python -m fakeapi` has only HTTP. These endpoints are those methods over HTTP:

    POST /_demo/chats/{user_id}/message   text=/start
    POST /_demo/chats/{user_id}/click     button=✅ Согласен(на)   [message_id=12]
    POST /_demo/chats/{user_id}/document  file=@orgs.csv (multipart)   [caption=…]
    GET  /_demo/chats/{user_id}           the chat as the user sees it
    GET  /_demo/files/{file_id}           a file from the chat (a report the bot sent)

Parameters come as a form (`curl -d`, `-F`), a JSON object or the query string. The private
chat's id is the user's id. A POST may also say who the user is, `first_name` (else
«Демо»), `last_name`, `username`; the fake keeps that for the chat's later updates.

A POST answers once the bot has fetched the update and then made no API call for `settle`
seconds (0.3 by default; at most `timeout`, 10 s): with handle_as_tasks, which the bot uses,
"fetched" does not mean "answered". The answer is the update id and `screen`, the newest bot
message (an edited one included): what the user looks at now. Every message is given as
`{"message_id", "from": "bot"|"user", "text", "buttons": [[text, …], …], "file": {…}}`.
Errors are `{"ok": false, "error": …}`: 400 bad parameters, 404 no such button or file,
504 the bot did not take the update (is it running against this fake?).
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from aiohttp import BodyPartReader, hdrs, web

from .state import ChatMessage, FakeUser, JsonDict
from .updates import UpdateNotProcessedError

if TYPE_CHECKING:
    from .server import FakeTelegram

PREFIX = "/_demo"
DEFAULT_FIRST_NAME = "Демо"
DEFAULT_SETTLE = 0.3  # seconds without an API call that mean the bot is done
DEFAULT_TIMEOUT = 10.0
_POLL = 0.02


class DemoError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


# An innermost JSON array (no brackets or braces inside) spread over lines by json.dumps.
_FLAT_ARRAY = re.compile(r"\[\n\s+([^\[\]{}]*?)\n\s*\]")


def _pretty(payload: JsonDict) -> str:
    """Indented JSON for a person in a terminal, each row of buttons on one line. (Inside a
    JSON string a line break is written \\n, so joining lines never changes a value.)"""
    text = json.dumps(payload, ensure_ascii=False, indent=2)
    return _FLAT_ARRAY.sub(lambda m: "[" + re.sub(r"\n\s+", " ", m[1]) + "]", text) + "\n"


def _reply(payload: JsonDict, status: int = 200) -> web.Response:
    return web.Response(
        text=_pretty(payload),
        status=status,
        content_type="application/json",
    )


async def _fields(request: web.Request) -> tuple[dict[str, str], tuple[str, bytes, str] | None]:
    """Text fields of the query and body, kept as strings (a button may read «2026»), and the
    uploaded file (name, content, content type) of a multipart body, if any."""
    fields = dict(request.query)
    upload: tuple[str, bytes, str] | None = None
    if not request.body_exists:
        return fields, upload
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError as error:
            raise DemoError(400, f"the body is not JSON: {error}") from None
        if not isinstance(body, dict):
            raise DemoError(400, "the JSON body must be an object")
        fields.update({key: str(value) for key, value in body.items() if value is not None})
    elif request.content_type == "multipart/form-data":
        async for part in await request.multipart():
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.filename is not None:
                kind = part.headers.get(hdrs.CONTENT_TYPE, "application/octet-stream")
                upload = (part.filename, bytes(await part.read()), kind)
            else:
                fields[part.name] = await part.text()
    else:
        form = await request.post()
        fields.update({key: value for key, value in form.items() if isinstance(value, str)})
    return fields, upload


def _number(fields: dict[str, str], name: str, default: float) -> float:
    raw = fields.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise DemoError(400, f"{name} must be a number of seconds, not {raw!r}") from None
    if not 0 <= value <= 600:
        raise DemoError(400, f"{name} must be between 0 and 600 seconds")
    return value


def _required(fields: dict[str, str], name: str) -> str:
    value = fields.get(name)
    if not value:
        raise DemoError(400, f"missing parameter {name!r}")
    return value


class Demo:
    """The endpoints, bound to one FakeTelegram; remembers who each demo user is."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake
        self.users: dict[int, FakeUser] = {}

    def add_routes(self, app: web.Application) -> None:
        chat = PREFIX + "/chats/{user_id}"
        app.router.add_get(chat, self._handle(self._chat))
        app.router.add_post(chat + "/message", self._handle(self._message))
        app.router.add_post(chat + "/click", self._handle(self._click))
        app.router.add_post(chat + "/document", self._handle(self._document))
        app.router.add_get(PREFIX + "/files/{file_id}", self._file)

    def _handle(self, action: Any) -> Any:
        async def handler(request: web.Request) -> web.Response:
            try:
                return _reply(await action(request))
            except DemoError as error:
                return _reply({"ok": False, "error": str(error)}, error.status)

        return handler

    # -- the user's side ------------------------------------------------------------------

    def _user(self, request: web.Request, fields: dict[str, str]) -> FakeUser:
        raw = request.match_info["user_id"]
        try:
            user_id = int(raw)
        except ValueError:
            raise DemoError(400, f"a user id is a number, not {raw!r}") from None
        if user_id <= 0:
            raise DemoError(400, "a user id is positive (a private chat's id is the user's)")
        user = self.users.get(user_id)
        if user is None:
            user = self.users[user_id] = FakeUser(id=user_id, first_name=DEFAULT_FIRST_NAME)
        user.first_name = fields.get("first_name") or user.first_name
        user.last_name = fields.get("last_name") or user.last_name
        user.username = (fields.get("username") or "").lstrip("@") or user.username
        return user

    async def _message(self, request: web.Request) -> JsonDict:
        fields, _ = await _fields(request)
        user = self._user(request, fields)
        text = _required(fields, "text")
        sent = self.fake.send_message(user, text, **_timing(fields))
        return await self._deliver(user, fields, sent)

    async def _click(self, request: web.Request) -> JsonDict:
        fields, _ = await _fields(request)
        user = self._user(request, fields)
        button = _required(fields, "button")
        message_id = fields.get("message_id")
        if message_id is not None and not message_id.isdigit():
            raise DemoError(400, f"message_id must be a number, not {message_id!r}")
        try:
            clicked = self.fake.click(
                user, button, int(message_id) if message_id else None, **_timing(fields)
            )
            return await self._deliver(user, fields, clicked)
        except AssertionError as error:  # no such button: the fake's own explanation
            raise DemoError(404, str(error)) from None

    async def _document(self, request: web.Request) -> JsonDict:
        fields, upload = await _fields(request)
        user = self._user(request, fields)
        if upload is None:
            raise DemoError(400, "send the file as multipart form data: -F file=@name.csv")
        filename, content, content_type = upload
        sent = self.fake.send_document(
            user,
            filename,
            content,
            None if content_type == "application/octet-stream" else content_type,
            fields.get("caption"),
            **_timing(fields),
        )
        return await self._deliver(user, fields, sent)

    async def _deliver(self, user: FakeUser, fields: dict[str, str], sending: Any) -> JsonDict:
        """Wait for the bot to take the update and go quiet; the update id and the screen."""
        try:
            update = await sending
        except UpdateNotProcessedError as error:
            raise DemoError(
                504, f"{error}; the update stays queued for when the bot polls"
            ) from None
        await self._settle(_number(fields, "settle", DEFAULT_SETTLE), _timeout(fields))
        screen = self.fake.last_message(user.id)
        return {
            "ok": True,
            "update_id": update["update_id"],
            "screen": None if screen is None else message_json(screen),
        }

    async def _settle(self, quiet: float, limit: float) -> None:
        """Until no API call (getUpdates aside) has come for `quiet` seconds, or `limit`."""
        if quiet <= 0:
            return
        loop = asyncio.get_running_loop()
        stats = self.fake.stats
        start = calm_since = loop.time()
        seen = stats.calls
        while loop.time() - start < limit:
            await asyncio.sleep(min(_POLL, quiet))
            now = loop.time()
            if stats.calls != seen:
                seen, calm_since = stats.calls, now
            elif now - calm_since >= quiet:
                return

    # -- what the user sees ---------------------------------------------------------------

    async def _chat(self, request: web.Request) -> JsonDict:
        fields, _ = await _fields(request)
        user_id = self._user(request, {}).id
        messages = self.fake.messages(user_id, include_user=fields.get("bot_only") is None)
        return {
            "ok": True,
            "chat_id": user_id,
            "messages": [message_json(message) for message in messages],
        }

    async def _file(self, request: web.Request) -> web.StreamResponse:
        stored = self.fake.world.files.get(request.match_info["file_id"])
        if stored is None or stored.content is None:
            return _reply({"ok": False, "error": "no such file"}, 404)
        name = stored.file_name or stored.file_path.rsplit("/", 1)[-1]
        return web.Response(
            body=stored.content,
            content_type=stored.mime_type or "application/octet-stream",
            headers={hdrs.CONTENT_DISPOSITION: _disposition(name)},
        )


def _timing(fields: dict[str, str]) -> dict[str, Any]:
    return {"wait_timeout": _timeout(fields)}


def _timeout(fields: dict[str, str]) -> float:
    return _number(fields, "timeout", DEFAULT_TIMEOUT)


def _disposition(name: str) -> str:
    """`curl -OJ` saves under `filename` (ASCII); browsers prefer `filename*` (any script)."""
    plain = re.sub(r"[^A-Za-z0-9._ -]", "_", name)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"


def message_json(message: ChatMessage) -> JsonDict:
    """A message as a person reads it: the rendered text, the buttons' words, the file."""
    result: JsonDict = {
        "message_id": message.message_id,
        "from": "bot" if message.from_bot else "user",
        "text": message.plain_text,
    }
    if message.kind != "text":
        result["kind"] = message.kind
    if message.buttons:
        result["buttons"] = [[text for text, _ in row] for row in message.buttons]
    media = message.media
    if isinstance(media, list) and media:  # a photo: its sizes, the largest last
        media = media[-1]
    if isinstance(media, dict) and "file_id" in media:
        result["file"] = {
            "name": media.get("file_name"),
            "url": f"{PREFIX}/files/{media['file_id']}",
        }
    if message.edit_date is not None:
        result["edited"] = True
    return result
