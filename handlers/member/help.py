"""/help: the commands of the person's own roles, and how to reach a person; /privacy."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import InlineKeyboardMarkup, Message

from bot.config import Settings
from handlers.questions_common import AskAction, AskCB, button
from models import Person
from services.people import Roles
from texts import questions as tq
from texts import ru
from texts.ru import h


def help_text(roles: Roles, settings: Settings) -> str:
    """The member commands, then each role's own: no /anketa for a plain member."""
    text = ru.HELP
    if roles.officer_of:
        text += ru.HELP_OFFICER
    if roles.is_admin:
        text += ru.HELP_ADMIN
    if roles.regional_admin:
        text += ru.HELP_REGIONAL
    text += tq.HELP_MEMBER
    if roles.answers_questions:
        text += tq.HELP_ANSWERER
    if roles.regional_admin:
        text += tq.HELP_CONSULTANT_GRANT
    contacts = h(settings.contacts) if settings.contacts else ru.HELP_CONTACTS_DEFAULT
    return text + ru.HELP_CONTACTS.format(contacts=contacts)


def consent_text(settings: Settings) -> str:
    return ru.WELCOME.format(
        **_operator(settings), privacy=h(settings.privacy_url) or ru.PRIVACY_IN_BOT
    )


def _operator(settings: Settings) -> dict[str, str]:
    address = f", {h(settings.operator_address)}" if settings.operator_address else ""
    return {"operator": h(settings.operator_name), "address": address}


async def cmd_help(
    message: Message, roles: Roles, settings: Settings, person: Person | None = None
) -> None:
    # The «Задать вопрос» button for a registered person: it opens /ask's categories.
    ask = InlineKeyboardMarkup(
        inline_keyboard=[[button(tq.ASK_BUTTON, AskCB(action=AskAction.START))]]
    )
    await message.answer(help_text(roles, settings), reply_markup=ask if person else None)


async def cmd_privacy(message: Message, settings: Settings) -> None:
    contacts = (
        ru.PRIVACY_CONTACTS.format(contacts=h(settings.contacts)) if settings.contacts else ""
    )
    await message.answer(ru.PRIVACY.format(**_operator(settings), contacts=contacts))


def router() -> Router:
    """This module's handlers on a fresh router (one per dispatcher)."""
    r = Router(name=__name__)
    r.message.register(cmd_help, Command("help"))
    r.message.register(cmd_privacy, Command("privacy"))
    return r
