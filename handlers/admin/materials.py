"""/material_add and the admin's card of a material: rename, recategorise, hide, delete,
announce to the «Обучение и семинары» topic."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from html import escape

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from handlers import material_views as views
from handlers.callbacks import MatAction, MatCB
from handlers.filters import NOT_COMMAND, TYPED
from handlers.member.materials import show_card
from handlers.states import MaterialAdd, MaterialBrowse
from handlers.ui import show
from models import Material, MaterialAudience, MaterialCategory, MaterialKind
from services import material_files, materials, orgs
from services.audit import Actor
from services.broadcasts.worker import DeliveryWorker
from services.people import Roles
from texts import materials as t

URL = re.compile(r"https?://\S+", re.IGNORECASE)


def content_of(message: Message) -> materials.Content | None:
    """What the admin sent (or forwarded), or None when it is no material."""
    caption = (message.caption or "").strip()
    if message.document is not None:
        d = message.document
        return materials.Content(
            MaterialKind.DOCUMENT, d.file_id, d.file_unique_id, d.file_name, d.mime_type,
            d.file_size, caption=caption,
        )  # fmt: skip
    if message.video is not None:
        v = message.video
        return materials.Content(
            MaterialKind.VIDEO, v.file_id, v.file_unique_id, v.file_name, v.mime_type,
            v.file_size, caption=caption,
        )  # fmt: skip
    if message.photo:
        p = message.photo[-1]
        return materials.Content(
            MaterialKind.PHOTO, p.file_id, p.file_unique_id, None, "image/jpeg", p.file_size,
            caption=caption,
        )  # fmt: skip
    found = URL.search(message.text or "")
    if found is not None:
        rest = (message.text or "").replace(found.group(0), " ")
        return materials.Content(
            MaterialKind.LINK, url=found.group(0), caption=" ".join(rest.split())
        )
    return None


async def cmd_material_add(message: Message, state: FSMContext) -> None:
    await state.set_state(MaterialAdd.content)
    await state.set_data({})
    await message.answer(t.ASK_CONTENT, reply_markup=views.cancel_only())


async def on_content(message: Message, state: FSMContext) -> None:
    content = content_of(message)
    if content is None:
        await message.answer(t.BAD_CONTENT, reply_markup=views.cancel_only())
        return
    await state.update_data(content=content.as_dict())
    await state.set_state(MaterialAdd.title)
    text = t.ASK_TITLE
    if content.too_big:
        text = t.COPY_TOO_BIG + "\n\n" + text
    await message.answer(text, reply_markup=views.cancel_only())


async def on_title(message: Message, session: AsyncSession, state: FSMContext) -> None:
    title = materials.clean_title(message.text or "")
    if title is None:
        await message.answer(t.BAD_TITLE, reply_markup=views.cancel_only())
        return
    await state.update_data(title=title)
    await state.set_state(MaterialAdd.category)
    markup = views.choose_category(await materials.categories(session), MatAction.ADD_CATEGORY)
    await message.answer(t.CHOOSE_CATEGORY.format(title=escape(title)), reply_markup=markup)


async def _chosen_category(
    session: AsyncSession, callback_data: MatCB
) -> MaterialCategory | None:
    """The category a button names, None for a forged or stale one."""
    value = callback_data.value
    return await materials.get_category(session, int(value)) if value.isdigit() else None


async def on_add_category(
    callback: CallbackQuery, callback_data: MatCB, session: AsyncSession, state: FSMContext
) -> None:
    category = await _chosen_category(session, callback_data)
    if category is None:
        await callback.answer(t.ADD_STALE, show_alert=True)
        return
    await callback.answer()
    await state.update_data(category=category.id)
    await state.set_state(MaterialAdd.audience)
    title = str((await state.get_data()).get("title", ""))
    await show(callback, t.CHOOSE_AUDIENCE.format(title=escape(title)), views.choose_audience())


async def on_add_audience(
    callback: CallbackQuery,
    callback_data: MatCB,
    session: AsyncSession,
    state: FSMContext,
    roles: Roles,
    bot: Bot,
    settings: Settings,
    actor: Actor | None,
) -> None:
    data = await state.get_data()
    try:
        audience = MaterialAudience(callback_data.value)
        content = materials.Content.from_dict(data["content"])
        title, category_id = str(data["title"]), int(data["category"])
    except (KeyError, TypeError, ValueError):
        await callback.answer(t.ADD_STALE, show_alert=True)
        return
    await callback.answer()
    await state.clear()
    material = await materials.create(
        session,
        content,
        title=title,
        category_id=category_id,
        audience=audience,
        territory_id=materials.territory_for(roles),
        author_telegram_id=callback.from_user.id,
        actor=actor,
    )
    await material_files.keep_copy(session, bot, material, settings.files_dir)
    category = await materials.get_category(session, category_id)
    assert category is not None
    await show(callback, t.ADDED.format(title=escape(title), category=escape(category.title)))
    await show_card(callback, session, material, new=True)


async def on_add_cancel(callback: CallbackQuery, state: FSMContext) -> None:
    await callback.answer()
    await state.clear()
    await show(callback, t.CANCELLED)


async def on_add_stale(callback: CallbackQuery) -> None:
    await callback.answer(t.ADD_STALE, show_alert=True)


# --- the card ------------------------------------------------------------------------------


async def _managed(
    callback: CallbackQuery, data: MatCB, session: AsyncSession, roles: Roles
) -> Material | None:
    """The material the button names, if this admin manages it; answers otherwise."""
    material = await session.get(Material, data.id)
    if material is None:
        await callback.answer(t.GONE, show_alert=True)
        return None
    if not materials.manager(roles).may_manage(material):
        await callback.answer(t.NOT_YOURS, show_alert=True)
        return None
    return material


async def on_card(
    callback: CallbackQuery, callback_data: MatCB, session: AsyncSession, roles: Roles
) -> None:
    material = await _managed(callback, callback_data, session, roles)
    if material is None:
        return
    await callback.answer()
    await show_card(callback, session, material, new=False)


async def on_rename(
    callback: CallbackQuery,
    callback_data: MatCB,
    session: AsyncSession,
    roles: Roles,
    state: FSMContext,
) -> None:
    material = await _managed(callback, callback_data, session, roles)
    if material is None:
        return
    await callback.answer()
    await state.set_state(MaterialBrowse.new_title)
    await state.set_data({"material": material.id})
    await show(
        callback,
        t.ASK_NEW_TITLE,
        views.InlineKeyboardMarkup(
            inline_keyboard=[[views.button(t.CANCEL, MatAction.CARD, id=material.id)]]
        ),
    )


async def on_new_title(
    message: Message,
    session: AsyncSession,
    state: FSMContext,
    roles: Roles,
    actor: Actor | None,
) -> None:
    material = await session.get(Material, int((await state.get_data()).get("material", 0)))
    if material is None or not materials.manager(roles).may_manage(material):
        await state.clear()
        await message.answer(t.GONE)
        return
    title = materials.clean_title(message.text or "")
    if title is None:
        await message.answer(t.BAD_TITLE)
        return
    await state.clear()
    await materials.rename(session, material, title, actor)
    category = await materials.get_category(session, material.category_id)
    assert category is not None
    text, markup = views.card(material, category, await _where(session, material))
    await message.answer(text, reply_markup=markup)


async def _where(session: AsyncSession, material: Material) -> str:
    if material.territory_id is None:
        return t.REGIONAL
    territory = await orgs.get_by_id(session, material.territory_id)
    return territory.name if territory else t.REGIONAL


async def on_categories(
    callback: CallbackQuery, callback_data: MatCB, session: AsyncSession, roles: Roles
) -> None:
    material = await _managed(callback, callback_data, session, roles)
    if material is None:
        return
    await callback.answer()
    markup = views.choose_category(
        await materials.categories(session), MatAction.SET_CATEGORY, material.id
    )
    await show(callback, t.CHOOSE_NEW_CATEGORY.format(title=escape(material.title)), markup)


async def on_set_category(
    callback: CallbackQuery,
    callback_data: MatCB,
    session: AsyncSession,
    roles: Roles,
    actor: Actor | None,
) -> None:
    material = await _managed(callback, callback_data, session, roles)
    if material is None:
        return
    category = await _chosen_category(session, callback_data)
    if category is None:
        await callback.answer(t.GONE, show_alert=True)
        return
    await callback.answer()
    await materials.set_category(session, material, category.id, actor)
    await show_card(callback, session, material, new=False)


async def on_hide(
    callback: CallbackQuery,
    callback_data: MatCB,
    session: AsyncSession,
    roles: Roles,
    actor: Actor | None,
) -> None:
    material = await _managed(callback, callback_data, session, roles)
    if material is None:
        return
    await callback.answer()
    hidden = callback_data.action is MatAction.HIDE
    await materials.set_hidden(session, material, hidden, actor)
    await show_card(callback, session, material, new=False)


async def on_delete(
    callback: CallbackQuery, callback_data: MatCB, session: AsyncSession, roles: Roles
) -> None:
    material = await _managed(callback, callback_data, session, roles)
    if material is None:
        return
    await callback.answer()
    text, markup = views.confirm_delete(material)
    await show(callback, text, markup)


async def on_delete_yes(
    callback: CallbackQuery,
    callback_data: MatCB,
    session: AsyncSession,
    roles: Roles,
    settings: Settings,
    actor: Actor | None,
) -> None:
    material = await _managed(callback, callback_data, session, roles)
    if material is None:
        return
    await callback.answer()
    title = material.title
    await materials.remove(session, material, settings.files_dir, actor)
    await show(
        callback,
        t.DELETED.format(title=escape(title)),
        views.InlineKeyboardMarkup(
            inline_keyboard=[[views.button(t.TO_CATEGORIES, MatAction.MENU)]]
        ),
    )


async def on_announce(
    callback: CallbackQuery,
    callback_data: MatCB,
    session: AsyncSession,
    roles: Roles,
    actor: Actor | None,
    delivery_worker: DeliveryWorker,
) -> None:
    material = await _managed(callback, callback_data, session, roles)
    if material is None:
        return
    if material.audience is not MaterialAudience.ALL:
        await callback.answer(t.ANNOUNCE_ACTIVISTS, show_alert=True)
        return
    if material.hidden:
        await callback.answer(t.ANNOUNCE_HIDDEN, show_alert=True)
        return
    await callback.answer()
    category = await materials.get_category(session, material.category_id)
    assert category is not None
    text = t.ANNOUNCE_TEXT.format(title=escape(material.title), category=escape(category.title))
    count = await materials.announce(
        session, material, text, views.announce_markup(material.id), actor
    )
    delivery_worker.wake()
    if callback.bot is not None:
        await callback.bot.send_message(callback.from_user.id, t.ANNOUNCED.format(count=count))


def router() -> Router:
    """This module's handlers on a fresh router (one per dispatcher)."""
    r = Router(name=__name__)
    r.message.register(cmd_material_add, Command("material_add"))
    r.message.register(on_content, StateFilter(MaterialAdd.content), NOT_COMMAND)
    r.message.register(on_title, StateFilter(MaterialAdd.title), TYPED)
    r.message.register(on_new_title, StateFilter(MaterialBrowse.new_title), TYPED)
    r.callback_query.register(
        on_add_category,
        StateFilter(MaterialAdd.category),
        MatCB.filter(F.action == MatAction.ADD_CATEGORY),
    )
    r.callback_query.register(
        on_add_audience,
        StateFilter(MaterialAdd.audience),
        MatCB.filter(F.action == MatAction.ADD_AUDIENCE),
    )
    r.callback_query.register(on_add_cancel, MatCB.filter(F.action == MatAction.ADD_CANCEL))
    r.callback_query.register(
        on_add_stale,
        MatCB.filter(F.action.in_({MatAction.ADD_CATEGORY, MatAction.ADD_AUDIENCE})),
    )
    steps: dict[MatAction, Callable[..., Awaitable[None]]] = {
        MatAction.CARD: on_card,
        MatAction.TITLE: on_rename,
        MatAction.CATEGORIES: on_categories,
        MatAction.SET_CATEGORY: on_set_category,
        MatAction.HIDE: on_hide,
        MatAction.SHOW: on_hide,
        MatAction.DELETE: on_delete,
        MatAction.DELETE_YES: on_delete_yes,
        MatAction.ANNOUNCE: on_announce,
    }
    for action, handler in steps.items():
        r.callback_query.register(handler, MatCB.filter(F.action == action))
    return r
