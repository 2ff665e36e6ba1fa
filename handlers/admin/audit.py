"""/audit: the journal of admin actions for regional admins, latest first, ten to a page,
filtered by kind and by person."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from handlers import keyboards
from handlers.callbacks import AuditAction, AuditCB
from handlers.ui import show
from models import AuditKind
from services import audit
from services.people import Roles
from texts import ru
from texts.ru import h

Screen = tuple[str, InlineKeyboardMarkup]


def _b(
    text: str, action: AuditAction, kind: str, person: int, page: int = 0
) -> InlineKeyboardButton:
    data = AuditCB(action=action, page=page, kind=kind, person=person)
    return InlineKeyboardButton(text=keyboards.short(text), callback_data=data.pack())


async def _journal(
    session: AsyncSession, settings: Settings, number: int, kind: AuditKind | None, person: int
) -> Screen:
    found = await audit.page(session, audit.Filters(person_id=person or None, kind=kind), number)
    lines = [ru.AUDIT_TITLE]
    if kind is not None:
        lines.append(ru.AUDIT_FILTER_KIND.format(kind=ru.AUDIT_KINDS[kind.value]))
    if person:
        names = dict(await audit.actors(session))
        lines.append(ru.AUDIT_FILTER_PERSON.format(person=h(names.get(person, audit.FORGOTTEN))))
    if not found.entries:
        lines += ["", ru.AUDIT_EMPTY]
    else:
        lines.append(
            ru.AUDIT_COUNT.format(total=found.total, page=found.number + 1, pages=found.pages)
        )
    for entry in found.entries:
        lines += [
            "",
            ru.AUDIT_LINE.format(
                when=entry.at.astimezone(settings.tz).strftime(audit.TIME_FORMAT),
                who=h(audit.actor_label(entry)),
                what=h(audit.describe(entry, settings.tz)),
            ),
        ]
    code = kind.value if kind else ""
    arrows = []
    if found.number > 0:
        arrows.append(_b(ru.AUDIT_PREV, AuditAction.PAGE, code, person, found.number - 1))
    if found.number + 1 < found.pages:
        arrows.append(_b(ru.AUDIT_NEXT, AuditAction.PAGE, code, person, found.number + 1))
    rows = [arrows] if arrows else []
    rows.append(
        [
            _b(ru.AUDIT_BY_KIND, AuditAction.KINDS, code, person),
            _b(ru.AUDIT_BY_PERSON, AuditAction.PEOPLE, code, person),
        ]
    )
    if kind is not None or person:
        rows.append([_b(ru.AUDIT_RESET, AuditAction.PAGE, "", 0)])
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


async def _kinds(session: AsyncSession, kind: AuditKind | None, person: int) -> Screen:
    """A button per kind the journal holds; the person filter stays."""
    buttons = [
        _b(ru.AUDIT_KINDS[k.value], AuditAction.PAGE, k.value, person)
        for k in await audit.kinds(session)
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([_b(ru.AUDIT_ALL_KINDS, AuditAction.PAGE, "", person)])
    rows.append([_b(ru.BACK, AuditAction.PAGE, kind.value if kind else "", person)])
    return ru.AUDIT_CHOOSE_KIND, InlineKeyboardMarkup(inline_keyboard=rows)


async def _people(session: AsyncSession, kind: AuditKind | None, person: int) -> Screen:
    """A button per person who appears in the journal; the kind filter stays."""
    code = kind.value if kind else ""
    found = await audit.actors(session)
    rows = [
        [_b(name or str(person_id), AuditAction.PAGE, code, person_id)]
        for person_id, name in found
    ]
    rows.append([_b(ru.AUDIT_ALL_PEOPLE, AuditAction.PAGE, code, 0)])
    rows.append([_b(ru.BACK, AuditAction.PAGE, code, person)])
    return (ru.AUDIT_CHOOSE_PERSON if found else ru.AUDIT_NO_PEOPLE), InlineKeyboardMarkup(
        inline_keyboard=rows
    )


async def cmd_audit(
    message: Message, session: AsyncSession, roles: Roles, settings: Settings
) -> None:
    if not roles.regional_admin:
        await message.answer(ru.MON_FORBIDDEN)
        return
    text, markup = await _journal(session, settings, 0, None, 0)
    await message.answer(text, reply_markup=markup)


async def on_audit_button(
    callback: CallbackQuery,
    callback_data: AuditCB,
    session: AsyncSession,
    roles: Roles,
    settings: Settings,
) -> None:
    if not roles.regional_admin:
        await callback.answer(ru.MON_FORBIDDEN, show_alert=True)
        return
    try:
        kind = AuditKind(callback_data.kind) if callback_data.kind else None
    except ValueError:
        await callback.answer(ru.STALE_BUTTON, show_alert=True)
        return
    await callback.answer()
    person = max(callback_data.person, 0)
    if callback_data.action is AuditAction.KINDS:
        await show(callback, *await _kinds(session, kind, person))
    elif callback_data.action is AuditAction.PEOPLE:
        await show(callback, *await _people(session, kind, person))
    else:
        await show(callback, *await _journal(session, settings, callback_data.page, kind, person))


def router() -> Router:
    """This module's handlers on a fresh router (one per dispatcher)."""
    r = Router(name=__name__)
    r.message.register(cmd_audit, Command("audit"))
    r.callback_query.register(on_audit_button, AuditCB.filter())
    return r
