"""Information officers: invite links (one, or a territory's as XLSX), a territory's open
invites with revoking, the list of officers."""

from __future__ import annotations

from enum import StrEnum

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
from handlers import keyboards
from handlers.member import screens
from handlers.ui import show
from models import Organization, OrgLevel, utcnow
from services import orgs
from services.audit import Actor
from services.monitoring import invites
from services.people import Roles
from texts import ru
from texts.ru import h

INVITES_PAGE = 10


class RevokeCB(CallbackData, prefix="inv"):
    token: str


class InvitesAction(StrEnum):
    LIST = "l"
    REVOKE = "r"
    WORKBOOK = "x"


class InvitesCB(CallbackData, prefix="invs"):
    """/invites: a territory's open invites (`page`), revoking one (`token`), or a workbook
    of fresh links for all its organisations."""

    action: InvitesAction
    org: int
    page: int = 0
    token: str = ""


def _scope(roles: Roles) -> frozenset[int] | None:
    return None if roles.regional_admin else roles.territories


class InviteForCB(CallbackData, prefix="invf"):
    """A search result of `/invite name`: make the link for this organisation."""

    org: int


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


async def _invite_screen(
    session: AsyncSession,
    org: Organization,
    chat_id: int,
    bot: Bot,
    settings: Settings,
    actor: Actor | None,
) -> tuple[str, InlineKeyboardMarkup]:
    """A fresh one-time link for the organisation, with its revoke button."""
    invite = await invites.create(session, org, chat_id, utcnow(), actor)
    me = await bot.me()
    revoke = InlineKeyboardButton(
        text=ru.INVITE_REVOKE, callback_data=RevokeCB(token=invite.token).pack()
    )
    text = ru.INVITE_CREATED.format(
        org=h(org.name),
        link=invites.link(me.username or "", invite),
        until=invite.expires_at.astimezone(settings.tz).strftime("%d.%m.%Y"),
    )
    return text, InlineKeyboardMarkup(inline_keyboard=[[revoke]])


async def cmd_invite(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    roles: Roles,
    bot: Bot,
    settings: Settings,
    actor: Actor | None,
) -> None:
    args = (command.args or "").strip()
    by_name = args and not orgs.looks_like_code(args)
    if by_name and await orgs.get_by_code(session, args) is None:
        await _offer_by_name(message, session, roles, args)
        return
    org = await _org_in_scope(message, session, roles, args)
    if org is None:
        return
    text, markup = await _invite_screen(session, org, message.chat.id, bot, settings, actor)
    await message.answer(text, reply_markup=markup)


async def _offer_by_name(
    message: Message, session: AsyncSession, roles: Roles, query: str
) -> None:
    """`/invite гимназия 4`: the admin's organisations matching the words, to pick one."""
    found, _ = await orgs.search(session, query, limit=10_000)  # the directory, then scoped
    allowed = [org for org in found if invites.in_scope(org, _scope(roles))][: keyboards.PAGE_SIZE]
    if not allowed:
        await message.answer(ru.INVITE_NOTHING_FOUND.format(query=screens.echo(query)))
        return
    rows = [
        [
            InlineKeyboardButton(
                text=keyboards.short(org.name), callback_data=InviteForCB(org=org.id).pack()
            )
        ]
        for org in allowed
    ]
    await message.answer(
        ru.INVITE_CHOOSE.format(query=screens.echo(query)),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
    )


async def on_invite_for(
    callback: CallbackQuery,
    callback_data: InviteForCB,
    session: AsyncSession,
    roles: Roles,
    bot: Bot,
    settings: Settings,
    actor: Actor | None,
) -> None:
    org = await orgs.get_by_id(session, callback_data.org)
    if org is None or not invites.in_scope(org, _scope(roles)):
        await callback.answer(ru.BC_ORG_OUTSIDE, show_alert=True)
        return
    await callback.answer()
    screen = await _invite_screen(session, org, callback.from_user.id, bot, settings, actor)
    await show(callback, *screen)


async def cmd_invites(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    roles: Roles,
    settings: Settings,
) -> None:
    if not command.args:
        territories = _scope(roles)
        if territories is None:  # a regional admin: 35 territories, name one
            await message.answer(ru.INVITES_NEED_TERRITORY)
        elif len(territories) == 1:
            text, markup = await _invites_screen(session, min(territories), 0, settings)
            await message.answer(text, reply_markup=markup)
        else:
            await message.answer(ru.INVITES_CHOOSE, reply_markup=await _choice(session, roles))
        return
    territory = await _org_in_scope(message, session, roles, command.args)
    if territory is None:
        return
    if territory.level is not OrgLevel.TERRITORIAL:
        await message.answer(ru.INVITES_NEED_TERRITORY)
        return
    text, markup = await _invites_screen(session, territory.id, 0, settings)
    await message.answer(text, reply_markup=markup)


