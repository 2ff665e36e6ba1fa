"""Inline keyboards; every button carries a CallbackData from handlers.callbacks."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from handlers.callbacks import (
    ConsentAnswer,
    ConsentCB,
    Flow,
    ForgetCB,
    OrgAction,
    OrgCB,
    ProfileAction,
    ProfileCB,
    TopicAction,
    TopicCB,
)
from models import Organization, Topic
from texts import ru

PAGE_SIZE = 8
BUTTON_TEXT_LIMIT = 64


def short(name: str) -> str:
    """A name cut to fit a button."""
    return name if len(name) <= BUTTON_TEXT_LIMIT else name[: BUTTON_TEXT_LIMIT - 1] + "…"


def _button(
    text: str, data: OrgCB | TopicCB | ConsentCB | ProfileCB | ForgetCB
) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def consent(link: str = "") -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(ru.CONSENT_YES, ConsentCB(answer=ConsentAnswer.YES, link=link)),
                _button(ru.CONSENT_NO, ConsentCB(answer=ConsentAnswer.NO, link=link)),
            ]
        ]
    )


def pages(total: int, size: int = PAGE_SIZE) -> int:
    return max(1, -(-total // size))


def pager(
    page: int, total: int, to_page: Callable[[int], CallbackData], size: int = PAGE_SIZE
) -> list[InlineKeyboardButton]:
    """The ◀️ ▶️ row under a paged list (empty when it fits one page); `to_page(n)` is the
    button's callback data for page n."""
    row = []
    if page > 0:
        row.append(InlineKeyboardButton(text=ru.PREV, callback_data=to_page(page - 1).pack()))
    if page + 1 < pages(total, size):
        row.append(InlineKeyboardButton(text=ru.NEXT, callback_data=to_page(page + 1).pack()))
    return row


def _org_rows(
    orgs: Iterable[Organization], flow: Flow, action: OrgAction
) -> list[list[InlineKeyboardButton]]:
    return [
        [_button(short(org.name), OrgCB(action=action, flow=flow, org_id=org.id))] for org in orgs
    ]


def _pager(
    flow: Flow, action: OrgAction, org_id: int, page: int, total: int
) -> list[InlineKeyboardButton]:
    return pager(page, total, lambda n: OrgCB(action=action, flow=flow, org_id=org_id, page=n))


def _skip(flow: Flow) -> list[InlineKeyboardButton]:
    return [_button(ru.SKIP, OrgCB(action=OrgAction.SKIP, flow=flow))]


def territories(
    orgs: Sequence[Organization], total: int, page: int, flow: Flow, regional_id: int | None
) -> InlineKeyboardMarkup:
    """A page of territorial organisations; choosing one opens its primaries."""
    rows = _org_rows(orgs, flow, OrgAction.OPEN)
    if regional_id is not None:
        rows.append(
            [
                _button(
                    ru.REGIONAL_SUBORDINATION,
                    OrgCB(action=OrgAction.OPEN, flow=flow, org_id=regional_id),
                )
            ]
        )
    pager = _pager(flow, OrgAction.TERRITORIES, 0, page, total)
    if pager:
        rows.append(pager)
    rows.append(_skip(flow))
    return InlineKeyboardMarkup(inline_keyboard=rows)


def primaries(
    parent: Organization, orgs: Sequence[Organization], total: int, page: int, flow: Flow
) -> InlineKeyboardMarkup:
    """A page of primary organisations under `parent`, with a way back and a way out."""
    rows = _org_rows(orgs, flow, OrgAction.PICK)
    pager = _pager(flow, OrgAction.OPEN, parent.id, page, total)
    if pager:
        rows.append(pager)
    rows.append(
        [_button(ru.ONLY_TERRITORY, OrgCB(action=OrgAction.PICK, flow=flow, org_id=parent.id))]
    )
    rows.append([_button(ru.BACK, OrgCB(action=OrgAction.TERRITORIES, flow=flow)), *_skip(flow)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def search_results(
    orgs: Sequence[Organization], flow: Flow, total: int, page: int
) -> InlineKeyboardMarkup:
    rows = _org_rows(orgs, flow, OrgAction.PICK)
    rows.append(_pager(flow, OrgAction.MORE, 0, page, total))
    rows.append(
        [_button(ru.TO_LIST, OrgCB(action=OrgAction.TERRITORIES, flow=flow)), *_skip(flow)]
    )
    return InlineKeyboardMarkup(inline_keyboard=[row for row in rows if row])


def confirm_org(org_id: int, flow: Flow) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(ru.DEEP_LINK_YES, OrgCB(action=OrgAction.PICK, flow=flow, org_id=org_id))],
            [_button(ru.DEEP_LINK_OTHER, OrgCB(action=OrgAction.TERRITORIES, flow=flow))],
        ]
    )


def topics(all_topics: Sequence[Topic], chosen: set[int], flow: Flow) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for topic in all_topics:
        template = ru.TOPIC_ON if topic.id in chosen else ru.TOPIC_OFF
        builder.row(
            _button(
                template.format(title=topic.title),
                TopicCB(action=TopicAction.TOGGLE, flow=flow, topic_id=topic.id),
            )
        )
    builder.row(_button(ru.TOPICS_DONE, TopicCB(action=TopicAction.DONE, flow=flow)))
    return builder.as_markup()


def profile() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(ru.PROFILE_CHANGE_ORG, ProfileCB(action=ProfileAction.ORG))],
            [_button(ru.PROFILE_TOPICS, ProfileCB(action=ProfileAction.TOPICS))],
        ]
    )


def forget() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(ru.FORGET_YES, ForgetCB(confirm=True)),
                _button(ru.FORGET_NO, ForgetCB(confirm=False)),
            ]
        ]
    )
