"""What the member's and the answerer's question screens share: callback data, copying a
message as written, the card an answerer sees."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from handlers.keyboards import short
from handlers.ui import fit
from models import FaqEntry, Organization, Person, Question, QuestionStatus, utcnow
from services import questions
from services.people import Roles
from texts import questions as tq
from texts.ru import h

ACCEPTED_CONTENT = frozenset({"text", "photo", "document"})


class AskAction(StrEnum):
    START = "b"  # the «Задать вопрос» button of /help
    CATEGORY = "c"
    SEND = "s"
    SEND_ANONYMOUS = "a"
    CANCEL = "x"
    CLARIFY = "l"
    UP = "u"
    DOWN = "d"
    NO_COMMENT = "n"
    NO_CLARIFICATION = "z"  # «Отмена» under «Напишите уточнение»
    TOPICS = "g"  # «« Назад» from writing to the choice of category: the empty draft goes


class AskCB(CallbackData, prefix="qk"):
    """A member's button: `q` the question (0 before the draft), `cat` the category."""

    action: AskAction
    q: int = 0
    cat: int = 0


class CardAction(StrEnum):
    TAKE = "t"
    TO_REGION = "r"
    CLOSE = "c"
    ANSWER = "a"
    FAQ = "f"
    OPEN = "o"
    CANCEL = "x"


class CardCB(CallbackData, prefix="qa"):
    """An answerer's button on a question's card."""

    action: CardAction
    q: int


class ListCB(CallbackData, prefix="ql"):
    """/questions: the state filter ("" open and taken), the category (0 all), the page."""

    status: str = ""
    cat: int = 0
    page: int = 0


class MyCB(CallbackData, prefix="qm"):
    """/myquestions: the list's `page`, or the member's question `q` opened from it; `resend`
    sends the question's messages again as written."""

    page: int = 0
    q: int = 0
    resend: bool = False


class FaqCB(CallbackData, prefix="faq"):
    """/faq: a category (0: the list of them) and one of its entries opened (0: none)."""

    cat: int = 0
    entry: int = 0


class FaqAction(StrEnum):
    QUESTION = "q"  # asks for the question's new text
    ANSWER = "a"  # asks for the answer's new text
    SAVE = "s"  # the typed text, as previewed
    HIDE = "h"  # asks to confirm
    HIDE_YES = "y"
    SHOW = "w"
    BACK = "b"  # to the entry, nothing changed


class FaqEditCB(CallbackData, prefix="faqe"):
    """An answerer's button on a FAQ entry; `v` names the typed text a «Сохранить» saves."""

    action: FaqAction
    entry: int
    v: int = 0


def button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def scope_of(roles: Roles) -> questions.Scope:
    return questions.Scope(
        regional=roles.regional_admin or roles.regional_consultant,
        territories=roles.territories | roles.consultant_of,
    )


def content_of(message: Message) -> tuple[str, str | None]:
    """The message's type and its text (the caption of a photo or document)."""
    kind = message.content_type
    return str(getattr(kind, "value", kind)), message.text or message.caption


async def copy(bot: Bot, chat_id: int, from_chat: int | None, message_id: int | None) -> bool:
    """Copy a stored message as written (no «forwarded from»: an anonymous author stays so)."""
    if from_chat is None or message_id is None:
        return False
    try:
        await bot.copy_message(chat_id, from_chat, message_id)
    except (TelegramBadRequest, TelegramForbiddenError):
        return False
    return True


async def card(
    session: AsyncSession, question: Question, settings: Settings, *, show_author: bool
) -> str:
    """The answerer's card: the author's name only after «Взять», never when anonymous."""
    category = await questions.category(session, question.category_id)
    org = await session.get(Organization, question.org_id) if question.org_id else None
    days = questions.waiting_days(question, utcnow(), settings.tz)
    text = tq.CARD.format(
        number=question.id,
        category=h(category.title if category else ""),
        org=h(org.name) if org else tq.NO_ORG,
        waiting=tq.WAIT_DAYS.format(days=days) if days else tq.WAIT_TODAY,
    )
    if question.status is not QuestionStatus.OPEN:
        text += tq.CARD_STATUS.format(status=tq.STATUS[question.status.value])
    if show_author:
        if question.anonymous:
            text += tq.CARD_ANONYMOUS
        else:
            person = await session.get(Person, question.person_id) if question.person_id else None
            if person is not None:
                name = " ".join(filter(None, [person.first_name, person.last_name]))
                user = f" @{person.username}" if person.username else ""
                text += tq.CARD_AUTHOR.format(name=h(name + user))
    return text


