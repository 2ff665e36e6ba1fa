"""/broadcasts and the buttons on a broadcast's card: pause, resume, cancel, recall."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from handlers.admin import broadcast_views as views
from handlers.callbacks import BcControl, BcControlCB
from handlers.ui import send, show
from services.audit import Actor
from services.broadcasts import compose, outbox
from services.broadcasts.worker import DeliveryWorker
from services.people import Roles
from texts import ru

LIST_SIZE = 10


async def cmd_broadcasts(
    message: Message, session: AsyncSession, roles: Roles, settings: Settings
) -> None:
    items = []
    for broadcast in await compose.recent(session, roles, LIST_SIZE):
        snapshot = await outbox.stats(session, broadcast.id)
        titles = await compose.topic_titles(session, broadcast.id)
        moment = broadcast.started_at or broadcast.scheduled_at or broadcast.created_at
        items.append((snapshot, titles, moment.astimezone(settings.tz).strftime("%d.%m %H:%M")))
    text, markup = views.broadcast_list(items)
    await message.answer(text, reply_markup=markup)


async def on_control(
    callback: CallbackQuery,
    callback_data: BcControlCB,
    session: AsyncSession,
    roles: Roles,
    delivery_worker: DeliveryWorker,
    actor: Actor | None,
) -> None:
    broadcast = await compose.manageable(session, callback_data.broadcast, roles)
    if broadcast is None:
        await callback.answer(ru.BC_FOREIGN, show_alert=True)
        return
    action = callback_data.action
    if action is BcControl.OPEN:
        await callback.answer()
        text, markup = views.render_progress(await outbox.stats(session, broadcast.id))
        await send(callback, text, markup)
        return
    if action in (BcControl.RECALL, BcControl.RECALL_YES) and broadcast.recall_status is not None:
        # Another card of the same broadcast (or a second tap): said, and this card updated.
        await callback.answer(ru.BC_RECALL_ALREADY, show_alert=True)
        await show(callback, *views.render_progress(await outbox.stats(session, broadcast.id)))
        return
    if action is BcControl.RECALL:
        await callback.answer()
        text, markup = views.recall_confirm(broadcast.id)
        await send(callback, text, markup)
        return
    if action is BcControl.RECALL_NO:
        await callback.answer()
        await show(callback, ru.FORGET_CANCELLED)
        return
    note = await _apply(session, broadcast.id, action, actor)
    await callback.answer(note)
    delivery_worker.wake()
    if action is BcControl.RECALL_YES:
        await show(
            callback,
            ru.BC_RECALL_STARTED.format(id=broadcast.id)
            if note != ru.BC_RECALL_UNAVAILABLE
            else note,
        )
        return
    text, markup = views.render_progress(await outbox.stats(session, broadcast.id))
    await show(callback, text, markup)


async def _apply(
    session: AsyncSession, broadcast_id: int, action: BcControl, actor: Actor | None
) -> str:
    """Carry out pause, resume, cancel or recall; the short note for the button's answer."""
    if action is BcControl.PAUSE:
        await outbox.set_paused(session, broadcast_id, True, actor)
        return ru.BC_PAUSED
    if action is BcControl.RESUME:
        await outbox.set_paused(session, broadcast_id, False, actor)
        return ru.BC_RESUMED
    if action is BcControl.CANCEL:
        await outbox.cancel(session, broadcast_id, actor)
        return ru.BC_CANCELLED
    if await outbox.request_recall(session, broadcast_id, actor):
        return ru.BC_RECALL_STARTED.format(id=broadcast_id)
    return ru.BC_RECALL_UNAVAILABLE


def router() -> Router:
    """This module's handlers on a fresh router (one per dispatcher)."""
    r = Router(name=__name__)
    r.message.register(cmd_broadcasts, Command("broadcasts"))
    r.callback_query.register(on_control, BcControlCB.filter())
    return r
