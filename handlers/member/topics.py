"""/topics and the topic toggles (also the last step of onboarding)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.callbacks import Flow, TopicAction, TopicCB
from handlers.member import screens
from handlers.ui import show
from models import Person
from services import topics
from texts import ru


async def cmd_topics(
    message: Message, session: AsyncSession, state: FSMContext, person: Person
) -> None:
    await state.clear()
    text, markup = await screens.topic_choice(session, person, Flow.PROFILE)
    await message.answer(text, reply_markup=markup)


async def on_topic_toggled(
    callback: CallbackQuery, callback_data: TopicCB, session: AsyncSession, person: Person
) -> None:
    if await topics.toggle(session, person.id, callback_data.topic_id) is None:
        await callback.answer(ru.STALE_BUTTON, show_alert=True)
        return
    await callback.answer()
    _, markup = await screens.topic_choice(session, person, callback_data.flow)
    await show(callback, ru.TOPICS_PROMPT, markup)


async def on_topics_done(
    callback: CallbackQuery, callback_data: TopicCB, session: AsyncSession, person: Person
) -> None:
    await callback.answer(ru.TOPICS_SAVED)
    if callback_data.flow is Flow.ONBOARDING:
        text, _ = await screens.summary(session, person)
    else:
        chosen = await topics.subscribed_ids(session, person.id)
        lines = [f"✅ {t.title}" for t in await topics.list_topics(session) if t.id in chosen]
        text = "\n".join([ru.TOPICS_SAVED, *lines]) if lines else ru.TOPICS_NONE
    await show(callback, text)


def router() -> Router:
    """This module's handlers on a fresh router (one per dispatcher)."""
    r = Router(name=__name__)
    r.message.register(cmd_topics, Command("topics"))
    r.callback_query.register(on_topic_toggled, TopicCB.filter(F.action == TopicAction.TOGGLE))
    r.callback_query.register(on_topics_done, TopicCB.filter(F.action == TopicAction.DONE))
    return r
