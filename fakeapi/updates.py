"""Updates: the getUpdates queue with long polling, and builders of user-side updates.

An injected update counts as *processed* once the bot asks getUpdates with an `offset` past
it.  That is exact when the dispatcher runs with `handle_as_tasks=False`: aiogram awaits the
handler, then raises the offset and polls again.  With tasks, it only means "fetched".
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import mimetypes
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from .state import ChatMessage, FakeUser, JsonDict, World

DEFAULT_LIMIT = 100


class UpdateNotProcessedError(AssertionError):
    """An injected update was not fetched or not finished by the bot in time."""


@dataclass(slots=True)
class _Pending:
    update: JsonDict
    done: asyncio.Future[bool]  # True: confirmed by offset; False: dropped


class UpdateQueue:
    """Pending updates in id order, served to getUpdates and confirmed by `offset`."""

    def __init__(self) -> None:
        self._pending: deque[_Pending] = deque()
        self._next_id = 1
        self._fetched_up_to = 0  # the highest update_id ever handed out
        self._arrived = asyncio.Event()
        self._closed = False
        self.polled = asyncio.Event()  # set by the first getUpdates: the bot is polling

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    def put(self, body: JsonDict) -> tuple[JsonDict, asyncio.Future[bool]]:
        """Queue an update made of `body` (e.g. {"message": ...}); returns it and its future."""
        update = {"update_id": self._next_id, **body}
        self._next_id += 1
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append(_Pending(update, done))
        self._arrived.set()
        return update, done

    def confirm(self, offset: int) -> None:
        """Forget updates below `offset`: the bot has finished them."""
        pending = self._pending
        while pending and pending[0].update["update_id"] < offset:
            item = pending.popleft()
            if not item.done.done():
                item.done.set_result(True)

    def drop_pending(self) -> None:
        """deleteWebhook(drop_pending_updates=True): discard without processing."""
        while self._pending:
            item = self._pending.popleft()
            if not item.done.done():
                item.done.set_result(False)

    async def get(self, offset: Any, limit: Any, poll_seconds: Any) -> list[JsonDict]:
        self.polled.set()
        if isinstance(offset, int) and offset > 0:
            self.confirm(offset)
        if not isinstance(limit, int) or not 1 <= limit <= DEFAULT_LIMIT:
            limit = DEFAULT_LIMIT
        if (
            not self._pending
            and not self._closed
            and isinstance(poll_seconds, int | float)
            and poll_seconds > 0
        ):
            self._arrived.clear()
            # A put() sets the event, so a waiting poll returns as soon as one is queued.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(poll_seconds):
                    await self._arrived.wait()
        if isinstance(offset, int) and offset < 0:
            batch = list(self._pending)[offset:]
        else:
            batch = list(itertools.islice(self._pending, limit))
        if batch:
            self._fetched_up_to = max(self._fetched_up_to, batch[-1].update["update_id"])
        return [item.update for item in batch]

    async def first_pending(self) -> JsonDict:
        """The oldest unconfirmed update, waiting for one (webhook delivery)."""
        while not self._pending:
            self._arrived.clear()
            await self._arrived.wait()
        return self._pending[0].update

    async def wait_done(
        self, update_id: int, done: asyncio.Future[bool], wait_timeout: float
    ) -> None:
        try:
            async with asyncio.timeout(wait_timeout):
                processed = await asyncio.shield(done)
        except TimeoutError:
            if self._fetched_up_to >= update_id:
                raise UpdateNotProcessedError(
                    f"bot fetched update {update_id} but did not finish it within "
                    f"{wait_timeout} s (a handler is stuck, or polling was stopped)"
                ) from None
            raise UpdateNotProcessedError(
                f"bot did not fetch update {update_id} within {wait_timeout} s "
                "(is dp.start_polling running against this fake?)"
            ) from None
        if not processed:
            raise UpdateNotProcessedError(
                f"update {update_id} was dropped (deleteWebhook(drop_pending_updates=True) or "
                "the fake stopped) before the bot processed it"
            )

    def close(self) -> None:
        """Wake every long poll and fail every waiter: the server is going down."""
        self._closed = True
        self._arrived.set()
        self.drop_pending()

    def reopen(self) -> None:
        """Ready for (another) start, possibly on a different event loop than before."""
        self._closed = False
        self._arrived = asyncio.Event()
        self.polled = asyncio.Event()


class UpdateFactory:
    """Builds user-side update bodies and records the user's own messages in the world."""

    def __init__(self, world: World, bot_user: JsonDict) -> None:
        self.world = world
        self.bot_user = bot_user
        self._callback_seq = itertools.count(1)

    def _user_message(self, user: FakeUser, kind: str, text: str | None, media: Any) -> JsonDict:
        chat = self.world.register_user(user)
        message = ChatMessage(
            message_id=chat.take_message_id(),
            chat_id=user.id,
            date=int(time.time()),
            from_bot=False,
            kind=kind,
            text=text,
            plain_text=text,
            media=media,
        )
        message.entities = _command_entities(text) if kind == "text" and text else None
        chat.messages[message.message_id] = message
        result: JsonDict = {
            "message_id": message.message_id,
            "from": chat.user,
            "chat": chat.info,
            "date": message.date,
        }
        if kind == "text":
            result["text"] = text
            if message.entities:
                result["entities"] = message.entities
        else:
            result[kind] = media
            if text is not None:
                result["caption"] = text
        return result

    def text_message(self, user: FakeUser, text: str) -> JsonDict:
        return {"message": self._user_message(user, "text", text, None)}

    def document_message(
        self,
        user: FakeUser,
        filename: str,
        content: bytes,
        mime_type: str | None,
        caption: str | None,
        forwarded_from: FakeUser | None = None,
    ) -> JsonDict:
        mime = mime_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        stored = self.world.store_file(
            content, folder="documents", file_name=filename, mime_type=mime
        )
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": filename,
            "mime_type": mime,
            "file_size": len(content),
        }
        body = self._user_message(user, "document", caption, document)
        if forwarded_from is not None:
            # A forward keeps the original's file; Telegram names who wrote it first.
            sender = forwarded_from.to_dict()
            origin = {"type": "user", "date": body["date"], "sender_user": sender}
            body["forward_origin"] = origin
            self.world.chat(user.id).messages[body["message_id"]].forward_origin = origin
        return {"message": body}

    def photo_message(
        self, user: FakeUser, caption: str | None, media_group_id: str | None
    ) -> JsonDict:
        """A photo (one size is enough for the bot), optionally one part of an album."""
        stored = self.world.store_file(b"\x89PNG fake", folder="photos", mime_type="image/png")
        photo = [
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "width": 800,
                "height": 600,
                "file_size": 9,
            }
        ]
        body = self._user_message(user, "photo", caption, photo)
        if media_group_id is not None:
            body["media_group_id"] = media_group_id
        return {"message": body}

    def sticker_message(self, user: FakeUser) -> JsonDict:
        """A sticker: content the bot cannot take as text, photo or document."""
        stored = self.world.store_file(
            b"RIFF fake webp", folder="stickers", mime_type="image/webp"
        )
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return {"message": self._user_message(user, "sticker", None, sticker)}

    def callback_query(self, user: FakeUser, data: str, message: JsonDict | None) -> JsonDict:
        """A callback_query update body, with `message` (a Message dict) attached if given."""
        chat = self.world.register_user(user)
        query_id = f"{user.id}{next(self._callback_seq):06d}"
        query: JsonDict = {
            "id": query_id,
            "from": chat.user,
            # Telegram gives a stable opaque string per chat; any stable value will do.
            "chat_instance": str(-abs(user.id) * 7 - 1),
            "data": data,
        }
        if message is not None:
            query["message"] = message
        return {"callback_query": query}


def _command_entities(text: str) -> list[JsonDict] | None:
    """Telegram marks a leading `/command` (with an optional @botname) as a bot_command."""
    if not text.startswith("/"):
        return None
    command = text.split(maxsplit=1)[0]
    if len(command) < 2:
        return None
    length = len(command.encode("utf-16-le")) // 2
    return [{"type": "bot_command", "offset": 0, "length": length}]
