"""/materials: categories with counts → a page of a category → the material itself (by its
stored file_id); typed words search titles and descriptions."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import material_views as views
from handlers.callbacks import MatAction, MatCB
from handlers.filters import TYPED
from handlers.states import MaterialBrowse
from handlers.ui import send, show
from models import Material, Person
from services import material_files, materials, orgs
from services.people import Roles
from texts import materials as t


async def _screen(callback: CallbackQuery, text: str, markup: InlineKeyboardMarkup) -> None:
    """In place of a text screen; below a material (a document has no text to edit)."""
    if isinstance(callback.message, Message) and callback.message.text is None:
        await send(callback, text, markup)
    else:
        await show(callback, text, markup)


async def cmd_materials(
    message: Message, session: AsyncSession, person: Person, roles: Roles, state: FSMContext
) -> None:
    who = await materials.viewer(session, person, roles)
    await state.set_state(MaterialBrowse.typing)
    await state.set_data({})
    text, markup = views.menu(await materials.category_counts(session, who))
    await message.answer(text, reply_markup=markup)


async def on_menu(
    callback: CallbackQuery, session: AsyncSession, person: Person, roles: Roles, state: FSMContext
) -> None:
    await callback.answer()
    who = await materials.viewer(session, person, roles)
    await state.set_state(MaterialBrowse.typing)
    text, markup = views.menu(await materials.category_counts(session, who))
    await _screen(callback, text, markup)


async def on_category(
    callback: CallbackQuery,
    callback_data: MatCB,
    session: AsyncSession,
    person: Person,
    roles: Roles,
    state: FSMContext,
) -> None:
    category = await materials.get_category(session, callback_data.id)
    if category is None:
        await callback.answer(t.GONE, show_alert=True)
        return
    await callback.answer()
    await state.set_state(MaterialBrowse.typing)
    who = await materials.viewer(session, person, roles)
    page = await materials.list_page(session, who, category.id, callback_data.page)
    text, markup = views.category_page(category, page)
    await _screen(callback, text, markup)


async def on_search(
    message: Message, session: AsyncSession, person: Person, roles: Roles, state: FSMContext
) -> None:
    query = (message.text or "").strip()
    if not materials.search_words(query):
        await message.answer(t.SEARCH_EMPTY)
        return
    await state.update_data(query=query[:200])
    who = await materials.viewer(session, person, roles)
    text, markup = views.found(query, await materials.search(session, who, query, 0))
    await message.answer(text, reply_markup=markup)


async def on_found_page(
    callback: CallbackQuery,
    callback_data: MatCB,
    session: AsyncSession,
    person: Person,
    roles: Roles,
    state: FSMContext,
) -> None:
    query = str((await state.get_data()).get("query", ""))
    if not query:
        await callback.answer(t.SEARCH_EMPTY, show_alert=True)
        return
    await callback.answer()
    who = await materials.viewer(session, person, roles)
    page = await materials.search(session, who, query, callback_data.page)
    text, markup = views.found(query, page)
    await show(callback, text, markup)


async def show_card(
    callback: CallbackQuery, session: AsyncSession, material: Material, *, new: bool
) -> None:
    """An admin's card of a material they manage (a new message under the file, or in place)."""
    category = await materials.get_category(session, material.category_id)
    assert category is not None
    territory = (
        await orgs.get_by_id(session, material.territory_id) if material.territory_id else None
    )
    text, markup = views.card(material, category, territory.name if territory else t.REGIONAL)
    if new and callback.bot is not None:
        await callback.bot.send_message(callback.from_user.id, text, reply_markup=markup)
    else:
        await show(callback, text, markup)


async def on_open(
    callback: CallbackQuery,
    callback_data: MatCB,
    session: AsyncSession,
    person: Person,
    roles: Roles,
    bot: Bot,
) -> None:
    who = await materials.viewer(session, person, roles)
    material = await materials.visible(session, who, callback_data.id)
    if material is None:
        await callback.answer(t.GONE, show_alert=True)
        return
    await callback.answer()
    category = await materials.get_category(session, material.category_id)
    assert category is not None
    manager = who.may_manage(material)
    try:
        await material_files.send(
            bot,
            material,
            callback.from_user.id,
            views.caption(material, category),
            None if manager else views.after_open(material),
        )
    except TelegramBadRequest:
        await bot.send_message(callback.from_user.id, t.SEND_FAILED)
        return
    await materials.count_opening(session, material.id)
    if manager:
        await session.refresh(material)
        await show_card(callback, session, material, new=True)


def router() -> Router:
    """This module's handlers on a fresh router (one per dispatcher)."""
    r = Router(name=__name__)
    r.message.register(cmd_materials, Command("materials"))
    r.message.register(on_search, StateFilter(MaterialBrowse.typing), TYPED)
    r.callback_query.register(on_menu, MatCB.filter(F.action == MatAction.MENU))
    r.callback_query.register(on_category, MatCB.filter(F.action == MatAction.CATEGORY))
    r.callback_query.register(on_found_page, MatCB.filter(F.action == MatAction.FOUND))
    r.callback_query.register(on_open, MatCB.filter(F.action == MatAction.OPEN))
    return r
