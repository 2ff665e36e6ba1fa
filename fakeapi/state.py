"""In-memory world of the fake Bot API: chats, messages, files and failure rules.

Everything here is plain synchronous data; the HTTP layer (`server.py`) and the method
implementations (`methods.py`) mutate it.  Lookups are dicts keyed by chat id / message id /
file id so that a broadcast benchmark with tens of thousands of chats stays O(1) per call.
"""

from __future__ import annotations

import enum
import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

JsonDict = dict[str, Any]


class ApiError(Exception):
    """A Telegram error answer: raised by method code, turned into a JSON reply by the server."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(f"{status} {description}")
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JsonDict:
        body: JsonDict = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)


# Default descriptions for `fail_next` so a test only has to say the status code.
DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass(slots=True, frozen=True)
class UploadedFile:
    """A file part of a multipart request, as the bot uploaded it."""

    filename: str
    content: bytes
    content_type: str | None = None


@dataclass(slots=True)
class Call:
    """One recorded API request; `ts` is `time.monotonic()` when it arrived."""

    method: str
    params: JsonDict
    ts: float


@dataclass(slots=True)
class FakeUser:
    """A Telegram user that talks to the bot; their private chat id equals their user id."""

    id: int
    first_name: str = "Иван"
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "ru"

    def to_dict(self) -> JsonDict:
        user: JsonDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name is not None:
            user["last_name"] = self.last_name
        if self.username is not None:
            user["username"] = self.username
        if self.language_code is not None:
            user["language_code"] = self.language_code
        return user

    def chat_dict(self) -> JsonDict:
        chat: JsonDict = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name is not None:
            chat["last_name"] = self.last_name
        if self.username is not None:
            chat["username"] = self.username
        return chat


@dataclass(slots=True)
class ChatMessage:
    """A message as it currently looks in a chat (the bot's or the user's).

    `text` is the text (or the caption of a media message) exactly as the bot sent it, markup
    included; `plain_text` / `entities` are what Telegram renders from it with `parse_mode`.
    """

    message_id: int
    chat_id: int
    date: int
    from_bot: bool = True
    kind: str = "text"  # "text" or the media field name: "document", "photo", ...
    text: str | None = None
    parse_mode: str | None = None
    plain_text: str | None = None
    entities: list[JsonDict] | None = None
    reply_markup: JsonDict | None = None
    # The Telegram object of the media ({"file_id": ...}, or a list of PhotoSize for photos).
    media: Any = None
    deleted: bool = False
    edit_date: int | None = None
    media_group_id: str | None = None
    forward_origin: JsonDict | None = None

    @property
    def caption(self) -> str | None:
        return None if self.kind == "text" else self.text

    @property
    def inline_markup(self) -> JsonDict | None:
        markup = self.reply_markup
        return markup if markup is not None and "inline_keyboard" in markup else None

    @property
    def buttons(self) -> list[list[tuple[str, str | None]]]:
        """Keyboard rows as (text, callback_data or url); reply keyboards give (text, None)."""
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        result: list[list[tuple[str, str | None]]] = []
        for row in rows:
            line: list[tuple[str, str | None]] = []
            for button in row:
                if isinstance(button, str):  # a reply keyboard may list bare strings
                    line.append((button, None))
                else:
                    line.append((button.get("text", ""), _button_payload(button)))
            result.append(line)
        return result

    def find_button(self, text: str) -> JsonDict | None:
        """The inline button with exactly this text, if the message has one."""
        markup = self.inline_markup
        if markup is None:
            return None
        for row in markup["inline_keyboard"]:
            for button in row:
                if button.get("text") == text:
                    return button
        return None


def _button_payload(button: JsonDict) -> str | None:
    for key in ("callback_data", "url"):
        value = button.get(key)
        if value is not None:
            return str(value)
    return None


@dataclass(slots=True)
class Chat:
    """One chat: its Telegram `Chat` object and its messages in sending order."""

    id: int
    info: JsonDict
    user: JsonDict | None = None  # the `from` of user messages in a private chat
    messages: dict[int, ChatMessage] = field(default_factory=dict)
    next_message_id: int = 1

    def take_message_id(self) -> int:
        # Telegram numbers messages per private chat, shared by both sides of the dialogue.
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


def default_chat_info(chat_id: int) -> JsonDict:
    if chat_id < 0:
        return {"id": chat_id, "type": "supergroup", "title": f"Chat {chat_id}"}
    return {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}


@dataclass(slots=True)
class StoredFile:
    """A file Telegram knows: uploaded by a user (injected) or by the bot."""

    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes | None
    file_name: str | None = None
    mime_type: str | None = None

    @property
    def file_size(self) -> int:
        return len(self.content) if self.content is not None else 0

    def file_dict(self) -> JsonDict:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
            "file_path": self.file_path,
        }


class ChatStatus(enum.Enum):
    """Why sends to a chat fail; the value is the exact Telegram answer."""

    BLOCKED = (403, "Forbidden: bot was blocked by the user")
    DEACTIVATED = (403, "Forbidden: user is deactivated")
    NOT_FOUND = (400, "Bad Request: chat not found")

    def error(self) -> ApiError:
        status, description = self.value
        return ApiError(status, description)


@dataclass(slots=True)
class FailureRule:
    """`fail_next`: the next `times` calls of `method` (optionally to `chat_id`) fail."""

    method: str  # lower-case method name, or "*" for any method
    error: ApiError
    times: int
    chat_id: int | None = None

    def matches(self, method: str, chat_id: Any) -> bool:
        if self.method == "*":
            # "*" means API calls; failing getUpdates too would stall polling with backoff.
            if method == "getupdates":
                return False
        elif self.method != method:
            return False
        return self.chat_id is None or self.chat_id == chat_id


@dataclass(slots=True)
class Stats:
    """Counters for benchmarks; cheap integer increments on the hot path."""

    calls: int = 0  # every API request except getUpdates
    sent: int = 0  # successful send-like calls
    rate_limited: int = 0  # 429 answers
    blocked: int = 0  # 403 answers
    errors: int = 0  # every non-OK answer, including the ones above

    def reset(self) -> None:
        self.calls = self.sent = self.rate_limited = self.blocked = self.errors = 0


class RateLimiter:
    """Flood control for send-like calls: a global sliding window and an optional per-chat one.

    The global window holds timestamps of accepted sends; it is trimmed from the left on every
    check, so each call is amortised O(1).  Only accepted sends count, as a rejected call did
    not deliver anything.
    """

    def __init__(self) -> None:
        self.limit: int | None = None
        self.window = 1.0
        self.retry_after = 1
        self.per_chat = False
        self._accepted: deque[float] = deque()
        self._last_per_chat: dict[int, float] = {}

    @property
    def active(self) -> bool:
        return self.limit is not None or self.per_chat

    def configure(self, per_second: float | None, retry_after: int, per_chat: bool) -> None:
        if per_second is None:
            self.limit = None
        elif per_second <= 0:
            raise ValueError("per_second must be positive (or None to disable)")
        elif per_second >= 1:
            self.limit, self.window = math.floor(per_second), 1.0
        else:
            # Below one per second: one call per 1/per_second seconds.
            self.limit, self.window = 1, 1.0 / per_second
        self.retry_after = retry_after
        self.per_chat = per_chat
        self._accepted.clear()
        self._last_per_chat.clear()

    def check(self, chat_id: int | None, now: float) -> ApiError | None:
        if self.limit is not None:
            accepted = self._accepted
            horizon = now - self.window
            while accepted and accepted[0] <= horizon:
                accepted.popleft()
            if len(accepted) >= self.limit:
                return too_many_requests(self.retry_after)
        if self.per_chat and chat_id is not None:
            last = self._last_per_chat.get(chat_id)
            if last is not None and now - last < 1.0:
                return too_many_requests(self.retry_after)
        return None

    def accept(self, chat_id: int | None, now: float) -> None:
        if self.limit is not None:
            self._accepted.append(now)
        if self.per_chat and chat_id is not None:
            self._last_per_chat[chat_id] = now


class World:
    """Chats, files and chat statuses; the single source of truth of the fake."""

    def __init__(self) -> None:
        self.chats: dict[int, Chat] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.statuses: dict[int, ChatStatus] = {}
        self._file_seq = 0

    def chat(self, chat_id: int) -> Chat:
        chat = self.chats.get(chat_id)
        if chat is None:
            chat = self.chats[chat_id] = Chat(id=chat_id, info=default_chat_info(chat_id))
        return chat

    def register_user(self, user: FakeUser) -> Chat:
        """Make the private chat with `user` show their real name in message objects."""
        chat = self.chat(user.id)
        chat.info = user.chat_dict()
        chat.user = user.to_dict()
        return chat

    def find_message(self, chat_id: Any, message_id: Any) -> ChatMessage | None:
        if not isinstance(chat_id, int) or not isinstance(message_id, int):
            return None
        chat = self.chats.get(chat_id)
        if chat is None:
            return None
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            return None
        return message

    def store_file(
        self,
        content: bytes | None,
        *,
        folder: str,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> StoredFile:
        self._file_seq += 1
        seq = self._file_seq
        extension = ""
        if file_name and "." in file_name:
            extension = file_name[file_name.rindex(".") :]
        stored = StoredFile(
            file_id=f"FAKE{folder[:3].upper()}{seq:08d}",
            file_unique_id=f"U{seq:08d}",
            file_path=f"{folder}/file_{seq}{extension}",
            content=content,
            file_name=file_name,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        self.files_by_path[stored.file_path] = stored
        return stored