async def _choice(session: AsyncSession, roles: Roles) -> InlineKeyboardMarkup:
    territories = [await orgs.get_by_id(session, org_id) for org_id in roles.territories]
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_invites_button(keyboards.short(org.name), InvitesAction.LIST, org.id)]
            for org in sorted((t for t in territories if t is not None), key=lambda t: t.name)
        ]
    )


def _invites_button(
    text: str, action: InvitesAction, org_id: int, page: int = 0, token: str = ""
) -> InlineKeyboardButton:
    data = InvitesCB(action=action, org=org_id, page=page, token=token)
    return InlineKeyboardButton(text=text, callback_data=data.pack())


async def _invites_screen(
    session: AsyncSession, territory_id: int, page: int, settings: Settings
) -> tuple[str, InlineKeyboardMarkup]:
    """One page of the territory's open invites, each with its revoke button."""
    territory = await orgs.get_by_id(session, territory_id)
    assert territory is not None
    found = await invites.open_invites(session, territory_id, utcnow())
    pages = max(1, -(-len(found) // INVITES_PAGE))
    page = min(max(page, 0), pages - 1)
    first = page * INVITES_PAGE
    rows: list[list[InlineKeyboardButton]] = []
    if not found:
        text = ru.INVITES_NONE.format(territory=h(territory.name))
    else:
        lines = [ru.INVITES_TITLE.format(territory=h(territory.name), count=len(found)), ""]
        shown = enumerate(found[first : first + INVITES_PAGE], start=first + 1)
        for number, (org, invite) in shown:
            until = invite.expires_at.astimezone(settings.tz).strftime("%d.%m.%Y")
            lines.append(ru.INVITES_LINE.format(number=number, org=h(org.name), until=until))
            label = keyboards.short(ru.INVITES_REVOKE_BUTTON.format(number=number, org=org.name))
            rows.append(
                [_invites_button(label, InvitesAction.REVOKE, territory_id, page, invite.token)]
            )
        text = "\n".join(lines)
    arrows = []
    if page > 0:
        arrows.append(_invites_button(ru.INVITES_PREV, InvitesAction.LIST, territory_id, page - 1))
    if page + 1 < pages:
        arrows.append(_invites_button(ru.INVITES_NEXT, InvitesAction.LIST, territory_id, page + 1))
    rows.append(arrows)
    rows.append([_invites_button(ru.INVITES_XLSX_BUTTON, InvitesAction.WORKBOOK, territory_id)])
    return text, InlineKeyboardMarkup(inline_keyboard=[row for row in rows if row])


async def on_invites_button(
    callback: CallbackQuery,
    callback_data: InvitesCB,
    session: AsyncSession,
    roles: Roles,
    bot: Bot,
    settings: Settings,
    actor: Actor | None,
) -> None:
    territory = await orgs.get_by_id(session, callback_data.org)
    if (
        territory is None
        or territory.level is not OrgLevel.TERRITORIAL
        or not invites.in_scope(territory, _scope(roles))
    ):
        await callback.answer(ru.BC_ORG_OUTSIDE, show_alert=True)
        return
    action = callback_data.action
    if action is InvitesAction.WORKBOOK:
        await callback.answer()
        await _send_workbook(callback.from_user.id, session, territory, bot, settings, actor)
        return
    if action is InvitesAction.REVOKE:
        revoked = await invites.revoke(
            session, callback_data.token, utcnow(), _scope(roles), actor
        )
        note = ru.INVITE_REVOKED if revoked else ru.INVITE_NOT_REVOKED
        await callback.answer(note, show_alert=not revoked)
    else:
        await callback.answer()
    text, markup = await _invites_screen(session, territory.id, callback_data.page, settings)
    await show(callback, text, markup)


async def _send_workbook(
    chat_id: int,
    session: AsyncSession,
    territory: Organization,
    bot: Bot,
    settings: Settings,
    actor: Actor | None,
) -> None:
    """Fresh links for the territorial organisation and each of its primaries, as XLSX."""
    pairs = await invites.create_for_territory(session, territory, chat_id, utcnow(), actor)
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
    await bot.send_document(
        chat_id,
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
    if await invites.revoke(session, callback_data.token, utcnow(), _scope(roles), actor):
        await callback.answer()
        await show(callback, ru.INVITE_REVOKED)
    else:
        await callback.answer(ru.INVITE_NOT_REVOKED, show_alert=True)


async def cmd_officers(message: Message, session: AsyncSession, roles: Roles) -> None:
    found = await invites.officers(session, _scope(roles))
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
    r.callback_query.register(on_invites_button, InvitesCB.filter())
    r.callback_query.register(on_invite_for, InviteForCB.filter())
    return r
