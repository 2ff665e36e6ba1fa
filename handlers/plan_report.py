"""«Отметить выполнение» under a plan reminder: the responsible person's short report (text,
optionally a link, photo or document), which sets the item done for that period.

Registered before the role routers: a responsible person may be an admin, and the admin
routers would otherwise take their report (a document) for a directory file.
"""

from __future__ import annotations

import re

from aiogram import Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from handlers.callbacks import PlanAction, PlanCB
from handlers.filters import NOT_COMMAND, PRIVATE, Registered
from handlers.states import PlanReporting
from handlers.ui import send
from models import Person, PlanItem, PlanState, utcnow
from services.plan import items
from services.plan.due import OPEN_KEY, period_label
from services.plan.people import responsible_people
from texts import plan as texts

_URL = re.compile(r"https?://\S+")
REPORT_MAX = 3000


async def _mark_button(event: CallbackQuery) -> bool:
    data = event.data or ""
    return data.startswith(f"{PlanCB.__prefix__}{PlanCB.__separator__}{PlanAction.MARK.value}:")


async def on_mark_pressed(
    callback: CallbackQuery,
    callback_data: PlanCB,
    session: AsyncSession,
    person: Person,
    state: FSMContext,
) -> None:
    refusal = await _refusal(session, callback_data, person)
    if refusal is not None:
        await callback.answer(texts.REFUSED[refusal], show_alert=True)
        return
    item = await session.get(PlanItem, callback_data.item_id)
    assert item is not None
    await state.set_state(PlanReporting.text)
    await state.update_data(plan_item=item.id, plan_period=callback_data.period)
    cancel = InlineKeyboardButton(
        text=texts.BTN_CANCEL,
        callback_data=PlanCB(action=PlanAction.ABORT, item_id=item.id).pack(),
    )
    await callback.answer()
    await send(
        callback,
        texts.REPORT_ASK.format(number=item.number, label=period_label(callback_data.period)),
        InlineKeyboardMarkup(inline_keyboard=[[cancel]]),
    )


async def _refusal(session: AsyncSession, data: PlanCB, person: Person) -> str | None:
    """Why this person may not report this item's period now, or None."""
    item = await session.get(PlanItem, data.item_id)
    if item is None:
        return "no_item"
    if item.state is PlanState.CANCELLED:
        return "cancelled"
    if person.id not in await responsible_people(session, item.id):
        return "not_responsible"
    views = [v for v in await items.item_views(session, item.plan_id) if v.item.id == item.id]
    period = next((p for p in views[0].periods if p.key == data.period), None)
    if period is None:
        return "no_period"
    if period.done_at is not None and period.key != OPEN_KEY:
        return "already_done"
    return None


async def on_report_aborted(callback: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await callback.answer()
    await send(callback, texts.REPORT_CANCELLED)


async def _abort_button(event: CallbackQuery, state: FSMContext) -> bool:
    data = event.data or ""
    prefix = f"{PlanCB.__prefix__}{PlanCB.__separator__}{PlanAction.ABORT.value}:"
    return data.startswith(prefix) and await state.get_state() == PlanReporting.text.state


async def on_report(
    message: Message,
    session: AsyncSession,
    person: Person,
    state: FSMContext,
    settings: Settings,
) -> None:
    data = await state.get_data()
    item_id, period = int(data.get("plan_item", 0)), str(data.get("plan_period", ""))
    text = (message.text or message.caption or "").strip()[:REPORT_MAX]
    file_id = file_kind = None
    if message.photo:
        file_id, file_kind = message.photo[-1].file_id, "photo"
    elif message.document:
        file_id, file_kind = message.document.file_id, "document"
    if not text and file_id is None:
        await message.answer(texts.REPORT_EMPTY)
        return
    link = _URL.search(text)
    try:
        await items.mark_done(
            session,
            item_id,
            period,
            by_person_id=person.id,
            report_text=text,
            today=utcnow().astimezone(settings.tz).date(),
            link=link.group(0)[:500] if link else None,
            file_id=file_id,
            file_kind=file_kind,
        )
    except items.MarkError as error:
        await state.clear()
        await message.answer(texts.REFUSED[error.reason.value])
        return
    await state.clear()
    item = await session.get(PlanItem, item_id)
    number = item.number if item else 0
    if period == OPEN_KEY:
        await message.answer(texts.REPORT_SAVED_OPEN.format(number=number))
    else:
        await message.answer(texts.REPORT_SAVED.format(number=number, label=period_label(period)))


def router() -> Router:
    """This module's handlers on a fresh router (one per dispatcher)."""
    r = Router(name=__name__)
    r.message.filter(PRIVATE, Registered())
    r.callback_query.filter(Registered())
    r.callback_query.register(on_mark_pressed, _mark_button, PlanCB.filter())
    r.callback_query.register(on_report_aborted, _abort_button)
    r.message.register(on_report, StateFilter(PlanReporting.text), NOT_COMMAND)
    return r


def notice_markup(overdue: bool, item: PlanItem, period: str) -> dict[str, object]:
    """The button under a plan notice (the sweep puts it on the broadcast): «Отметить
    выполнение» for the responsible person, the item's screen for the regional admins told
    it is overdue."""
    if overdue:
        data = PlanCB(action=PlanAction.ITEM, item_id=item.id)
        text = texts.BTN_OPEN_ITEM.format(number=item.number)
    else:
        data = PlanCB(action=PlanAction.MARK, item_id=item.id, period=period)
        text = texts.BTN_MARK
    button = InlineKeyboardButton(text=text, callback_data=data.pack())
    return InlineKeyboardMarkup(inline_keyboard=[[button]]).model_dump(exclude_none=True)
