"""/stop (unsubscribe from everything) and /forget (delete the person's data)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from handlers import keyboards
from handlers.callbacks import ForgetCB
from handlers.ui import show
from models import Person
from services import people, topics
from services.broadcasts.worker import DeliveryWorker
from texts import ru


async def cmd_stop(
    message: Message, session: AsyncSession, state: FSMContext, person: Person | None
) -> None:
    await state.clear()
    if person is None:
        await message.answer(ru.NEED_START)
        return
    removed = await topics.unsubscribe_all(session, person.id)
    await message.answer(ru.STOPPED if removed else ru.STOPPED_ALREADY)


async def cmd_forget(message: Message, state: FSMContext, person: Person | None) -> None:
    await state.clear()
    if person is None:
        await message.answer(ru.FORGET_NOTHING)
        return
    await message.answer(ru.FORGET_CONFIRM, reply_markup=keyboards.forget())


async def on_forget_confirmed(
    callback: CallbackQuery,
    session: AsyncSession,
    state: FSMContext,
    settings: Settings,
    delivery_worker: DeliveryWorker,
) -> None:
    await callback.answer()
    deleted = await people.forget(session, callback.from_user.id, settings.tz)
    if deleted:
        delivery_worker.wake()  # whoever moved up from a waiting list is told
    await state.clear()
    await show(callback, ru.FORGOTTEN if deleted else ru.FORGET_NOTHING)


async def on_forget_cancelled(callback: CallbackQuery) -> None:
    await callback.answer()
    await show(callback, ru.FORGET_CANCELLED)


def router() -> Router:
    """This module's handlers on a fresh router (one per dispatcher)."""
    r = Router(name=__name__)
    r.message.register(cmd_stop, Command("stop"))
    r.message.register(cmd_forget, Command("forget"))
    r.callback_query.register(on_forget_confirmed, ForgetCB.filter(F.confirm))
    r.callback_query.register(on_forget_cancelled, ForgetCB.filter(~F.confirm))
    return r
