"""/broadcast: compose (message → kind → topics → audience → preview) and send or schedule."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from aiogram import Bot, F, Router
from aiogram.enums import ContentType
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from handlers.admin import broadcast_views as views
from handlers.callbacks import BcCB, BcStep
from handlers.filters import NOT_COMMAND, TYPED
from handlers.states import BroadcastCompose
from handlers.ui import show
from models import Audience, Broadcast, BroadcastKind, OrgLevel, utcnow
from services import orgs, topics
from services.audit import Actor
from services.broadcasts import compose, outbox
from services.broadcasts.sending import send_copy
from services.broadcasts.worker import DeliveryWorker
from services.people import Roles
from texts import ru

TIME_FORMAT = "%d.%m.%Y %H:%M"
# What copyMessage can deliver (invoices, giveaways, paid media and service messages cannot).
COPYABLE = frozenset(
    {
        ContentType.TEXT,
        ContentType.PHOTO,
        ContentType.VIDEO,
        ContentType.DOCUMENT,
        ContentType.AUDIO,
        ContentType.VOICE,
        ContentType.ANIMATION,
        ContentType.VIDEO_NOTE,
        ContentType.STICKER,
        ContentType.LOCATION,
        ContentType.VENUE,
        ContentType.CONTACT,
        ContentType.POLL,
        ContentType.DICE,
    }
)
MAX_SCHEDULE_DAYS = 60

# Album parts arrive as separate updates at the same instant; appending them to the draft must
# not interleave (one process polls; a webhook farm would route one chat to one replica).
_album_locks: dict[int, asyncio.Lock] = {}


async def cmd_broadcast(
    message: Message, session: AsyncSession, state: FSMContext, roles: Roles
) -> None:
    assert message.from_user is not None
    draft = await compose.start_draft(session, message.from_user.id, roles)
    await state.set_state(BroadcastCompose.message)
    await state.set_data({"draft": draft.id})
    text, markup = views.ask_message(draft.id)
    await message.answer(text, reply_markup=markup)


async def on_source_message(message: Message, session: AsyncSession, state: FSMContext) -> None:
    assert message.from_user is not None
    data = await state.get_data()
    draft = await compose.get_draft(session, int(data.get("draft", 0)), message.from_user.id)
    if draft is None:
        await state.clear()
        await message.answer(ru.BC_STALE_DRAFT)
        return
    if message.content_type not in COPYABLE:
        await message.answer(ru.BC_NOT_COPYABLE)
        return
    album = message.media_group_id
    lock = _album_locks.setdefault(message.chat.id, asyncio.Lock())
    async with lock:
        await session.refresh(draft)
        if album and data.get("album") == album:
            # A further part of the album whose first part was already answered.
            await compose.set_source(
                session, draft, message.chat.id, [*draft.source_message_ids, message.message_id]
            )
            return
        await compose.set_source(
            session,
            draft,
            message.chat.id,
            [message.message_id],
            message.text or message.caption or "",
        )
        await state.update_data(album=album)
    text, markup = views.choose_kind(draft.id)
    await message.answer(text, reply_markup=markup)


async def _draft(callback: CallbackQuery, data: BcCB, session: AsyncSession) -> Broadcast | None:
    """The draft a button names, if it is still this admin's draft; answers otherwise."""
    draft = await compose.get_draft(session, data.draft, callback.from_user.id)
    if draft is None:
        await callback.answer(ru.BC_STALE_DRAFT, show_alert=True)
    return draft


async def _show_topics(callback: CallbackQuery, session: AsyncSession, draft: Broadcast) -> None:
    chosen = await compose.topic_ids(session, draft.id)
    text, markup = views.choose_topics(draft.id, await topics.list_topics(session), chosen)
    await show(callback, text, markup)


async def on_kind(
    callback: CallbackQuery, callback_data: BcCB, session: AsyncSession, state: FSMContext
) -> None:
    draft = await _draft(callback, callback_data, session)
    if draft is None:
        return
    try:
        kind = BroadcastKind(callback_data.value)
    except ValueError:
        await callback.answer(ru.STALE_BUTTON, show_alert=True)
        return
    await callback.answer()
    await state.clear()  # the message is chosen: further messages are not part of it
    await compose.set_kind(session, draft, kind)
    await _show_topics(callback, session, draft)


