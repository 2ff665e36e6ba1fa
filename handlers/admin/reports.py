"""/reports: the monitoring exports, charts, presidium report and subscriber statistics.

A territorial admin gets their territory only (an admin of several chooses one). The menu
names the quarter; «◀» and «▶» move between quarters. Building a file takes seconds, so the
admin first sees «Готовлю…», and the files arrive as documents (photos for charts) with a
caption.
"""

from __future__ import annotations

from dataclasses import replace

from aiogram import Bot, Router
from aiogram.filters import Command
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
from handlers.admin import plan as plan_handlers
from handlers.callbacks import ReportCB
from handlers.ui import show
from models import Campaign, utcnow
from services import orgs
from services.audit import Actor
from services.monitoring import campaigns
from services.people import Roles
from services.plan import items as plan_items
from services.reports import build
from services.reports.build import ReportFile, ReportKind, Scope
from texts import events as events_texts
from texts import questions as tq
from texts import ru
from texts.ru import h

# Admins whose report is being built: a second tap meanwhile is told to wait, not queued.
_BUILDING: set[int] = set()

BUTTONS = (
    (ReportKind.XLSX, ru.REP_XLSX),
    (ReportKind.CSV, ru.REP_CSV),
    (ReportKind.XLSX_ALL, ru.REP_XLSX_ALL),
    (ReportKind.CHARTS, ru.REP_CHARTS),
    (ReportKind.PRESIDIUM, ru.REP_PRESIDIUM),
    (ReportKind.SUBSCRIBERS, ru.REP_SUBSCRIBERS),
)


def _territory_of(roles: Roles, org_id: int) -> int | None:
    """The territory a territorial admin's reports cover: the one chosen, if it is theirs,
    else their first; None for a regional admin (the region)."""
    if roles.regional_admin:
        return None
    return org_id if org_id in roles.territories else min(roles.territories)


async def _scope(
    session: AsyncSession, roles: Roles, campaign_id: int | None, org_id: int
) -> tuple[Scope, str]:
    """What the admin's reports cover, and its name for the menu."""
    territory_id = _territory_of(roles, org_id)
    if territory_id is None:
        return Scope(campaign_id=campaign_id), ru.REP_REGION
    territory = await orgs.get_by_id(session, territory_id)
    scope = build.territory_scope(territory)
    assert territory is not None and scope is not None  # roles name territorial orgs
    return replace(scope, campaign_id=campaign_id), h(territory.name)


async def _menu(
    session: AsyncSession, roles: Roles, campaign_id: int, org_id: int = 0
) -> tuple[str, InlineKeyboardMarkup]:
    """The menu for a quarter (0: the latest); without campaigns, subscribers only. An
    admin of several territories chooses which one it covers."""
    choices = await build.campaign_choices(session)
    position = next((i for i, c in enumerate(choices) if c.id == campaign_id), 0)
    org_id = _territory_of(roles, org_id) or 0
    _, where = await _scope(session, roles, None, org_id)
    rows: list[list[InlineKeyboardButton]] = []
    if choices:
        campaign = choices[position]
        text = ru.REP_MENU.format(quarter=campaigns.quarter_label(campaign), where=where)
        rows += [[_button(label, kind, campaign.id, org_id)] for kind, label in BUTTONS]
        rows.append(_quarter_arrows(choices, position, org_id))
    else:
        campaign = None
        text = ru.REP_MENU_NO_CAMPAIGN.format(where=where)
        rows.append([_button(ru.REP_SUBSCRIBERS, ReportKind.SUBSCRIBERS, 0, org_id)])
    rows.append([_button(tq.REPORT_BUTTON, ReportKind.QUESTIONS, 0, org_id)])
    rows.append([_button(events_texts.REPORT_BUTTON, ReportKind.EVENTS, 0, org_id)])
    if not roles.regional_admin and len(roles.territories) > 1:
        rows += await _territory_choice(session, roles, campaign.id if campaign else 0, org_id)
    # The plan of events is the regional committee's; the button once there is a plan.
    if roles.regional_admin and await plan_items.years(session):
        rows.append([plan_handlers.report_button()])
    return text, InlineKeyboardMarkup(inline_keyboard=[row for row in rows if row])


