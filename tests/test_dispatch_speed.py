"""What keeps an update cheap to dispatch: every handler and filter the dispatcher walks is a
coroutine, and the questionnaire's buttons are packed without a model.

aiogram runs a plain callable (an `F…` rule, a bare `State`, a sync handler) in a worker thread
with `asyncio.to_thread`: a thread hop for each check of each update, which under load waits
for the GIL behind the event loop. `handlers.filters.When` and `StateFilter` keep the checks on
the loop; this test keeps every new registration that way.
"""

from __future__ import annotations

from aiogram import F
from aiogram.dispatcher.event.handler import CallableObject
from aiogram.types import Chat, Message

from handlers import build_root_router
from handlers.filters import NOT_COMMAND, PRIVATE, TYPED, When


def _everything_called() -> list[tuple[str, CallableObject]]:
    found: list[tuple[str, CallableObject]] = []
    for router in build_root_router().chain_tail:
        for name, observer in router.observers.items():
            where = f"{router.name}.{name}"
            found.extend((f"{where} router filter", f) for f in observer._handler.filters or [])
            for handler in observer.handlers:
                label = f"{where} {getattr(handler.callback, '__name__', handler.callback)}"
                found.append((label, handler))
                found.extend((f"{label} filter", f) for f in handler.filters or [])
    return found


def test_every_handler_and_filter_runs_on_the_event_loop() -> None:
    called = _everything_called()
    assert len(called) > 50  # the walk found the routers
    in_threads = [label for label, item in called if not item.awaitable]
    assert in_threads == []


def test_a_plain_magic_filter_would_run_in_a_thread() -> None:
    """The check above can fail: aiogram marks a bare `F` rule as not awaitable."""
    from aiogram.dispatcher.event.handler import FilterObject

    assert not FilterObject(F.text).awaitable
    assert FilterObject(When(F.text)).awaitable


def _message(text: str | None, chat_type: str = "private") -> Message:
    return Message.model_validate(
        {
            "message_id": 1,
            "date": 0,
            "chat": Chat(id=5, type=chat_type),
            "text": text,
        }
    )


async def test_when_filters_keep_their_meaning() -> None:
    assert await PRIVATE(_message("привет"))
    assert not await PRIVATE(_message("привет", chat_type="group"))
    assert await TYPED(_message("12"))
    assert not await TYPED(_message("/anketa"))
    assert not await TYPED(_message(None))
    assert await NOT_COMMAND(_message("текст"))
    assert await NOT_COMMAND(_message(None))  # a photo or a document: no text at all
    assert not await NOT_COMMAND(_message("/cancel"))


def test_questionnaire_buttons_pack_as_aiogram_does() -> None:
    """`QCB.packed` (the questionnaire's fast path) writes what `QCB(...).pack()` writes."""
    from handlers.callbacks import QCB, QAction

    for action in QAction:
        for sub, qi, ci in ((1, -1, -1), (123456, 13, 0), (7, 0, 11)):
            packed = QCB.packed(action, sub, qi, ci)
            assert packed == QCB(action=action, sub=sub, qi=qi, ci=ci).pack()
            assert QCB.unpack(packed) == QCB(action=action, sub=sub, qi=qi, ci=ci)