async def on_topic(callback: CallbackQuery, callback_data: BcCB, session: AsyncSession) -> None:
    draft = await _draft(callback, callback_data, session)
    if draft is None:
        return
    if not callback_data.value.isdigit() or (
        await compose.toggle_topic(session, draft, int(callback_data.value)) is None
    ):
        await callback.answer(ru.STALE_BUTTON, show_alert=True)
        return
    await callback.answer()
    await _show_topics(callback, session, draft)


async def on_topics_done(
    callback: CallbackQuery, callback_data: BcCB, session: AsyncSession
) -> None:
    draft = await _draft(callback, callback_data, session)
    if draft is None:
        return
    if not await compose.topic_ids(session, draft.id):
        await callback.answer(ru.BC_NEED_TOPIC, show_alert=True)
        return
    await callback.answer()
    text, markup = views.choose_audience(draft)
    await show(callback, text, markup)


async def on_territories(
    callback: CallbackQuery, callback_data: BcCB, session: AsyncSession
) -> None:
    draft = await _draft(callback, callback_data, session)
    if draft is None:
        return
    await callback.answer()
    text, markup = await views.territories(
        session, draft, callback_data.value or Audience.TERRITORY, callback_data.page
    )
    await show(callback, text, markup)


async def on_primaries(
    callback: CallbackQuery, callback_data: BcCB, session: AsyncSession
) -> None:
    draft = await _draft(callback, callback_data, session)
    if draft is None:
        return
    territory = await orgs.get_by_id(session, callback_data.org_id)
    if (
        territory is None
        or territory.level is not OrgLevel.TERRITORIAL
        or (draft.territory_id is not None and territory.id != draft.territory_id)
    ):
        await callback.answer(ru.BC_ORG_OUTSIDE, show_alert=True)
        return
    await callback.answer()
    text, markup = await views.primaries(session, draft, territory, callback_data.page)
    await show(callback, text, markup)


async def on_audience(
    callback: CallbackQuery, callback_data: BcCB, session: AsyncSession, bot: Bot
) -> None:
    """A whole-audience choice (everyone, officers) or an organisation picked from a list."""
    draft = await _draft(callback, callback_data, session)
    if draft is None:
        return
    try:
        audience = Audience(callback_data.value)
    except ValueError:
        await callback.answer(ru.STALE_BUTTON, show_alert=True)
        return
    if not await compose.set_audience(session, draft, audience, callback_data.org_id or None):
        await callback.answer(ru.BC_ORG_OUTSIDE, show_alert=True)
        return
    await callback.answer()
    await _preview(callback, session, bot, draft)


async def _preview(
    callback: CallbackQuery, session: AsyncSession, bot: Bot, draft: Broadcast
) -> None:
    """The message exactly as members get it, then the figures and the choices."""
    try:
        await send_copy(bot, draft, callback.from_user.id, disable_notification=True)
    except TelegramBadRequest as error:
        await show(callback, ru.BC_PREVIEW_FAILED.format(reason=error.message))
        return
    count = await compose.recipient_count(session, draft)
    text, markup = await views.preview(session, draft, count)
    # A new message below the copy: the preview must sit under what it describes.
    await bot.send_message(callback.from_user.id, text, reply_markup=markup)
    await show(
        callback, ru.BC_AUDIENCE_CHOSEN.format(audience=await views.audience_line(session, draft))
    )


async def on_send_now(
    callback: CallbackQuery,
    callback_data: BcCB,
    session: AsyncSession,
    bot: Bot,
    delivery_worker: DeliveryWorker,
    actor: Actor | None,
) -> None:
    draft = await _draft(callback, callback_data, session)
    if draft is None:
        return
    await callback.answer()
    await outbox.enqueue(session, draft.id, actor)
    text, markup = views.render_progress(await outbox.stats(session, draft.id))
    await show(callback, text, markup)
    if callback.message is not None:
        await compose.set_progress_message(
            session, draft, callback.from_user.id, callback.message.message_id
        )
    delivery_worker.wake()


async def on_schedule(
    callback: CallbackQuery,
    callback_data: BcCB,
    session: AsyncSession,
    state: FSMContext,
    settings: Settings,
) -> None:
    draft = await _draft(callback, callback_data, session)
    if draft is None:
        return
    await callback.answer()
    await state.set_state(BroadcastCompose.schedule_time)
    await state.set_data({"draft": draft.id})
    await show(
        callback,
        ru.BC_ASK_TIME.format(tz=settings.timezone, example=_example(settings)),
        views.ask_message(draft.id)[1],
    )


