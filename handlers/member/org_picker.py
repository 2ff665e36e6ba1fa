"""Choosing one's organisation: territorial list, its primaries, search by typing a name.

The step's buttons work while it is open (FSM state OrgSearch.typing); afterwards they only
say so, so an old message can never change the organisation behind the person's back."""

from __future__ import annotations

import contextlib

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from handlers.callbacks import Flow, OrgAction, OrgCB
from handlers.filters import TYPED
from handlers.member import screens
from handlers.states import OrgSearch
from handlers.ui import show
from models import OrgLevel, Person
from services import orgs, people
from services.people import Roles
from texts import ru

MIN_QUERY = 2


async def open_picker(
    callback: CallbackQuery,
    session: AsyncSession,
    state: FSMContext,
    flow: Flow,
    page: int = 0,
    prefix: str = "",
) -> None:
    """Show the territorial list and listen for a typed search until something is chosen."""
    text, markup = await screens.territories(session, flow, page)
    await start_picking(state, flow)
    await show(callback, f"{prefix}{text}", markup)


async def start_picking(state: FSMContext, flow: Flow) -> None:
    """The organisation step is open: its buttons work, typed text searches. Every entry to
    the step (the list, a deep link's «Да, это моя организация») goes through here."""
    await state.set_state(OrgSearch.typing)
    await state.update_data(flow=flow.value)


async def _finish_picking(bot: Bot, chat_id: int, state: FSMContext) -> None:
    """The step is over: search results typed during it lose their buttons."""
    for message_id in (await state.get_data()).get("results", []):
        with contextlib.suppress(TelegramBadRequest):  # deleted, or already without buttons
            await bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id)
    await state.clear()


async def _continue(
    callback: CallbackQuery,
    session: AsyncSession,
    person: Person,
    roles: Roles,
    settings: Settings,
    flow: Flow,
    note: str,
) -> None:
    """Onboarding goes on to topics; a change from the profile returns to the profile."""
    if flow is Flow.ONBOARDING:
        text, markup = await screens.topic_choice(session, person, flow)
    else:
        text, markup = await screens.profile(session, person, roles, settings.tz)
    await show(callback, f"{note}\n\n{text}", markup)


async def on_territories(
    callback: CallbackQuery, callback_data: OrgCB, session: AsyncSession, state: FSMContext
) -> None:
    await callback.answer()
    await open_picker(callback, session, state, callback_data.flow, callback_data.page)


async def on_territory_opened(
    callback: CallbackQuery, callback_data: OrgCB, session: AsyncSession, state: FSMContext
) -> None:
    parent = await orgs.get_by_id(session, callback_data.org_id)
    if parent is None or parent.level is OrgLevel.PRIMARY:
        await callback.answer(ru.ORG_GONE, show_alert=True)
        await open_picker(callback, session, state, callback_data.flow)
        return
    await callback.answer()
    await state.set_state(OrgSearch.typing)
    await state.update_data(flow=callback_data.flow.value)
    text, markup = await screens.primaries(session, parent, callback_data.flow, callback_data.page)
    await show(callback, text, markup)


async def on_org_picked(
    callback: CallbackQuery,
    callback_data: OrgCB,
    session: AsyncSession,
    state: FSMContext,
    person: Person,
    roles: Roles,
    settings: Settings,
    bot: Bot,
) -> None:
    org = await orgs.get_by_id(session, callback_data.org_id)
    if org is None:
        await callback.answer(ru.ORG_GONE, show_alert=True)
        await open_picker(callback, session, state, callback_data.flow)
        return
    await callback.answer()
    await _finish_picking(bot, callback.from_user.id, state)
    await people.set_organization(session, person, org.id)
    note = ru.ORG_SAVED.format(org=await screens.org_title(session, org.id))
    await _continue(callback, session, person, roles, settings, callback_data.flow, note)


async def on_org_skipped(
    callback: CallbackQuery,
    callback_data: OrgCB,
    session: AsyncSession,
    state: FSMContext,
    person: Person,
    roles: Roles,
    settings: Settings,
    bot: Bot,
) -> None:
    await callback.answer()
    await _finish_picking(bot, callback.from_user.id, state)
    await _continue(callback, session, person, roles, settings, callback_data.flow, ru.ORG_SKIPPED)


async def on_org_search(
    message: Message, session: AsyncSession, state: FSMContext, bot: Bot
) -> None:
    query = (message.text or "").strip()
    data = await state.get_data()
    flow = Flow(data.get("flow", Flow.ONBOARDING.value))
    if len(query) < MIN_QUERY:
        await message.answer(ru.SEARCH_TOO_SHORT)
        return
    text, markup = await screens.search_results(session, query, flow, 0)
    # The previous results give way to these: one live set of buttons, not a pile.
    for message_id in data.get("results", []):
        with contextlib.suppress(TelegramBadRequest):
            await bot.edit_message_reply_markup(chat_id=message.chat.id, message_id=message_id)
    sent = await message.answer(text, reply_markup=markup)
    await state.update_data(query=query, results=[sent.message_id])


async def on_search_page(
    callback: CallbackQuery, callback_data: OrgCB, session: AsyncSession, state: FSMContext
) -> None:
    query = str((await state.get_data()).get("query", ""))
    await callback.answer()
    text, markup = await screens.search_results(
        session, query, callback_data.flow, callback_data.page
    )
    await show(callback, text, markup)


async def on_finished_step(callback: CallbackQuery) -> None:
    """A button of the organisation step after the step is over (an old search message, a
    deep link's confirmation answered already): it changes nothing, and loses its keyboard."""
    await callback.answer(ru.STEP_DONE, show_alert=True)
    if isinstance(callback.message, Message):
        with contextlib.suppress(TelegramBadRequest):
            await callback.message.edit_reply_markup(reply_markup=None)


def router() -> Router:
    """This module's handlers on a fresh router (one per dispatcher)."""
    r = Router(name=__name__)
    picking = StateFilter(OrgSearch.typing)
    for handler, action in (
        (on_territories, OrgAction.TERRITORIES),
        (on_territory_opened, OrgAction.OPEN),
        (on_org_picked, OrgAction.PICK),
        (on_org_skipped, OrgAction.SKIP),
        (on_search_page, OrgAction.MORE),
    ):
        r.callback_query.register(handler, OrgCB.filter(F.action == action), picking)
    r.callback_query.register(on_finished_step, OrgCB.filter())  # the step is over
    r.message.register(on_org_search, picking, TYPED)
    return r
