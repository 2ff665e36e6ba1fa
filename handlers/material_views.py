"""Screens of the library of materials: texts and keyboards, shared by members and admins."""

from __future__ import annotations

from html import escape

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.callbacks import MatAction, MatCB
from handlers.keyboards import short
from models import Material, MaterialAudience, MaterialCategory, MaterialKind
from services.materials import Page
from texts import materials as t
from texts import ru

Screen = tuple[str, InlineKeyboardMarkup]


def button(
    text: str, action: MatAction, id: int = 0, page: int = 0, value: str = ""
) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=MatCB(action=action, id=id, page=page, value=value).pack()
    )


def menu(counts: list[tuple[MaterialCategory, int]]) -> Screen:
    rows = [
        [
            button(
                t.CATEGORY_BUTTON.format(title=category.title, count=count),
                MatAction.CATEGORY,
                id=category.id,
            )
        ]
        for category, count in counts
        if count
    ]
    return (t.MENU if rows else t.MENU_EMPTY), InlineKeyboardMarkup(inline_keyboard=rows)


def _items(page: Page) -> list[list[InlineKeyboardButton]]:
    return [
        [
            button(
                short((t.HIDDEN_MARK if item.hidden else "") + item.title),
                MatAction.OPEN,
                id=item.id,
            )
        ]
        for item in page.items
    ]


def _pager(page: Page, action: MatAction, id: int = 0) -> list[InlineKeyboardButton]:
    row = []
    if page.page > 0:
        row.append(button(ru.PREV, action, id=id, page=page.page - 1))
    if page.page + 1 < page.pages:
        row.append(button(ru.NEXT, action, id=id, page=page.page + 1))
    return row


def category_page(category: MaterialCategory, page: Page) -> Screen:
    rows = _items(page)
    pager = _pager(page, MatAction.CATEGORY, category.id)
    if pager:
        rows.append(pager)
    rows.append([button(t.TO_CATEGORIES, MatAction.MENU)])
    title = escape(category.title)
    text = (
        t.CATEGORY_LIST.format(title=title, page=page.page + 1, pages=page.pages)
        if page.total
        else t.CATEGORY_EMPTY.format(title=title)
    )
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def found(query: str, page: Page) -> Screen:
    rows = _items(page)
    pager = _pager(page, MatAction.FOUND)
    if pager:
        rows.append(pager)
    rows.append([button(t.TO_CATEGORIES, MatAction.MENU)])
    shown = escape(query[:100])
    text = (
        t.SEARCH_FOUND.format(query=shown, total=page.total, page=page.page + 1, pages=page.pages)
        if page.total
        else t.SEARCH_NONE.format(query=shown)
    )
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def caption(material: Material, category: MaterialCategory) -> str:
    if material.kind is MaterialKind.LINK:
        return t.LINK_MESSAGE.format(
            title=escape(material.title),
            category=escape(category.title),
            url=escape(material.url or ""),
        )
    text = t.CAPTION.format(title=escape(material.title), category=escape(category.title))
    if material.description:
        text += "\n\n" + escape(material.description[:800])
    return text


def after_open(material: Material) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button(ru.BACK, MatAction.CATEGORY, id=material.category_id)],
            [button(t.TO_CATEGORIES, MatAction.MENU)],
        ]
    )


def card(material: Material, category: MaterialCategory, where: str) -> Screen:
    """An admin's screen of one material: what it is and what can be done with it."""
    if material.stored_path:
        copy = t.COPY_KEPT
    elif material.kind is MaterialKind.LINK:
        copy = t.COPY_LINK
    else:
        copy = t.COPY_TOO_BIG
    text = t.CARD.format(
        title=escape(material.title),
        category=escape(category.title),
        audience=audience_title(material.audience),
        where=escape(where),
        opens=material.opens,
        state=t.STATE_HIDDEN if material.hidden else t.STATE_SHOWN,
        copy=copy,
    )
    rows = [
        [
            button(t.EDIT_TITLE, MatAction.TITLE, id=material.id),
            button(t.EDIT_CATEGORY, MatAction.CATEGORIES, id=material.id),
        ],
        [
            button(t.SHOW, MatAction.SHOW, id=material.id)
            if material.hidden
            else button(t.HIDE, MatAction.HIDE, id=material.id),
            button(t.DELETE, MatAction.DELETE, id=material.id),
        ],
    ]
    if material.audience is MaterialAudience.ALL and not material.hidden:
        rows.append([button(t.ANNOUNCE, MatAction.ANNOUNCE, id=material.id)])
    rows.append([button(ru.BACK, MatAction.CATEGORY, id=material.category_id)])
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def audience_title(audience: MaterialAudience) -> str:
    return t.AUDIENCE_ALL if audience is MaterialAudience.ALL else t.AUDIENCE_ACTIVISTS


def choose_category(
    categories: list[MaterialCategory], action: MatAction, material_id: int = 0
) -> InlineKeyboardMarkup:
    rows = [
        [button(category.title, action, id=material_id, value=str(category.id))]
        for category in categories
    ]
    if action is MatAction.ADD_CATEGORY:
        rows.append([button(t.CANCEL, MatAction.ADD_CANCEL)])
    else:
        rows.append([button(ru.BACK, MatAction.CARD, id=material_id)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def choose_audience() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button(t.AUDIENCE_ALL, MatAction.ADD_AUDIENCE, value=MaterialAudience.ALL.value)],
            [
                button(
                    t.AUDIENCE_ACTIVISTS,
                    MatAction.ADD_AUDIENCE,
                    value=MaterialAudience.ACTIVISTS.value,
                )
            ],
            [button(t.CANCEL, MatAction.ADD_CANCEL)],
        ]
    )


def cancel_only() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[button(t.CANCEL, MatAction.ADD_CANCEL)]])


def confirm_delete(material: Material) -> Screen:
    return t.DELETE_CONFIRM.format(title=escape(material.title)), InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(t.DELETE_YES, MatAction.DELETE_YES, id=material.id),
                button(t.DELETE_NO, MatAction.CARD, id=material.id),
            ]
        ]
    )


def announce_markup(material_id: int) -> dict[str, object]:
    """The announcement's button, as Bot API JSON stored on the broadcast."""
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[button(t.OPEN, MatAction.OPEN, id=material_id)]]
    )
    return markup.model_dump(mode="json", exclude_none=True)
