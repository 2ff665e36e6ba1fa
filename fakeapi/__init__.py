"""An in-process fake of the Telegram Bot API for end-to-end tests and benchmarks.

The real bot talks to it over HTTP (`TelegramAPIServer.from_base(fake.base_url)`), while the
test plays the user: it injects updates, waits until the bot has processed them, and looks at
the chat the way the user would see it.  See `FakeTelegram` for the API.
"""

from .server import FakeTelegram
from .state import ApiError, Call, ChatMessage, FakeUser, Stats, UploadedFile
from .updates import UpdateNotProcessedError

__all__ = [
    "ApiError",
    "Call",
    "ChatMessage",
    "FakeTelegram",
    "FakeUser",
    "Stats",
    "UpdateNotProcessedError",
    "UploadedFile",
]
