"""/ais @name|id: an admin grants or withdraws the AIS officer role (a territorial admin for
the people of their territory), after a confirmation."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.callbacks import AisAction, AisCB
from handlers.member.screens import org_title
from handlers.ui import show
from models import Person
from services import ais
from services.audit import Actor
from services.consultants import find_person
from services.people import Roles
from texts import ru
from texts.ru import h


def _name(person: Person) -> str:
    return h(" ".join(filter(None, [person.first_name, person.last_name])))


def _b(text: str, data: AisCB) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


async def cmd_ais(
    message: Message, command: CommandObject, session: AsyncSession, roles: Roles
) -> None:
    words = (command.args or "").split()
    if len(words) != 1:
        await message.answer(ru.AIS_USAGE)
        return
    person = await find_person(session, words[0])
    if person is None:
        await message.answer(ru.AIS_NO_PERSON)
        return
    if not ais.in_scope(await ais.org_of(session, person), roles):
        await message.answer(ru.AIS_OUTSIDE)
        return
    org = await org_title(session, person.org_id)
    if await ais.is_ais(session, person.id):
        text, action, label = ru.AIS_ASK_REVOKE, AisAction.REVOKE, ru.AIS_REVOKE
    else:
        text, action, label = ru.AIS_ASK_GRANT, AisAction.GRANT, ru.AIS_GRANT
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _b(label, AisCB(action=action, person=person.id)),
                _b(ru.AIS_CANCEL, AisCB(action=AisAction.CANCEL, person=person.id)),
            ]
        ]
    )
    await message.answer(text.format(name=_name(person), org=org), reply_markup=markup)


async def on_ais_button(
    callback: CallbackQuery,
    callback_data: AisCB,
    session: AsyncSession,
    roles: Roles,
    actor: Actor | None,
) -> None:
    if callback_data.action is AisAction.CANCEL:
        await callback.answer()
        await show(callback, ru.AIS_CANCELLED)
        return
    person = await session.get(Person, callback_data.person)
    if person is None:  # forgotten meanwhile, or a forged id
        await callback.answer(ru.AIS_NO_PERSON, show_alert=True)
        return
    change = ais.grant if callback_data.action is AisAction.GRANT else ais.revoke
    outcome = await change(session, person, roles, actor)
    if outcome is ais.Change.OUTSIDE:
        await callback.answer(ru.AIS_OUTSIDE, show_alert=True)
        return
    if outcome is ais.Change.UNCHANGED:
        await callback.answer(ru.AIS_UNCHANGED, show_alert=True)
        return
    await callback.answer()
    done = ru.AIS_GRANTED if callback_data.action is AisAction.GRANT else ru.AIS_REVOKED
    await show(callback, done.format(name=_name(person)))


def router() -> Router:
    """This module's handlers on a fresh router (one per dispatcher)."""
    r = Router(name=__name__)
    r.message.register(cmd_ais, Command("ais"))
    r.callback_query.register(on_ais_button, AisCB.filter())
    return r