def _example(settings: Settings) -> str:
    tomorrow = utcnow().astimezone(settings.tz) + timedelta(days=1)
    return tomorrow.replace(hour=10, minute=0).strftime(TIME_FORMAT)


def parse_time(text: str, settings: Settings, now: datetime) -> datetime | str:
    """The moment typed by the admin in the configured timezone, or the Russian complaint."""
    try:
        local = datetime.strptime(text.strip(), TIME_FORMAT).replace(tzinfo=settings.tz)
    except ValueError:
        return ru.BC_BAD_TIME.format(example=_example(settings))
    if local <= now:
        return ru.BC_PAST_TIME
    if local - now > timedelta(days=MAX_SCHEDULE_DAYS):
        return ru.BC_FAR_TIME.format(days=MAX_SCHEDULE_DAYS)
    return local


async def on_schedule_time(
    message: Message,
    session: AsyncSession,
    state: FSMContext,
    settings: Settings,
    actor: Actor | None,
) -> None:
    assert message.from_user is not None
    draft = await compose.get_draft(
        session, int((await state.get_data()).get("draft", 0)), message.from_user.id
    )
    if draft is None:
        await state.clear()
        await message.answer(ru.BC_STALE_DRAFT)
        return
    when = parse_time(message.text or "", settings, utcnow().astimezone(settings.tz))
    if isinstance(when, str):
        await message.answer(when)
        return
    await state.clear()
    await compose.schedule(session, draft, when, actor)
    snapshot = await outbox.stats(session, draft.id)
    text = views.progress_text(snapshot, when.strftime(TIME_FORMAT))
    sent = await message.answer(
        ru.BC_SCHEDULED.format(id=draft.id, when=when.strftime(TIME_FORMAT), tz=settings.timezone)
        + "\n\n"
        + text,
        reply_markup=views.render_progress(snapshot)[1],
    )
    await compose.set_progress_message(session, draft, message.chat.id, sent.message_id)


async def on_change(callback: CallbackQuery, callback_data: BcCB, session: AsyncSession) -> None:
    draft = await _draft(callback, callback_data, session)
    if draft is None:
        return
    await callback.answer()
    text, markup = views.choose_kind(draft.id)
    await show(callback, text, markup)


async def on_replace(
    callback: CallbackQuery, callback_data: BcCB, session: AsyncSession, state: FSMContext
) -> None:
    draft = await _draft(callback, callback_data, session)
    if draft is None:
        return
    await callback.answer()
    await state.set_state(BroadcastCompose.message)
    await state.set_data({"draft": draft.id})
    text, markup = views.ask_message(draft.id)
    await show(callback, text, markup)


async def on_cancel(
    callback: CallbackQuery, callback_data: BcCB, session: AsyncSession, state: FSMContext
) -> None:
    await state.clear()
    draft = await _draft(callback, callback_data, session)
    if draft is None:
        return
    await callback.answer()
    await compose.discard(session, draft)
    await show(callback, ru.BC_CANCELLED_DRAFT)


def router() -> Router:
    """This module's handlers on a fresh router (one per dispatcher)."""
    r = Router(name=__name__)
    r.message.register(cmd_broadcast, Command("broadcast"))
    r.message.register(on_source_message, StateFilter(BroadcastCompose.message), NOT_COMMAND)
    r.message.register(on_schedule_time, StateFilter(BroadcastCompose.schedule_time), TYPED)
    steps: dict[BcStep, Callable[..., Awaitable[None]]] = {
        BcStep.KIND: on_kind,
        BcStep.TOPIC: on_topic,
        BcStep.TOPICS_DONE: on_topics_done,
        BcStep.TERRITORIES: on_territories,
        BcStep.PRIMARIES: on_primaries,
        BcStep.AUDIENCE: on_audience,
        BcStep.ORG: on_audience,
        BcStep.SEND: on_send_now,
        BcStep.SCHEDULE: on_schedule,
        BcStep.CHANGE: on_change,
        BcStep.REPLACE: on_replace,
        BcStep.CANCEL: on_cancel,
    }
    for step, handler in steps.items():
        r.callback_query.register(handler, BcCB.filter(F.step == step))
    return r
