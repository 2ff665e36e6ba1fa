"""/monitoring: the campaign's completion by territory, the missing organisations, and the
admin's levers (remind now, extend, close, open by hand)."""

from __future__ import annotations

from datetime import timedelta

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.scheduler import schedule_of
from handlers import keyboards
from handlers.callbacks import MonAction, MonCB
from handlers.ui import show
from models import Campaign, CampaignStatus, OrgLevel, utcnow
from services import orgs
from services.audit import Actor
from services.broadcasts.worker import DeliveryWorker
from services.monitoring import campaigns, invites
from services.people import Roles
from texts import ru
from texts.ru import h

Screen = tuple[str, InlineKeyboardMarkup | None]
EXTENSION = timedelta(days=7)
TIME_FORMAT = "%d.%m.%Y %H:%M"


def _b(text: str, action: MonAction, campaign: int = 0, org_id: int = 0) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=MonCB(action=action, campaign=campaign, org_id=org_id).pack()
    )


def _percent(done: int, total: int) -> int:
    return round(100 * done / total) if total else 100


def _territories(roles: Roles) -> frozenset[int] | None:
    """A territorial admin's territories, all of them together; None for regional admins,
    who see everything."""
    return None if roles.regional_admin else roles.territories


def _may_see(roles: Roles, group_id: int) -> bool:
    territories = _territories(roles)
    return territories is None or group_id in territories


async def _table(
    session: AsyncSession, campaign: Campaign, roles: Roles, settings: Settings
) -> Screen:
    rows = await campaigns.completion(session, campaign, _territories(roles))
    if campaign.status is CampaignStatus.OPEN:
        status = ru.MON_STATUS_OPEN.format(
            deadline=campaign.deadline.astimezone(settings.tz).strftime(TIME_FORMAT)
        )
    else:
        closed = campaign.closed_at or campaign.deadline
        status = ru.MON_STATUS_CLOSED.format(
            closed=closed.astimezone(settings.tz).strftime(TIME_FORMAT)
        )
    submitted, total = sum(r.submitted for r in rows), sum(r.total for r in rows)
    lines = [
        ru.MON_TITLE.format(quarter=campaigns.quarter_label(campaign), status=status),
        ru.MON_TOTAL.format(submitted=submitted, total=total, percent=_percent(submitted, total)),
        "",
    ]
    buttons = []
    for row in rows:
        name = (
            ru.REGIONAL_SUBORDINATION
            if row.territory.level is OrgLevel.REGIONAL
            else row.territory.name
        )
        lines.append(
            ru.MON_ROW.format(
                name=h(name),
                submitted=row.submitted,
                total=row.total,
                percent=_percent(row.submitted, row.total),
            )
        )
        if row.missing:
            buttons.append(
                [
                    _b(
                        keyboards.short(f"{name}: {row.missing}"),
                        MonAction.TERRITORY,
                        campaign.id,
                        row.territory.id,
                    )
                ]
            )
    levers = (
        [_b(ru.MON_REMIND, MonAction.REMIND, campaign.id)]
        if campaign.status is CampaignStatus.OPEN
        else []
    )
    if roles.regional_admin:
        levers.append(_b(ru.MON_EXTEND, MonAction.EXTEND, campaign.id))
        if campaign.status is CampaignStatus.OPEN:
            levers.append(_b(ru.MON_CLOSE, MonAction.CLOSE, campaign.id))
    rows_markup = buttons + [[lever] for lever in levers]
    return "\n".join(lines), InlineKeyboardMarkup(
        inline_keyboard=rows_markup
    ) if rows_markup else None


async def cmd_monitoring(
    message: Message, session: AsyncSession, roles: Roles, settings: Settings
) -> None:
    campaign = await campaigns.current(session)
    if campaign is None:
        markup = (
            InlineKeyboardMarkup(inline_keyboard=[[_b(ru.MON_OPEN_NOW, MonAction.OPEN)]])
            if roles.regional_admin
            else None
        )
        await message.answer(ru.MON_NONE, reply_markup=markup)
        return
    text, markup = await _table(session, campaign, roles, settings)
    await message.answer(text, reply_markup=markup)


