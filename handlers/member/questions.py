"""A member's questions to the committee: /ask, writing, confirming, the answer's
«Уточнить» and rating, /myquestions, /faq."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from handlers import keyboards
from handlers.filters import NOT_COMMAND, TYPED
from handlers.questions_common import (
    ACCEPTED_CONTENT,
    AskAction,
    AskCB,
    CardAction,
    CardCB,
    FaqCB,
    MyCB,
    button,
    card,
    card_buttons,
    content_of,
    copy,
    faq_entry_rows,
    faq_entry_screen,
    faq_screen,
    faq_sections,
)
from handlers.states import Asking
from handlers.ui import fit, show
from models import Person, PostKind, Question, QuestionStatus
from services import questions
from services.people import Roles
from texts import questions as tq
from texts import ru
from texts.ru import h

logger = logging.getLogger(__name__)


async def categories_markup(session: AsyncSession) -> InlineKeyboardMarkup:
    rows = [
        [button(c.title, AskCB(action=AskAction.CATEGORY, cat=c.id))]
        for c in await questions.categories(session)
    ]
    rows.append([button(tq.CANCEL, AskCB(action=AskAction.CANCEL))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _confirm_markup(question_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button(tq.ASK_SEND, AskCB(action=AskAction.SEND, q=question_id))],
            [button(tq.ASK_SEND_ANON, AskCB(action=AskAction.SEND_ANONYMOUS, q=question_id))],
            [button(tq.CANCEL, AskCB(action=AskAction.CANCEL, q=question_id))],
        ]
    )


def _cancel_markup(question_id: int) -> InlineKeyboardMarkup:
    cancel = button(tq.CANCEL, AskCB(action=AskAction.CANCEL, q=question_id))
    return InlineKeyboardMarkup(inline_keyboard=[[cancel]])


def answer_markup(question_id: int, clarified: bool) -> InlineKeyboardMarkup:
    rows = []
    if not clarified:
        rows.append([button(tq.CLARIFY, AskCB(action=AskAction.CLARIFY, q=question_id))])
    rows.append(
        [
            button(tq.RATE_UP, AskCB(action=AskAction.UP, q=question_id)),
            button(tq.RATE_DOWN, AskCB(action=AskAction.DOWN, q=question_id)),
        ]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def cmd_ask(message: Message, session: AsyncSession, state: FSMContext) -> None:
    await state.clear()
    await message.answer(tq.ASK_CHOOSE, reply_markup=await categories_markup(session))


async def _own_question(
    session: AsyncSession, person: Person, question_id: int
) -> Question | None:
    question = await questions.get(session, question_id)
    if question is None or question.person_id != person.id:
        return None
    return question


async def on_ask_button(
    callback: CallbackQuery,
    callback_data: AskCB,
    session: AsyncSession,
    person: Person,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
) -> None:
    action = callback_data.action
    if action is AskAction.START:
        await state.clear()
        await callback.answer()
        await bot.send_message(
            callback.from_user.id, tq.ASK_CHOOSE, reply_markup=await categories_markup(session)
        )
        return
    if action is AskAction.CATEGORY:
        category = await questions.category(session, callback_data.cat)
        if category is None:
            await callback.answer(tq.ASK_STALE, show_alert=True)
            return
        question = await questions.start(session, person, category.id)
        await state.set_state(Asking.writing)
        await state.set_data({"question": question.id})
        await callback.answer()
        back = button(tq.BACK, AskCB(action=AskAction.TOPICS, q=question.id))
        cancel = button(tq.CANCEL, AskCB(action=AskAction.CANCEL, q=question.id))
        await show(
            callback,
            tq.ASK_WRITE.format(category=h(category.title)),
            InlineKeyboardMarkup(inline_keyboard=[[back, cancel]]),
        )
        return
    if action is AskAction.CANCEL and not callback_data.q:
        await state.clear()
        await callback.answer()
        await show(callback, tq.ASK_CANCELLED)
        return
    own = await _own_question(session, person, callback_data.q)
    if own is None:
        await callback.answer(tq.ASK_STALE, show_alert=True)
        return
    await _on_own_question(callback, own, action, session, state, bot, settings)


async def _on_own_question(
    callback: CallbackQuery,
    question: Question,
    action: AskAction,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
) -> None:
    if action in (AskAction.SEND, AskAction.SEND_ANONYMOUS, AskAction.CANCEL, AskAction.TOPICS):
        if question.status is not QuestionStatus.DRAFT:
            await callback.answer(tq.ASK_STALE, show_alert=True)
            return
        if action in (AskAction.CANCEL, AskAction.TOPICS):
            await state.clear()
            await questions.drop_draft(session, question.id)
            await callback.answer()
            if action is AskAction.CANCEL:
                await show(callback, tq.ASK_CANCELLED)
            else:
                await show(callback, tq.ASK_CHOOSE, await categories_markup(session))
            return
        thread = await questions.posts(session, question.id)
        if not thread:
            await callback.answer(tq.ASK_EMPTY, show_alert=True)
            return
        if not questions.has_text(thread):  # still writing: the state stays
            await callback.answer(tq.ASK_NEEDS_TEXT, show_alert=True)
            return
        await state.clear()
        anonymous = action is AskAction.SEND_ANONYMOUS
        question, recipients = await questions.submit(
            session, question, anonymous, settings.admin_ids
        )
        await callback.answer()
        accepted = tq.ASK_ACCEPTED.format(number=question.id)
        await show(callback, accepted + (tq.ASK_ACCEPTED_ANON if anonymous else ""))
        logger.info("Question %s asked, %s answerers told", question.id, len(recipients))
        text = await card(session, question, settings, show_author=False)
        for chat_id in recipients:
            try:
                await bot.send_message(chat_id, text, reply_markup=card_buttons(question))
            except Exception:  # one unreachable answerer must not stop the others
                logger.warning("Question card %s not delivered to %s", question.id, chat_id)
        return
    if action is AskAction.CLARIFY:
        if question.clarified or question.status is not QuestionStatus.ANSWERED:
            await callback.answer(tq.CLARIFY_USED, show_alert=True)
            return
        await state.set_state(Asking.clarifying)
        await state.set_data({"question": question.id})
        await callback.answer()
        cancel = button(tq.CANCEL, AskCB(action=AskAction.NO_CLARIFICATION, q=question.id))
        await bot.send_message(
            callback.from_user.id,
            tq.CLARIFY_WRITE.format(number=question.id),
            reply_markup=InlineKeyboardMarkup(inline_keyboard=[[cancel]]),
        )
        return
    if action in (AskAction.UP, AskAction.DOWN):
        if question.answered_at is None:
            await callback.answer(tq.RATE_NOT_YET, show_alert=True)
            return
        await questions.rate(session, question, 1 if action is AskAction.UP else -1)
        await state.set_state(Asking.rating_comment)
        await state.set_data({"question": question.id})
        await callback.answer()
        skip = button(tq.RATING_SKIP, AskCB(action=AskAction.NO_COMMENT, q=question.id))
        await bot.send_message(
            callback.from_user.id,
            tq.RATED,
            reply_markup=InlineKeyboardMarkup(inline_keyboard=[[skip]]),
        )
        return
    if action in (AskAction.NO_COMMENT, AskAction.NO_CLARIFICATION):
        await state.clear()
        await callback.answer()
        done = action is AskAction.NO_COMMENT
        await show(callback, tq.RATING_SAVED if done else tq.STEP_CANCELLED)


async def on_question_part(
    message: Message, session: AsyncSession, person: Person, state: FSMContext
) -> None:
    """One message of the question, kept to be copied as written."""
    question = await _own_question(session, person, (await state.get_data()).get("question", 0))
    if question is None or question.status is not QuestionStatus.DRAFT:
        await state.clear()
        await message.answer(tq.ASK_STALE)
        return
    count = len(await questions.posts(session, question.id))
    kind, text = content_of(message)
    if kind not in ACCEPTED_CONTENT or count >= questions.QUESTION_PARTS_LIMIT:
        # Always with the buttons: the way on (or out) stays under the latest message.
        refusal = (
            tq.ASK_BAD_TYPE
            if kind not in ACCEPTED_CONTENT
            else tq.ASK_TOO_MANY.format(limit=questions.QUESTION_PARTS_LIMIT)
        )
        markup = _confirm_markup(question.id) if count else _cancel_markup(question.id)
        await message.answer(refusal, reply_markup=markup)
        return
    await questions.add_post(
        session,
        question,
        PostKind.QUESTION,
        person.id,
        message.chat.id,
        message.message_id,
        kind,
        text,
    )
    await message.answer(
        tq.ASK_ADDED.format(count=count + 1), reply_markup=_confirm_markup(question.id)
    )


async def on_clarification(
    message: Message, session: AsyncSession, person: Person, state: FSMContext, bot: Bot
) -> None:
    question = await _own_question(session, person, (await state.get_data()).get("question", 0))
    kind, text = content_of(message)
    if question is not None and kind not in ACCEPTED_CONTENT:  # the clarification stays unused
        cancel = button(tq.CANCEL, AskCB(action=AskAction.NO_CLARIFICATION, q=question.id))
        await message.answer(
            tq.ASK_BAD_TYPE, reply_markup=InlineKeyboardMarkup(inline_keyboard=[[cancel]])
        )
        return
    await state.clear()
    if question is None or not await questions.clarify(session, question):
        await message.answer(tq.CLARIFY_USED)
        return
    await questions.add_post(
        session,
        question,
        PostKind.CLARIFY,
        person.id,
        message.chat.id,
        message.message_id,
        kind,
        text,
    )
    await message.answer(tq.CLARIFY_SENT)
    taker = await session.get(Person, question.taken_by) if question.taken_by else None
    if taker is not None:
        await bot.send_message(taker.telegram_id, tq.ANSWERER_CLARIFY.format(number=question.id))
        await copy(bot, taker.telegram_id, message.chat.id, message.message_id)
        answer = button(tq.ANSWER_AGAIN, CardCB(action=CardAction.ANSWER, q=question.id))
        await bot.send_message(
            taker.telegram_id,
            tq.WRITE_ANSWER.format(number=question.id),
            reply_markup=InlineKeyboardMarkup(inline_keyboard=[[answer]]),
        )


async def on_rating_comment(
    message: Message, session: AsyncSession, person: Person, state: FSMContext
) -> None:
    question = await _own_question(session, person, (await state.get_data()).get("question", 0))
    await state.clear()
    if question is not None and question.rating is not None:
        await questions.rate(session, question, question.rating, message.text or "")
    await message.answer(tq.RATING_SAVED)


async def on_rating_not_text(message: Message, state: FSMContext) -> None:
    question_id = (await state.get_data()).get("question", 0)
    skip = button(tq.RATING_SKIP, AskCB(action=AskAction.NO_COMMENT, q=question_id))
    await message.answer(
        tq.RATING_TEXT_ONLY, reply_markup=InlineKeyboardMarkup(inline_keyboard=[[skip]])
    )


async def _my_list(
    session: AsyncSession, person: Person, page: int, settings: Settings
) -> tuple[str, InlineKeyboardMarkup | None]:
    """A page of /myquestions: a line per question and a button to open it, the ‹ › pager."""
    found, total = await questions.of_member(session, person.id, page)
    last = keyboards.pages(total, questions.MY_PAGE_SIZE) - 1
    if page > last:  # an old page of a list that has shrunk (/forget): its last page
        page = last
        found, total = await questions.of_member(session, person.id, page)
    if not found:
        return tq.MY_NONE, None
    titles = {c.id: c.title for c in await questions.categories(session)}
    lines = [tq.MY_TITLE, tq.MY_COUNT.format(total=total), ""]
    rows = []
    for q in found:
        when = q.asked_at.astimezone(settings.tz).strftime("%d.%m.%Y") if q.asked_at else ""
        status = tq.STATUS[q.status.value]
        category = titles.get(q.category_id, "")
        lines.append(
            tq.MY_LINE.format(number=q.id, category=h(category), status=status, date=when)
        )
        label = tq.MY_BUTTON.format(number=q.id, status=status)
        rows.append([button(keyboards.short(label), MyCB(page=page, q=q.id))])
    if last:
        lines += ["", ru.PAGE.format(page=page + 1, pages=last + 1)]
    arrows = keyboards.pager(page, total, lambda n: MyCB(page=n), size=questions.MY_PAGE_SIZE)
    if arrows:
        rows.append(arrows)
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


async def _my_question(
    session: AsyncSession, question: Question, page: int, settings: Settings
) -> tuple[str, InlineKeyboardMarkup]:
    """One of the member's questions opened: its state and the thread's texts, within one
    message; the messages themselves can be shown again as written."""
    category = await questions.category(session, question.category_id)
    asked = question.asked_at
    head = tq.MY_CARD.format(
        number=question.id,
        category=h(category.title if category else ""),
        date=asked.astimezone(settings.tz).strftime("%d.%m.%Y") if asked else "",
        status=tq.STATUS[question.status.value],
    )
    if question.anonymous:
        head += tq.MY_ANONYMOUS
    thread = await questions.posts(session, question.id)
    sections: list[tuple[str, str]] = []
    for post in thread:
        words = post.text or tq.MY_MEDIA.get(post.content_type, tq.MY_ATTACHMENT)
        template = tq.MY_SECTIONS[post.kind.value]
        if sections and sections[-1][0] == template:  # the same kind goes on: one section
            sections[-1] = (template, sections[-1][1] + "\n\n" + words)
        else:
            sections.append((template, words))
    if question.status is QuestionStatus.CLOSED and question.closed_reason:
        sections.append((tq.MY_CLOSED, question.closed_reason))
    rows = []
    if any(post.message_id is not None for post in thread):
        rows.append([button(tq.MY_COPY, MyCB(page=page, q=question.id, resend=True))])
    rows.append([button(tq.MY_TO_LIST, MyCB(page=page))])
    return fit(head, sections), InlineKeyboardMarkup(inline_keyboard=rows)


async def cmd_myquestions(
    message: Message, session: AsyncSession, person: Person, settings: Settings
) -> None:
    text, markup = await _my_list(session, person, 0, settings)
    await message.answer(text, reply_markup=markup)


async def on_my_button(
    callback: CallbackQuery,
    callback_data: MyCB,
    session: AsyncSession,
    person: Person,
    bot: Bot,
    settings: Settings,
) -> None:
    page = max(0, callback_data.page)
    if not callback_data.q:
        await callback.answer()
        await show(callback, *await _my_list(session, person, page, settings))
        return
    question = await _own_question(session, person, callback_data.q)
    if question is None or question.status is QuestionStatus.DRAFT:
        await callback.answer(tq.MY_NOT_YOURS, show_alert=True)
        return
    await callback.answer()
    if not callback_data.resend:
        await show(callback, *await _my_question(session, question, page, settings))
        return
    chat_id = callback.from_user.id
    for post in await questions.posts(session, question.id):
        await copy(bot, chat_id, post.chat_id, post.message_id)
    back = button(tq.MY_TO_LIST, MyCB(page=page))
    await bot.send_message(
        chat_id,
        tq.MY_COPIED.format(number=question.id),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[back]]),
    )


# --- the FAQ ----------------------------------------------------------------------------


async def cmd_faq(
    message: Message, session: AsyncSession, roles: Roles, state: FSMContext
) -> None:
    await state.set_state(Asking.faq_search)
    text, markup = await faq_screen(session, 0, roles.answers_questions)
    await message.answer(text, reply_markup=markup)


async def on_faq_button(
    callback: CallbackQuery, callback_data: FaqCB, session: AsyncSession, roles: Roles
) -> None:
    manager = roles.answers_questions
    if callback_data.cat and await questions.category(session, callback_data.cat) is None:
        await callback.answer(tq.FAQ_GONE, show_alert=True)
        return
    if not callback_data.entry:
        await callback.answer()
        await show(callback, *await faq_screen(session, callback_data.cat, manager))
        return
    entry = await questions.faq_entry(session, callback_data.entry)
    if entry is None or (entry.hidden and not manager):
        await callback.answer(tq.FAQ_GONE, show_alert=True)
        return
    await callback.answer()
    await show(callback, *await faq_entry_screen(session, entry, manager))


async def on_faq_search(message: Message, session: AsyncSession, roles: Roles) -> None:
    query = (message.text or "")[: ru.SEARCH_QUERY_LIMIT]
    found = await questions.faq(session, words=query, with_hidden=roles.answers_questions)
    if not found:
        await message.answer(tq.FAQ_NOTHING.format(query=h(query)))
        return
    text = fit(tq.FAQ_FOUND.format(query=h(query)), faq_sections(found))
    await message.answer(
        text, reply_markup=InlineKeyboardMarkup(inline_keyboard=faq_entry_rows(found))
    )


async def cmd_questions_not_answerer(message: Message) -> None:
    # Answerers' /questions is taken by their own router, registered before this one.
    await message.answer(tq.NOT_ANSWERER)


def router() -> Router:
    """This module's handlers on a fresh router (one per dispatcher)."""
    r = Router(name=__name__)
    r.message.register(cmd_ask, Command("ask"))
    r.message.register(cmd_myquestions, Command("myquestions"))
    r.message.register(cmd_faq, Command("faq"))
    r.message.register(cmd_questions_not_answerer, Command("questions"))
    r.callback_query.register(on_ask_button, AskCB.filter())
    r.callback_query.register(on_my_button, MyCB.filter())
    r.callback_query.register(on_faq_button, FaqCB.filter())
    r.message.register(on_question_part, StateFilter(Asking.writing), NOT_COMMAND)
    r.message.register(on_clarification, StateFilter(Asking.clarifying), NOT_COMMAND)
    r.message.register(on_rating_comment, StateFilter(Asking.rating_comment), TYPED)
    r.message.register(on_rating_not_text, StateFilter(Asking.rating_comment), NOT_COMMAND)
    r.message.register(on_faq_search, StateFilter(Asking.faq_search), TYPED)
    return r
