"""/anketa: an officer answers the quarter's questionnaire, one question per message.

Every answer is stored when given; where the officer is comes from the saved answers (and the
question on screen from the database-backed FSM), so a restart resumes at the same question.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from handlers.callbacks import QCB, QAction
from handlers.filters import TYPED
from handlers.officer import views
from handlers.states import Answering
from handlers.ui import show
from models import Person, utcnow
from services.monitoring import submissions
from services.monitoring.questionnaire import (
    AnswerError,
    Question,
    QuestionType,
    can_skip,
    choose,
    format_answer,
    next_question,
    parse_answer,
    previous_question,
    validate_selection,
)
from services.monitoring.submissions import Refusal, Workspace
from services.people import Roles
from texts import ru
from texts.ru import h

REFUSALS = {
    Refusal.NOT_OFFICER: ru.Q_FOREIGN,
    Refusal.NO_CAMPAIGN: ru.Q_NO_CAMPAIGN,
    Refusal.CLOSED: ru.Q_CLOSED,
}


async def _render(
    target: Message | CallbackQuery, screen: tuple[str, InlineKeyboardMarkup | None]
) -> None:
    if isinstance(target, CallbackQuery):
        await show(target, *screen)
    else:
        await target.answer(screen[0], reply_markup=screen[1])


async def _ask(
    target: Message | CallbackQuery,
    space: Workspace,
    question: Question,
    state: FSMContext,
    tz: ZoneInfo,
    *,
    reviewing: bool = False,
) -> None:
    """Show a question and remember it (with any half-made multiple choice) in the FSM."""
    stored = space.answers.get(question.id)
    selected = list(stored) if isinstance(stored, list) else []
    await state.set_state(Answering.question)
    await state.set_data(
        {
            "sub": space.submission.id,
            "qi": space.questionnaire.index(question.id),
            "sel": selected,
            "review": reviewing,
        }
    )
    await _render(target, views.question_screen(space, question, selected, tz))


async def _review(
    target: Message | CallbackQuery, space: Workspace, state: FSMContext, settings: Settings
) -> None:
    await state.clear()
    await _render(target, views.review_screen(space, settings.tz))


async def _advance(
    target: Message | CallbackQuery,
    space: Workspace,
    question: Question,
    state: FSMContext,
    settings: Settings,
) -> None:
    """After an answer: back to the review when editing from it, else the next question."""
    data = await state.get_data()
    following = (
        None
        if data.get("review")
        else next_question(space.questionnaire, space.answers, space.level, after=question.id)
    )
    if following is None:
        await _review(target, space, state, settings)
    else:
        await _ask(target, space, following, state, settings.tz)


async def _resume(
    target: Message | CallbackQuery, space: Workspace, state: FSMContext, settings: Settings
) -> None:
    """Where the officer left off: the first unanswered question, or the review."""
    if space.submitted:
        await _review(target, space, state, settings)
        return
    question = next_question(space.questionnaire, space.answers, space.level)
    if question is None:
        await _review(target, space, state, settings)
    else:
        await _ask(target, space, question, state, settings.tz)


async def cmd_anketa(
    message: Message,
    session: AsyncSession,
    state: FSMContext,
    person: Person,
    roles: Roles,
    settings: Settings,
) -> None:
    orgs = await submissions.officer_orgs(session, person)
    if not orgs:
        await message.answer(ru.Q_NOT_OFFICER)
        return
    if len(orgs) > 1:
        await state.clear()
        text, markup = views.choose_org(orgs)
        await message.answer(text, reply_markup=markup)
        return
    space = await submissions.open_for(session, roles, orgs[0].id, utcnow())
    if isinstance(space, Refusal):
        await message.answer(REFUSALS[space])
        return
    await _resume(message, space, state, settings)


async def on_org_chosen(
    callback: CallbackQuery,
    callback_data: QCB,
    session: AsyncSession,
    state: FSMContext,
    roles: Roles,
    settings: Settings,
) -> None:
    space = await submissions.open_for(session, roles, callback_data.sub, utcnow())
    if isinstance(space, Refusal):
        await callback.answer(REFUSALS[space], show_alert=True)
        return
    await callback.answer()
    await _resume(callback, space, state, settings)


async def _space_and_question(
    callback: CallbackQuery, data: QCB, session: AsyncSession, roles: Roles
) -> tuple[Workspace, Question | None] | None:
    """The submission and question a button names, checked; answers the button when refused."""
    space = await submissions.load(session, roles, data.sub, utcnow())
    if isinstance(space, Refusal):
        await callback.answer(REFUSALS[space], show_alert=True)
        return None
    questions = space.questionnaire.questions
    if data.qi == -1:
        return space, None
    if not 0 <= data.qi < len(questions):
        await callback.answer(ru.Q_STALE, show_alert=True)
        return None
    return space, questions[data.qi]


def _choice_value(question: Question, index: int) -> Any:
    """The stored value of a pressed answer button; AnswerError for a forged index."""
    if question.type is QuestionType.YES_NO and index in (0, 1):
        return index == 1
    if question.type is QuestionType.SELECT_ONE and 0 <= index < len(question.options):
        return choose(question, question.options[index].id)
    raise AnswerError(ru.Q_STALE)


async def on_button(
    callback: CallbackQuery,
    callback_data: QCB,
    session: AsyncSession,
    state: FSMContext,
    person: Person,
    roles: Roles,
    settings: Settings,
) -> None:
    found = await _space_and_question(callback, callback_data, session, roles)
    if found is None:
        return
    space, question = found
    action = callback_data.action
    if question is None:
        await _on_whole(callback, action, space, state, person, session, settings)
        return
    try:
        await _on_question(
            callback, callback_data, space, question, state, person, session, settings
        )
    except AnswerError as error:
        await callback.answer(error.message, show_alert=True)


async def _on_question(
    callback: CallbackQuery,
    data: QCB,
    space: Workspace,
    question: Question,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    settings: Settings,
) -> None:
    action = data.action
    now = utcnow()
    if action is QAction.TOGGLE:
        await _toggle(callback, data, space, question, state, settings.tz)
        return
    if action is QAction.BACK:
        await callback.answer()
        before = previous_question(space.questionnaire, space.answers, space.level, question.id)
        if before is None:
            await _ask(callback, space, question, state, settings.tz)
        else:
            await _ask(callback, space, before, state, settings.tz)
        return
    if action is QAction.EDIT:
        await callback.answer()
        await _ask(callback, space, question, state, settings.tz, reviewing=True)
        return
    if action is QAction.EXIT:
        await callback.answer()
        await state.clear()
        await show(callback, ru.Q_SAVED_EXIT)
        return
    value = await _value_of(action, data, space, question, state)
    await callback.answer()
    if question.answerable:
        await submissions.save_answer(session, space, question, value, person, now)
    await _advance(callback, space, question, state, settings)


async def _value_of(
    action: QAction, data: QCB, space: Workspace, question: Question, state: FSMContext
) -> Any:
    """The answer a button gives: a choice, the selection, last quarter's, or a skip."""
    if action is QAction.CHOOSE:
        return _choice_value(question, data.ci)
    if action is QAction.DONE:
        return validate_selection(question, list((await state.get_data()).get("sel", [])))
    if action is QAction.SAME and question.id in space.previous:
        return space.previous[question.id]
    if action is QAction.SKIP and can_skip(question):
        return None
    if action is QAction.NEXT and question.type is QuestionType.NOTE:
        return None
    raise AnswerError(ru.Q_STALE)


