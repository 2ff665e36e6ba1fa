"""Answerers on members' questions: the card's «Взять», «Передать в обком», «Закрыть»,
writing the answer, /questions, publishing to the FAQ."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from handlers.filters import NOT_COMMAND, TYPED
from handlers.member.questions import answer_markup
from handlers.questions_common import (
    ACCEPTED_CONTENT,
    CardAction,
    CardCB,
    ListCB,
    button,
    card,
    card_buttons,
    content_of,
    copy,
    scope_of,
)
from handlers.states import Consulting
from handlers.ui import show
from models import Person, PostKind, Question, QuestionStatus, utcnow
from services import questions
from services.people import Roles
from texts import questions as tq
from texts.ru import h

logger = logging.getLogger(__name__)


async def _question_in_scope(
    callback: CallbackQuery, session: AsyncSession, roles: Roles, question_id: int
) -> Question | None:
    question = await questions.get(session, question_id)
    if (
        question is None
        or question.status is QuestionStatus.DRAFT
        or not scope_of(roles).covers(question)
    ):
        await callback.answer(tq.NOT_YOURS, show_alert=True)
        return None
    return question


async def on_card_button(
    callback: CallbackQuery,
    callback_data: CardCB,
    session: AsyncSession,
    person: Person | None,
    roles: Roles,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
) -> None:
    question = await _question_in_scope(callback, session, roles, callback_data.q)
    if question is None or person is None:
        if person is None and question is not None:
            await callback.answer(tq.NOT_YOURS, show_alert=True)
        return
    action, chat_id = callback_data.action, callback.from_user.id
    if action is CardAction.CANCEL:
        await state.clear()
        await callback.answer()
        await show(callback, tq.STEP_CANCELLED)
        return
    if action is CardAction.OPEN:
        await callback.answer()
        text = await card(session, question, settings, show_author=question.taken_by == person.id)
        await show(callback, text, card_buttons(question))
        return
    if action is CardAction.TAKE:
        if not await questions.take(session, question.id, person.id):
            await callback.answer(tq.ALREADY_TAKEN, show_alert=True)
            return
        await session.refresh(question)
        await callback.answer()
        await show(
            callback,
            await card(session, question, settings, show_author=True),
            card_buttons(question),
        )
        await bot.send_message(chat_id, tq.TAKEN.format(number=question.id))
        for post in await questions.posts(session, question.id, PostKind.QUESTION):
            await copy(bot, chat_id, post.chat_id, post.message_id)
        await _ask_for_answer(chat_id, question, state, bot)
        return
    if action is CardAction.ANSWER:
        if question.status is not QuestionStatus.TAKEN or question.taken_by != person.id:
            await callback.answer(tq.NOT_OPEN, show_alert=True)
            return
        await callback.answer()
        await _ask_for_answer(chat_id, question, state, bot)
        return
    if action is CardAction.TO_REGION:
        if not await questions.to_region(session, question.id):
            await callback.answer(tq.NOT_OPEN, show_alert=True)
            return
        await callback.answer()
        await show(callback, tq.SENT_TO_REGION.format(number=question.id))
        await session.refresh(question)
        text = await card(session, question, settings, show_author=False)
        for answerer in await questions.answerer_ids(session, None, settings.admin_ids):
            if answerer != chat_id:
                await bot.send_message(answerer, text, reply_markup=card_buttons(question))
        return
    if action is CardAction.CLOSE:
        if question.status not in questions.WAITING:
            await callback.answer(tq.NOT_OPEN, show_alert=True)
            return
        await state.set_state(Consulting.close_reason)
        await state.set_data({"question": question.id})
        await callback.answer()
        await bot.send_message(
            chat_id, tq.ASK_CLOSE_REASON.format(number=question.id), reply_markup=_cancel(question)
        )
        return
    if action is CardAction.FAQ:
        if question.status is not QuestionStatus.ANSWERED:
            await callback.answer(tq.NOT_OPEN, show_alert=True)
            return
        await state.set_state(Consulting.faq_question)
        await state.set_data({"question": question.id})
        await callback.answer()
        await bot.send_message(chat_id, tq.FAQ_WRITE_QUESTION, reply_markup=_cancel(question))


async def _ask_for_answer(chat_id: int, question: Question, state: FSMContext, bot: Bot) -> None:
    await state.set_state(Consulting.answering)
    await state.set_data({"question": question.id})
    await bot.send_message(
        chat_id, tq.WRITE_ANSWER.format(number=question.id), reply_markup=_cancel(question)
    )


def _cancel(question: Question) -> InlineKeyboardMarkup:
    """«Отмена» under a prompt: the answerer's typed text is theirs again, nothing changed."""
    cancel = button(tq.CANCEL, CardCB(action=CardAction.CANCEL, q=question.id))
    return InlineKeyboardMarkup(inline_keyboard=[[cancel]])


async def _taken_question(
    session: AsyncSession, person: Person | None, state: FSMContext
) -> Question | None:
    question = await questions.get(session, (await state.get_data()).get("question", 0))
    if question is None or person is None or question.taken_by != person.id:
        return None
    return question


