"""/events for everyone: upcoming events and one's registrations, «Записаться» and its
cancellation, check-in by code, the feedback question."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from handlers.callbacks import EvAction, EvCB
from handlers.filters import TYPED, When
from handlers.later import Later
from handlers.states import EventFeedback
from handlers.ui import send, show
from models import Event, Person
from services import events
from services.people import Roles
from texts import events as texts

CODE = When(F.text.regexp(r"^\s*\d{6}\s*$"))
ORGANISER_ACTIONS = (
    EvAction.CARD,
    EvAction.ATTENDANCE,
    EvAction.MARK,
    EvAction.XLSX,
    EvAction.CANCEL_ASK,
    EvAction.CANCEL_DO,
)


def _b(text: str, data: EvCB) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def leave_markup(event_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_b(texts.LEAVE, EvCB(action=EvAction.LEAVE, event=event_id))]]
    )


def join_markup(event_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_b(texts.JOIN, EvCB(action=EvAction.JOIN, event=event_id))]]
    )


def feedback_markup(event_id: int) -> dict[str, object]:
    """The 1–5 buttons under the feedback question (the sweep puts them on a broadcast)."""
    row = [_b(str(n), EvCB(action=EvAction.RATE, event=event_id, value=n)) for n in range(1, 6)]
    return InlineKeyboardMarkup(inline_keyboard=[row]).model_dump(exclude_none=True)


async def send_confirmation(
    bot: Bot, chat_id: int, event: Event, settings: Settings, text: str
) -> None:
    """The confirmation with the calendar file and the way to cancel."""
    await bot.send_document(
        chat_id,
        BufferedInputFile(events.ics(event), filename=texts.ICS_NAME.format(id=event.id)),
        caption=text.format(
            title=events.escape(event.title),
            when=events.when_text(event, settings.tz),
            place=events.escape(event.place),
        ),
        reply_markup=leave_markup(event.id),
    )


async def cmd_events(
    message: Message, session: AsyncSession, person: Person, roles: Roles, settings: Settings
) -> None:
    mine = await events.my_registrations(session, person)
    mine_ids = {event.id for event, _ in mine}
    open_events = [e for e in await events.upcoming(session, person) if e.id not in mine_ids]
    lines = [texts.LIST_TITLE]
    rows: list[list[InlineKeyboardButton]] = []
    for event in open_events:
        lines.append(
            texts.LIST_OPEN.format(
                when=events.when_text(event, settings.tz), title=events.escape(event.title)
            )
        )
        rows.append(
            [_b(f"{texts.JOIN}: {event.title[:40]}", EvCB(action=EvAction.JOIN, event=event.id))]
        )
    if mine:
        lines.append(texts.LIST_MINE)
        for event, status in mine:
            lines.append(
                texts.LIST_ITEM.format(
                    when=events.when_text(event, settings.tz),
                    title=events.escape(event.title),
                    status=texts.STATUS_TITLES[status],
                )
            )
            rows.append(
                [
                    _b(
                        f"{texts.LEAVE}: {event.title[:40]}",
                        EvCB(action=EvAction.LEAVE, event=event.id),
                    )
                ]
            )
    if roles.is_admin:
        managed = await events.managed(session, roles)
        if managed:
            lines.append(texts.MANAGE_TITLE)
            for event in managed:
                rows.append(
                    [_b(f"⚙ {event.title[:50]}", EvCB(action=EvAction.CARD, event=event.id))]
                )
    if len(lines) == 1:
        lines.append(texts.LIST_EMPTY)
    await message.answer("\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))


# A tap that registers nobody, and what the person is told.
REFUSALS = {
    events.Joined.CLOSED: texts.CLOSED,
    events.Joined.OUTSIDE: texts.OUTSIDE,
    events.Joined.ALREADY: texts.ALREADY,
}


async def on_join(
    callback: CallbackQuery,
    callback_data: EvCB,
    session: AsyncSession,
    person: Person,
    settings: Settings,
    bot: Bot,
    later: Later,
) -> None:
    outcome = await events.register(session, callback_data.event, person)
    refusal = REFUSALS.get(outcome)
    if refusal is not None:
        await callback.answer(refusal, show_alert=True)
        return
    await callback.answer()
    # From the session's identity map: `register` has just loaded it (no second query).
    event = await session.get(Event, callback_data.event)
    assert event is not None
    # The seat is committed: the message about it follows once the tap is answered.
    if outcome is events.Joined.WAITING:
        later.run(
            bot.send_message(
                callback.from_user.id,
                texts.WAITING.format(title=events.escape(event.title)),
                reply_markup=leave_markup(event.id),
            ),
            f"event {event.id}: waiting-list notice",
        )
        return
    later.run(
        send_confirmation(bot, callback.from_user.id, event, settings, texts.REGISTERED),
        f"event {event.id}: confirmation",
    )


async def on_leave(
    callback: CallbackQuery,
    callback_data: EvCB,
    session: AsyncSession,
    person: Person,
    settings: Settings,
    bot: Bot,
    later: Later,
) -> None:
    left = await events.cancel_registration(session, callback_data.event, person.id)
    event = await events.get(session, callback_data.event)
    if left.was is None or event is None:
        closed = event is None or not events.is_open(event, events.utcnow())
        await callback.answer(texts.CLOSED if closed else texts.NOTHING_TO_CANCEL, show_alert=True)
        return
    await callback.answer()
    await send(
        callback, texts.LEFT.format(title=events.escape(event.title)), join_markup(event.id)
    )
    if left.promoted_telegram_id is not None:
        later.run(
            send_confirmation(bot, left.promoted_telegram_id, event, settings, texts.PROMOTED),
            f"event {event.id}: promotion",
        )


async def on_not_organiser(callback: CallbackQuery) -> None:
    await callback.answer(texts.NOT_YOURS, show_alert=True)


async def on_code(message: Message, session: AsyncSession, person: Person) -> None:
    event = await events.check_in(session, person, (message.text or "").strip())
    if event is None:
        raise SkipHandler  # not a code of a running event of theirs: the fallback answers
    await message.answer(texts.CHECKED_IN.format(title=events.escape(event.title)))


async def on_rate(
    callback: CallbackQuery,
    callback_data: EvCB,
    session: AsyncSession,
    person: Person,
    state: FSMContext,
) -> None:
    if not await events.rate(session, callback_data.event, person.id, callback_data.value):
        await callback.answer(texts.FEEDBACK_CLOSED, show_alert=True)
        return
    await callback.answer()
    await state.set_state(EventFeedback.comment)
    await state.set_data({"event": callback_data.event})
    await show(
        callback,
        texts.FEEDBACK_THANKS,
        InlineKeyboardMarkup(
            inline_keyboard=[
                [_b(texts.FEEDBACK_SKIP, EvCB(action=EvAction.SKIP, event=callback_data.event))]
            ]
        ),
    )


async def on_skip(callback: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await callback.answer()
    await show(callback, texts.FEEDBACK_DONE)


async def on_comment(
    message: Message, session: AsyncSession, person: Person, state: FSMContext
) -> None:
    event_id = int((await state.get_data()).get("event", 0))
    await state.clear()
    await events.comment(session, event_id, person.id, message.text or "")
    await message.answer(texts.FEEDBACK_DONE)


def router() -> Router:
    """This module's handlers on a fresh router (one per dispatcher)."""
    r = Router(name=__name__)
    r.message.register(cmd_events, Command("events"))
    r.message.register(on_comment, StateFilter(EventFeedback.comment), TYPED)
    r.message.register(on_code, StateFilter(None), CODE)
    r.callback_query.register(on_join, EvCB.filter(F.action == EvAction.JOIN))
    r.callback_query.register(on_leave, EvCB.filter(F.action == EvAction.LEAVE))
    r.callback_query.register(on_rate, EvCB.filter(F.action == EvAction.RATE))
    r.callback_query.register(on_skip, EvCB.filter(F.action == EvAction.SKIP))
    r.callback_query.register(on_not_organiser, EvCB.filter(F.action.in_(ORGANISER_ACTIONS)))
    return r
