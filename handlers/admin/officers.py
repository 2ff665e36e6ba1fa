"""Information officers: invite links (one, or a territory's as XLSX), revoking, the list."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from handlers.ui import show
from models import Organization, OrgLevel, utcnow
from services import orgs
from services.audit import Actor
from services.monitoring import invites
from services.people import Roles
from texts import ru
from texts.ru import h


class RevokeCB(CallbackData, prefix="inv"):
    token: str


def _scope(roles: Roles) -> frozenset[int] | None:
    return None if roles.regional_admin else roles.territories


async def _org_in_scope(
    message: Message, session: AsyncSession, roles: Roles, code: str | None
) -> Organization | None:
    """The organisation named in the command, if this admin may invite there; answers if not."""
    if not code:
        await message.answer(ru.INVITE_USAGE)
        return None
    org = await orgs.get_by_code(session, code.strip())
    if org is None:
        await message.answer(ru.INVITE_NO_ORG.format(code=h(code.strip())))
        return None
    if not invites.in_scope(org, _scope(roles)):
        await message.answer(ru.BC_ORG_OUTSIDE)
        return None
    return org


async def cmd_invite(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    roles: Roles,
    bot: Bot,
    settings: Settings,
    actor: Actor | None,
) -> None:
    org = await _org_in_scope(message, session, roles, command.args)
    if org is None:
        return
    invite = await invites.create(session, org, message.chat.id, utcnow(), actor)
    me = await bot.me()
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=ru.INVITE_REVOKE, callback_data=RevokeCB(token=invite.token).pack()
                )
            ]
        ]
    )
    await message.answer(
        ru.INVITE_CREATED.format(
            org=h(org.name),
            link=invites.link(me.username or "", invite),
            until=invite.expires_at.astimezone(settings.tz).strftime("%d.%m.%Y"),
        ),
        reply_markup=markup,
    )


async def cmd_invites(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    roles: Roles,
    bot: Bot,
    settings: Settings,
    actor: Actor | None,
) -> None:
    territory = await _org_in_scope(message, session, roles, command.args)
    if territory is None:
        return
    if territory.level is not OrgLevel.TERRITORIAL:
        await message.answer(ru.INVITES_NEED_TERRITORY)
        return
    pairs = await invites.create_for_territory(
        session, territory, message.chat.id, utcnow(), actor
    )
    me = await bot.me()
    rows = [
        (
            org.code,
            org.name,
            invites.link(me.username or "", invite),
            invite.expires_at.astimezone(settings.tz).strftime("%d.%m.%Y"),
        )
        for org, invite in pairs
    ]
    content = invites.workbook(rows, ru.INVITES_HEADER, ru.INVITES_SHEET)
    await message.answer_document(
        BufferedInputFile(content, filename=f"invites_{territory.code}.xlsx"),
        caption=ru.INVITES_CAPTION.format(territory=h(territory.name), count=len(rows)),
    )


async def on_revoke(
    callback: CallbackQuery,
    callback_data: RevokeCB,
    session: AsyncSession,
    roles: Roles,
    actor: Actor | None,
) -> None:
    scope = _scope(roles)
    territory = None if scope is None else min(scope, default=-1)
    if await invites.revoke(session, callback_data.token, utcnow(), territory, actor):
        await callback.answer()
        await show(callback, ru.INVITE_REVOKED)
    else:
        await callback.answer(ru.INVITE_NOT_REVOKED, show_alert=True)


async def cmd_officers(message: Message, session: AsyncSession, roles: Roles) -> None:
    scope = _scope(roles)
    territory = None if scope is None else min(scope, default=-1)
    found = await invites.officers(session, territory)
    if not found:
        await message.answer(ru.OFFICERS_NONE)
        return
    rows = [
        (
            org.code,
            org.name,
            " ".join(filter(None, [p.first_name, p.last_name])),
            f"@{p.username}" if p.username else "",
        )
        for org, p in found
    ]
    content = invites.workbook(rows, ru.OFFICERS_HEADER, ru.OFFICERS_SHEET)
    lines = [f"• {h(org)}: {h(name)} {h(user)}".rstrip() for _, org, name, user in rows[:30]]
    more = len(rows) - len(lines)
    text = "\n".join([ru.OFFICERS_TITLE.format(count=len({r[0] for r in rows})), *lines])
    if more > 0:
        text += "\n" + ru.ORGS_REJECTED_MORE.format(count=more)
    await message.answer(text)
    await message.answer_document(BufferedInputFile(content, filename="officers.xlsx"))


def router() -> Router:
    """This module's handlers on a fresh router (one per dispatcher)."""
    r = Router(name=__name__)
    r.message.register(cmd_invite, Command("invite"))
    r.message.register(cmd_invites, Command("invites"))
    r.message.register(cmd_officers, Command("officers"))
    r.callback_query.register(on_revoke, RevokeCB.filter(F.token))
    return r