async def on_answer(
    message: Message,
    session: AsyncSession,
    person: Person | None,
    state: FSMContext,
    bot: Bot,
) -> None:
    """The answer, copied to the member as written."""
    question = await _taken_question(session, person, state)
    if question is None or question.status is not QuestionStatus.TAKEN:
        await state.clear()
        await message.answer(tq.NOT_OPEN)
        return
    kind, text = content_of(message)
    if kind not in ACCEPTED_CONTENT:
        await message.answer(tq.ASK_BAD_TYPE)
        return
    member = await session.get(Person, question.person_id) if question.person_id else None
    if member is None or not await copy(
        bot, member.telegram_id, message.chat.id, message.message_id
    ):
        await message.answer(tq.ANSWER_FAILED)
        return
    assert person is not None
    await questions.add_post(
        session,
        question,
        PostKind.ANSWER,
        person.id,
        message.chat.id,
        message.message_id,
        kind,
        text,
    )
    await questions.answered(session, question)
    await state.clear()
    await bot.send_message(
        member.telegram_id,
        tq.MEMBER_ANSWER.format(number=question.id),
        reply_markup=answer_markup(question.id, question.clarified),
    )
    logger.info("Question %s answered", question.id)
    faq = button(tq.TO_FAQ, CardCB(action=CardAction.FAQ, q=question.id))
    await message.answer(
        tq.ANSWER_SENT.format(number=question.id),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[faq]]),
    )


async def on_close_reason(
    message: Message, session: AsyncSession, roles: Roles, state: FSMContext, bot: Bot
) -> None:
    question = await questions.get(session, (await state.get_data()).get("question", 0))
    reason = (message.text or "").strip()
    if question is not None and len(reason) > questions.CLOSE_REASON_LIMIT:
        # The member reads it in one message: cut silently, it would not be what was meant.
        too_long = tq.FAQ_TOO_LONG.format(length=len(reason), limit=questions.CLOSE_REASON_LIMIT)
        await message.answer(too_long, reply_markup=_cancel(question))
        return
    await state.clear()
    if (
        question is None
        or not scope_of(roles).covers(question)
        or not await questions.close(session, question.id, reason)
    ):
        await message.answer(tq.NOT_OPEN)
        return
    await message.answer(tq.CLOSED.format(number=question.id))
    member = await session.get(Person, question.person_id) if question.person_id else None
    if member is not None:
        await bot.send_message(
            member.telegram_id,
            tq.MEMBER_CLOSED.format(number=question.id, reason=h(reason)),
        )


async def on_close_reason_not_text(message: Message) -> None:
    await message.answer(tq.CLOSE_REASON_TEXT_ONLY)


# --- /questions ---------------------------------------------------------------------------


async def _list_screen(
    session: AsyncSession, roles: Roles, data: ListCB, settings: Settings
) -> tuple[str, InlineKeyboardMarkup]:
    status = QuestionStatus(data.status) if data.status else None
    cats = await questions.categories(session)
    titles = {c.id: c.title for c in cats}
    found, total = await questions.listing(
        session, scope_of(roles), status, data.cat or None, data.page
    )
    text = tq.LIST_TITLE.format(
        status=tq.FILTERS.get(data.status, tq.OPEN_FILTER).lower(),
        category=h(titles.get(data.cat, tq.ALL_CATEGORIES)),
        total=total,
    )
    now = utcnow()
    rows: list[list[InlineKeyboardButton]] = []
    if not found:
        text += tq.LIST_EMPTY
    for q in found:
        days = questions.waiting_days(q, now, settings.tz)
        label = tq.LIST_LINE.format(
            number=q.id,
            category=titles.get(q.category_id, ""),
            status=tq.STATUS[q.status.value],
            waiting=tq.WAIT_DAYS.format(days=days),
        )
        rows.append([button(label[:64], CardCB(action=CardAction.OPEN, q=q.id))])
    pages = max(1, -(-total // questions.PAGE_SIZE))
    arrows = []
    if data.page > 0:
        arrows.append(button("◀️", ListCB(status=data.status, cat=data.cat, page=data.page - 1)))
    if data.page + 1 < pages:
        arrows.append(button("▶️", ListCB(status=data.status, cat=data.cat, page=data.page + 1)))
    if arrows:
        rows.append(arrows)
    rows.append(
        [
            button(("• " if key == data.status else "") + title, ListCB(status=key, cat=data.cat))
            for key, title in tq.FILTERS.items()
        ]
    )
    ids = [0, *titles]
    following = ids[(ids.index(data.cat) + 1) % len(ids)] if data.cat in ids else 0
    rows.append(
        [
            button(
                tq.CATEGORY_FILTER.format(category=titles.get(data.cat, tq.ALL_CATEGORIES)),
                ListCB(status=data.status, cat=following),
            )
        ]
    )
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


async def cmd_questions(
    message: Message, session: AsyncSession, roles: Roles, settings: Settings
) -> None:
    text, markup = await _list_screen(session, roles, ListCB(), settings)
    await message.answer(text, reply_markup=markup)


async def on_list_button(
    callback: CallbackQuery,
    callback_data: ListCB,
    session: AsyncSession,
    roles: Roles,
    settings: Settings,
) -> None:
    if callback_data.status and callback_data.status not in tq.FILTERS:
        await callback.answer(tq.NOT_YOURS, show_alert=True)
        return
    await callback.answer()
    await show(callback, *await _list_screen(session, roles, callback_data, settings))


def router() -> Router:
    """This module's handlers on a fresh router (one per dispatcher)."""
    r = Router(name=__name__)
    r.message.register(cmd_questions, Command("questions"))
    r.callback_query.register(on_card_button, CardCB.filter())
    r.callback_query.register(on_list_button, ListCB.filter())
    r.message.register(on_answer, StateFilter(Consulting.answering), NOT_COMMAND)
    r.message.register(on_close_reason, StateFilter(Consulting.close_reason), TYPED)
    r.message.register(on_close_reason_not_text, StateFilter(Consulting.close_reason), NOT_COMMAND)
    return r