async def _territory_choice(
    session: AsyncSession, roles: Roles, campaign_id: int, current: int
) -> list[list[InlineKeyboardButton]]:
    territories = [await orgs.get_by_id(session, org_id) for org_id in roles.territories]
    return [
        [
            _button(
                keyboards.short(("✅ " if org.id == current else "") + org.name),
                None,
                campaign_id,
                org.id,
            )
        ]
        for org in sorted((t for t in territories if t is not None), key=lambda t: t.name)
    ]


def _button(
    text: str, kind: ReportKind | None, campaign_id: int, org_id: int = 0
) -> InlineKeyboardButton:
    data = ReportCB(kind=kind.value if kind else "menu", campaign=campaign_id, org=org_id)
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def _quarter_arrows(
    choices: list[Campaign], position: int, org_id: int
) -> list[InlineKeyboardButton]:
    """«◀ older» and «newer ▶», where there is one (choices are newest first)."""
    arrows = []
    if position + 1 < len(choices):
        older = choices[position + 1]
        label = ru.REP_OLDER.format(quarter=_short(older))
        arrows.append(_button(label, None, older.id, org_id))
    if position > 0:
        newer = choices[position - 1]
        label = ru.REP_NEWER.format(quarter=_short(newer))
        arrows.append(_button(label, None, newer.id, org_id))
    return arrows


def _short(campaign: Campaign) -> str:
    return ru.REP_QUARTER_SHORT.format(quarter=campaign.quarter, year=campaign.year)


async def cmd_reports(message: Message, session: AsyncSession, roles: Roles) -> None:
    text, markup = await _menu(session, roles, 0)
    await message.answer(text, reply_markup=markup)


async def on_report_button(
    callback: CallbackQuery,
    callback_data: ReportCB,
    session: AsyncSession,
    roles: Roles,
    settings: Settings,
    bot: Bot,
    actor: Actor | None,
) -> None:
    if callback_data.kind == "menu":
        await callback.answer()
        await show(
            callback,
            *await _menu(session, roles, callback_data.campaign, callback_data.org),
        )
        return
    try:
        kind = ReportKind(callback_data.kind)
    except ValueError:
        await callback.answer(ru.REP_STALE, show_alert=True)
        return
    user_id = callback.from_user.id
    if user_id in _BUILDING:
        await callback.answer(ru.REP_BUSY, show_alert=True)
        return
    await callback.answer(ru.REP_PREPARING)
    notice = await bot.send_message(user_id, ru.REP_PREPARING)
    _BUILDING.add(user_id)
    try:
        scope, _ = await _scope(session, roles, callback_data.campaign or None, callback_data.org)
        files = await build.make(
            session,
            kind,
            scope,
            now=utcnow(),
            tz=settings.tz,
            actor=actor,
            question_sla_days=settings.question_sla_days,
        )
        for file in files:
            await _send(bot, user_id, file)
    except build.NoCampaign:
        # A campaign named by the button that is gone, or none at all yet.
        await notice.edit_text(ru.REP_STALE if callback_data.campaign else ru.REP_NO_CAMPAIGN)
        return
    except Exception:
        await notice.edit_text(ru.REP_FAILED)
        raise  # logged by the error handler
    finally:
        _BUILDING.discard(user_id)
    await notice.edit_text(ru.REP_DONE)


async def _send(bot: Bot, chat_id: int, file: ReportFile) -> None:
    upload = BufferedInputFile(file.content, filename=file.name)
    caption = file.caption or None
    if file.is_picture:
        await bot.send_photo(chat_id, upload, caption=caption)
    else:
        await bot.send_document(chat_id, upload, caption=caption)


def router() -> Router:
    """This module's handlers on a fresh router (one per dispatcher)."""
    r = Router(name=__name__)
    r.message.register(cmd_reports, Command("reports"))
    r.callback_query.register(on_report_button, ReportCB.filter())
    return r
