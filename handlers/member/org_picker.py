"""Choosing one's organisation: territorial list, its primaries, search by typing a name."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from handlers import keyboards
from handlers.callbacks import Flow, OrgAction, OrgCB
from handlers.filters import TYPED
from handlers.member import screens
from handlers.states import OrgSearch
from handlers.ui import show
from models import OrgLevel, Person
from services import orgs, people
from services.people import Roles
from texts import ru
from texts.ru import h

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
    await state.set_state(OrgSearch.typing)
    await state.update_data(flow=flow.value)
    await show(callback, f"{prefix}{text}", markup)


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
) -> None:
    org = await orgs.get_by_id(session, callback_data.org_id)
    if org is None:
        await callback.answer(ru.ORG_GONE, show_alert=True)
        await open_picker(callback, session, state, callback_data.flow)
        return
    await callback.answer()
    await state.clear()
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
) -> None:
    await callback.answer()
    await state.clear()
    await _continue(callback, session, person, roles, settings, callback_data.flow, ru.ORG_SKIPPED)


async def on_org_search(message: Message, session: AsyncSession, state: FSMContext) -> None:
    query = (message.text or "").strip()
    flow = Flow((await state.get_data()).get("flow", Flow.ONBOARDING.value))
    if len(query) < MIN_QUERY:
        await message.answer(ru.SEARCH_TOO_SHORT)
        return
    found = await orgs.search(session, query, limit=keyboards.PAGE_SIZE)
    template = ru.SEARCH_FOUND if found else ru.SEARCH_NOTHING
    await message.answer(
        template.format(query=h(query)), reply_markup=keyboards.search_results(found, flow)
    )


def router() -> Router:
    """This module's handlers on a fresh router (one per dispatcher)."""
    r = Router(name=__name__)
    r.callback_query.register(on_territories, OrgCB.filter(F.action == OrgAction.TERRITORIES))
    r.callback_query.register(on_territory_opened, OrgCB.filter(F.action == OrgAction.OPEN))
    r.callback_query.register(on_org_picked, OrgCB.filter(F.action == OrgAction.PICK))
    r.callback_query.register(on_org_skipped, OrgCB.filter(F.action == OrgAction.SKIP))
    r.message.register(on_org_search, StateFilter(OrgSearch.typing), TYPED)
    return r
