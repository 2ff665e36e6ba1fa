"""/profile: what we store about the person, and changing the organisation."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from handlers.callbacks import Flow, ProfileAction, ProfileCB
from handlers.member import screens
from handlers.member.org_picker import open_picker
from handlers.ui import show
from models import Person
from services.people import Roles


async def cmd_profile(
    message: Message,
    session: AsyncSession,
    state: FSMContext,
    person: Person,
    roles: Roles,
    settings: Settings,
) -> None:
    await state.clear()
    text, markup = await screens.profile(session, person, roles, settings.tz)
    await message.answer(text, reply_markup=markup)


async def on_change_org(callback: CallbackQuery, session: AsyncSession, state: FSMContext) -> None:
    await callback.answer()
    await open_picker(callback, session, state, Flow.PROFILE)


async def on_change_topics(callback: CallbackQuery, session: AsyncSession, person: Person) -> None:
    await callback.answer()
    text, markup = await screens.topic_choice(session, person, Flow.PROFILE)
    await show(callback, text, markup)


def router() -> Router:
    """This module's handlers on a fresh router (one per dispatcher)."""
    r = Router(name=__name__)
    r.message.register(cmd_profile, Command("profile"))
    r.callback_query.register(on_change_org, ProfileCB.filter(F.action == ProfileAction.ORG))
    r.callback_query.register(on_change_topics, ProfileCB.filter(F.action == ProfileAction.TOPICS))
    return r