async def _toggle(
    callback: CallbackQuery,
    data: QCB,
    space: Workspace,
    question: Question,
    state: FSMContext,
    tz: ZoneInfo,
) -> None:
    if question.type is not QuestionType.SELECT_MULTIPLE or not 0 <= data.ci < len(
        question.options
    ):
        raise AnswerError(ru.Q_STALE)
    stored = await state.get_data()
    if stored.get("sub") != space.submission.id or stored.get("qi") != data.qi:
        await _ask(callback, space, question, state, tz)  # a button from an older screen
        stored = await state.get_data()
    selected = list(stored.get("sel", []))
    choice_id = question.options[data.ci].id
    selected = (
        [c for c in selected if c != choice_id]
        if choice_id in selected
        else [*selected, choice_id]
    )
    await state.update_data(sel=selected)
    await callback.answer()
    await show(callback, *views.question_screen(space, question, selected, tz))


async def _on_whole(
    callback: CallbackQuery,
    action: QAction,
    space: Workspace,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    settings: Settings,
) -> None:
    """Buttons of the review screen that concern the whole submission."""
    if action is QAction.SUBMIT:
        missing = await submissions.submit(session, space, person, utcnow())
        await callback.answer()
        if missing:
            await _review(callback, space, state, settings)
        else:
            await state.clear()
            await show(callback, views.submitted_text(space, settings.tz))
        return
    await callback.answer()
    await state.clear()
    await show(callback, ru.Q_SAVED_EXIT)


async def on_typed_answer(
    message: Message,
    session: AsyncSession,
    state: FSMContext,
    person: Person,
    roles: Roles,
    settings: Settings,
) -> None:
    data = await state.get_data()
    space = await submissions.load(session, roles, int(data.get("sub", 0)), utcnow())
    if isinstance(space, Refusal):
        await state.clear()
        await message.answer(REFUSALS[space])
        return
    question = space.questionnaire.questions[int(data.get("qi", 0))]
    reviewing = bool(data.get("review"))
    if question.type.value not in ru.Q_TYPE_HINT:
        # This question is answered with the buttons: show them again.
        await _ask(message, space, question, state, settings.tz, reviewing=reviewing)
        return
    today = utcnow().astimezone(settings.tz).date()
    try:
        value = parse_answer(question, message.text or "", today=today)
    except AnswerError as error:
        await message.answer(error.message)
        await _ask(message, space, question, state, settings.tz, reviewing=reviewing)
        return
    await submissions.save_answer(session, space, question, value, person, utcnow())
    if question.type is QuestionType.URL and value != (message.text or "").strip():
        # «school1.ru» is stored as «https://school1.ru»: show what was kept.
        await message.answer(ru.Q_STORED_AS.format(answer=h(format_answer(question, value))))
    await _advance(message, space, question, state, settings)


def router() -> Router:
    """This module's handlers on a fresh router (one per dispatcher)."""
    r = Router(name=__name__)
    r.message.register(cmd_anketa, Command("anketa"))
    r.message.register(on_typed_answer, StateFilter(Answering.question), TYPED)
    r.callback_query.register(on_org_chosen, QCB.filter(F.action == QAction.ORG))
    r.callback_query.register(on_button, QCB.filter(F.action != QAction.ORG))
    return r