def card_buttons(question: Question) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    if question.status is QuestionStatus.OPEN:
        rows.append([button(tq.TAKE, CardCB(action=CardAction.TAKE, q=question.id))])
    if question.status in questions.WAITING:
        if question.territory_id is not None:
            rows.append([button(tq.TO_REGION, CardCB(action=CardAction.TO_REGION, q=question.id))])
        rows.append([button(tq.CLOSE, CardCB(action=CardAction.CLOSE, q=question.id))])
    if question.status is QuestionStatus.ANSWERED:
        rows.append([button(tq.TO_FAQ, CardCB(action=CardAction.FAQ, q=question.id))])
    rows.append([button(tq.BACK, ListCB())])
    return InlineKeyboardMarkup(inline_keyboard=rows)


# --- the FAQ's screens: members read them, answerers also manage the entries ------------

Screen = tuple[str, InlineKeyboardMarkup]


def faq_sections(entries: Sequence[FaqEntry]) -> list[tuple[str, str]]:
    """The entries as `fit` sections: each question in bold, its answer under it."""
    sections: list[tuple[str, str]] = []
    for entry in entries:
        mark = tq.FAQ_HIDDEN_MARK if entry.hidden else ""
        sections += [
            (tq.FAQ_ITEM_QUESTION, mark + entry.question),
            (tq.FAQ_ITEM_ANSWER, entry.answer),
        ]
    return sections


def faq_entry_rows(entries: Sequence[FaqEntry]) -> list[list[InlineKeyboardButton]]:
    """A button per entry that opens it whole (a list may have to cut long answers)."""
    return [
        [
            button(
                short(
                    tq.FAQ_OPEN.format(
                        question=(tq.FAQ_HIDDEN_MARK if e.hidden else "") + e.question
                    )
                ),
                FaqCB(cat=e.category_id, entry=e.id),
            )
        ]
        for e in entries
    ]


async def faq_screen(session: AsyncSession, category_id: int, manager: bool) -> Screen:
    """The categories (0), or a category's entries; hidden ones only for a `manager`."""
    cats = await questions.categories(session)
    if not category_id:
        rows = [[button(c.title, FaqCB(cat=c.id))] for c in cats]
        return tq.FAQ_TITLE, InlineKeyboardMarkup(inline_keyboard=rows)
    title = next((c.title for c in cats if c.id == category_id), "")
    entries = await questions.faq(session, category_id, with_hidden=manager)
    head = tq.FAQ_CATEGORY.format(category=h(title))
    text = fit(head, faq_sections(entries)) if entries else head + tq.FAQ_EMPTY
    rows = faq_entry_rows(entries)
    rows.append([button(tq.BACK, FaqCB())])
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


async def faq_entry_screen(session: AsyncSession, entry: FaqEntry, manager: bool) -> Screen:
    """One entry whole; a `manager` sees its state and the buttons to edit or hide it."""
    category = await questions.category(session, entry.category_id)
    head = tq.FAQ_CATEGORY.format(category=h(category.title if category else ""))
    rows: list[list[InlineKeyboardButton]] = []
    if manager:
        head += tq.FAQ_STATE_HIDDEN if entry.hidden else tq.FAQ_STATE_SHOWN
        rows.append(
            [
                button(tq.FAQ_EDIT_QUESTION, FaqEditCB(action=FaqAction.QUESTION, entry=entry.id)),
                button(tq.FAQ_EDIT_ANSWER, FaqEditCB(action=FaqAction.ANSWER, entry=entry.id)),
            ]
        )
        toggle = (
            button(tq.FAQ_SHOW, FaqEditCB(action=FaqAction.SHOW, entry=entry.id))
            if entry.hidden
            else button(tq.FAQ_HIDE, FaqEditCB(action=FaqAction.HIDE, entry=entry.id))
        )
        rows.append([toggle])
    rows.append([button(tq.BACK, FaqCB(cat=entry.category_id))])
    text = fit(head, faq_sections([entry]))
    return text, InlineKeyboardMarkup(inline_keyboard=rows)
