"""Answerers on the FAQ: publishing an answered question as an entry, editing an entry's
question or answer (typed, previewed, saved), taking it off /faq and putting it back."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.filters import NOT_COMMAND, TYPED
from handlers.questions_common import (
    CardAction,
    CardCB,
    FaqAction,
    FaqCB,
    FaqEditCB,
    button,
    faq_entry_screen,
    scope_of,
)
from handlers.states import Consulting
from handlers.ui import fit, show
from models import FaqEntry
from services import questions
from services.audit import Actor
from services.people import Roles
from texts import questions as tq

LIMITS = {
    FaqAction.QUESTION.value: questions.FAQ_QUESTION_LIMIT,
    FaqAction.ANSWER.value: questions.FAQ_ANSWER_LIMIT,
}
PROMPTS = {
    FaqAction.QUESTION.value: tq.FAQ_EDIT_QUESTION_PROMPT,
    FaqAction.ANSWER.value: tq.FAQ_EDIT_ANSWER_PROMPT,
}


def _typed(message: Message, limit: int) -> tuple[str, str | None]:
    """The typed text and, when it cannot go into the FAQ, why (in Russian)."""
    text = (message.text or "").strip()
    if not text:
        return text, tq.FAQ_TEXT_ONLY
    if len(text) > limit:
        return text, tq.FAQ_TOO_LONG.format(length=len(text), limit=limit)
    return text, None


# --- publishing from an answered question --------------------------------------------


def _cancel_publishing(question_id: int) -> InlineKeyboardMarkup:
    cancel = button(tq.CANCEL, CardCB(action=CardAction.CANCEL, q=question_id))
    return InlineKeyboardMarkup(inline_keyboard=[[cancel]])


async def on_faq_question(message: Message, state: FSMContext) -> None:
    data = await state.get_data()
    text, refusal = _typed(message, questions.FAQ_QUESTION_LIMIT)
    if refusal:
        await message.answer(refusal, reply_markup=_cancel_publishing(data.get("question", 0)))
        return
    await state.update_data(faq_question=text)
    await state.set_state(Consulting.faq_answer)
    await message.answer(
        tq.FAQ_WRITE_ANSWER, reply_markup=_cancel_publishing(data.get("question", 0))
    )


async def on_faq_answer(
    message: Message, session: AsyncSession, roles: Roles, state: FSMContext, actor: Actor | None
) -> None:
    data = await state.get_data()
    question = await questions.get(session, data.get("question", 0))
    if question is None or not scope_of(roles).covers(question):
        await state.clear()
        await message.answer(tq.NOT_YOURS)
        return
    text, refusal = _typed(message, questions.FAQ_ANSWER_LIMIT)
    if refusal:
        await message.answer(refusal, reply_markup=_cancel_publishing(question.id))
        return
    await state.clear()
    entry = await questions.publish(
        session, question.category_id, data.get("faq_question", ""), text, actor, question.id
    )
    opened = button(tq.FAQ_OPEN_ENTRY, FaqCB(cat=entry.category_id, entry=entry.id))
    await message.answer(
        tq.FAQ_PUBLISHED, reply_markup=InlineKeyboardMarkup(inline_keyboard=[[opened]])
    )


async def on_faq_not_text(message: Message) -> None:
    await message.answer(tq.FAQ_TEXT_ONLY)


# --- managing an entry ------------------------------------------------------------------


def _back(entry: FaqEntry) -> list[list[InlineKeyboardButton]]:
    return [[button(tq.BACK, FaqEditCB(action=FaqAction.BACK, entry=entry.id))]]


async def on_faq_edit_button(
    callback: CallbackQuery,
    callback_data: FaqEditCB,
    session: AsyncSession,
    state: FSMContext,
    actor: Actor | None,
) -> None:
    entry = await questions.faq_entry(session, callback_data.entry)
    if entry is None:
        await callback.answer(tq.FAQ_GONE, show_alert=True)
        return
    action = callback_data.action
    if action is FaqAction.BACK:
        await state.clear()
        await callback.answer()
        await show(callback, *await faq_entry_screen(session, entry, manager=True))
        return
    if action in (FaqAction.QUESTION, FaqAction.ANSWER):
        await state.set_state(Consulting.faq_edit)
        await state.set_data({"faq_entry": entry.id, "faq_field": action.value})
        await callback.answer()
        current = entry.question if action is FaqAction.QUESTION else entry.answer
        prompt = PROMPTS[action.value].format(limit=LIMITS[action.value])
        cancel = button(tq.CANCEL, FaqEditCB(action=FaqAction.BACK, entry=entry.id))
        await show(
            callback,
            fit(prompt, [(tq.FAQ_CURRENT, current)]),
            InlineKeyboardMarkup(inline_keyboard=[[cancel]]),
        )
        return
    if action is FaqAction.SAVE:
        data = await state.get_data()
        if (
            data.get("faq_entry") != entry.id
            or data.get("faq_text_id") != callback_data.v
            or not data.get("faq_text")
        ):
            await callback.answer(tq.FAQ_EDIT_STALE, show_alert=True)
            return
        text = str(data["faq_text"])
        if data.get("faq_field") == FaqAction.QUESTION.value:
            await questions.edit_faq(session, entry, question=text, actor=actor)
        else:
            await questions.edit_faq(session, entry, answer=text, actor=actor)
        await state.clear()
        await callback.answer(tq.FAQ_SAVED)
        await show(callback, *await faq_entry_screen(session, entry, manager=True))
        return
    if action is FaqAction.HIDE:
        if entry.hidden:
            await callback.answer(tq.FAQ_ALREADY, show_alert=True)
            return
        await callback.answer()
        rows = [[button(tq.FAQ_HIDE_YES, FaqEditCB(action=FaqAction.HIDE_YES, entry=entry.id))]]
        await show(
            callback,
            fit(tq.FAQ_HIDE_CONFIRM, [(tq.FAQ_ITEM_QUESTION, entry.question)]),
            InlineKeyboardMarkup(inline_keyboard=rows + _back(entry)),
        )
        return
    hide = action is FaqAction.HIDE_YES
    if not await questions.set_faq_hidden(session, entry.id, hide, actor):
        await callback.answer(tq.FAQ_ALREADY, show_alert=True)
    else:
        await callback.answer(tq.FAQ_HIDDEN_DONE if hide else tq.FAQ_SHOWN_DONE)
    await session.refresh(entry)
    await show(callback, *await faq_entry_screen(session, entry, manager=True))


async def on_faq_edit_text(message: Message, session: AsyncSession, state: FSMContext) -> None:
    """The new text, previewed in the entry with «Сохранить» and «Отмена»."""
    data = await state.get_data()
    entry = await questions.faq_entry(session, data.get("faq_entry", 0))
    field = str(data.get("faq_field", ""))
    if entry is None or field not in LIMITS:
        await state.clear()
        await message.answer(tq.FAQ_GONE)
        return
    text, refusal = _typed(message, LIMITS[field])
    cancel = button(tq.CANCEL, FaqEditCB(action=FaqAction.BACK, entry=entry.id))
    if refusal:
        await message.answer(
            refusal, reply_markup=InlineKeyboardMarkup(inline_keyboard=[[cancel]])
        )
        return
    await state.update_data(faq_text=text, faq_text_id=message.message_id)
    question = text if field == FaqAction.QUESTION.value else entry.question
    answer = entry.answer if field == FaqAction.QUESTION.value else text
    save = button(
        tq.FAQ_SAVE, FaqEditCB(action=FaqAction.SAVE, entry=entry.id, v=message.message_id)
    )
    await message.answer(
        fit(
            tq.FAQ_EDIT_PREVIEW,
            [(tq.FAQ_ITEM_QUESTION, question), (tq.FAQ_ITEM_ANSWER, answer)],
        ),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[save, cancel]]),
    )


def router() -> Router:
    """This module's handlers on a fresh router (one per dispatcher)."""
    r = Router(name=__name__)
    r.callback_query.register(on_faq_edit_button, FaqEditCB.filter())
    r.message.register(on_faq_question, StateFilter(Consulting.faq_question), TYPED)
    r.message.register(on_faq_answer, StateFilter(Consulting.faq_answer), TYPED)
    r.message.register(on_faq_edit_text, StateFilter(Consulting.faq_edit), TYPED)
    r.message.register(
        on_faq_not_text,
        StateFilter(Consulting.faq_question, Consulting.faq_answer, Consulting.faq_edit),
        NOT_COMMAND,
    )
    return r