async def _missing_screen(
    session: AsyncSession, campaign: Campaign, group_id: int, roles: Roles
) -> Screen | None:
    group = await orgs.get_by_id(session, group_id)
    if group is None or group.level is OrgLevel.PRIMARY:
        return None
    if not _may_see(roles, group.id):
        return None
    completion = await campaigns.completion(session, campaign, {group.id})
    row = completion[0] if completion else None
    missing = await campaigns.missing_orgs(session, campaign, group)
    staffed = {
        org.id
        for org, _ in await invites.officers(
            session, {group.id} if group.level is OrgLevel.TERRITORIAL else None
        )
    }
    name = ru.REGIONAL_SUBORDINATION if group.level is OrgLevel.REGIONAL else group.name
    lines = [
        ru.MON_TERRITORY_TITLE.format(
            name=h(name), submitted=row.submitted if row else 0, total=row.total if row else 0
        )
    ]
    lines += [
        f"• {h(org.name)}{'' if org.id in staffed else ru.MON_NO_OFFICER}" for org in missing[:60]
    ]
    if len(missing) > 60:
        lines.append(ru.ORGS_REJECTED_MORE.format(count=len(missing) - 60))
    if not missing:
        lines = [ru.MON_ALL_SUBMITTED]
    rows = []
    if missing and campaign.status is CampaignStatus.OPEN:
        rows.append([_b(ru.MON_REMIND, MonAction.REMIND, campaign.id, group.id)])
    rows.append([_b(ru.BACK, MonAction.TABLE, campaign.id)])
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


async def on_monitoring_button(
    callback: CallbackQuery,
    callback_data: MonCB,
    session: AsyncSession,
    roles: Roles,
    settings: Settings,
    delivery_worker: DeliveryWorker,
    actor: Actor | None,
) -> None:
    action = callback_data.action
    schedule = schedule_of(settings)
    now = utcnow()
    if action is MonAction.OPEN:
        if not roles.regional_admin:
            await callback.answer(ru.MON_FORBIDDEN, show_alert=True)
            return
        opened = await campaigns.open_now(session, schedule, now, actor)
        await campaigns.sweep(session, schedule, now)  # the prompt goes out at once
        delivery_worker.wake()
        await callback.answer(ru.MON_OPENED)
        await show(callback, *await _table(session, opened, roles, settings))
        return
    campaign = await session.get(Campaign, callback_data.campaign)
    if campaign is None:
        await callback.answer(ru.STALE_BUTTON, show_alert=True)
        return
    if action is MonAction.TERRITORY:
        screen = await _missing_screen(session, campaign, callback_data.org_id, roles)
        if screen is None:
            await callback.answer(ru.BC_ORG_OUTSIDE, show_alert=True)
            return
        await callback.answer()
        await show(callback, *screen)
        return
    if action is MonAction.REMIND:
        if callback_data.org_id:  # one territory's screen
            if not _may_see(roles, callback_data.org_id):
                await callback.answer(ru.BC_ORG_OUTSIDE, show_alert=True)
                return
            targets: list[int | None] = [callback_data.org_id]
        else:  # the table: everything the admin sees
            territories = _territories(roles)
            targets = [None] if territories is None else [*sorted(territories)]
        count = 0
        for territory in targets:
            count += await campaigns.remind_now(session, campaign, schedule, now, territory, actor)
        delivery_worker.wake()
        await callback.answer(ru.mon_reminded(count), show_alert=True)
        return
    if action in (MonAction.EXTEND, MonAction.CLOSE):
        if not roles.regional_admin:
            await callback.answer(ru.MON_FORBIDDEN, show_alert=True)
            return
        if action is MonAction.EXTEND:
            deadline = max(campaign.deadline, now) + EXTENSION
            await campaigns.extend(session, campaign, deadline, schedule, actor)
            note = ru.MON_EXTENDED.format(
                deadline=deadline.astimezone(settings.tz).strftime(TIME_FORMAT)
            )
        else:
            await campaigns.close(session, campaign, now, actor)
            note = ru.MON_CLOSED_NOW
        await callback.answer(note, show_alert=True)
    else:
        await callback.answer()
    await show(callback, *await _table(session, campaign, roles, settings))


def router() -> Router:
    """This module's handlers on a fresh router (one per dispatcher)."""
    r = Router(name=__name__)
    r.message.register(cmd_monitoring, Command("monitoring"))
    r.callback_query.register(on_monitoring_button, MonCB.filter())
    return r
