"""Questionnaire screens: one question per message, and the review of every answer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from handlers import keyboards
from handlers.callbacks import QCB, QAction
from models import Organization
from services.monitoring import campaigns
from services.monitoring.questionnaire import (
    Question,
    QuestionType,
    can_skip,
    format_answer,
    missing_required,
    position,
    previous_question,
    relevant_questions,
    review,
)
from services.monitoring.submissions import Workspace
from texts import ru
from texts.ru import h

Screen = tuple[str, InlineKeyboardMarkup | None]
ANSWER_PREVIEW = 150
TIME_FORMAT = "%d.%m.%Y %H:%M"


def _b(text: str, action: QAction, sub: int, qi: int = -1, ci: int = -1) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=QCB.packed(action, sub, qi, ci))


def choose_org(orgs: Sequence[Organization]) -> Screen:
    rows = [[_b(keyboards.short(org.name), QAction.ORG, org.id)] for org in orgs]
    return ru.Q_CHOOSE_ORG, InlineKeyboardMarkup(inline_keyboard=rows)


def _header(space: Workspace) -> str:
    return ru.Q_HEADER.format(
        org=h(space.org.name), quarter=campaigns.quarter_label(space.campaign)
    )


def _short(text: str) -> str:
    return text if len(text) <= ANSWER_PREVIEW else text[: ANSWER_PREVIEW - 1] + "…"


def _answer_buttons(
    space: Workspace, question: Question, qi: int, selected: list[str]
) -> list[list[InlineKeyboardButton]]:
    sub = space.submission.id
    if question.type is QuestionType.YES_NO:
        return [
            [_b(ru.Q_YES, QAction.CHOOSE, sub, qi, 1), _b(ru.Q_NO, QAction.CHOOSE, sub, qi, 0)]
        ]
    if question.type is QuestionType.SELECT_ONE:
        return [
            [_b(keyboards.short(c.label), QAction.CHOOSE, sub, qi, ci)]
            for ci, c in enumerate(question.options)
        ]
    if question.type is QuestionType.SELECT_MULTIPLE:
        rows = [
            [
                _b(
                    (ru.TOPIC_ON if c.id in selected else ru.TOPIC_OFF).format(
                        title=keyboards.short(c.label)
                    ),
                    QAction.TOGGLE,
                    sub,
                    qi,
                    ci,
                )
            ]
            for ci, c in enumerate(question.options)
        ]
        rows.append([_b(ru.Q_DONE, QAction.DONE, sub, qi)])
        return rows
    if question.type is QuestionType.NOTE:
        return [[_b(ru.Q_NEXT, QAction.NEXT, sub, qi)]]
    return []


def question_screen(
    space: Workspace, question: Question, selected: list[str], tz: ZoneInfo
) -> Screen:
    """The question with its buttons; typed answers are asked for in words. The opening
    screen says until when answers are taken; no «Назад» where nothing comes before."""
    q = space.questionnaire
    qi = q.index(question.id)
    sub = space.submission.id
    first = previous_question(q, space.answers, space.level, question.id) is None
    lines = [_header(space)]
    if relevant_questions(q, space.answers, space.level)[0] is question:  # the opening screen
        lines.append(ru.Q_DEADLINE.format(deadline=_local(space.campaign.deadline, tz)))
    if question.answerable:
        n, total = position(q, space.answers, space.level, question.id)
        lines.append(ru.Q_POSITION.format(n=n, total=total))
    lines.append(f"\n<b>{h(question.text)}</b>")
    if question.hint:
        lines.append(f"<i>{h(question.hint)}</i>")
    elif question.type.value in ru.Q_TYPE_HINT:  # the question's own hint says it better
        lines.append(ru.Q_TYPE_HINT[question.type.value])
    if question.id in space.answers:
        lines.append(
            ru.Q_CURRENT.format(
                answer=h(_short(format_answer(question, space.answers[question.id])))
            )
        )
    rows = _answer_buttons(space, question, qi, selected)
    previous = space.previous.get(question.id)
    if question.answerable and previous is not None:
        same = ru.Q_SAME.format(answer=keyboards.short(format_answer(question, previous)))
        rows.append([_b(same, QAction.SAME, sub, qi)])
    navigation = [] if first else [_b(ru.Q_BACK, QAction.BACK, sub, qi)]
    if can_skip(question):
        navigation.append(_b(ru.Q_SKIP, QAction.SKIP, sub, qi))
    rows.append(navigation)
    rows.append([_b(ru.Q_SAVE_EXIT, QAction.EXIT, sub, qi)])
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=[row for row in rows if row])


def review_screen(space: Workspace, tz: ZoneInfo) -> Screen:
    """Every shown question with its answer; each editable; «Отправить» when complete."""
    q = space.questionnaire
    items = review(q, space.answers, space.level)
    lines = [ru.Q_REVIEW_TITLE.format(org=h(space.org.name))]
    edit_buttons = []
    for n, (question, value) in enumerate(items, 1):
        answer = format_answer(question, value) if question.id in space.answers else "—"
        lines.append(
            ru.Q_REVIEW_LINE.format(n=n, question=h(question.text), answer=h(_short(answer)))
        )
        edit_buttons.append(
            _b(ru.Q_EDIT.format(n=n), QAction.EDIT, space.submission.id, q.index(question.id))
        )
    text = "\n\n".join(lines)
    missing = missing_required(q, space.answers, space.level)
    numbers = [str(n) for n, (question, _) in enumerate(items, 1) if question in missing]
    rows = [edit_buttons[i : i + 5] for i in range(0, len(edit_buttons), 5)]
    deadline = _local(space.campaign.deadline, tz)
    if space.submitted:
        when = _local(space.submission.submitted_at, tz) if space.submission.submitted_at else ""
        text += ru.Q_REVIEW_SUBMITTED.format(when=when, deadline=deadline)
    elif numbers:
        text += ru.Q_REVIEW_MISSING.format(numbers=", ".join(numbers))
    else:
        rows.append([_b(ru.Q_SUBMIT, QAction.SUBMIT, space.submission.id)])
    rows.append([_b(ru.Q_SAVE_EXIT, QAction.EXIT, space.submission.id)])
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def _local(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime(TIME_FORMAT)


def submitted_text(space: Workspace, tz: ZoneInfo) -> str:
    return ru.Q_SUBMITTED.format(deadline=_local(space.campaign.deadline, tz))
