"""/plan for admins: the year's items, filters, an item and its reports; for regional admins
also the plan file sent to the bot, linking the plan's names to people, cancelling an item
and the export."""

from __future__ import annotations

import io
import re
from pathlib import PurePath

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    Document,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from handlers import keyboards
from handlers.callbacks import PlanAction, PlanCB
from handlers.filters import TYPED, When
from handlers.states import PlanLinking
from handlers.ui import show
from models import Person, PlanItem, PlanState, utcnow
from services.audit import Actor
from services.people import Roles
from services.plan import importer, items, people
from services.plan import report as plan_report
from services.plan.due import period_label
from services.plan.people import name_key
from texts import plan as texts
from texts.ru import h

MAX_FILE_MB = 2
MAX_PROBLEMS_SHOWN = 30
Screen = tuple[str, InlineKeyboardMarkup]
_PLAN_FILE = re.compile(r"(?i)(plan|план)")


def _b(text: str, **fields: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=keyboards.short(text),
        callback_data=PlanCB(**fields).pack(),
    )


def _cut(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# What only the regional committee does; a territorial admin's forged button is refused.
REGIONAL_ACTIONS = frozenset(
    {PlanAction.NAMES, PlanAction.NAME, PlanAction.LINK, PlanAction.EXPORT, PlanAction.CANCEL_ITEM}
)


def _back(year: int) -> list[InlineKeyboardButton]:
    return [_b(texts.BTN_BACK, action=PlanAction.LIST, year=year)]


async def _year(session: AsyncSession, wanted: int, settings: Settings) -> int | None:
    known = await items.years(session)
    if wanted in known:
        return wanted
    if not known:
        return None
    this_year = utcnow().astimezone(settings.tz).year
    return this_year if this_year in known else known[-1]


async def _list_screen(
    session: AsyncSession,
    settings: Settings,
    year: int,
    state: str = "",
    person: int = 0,
    *,
    regional: bool = True,
) -> Screen | None:
    """The year's items; a territorial admin sees them without the regional committee's
    buttons (linking names, the export)."""
    chosen = await _year(session, year, settings)
    if chosen is None:
        return None
    plan = await items.plan_of(session, chosen)
    assert plan is not None
    await items.refresh_states(session, plan.id, utcnow().astimezone(settings.tz).date())
    state_filter = PlanState(state) if state in set(PlanState) else None
    views = await items.item_views(session, plan.id, state=state_filter, person_id=person or None)
    label = ""
    if state_filter is not None:
        label = texts.FILTER_STATE.format(state=texts.STATE_NAMES[state_filter])
    if person:
        who = await session.get(Person, person)
        label += texts.FILTER_PERSON.format(name=h(people.person_name(who) if who else "—"))
    lines = [texts.HEADER.format(year=chosen, filter=label)]
    for view in views:
        upcoming = view.next_due()
        lines.append(
            texts.ITEM_LINE.format(
                icon=texts.STATE_ICONS[view.item.state],
                number=view.item.number,
                text=h(_cut(view.item.text)),
                due=h(view.item.due_text),
                next=texts.NEXT_DUE.format(label=period_label(upcoming.key)) if upcoming else "",
            )
        )
    if not views:
        lines.append(texts.NOTHING_FOUND)
    unlinked = await people.unlinked_names(session, plan.id)
    if unlinked:
        lines.append(texts.UNLINKED.format(names=h(", ".join(unlinked))))
    lines.append(texts.UPLOAD_HINT)
    rows: list[list[InlineKeyboardButton]] = []
    row: list[InlineKeyboardButton] = []
    for view in views:
        row.append(
            _b(
                texts.BTN_OPEN_ITEM.format(number=view.item.number),
                action=PlanAction.ITEM,
                year=chosen,
                item_id=view.item.id,
            )
        )
        if len(row) == 5:
            rows.append(row)
            row = []
    if row:
        rows.append(row)
    rows.append(
        [
            _b(texts.BTN_BY_STATE, action=PlanAction.STATES, year=chosen),
            _b(texts.BTN_BY_PERSON, action=PlanAction.PEOPLE, year=chosen),
        ]
    )
    if state_filter is not None or person:
        rows.append([_b(texts.BTN_ALL, action=PlanAction.LIST, year=chosen)])
    if regional:
        rows.append([_b(texts.REPORT_BUTTON, action=PlanAction.EXPORT, year=chosen)])
    if unlinked and regional:
        rows.append(
            [_b(texts.BTN_LINK.format(count=len(unlinked)), action=PlanAction.NAMES, year=chosen)]
        )
    other_years = [y for y in await items.years(session) if y != chosen]
    if other_years:
        rows.append(
            [
                _b(texts.BTN_YEAR.format(year=y), action=PlanAction.LIST, year=y)
                for y in other_years
            ]
        )
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


async def cmd_plan(
    message: Message, session: AsyncSession, settings: Settings, state: FSMContext, roles: Roles
) -> None:
    await state.clear()
    screen = await _list_screen(session, settings, 0, regional=roles.regional_admin)
    if screen is None:
        await message.answer(texts.NO_PLAN)
        return
    await message.answer(screen[0], reply_markup=screen[1])


async def _item_screen(
    session: AsyncSession, item: PlanItem, year: int, regional: bool = True
) -> Screen:
    views = [v for v in await items.item_views(session, item.plan_id) if v.item.id == item.id]
    view = views[0]
    reports = await items.reports_of(session, item.id)
    counts: dict[int, int] = {}
    for period, _ in reports:
        counts[period.id] = counts.get(period.id, 0) + 1
    lines = []
    for period in view.periods:
        if period.due_on is None:
            status = texts.PERIOD_NO_DATE.format(count=counts.get(period.id, 0))
        elif period.done_at is not None:
            status = texts.PERIOD_DONE.format(when=period.done_at.strftime("%d.%m.%Y"))
        else:
            status = texts.PERIOD_OPEN
        lines.append(texts.PERIOD_LINE.format(label=period_label(period.key), status=status))
    text = texts.ITEM.format(
        number=item.number,
        year=year,
        state=texts.STATE_NAMES[item.state],
        text=h(item.text),
        names=h(", ".join(view.names)),
        due=h(item.due_text),
        periods="\n".join(lines),
    )
    rows = [[_b(texts.BTN_REPORTS, action=PlanAction.REPORTS, year=year, item_id=item.id)]]
    if item.state is not PlanState.CANCELLED and regional:
        rows.append(
            [_b(texts.BTN_CANCEL_ITEM, action=PlanAction.CANCEL_ITEM, year=year, item_id=item.id)]
        )
    rows.append(_back(year))
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


async def on_plan_button(
    callback: CallbackQuery,
    callback_data: PlanCB,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
    actor: Actor | None,
    roles: Roles,
) -> None:
    action, year = callback_data.action, callback_data.year
    regional = roles.regional_admin
    if action in REGIONAL_ACTIONS and not regional:
        await callback.answer(texts.REGIONAL_ONLY, show_alert=True)
        return
    if action is PlanAction.LIST:
        await state.clear()
        screen = await _list_screen(
            session, settings, year, callback_data.state, callback_data.person, regional=regional
        )
        if screen is None:
            await callback.answer(texts.STALE)
            return
        await show(callback, *screen)
    elif action is PlanAction.STATES:
        rows = [
            [_b(texts.STATE_NAMES[s], action=PlanAction.LIST, year=year, state=s.value)]
            for s in PlanState
        ]
        rows.append(_back(year))
        await show(callback, texts.PICK_STATE, InlineKeyboardMarkup(inline_keyboard=rows))
    elif action is PlanAction.PEOPLE:
        await _people_screen(callback, session, year)
    elif action in (PlanAction.ITEM, PlanAction.REPORTS, PlanAction.CANCEL_ITEM):
        await _on_item(callback, callback_data, session, regional)
        return
    elif action is PlanAction.NAMES:
        await _names_screen(callback, session, settings, year)
    elif action is PlanAction.NAME:
        await _ask_query(callback, callback_data, session, settings, state)
    elif action is PlanAction.LINK:
        await _link(callback, callback_data, session, settings, state, actor)
        return
    elif action is PlanAction.EXPORT:
        await _export(callback, session, settings, year)
        return
    elif action is PlanAction.ABORT:
        await state.clear()
        screen = await _list_screen(session, settings, year, regional=regional)
        if screen is not None:
            await show(callback, *screen)
    else:  # MARK is the responsible person's button, handled by handlers.plan_report
        await callback.answer(texts.STALE)
        return
    await callback.answer()


async def _people_screen(callback: CallbackQuery, session: AsyncSession, year: int) -> None:
    linked = await people.linked_people(session)
    rows = [
        [_b(people.person_name(p), action=PlanAction.LIST, year=year, person=p.id)] for p in linked
    ]
    rows.append(_back(year))
    text = texts.PICK_PERSON if linked else texts.NO_PEOPLE
    await show(callback, text, InlineKeyboardMarkup(inline_keyboard=rows))


async def _on_item(
    callback: CallbackQuery, data: PlanCB, session: AsyncSession, regional: bool
) -> None:
    item = await session.get(PlanItem, data.item_id)
    year = await _item_year(session, item)
    if item is None or year is None:
        await callback.answer(texts.REFUSED["no_item"], show_alert=True)
        return
    if data.action is PlanAction.CANCEL_ITEM:
        if await items.cancel_item(session, item.id):
            await callback.answer(texts.ITEM_CANCELLED.format(number=item.number))
        else:
            await callback.answer(texts.STALE)
        await show(callback, *await _item_screen(session, item, year, regional))
        return
    if data.action is PlanAction.REPORTS:
        lines = [texts.REPORTS_HEADER.format(number=item.number)]
        reports = await items.reports_of(session, item.id)
        for period, report in reports:
            who = await session.get(Person, report.person_id) if report.person_id else None
            lines.append(
                texts.REPORT_LINE.format(
                    label=period_label(period.key),
                    when=report.created_at.strftime("%d.%m.%Y"),
                    who=h(people.person_name(who) if who else "—"),
                    text=h(report.text),
                    link=texts.REPORT_LINK.format(link=h(report.link)) if report.link else "",
                    file=texts.REPORT_FILE if report.file_id else "",
                )
            )
        if not reports:
            lines.append(texts.NO_REPORTS)
        markup = InlineKeyboardMarkup(
            inline_keyboard=[
                [_b(texts.BTN_BACK, action=PlanAction.ITEM, year=year, item_id=item.id)]
            ]
        )
        await show(callback, "\n".join(lines), markup)
        await callback.answer()
        return
    await show(callback, *await _item_screen(session, item, year, regional))
    await callback.answer()


async def _item_year(session: AsyncSession, item: PlanItem | None) -> int | None:
    if item is None:
        return None
    from models import Plan

    plan = await session.get(Plan, item.plan_id)
    return plan.year if plan else None


async def _names(session: AsyncSession, settings: Settings, year: int) -> list[str]:
    chosen = await _year(session, year, settings)
    plan = await items.plan_of(session, chosen) if chosen else None
    return await people.unlinked_names(session, plan.id) if plan else []


async def _names_screen(
    callback: CallbackQuery, session: AsyncSession, settings: Settings, year: int
) -> None:
    names = await _names(session, settings, year)
    rows = [
        [_b(name, action=PlanAction.NAME, year=year, name=index)]
        for index, name in enumerate(names)
    ]
    rows.append(_back(year))
    await show(callback, texts.LINK_PICK_NAME, InlineKeyboardMarkup(inline_keyboard=rows))


async def _ask_query(
    callback: CallbackQuery,
    data: PlanCB,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    names = await _names(session, settings, data.year)
    if not 0 <= data.name < len(names):
        await callback.answer(texts.STALE)
        return
    name = names[data.name]
    await state.set_state(PlanLinking.query)
    await state.update_data(plan_name=name, plan_year=data.year)
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[_b(texts.BTN_CANCEL, action=PlanAction.ABORT, year=data.year)]]
    )
    await show(callback, texts.LINK_ASK_QUERY.format(name=h(name)), markup)


async def on_link_query(message: Message, session: AsyncSession, state: FSMContext) -> None:
    data = await state.get_data()
    name, year = str(data.get("plan_name", "")), int(data.get("plan_year", 0))
    query = message.text or ""
    found = await people.search_people(session, query)
    cancel = [_b(texts.BTN_CANCEL, action=PlanAction.ABORT, year=year)]
    if not found:
        await message.answer(
            texts.LINK_NOT_FOUND.format(query=h(query)),
            reply_markup=InlineKeyboardMarkup(inline_keyboard=[cancel]),
        )
        return
    rows = [
        [_b(people.person_name(p), action=PlanAction.LINK, year=year, person=p.id)] for p in found
    ]
    rows.append(cancel)
    await message.answer(
        texts.LINK_FOUND.format(name=h(name)),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
    )


async def _link(
    callback: CallbackQuery,
    data: PlanCB,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
    actor: Actor | None,
) -> None:
    stored = await state.get_data()
    name = str(stored.get("plan_name", ""))
    person = await session.get(Person, data.person)
    if not name or person is None:
        await callback.answer(texts.STALE)
        return
    await people.link_name(session, name_key(name), person.id, actor)
    await state.clear()
    await callback.answer()
    await show(
        callback, texts.LINK_DONE.format(name=h(name), person=h(people.person_name(person)))
    )
    screen = await _list_screen(session, settings, data.year)
    if screen is not None and callback.message is not None:
        await callback.message.answer(screen[0], reply_markup=screen[1])


def report_button() -> InlineKeyboardButton:
    """«Отчёт о выполнении плана» for the /reports menu."""
    return _b(texts.REPORT_BUTTON, action=PlanAction.EXPORT)


async def _export(
    callback: CallbackQuery, session: AsyncSession, settings: Settings, year: int
) -> None:
    chosen = year or await plan_report.default_year(session, settings.tz)
    if chosen is None or await items.plan_of(session, chosen) is None:
        await callback.answer(texts.REPORT_NO_PLAN, show_alert=True)
        return
    await callback.answer()
    content = await plan_report.plan_xlsx(session, chosen, settings.tz)
    if callback.bot is not None:
        await callback.bot.send_document(
            callback.from_user.id,
            BufferedInputFile(content, filename=plan_report.file_name(chosen)),
            caption=texts.REPORT_CAPTION.format(year=chosen),
        )


def _is_plan_file(document: Document) -> bool:
    name = document.file_name or ""
    return PurePath(name).suffix.lower() in importer.SUPPORTED_SUFFIXES and bool(
        _PLAN_FILE.search(name)
    )


async def on_plan_file(
    message: Message, bot: Bot, session: AsyncSession, actor: Actor | None
) -> None:
    document = message.document
    assert document is not None  # guaranteed by the filter
    name = document.file_name or "plan.xlsx"
    if (document.file_size or 0) > MAX_FILE_MB * 1024 * 1024:
        await message.answer(texts.TOO_BIG.format(limit=MAX_FILE_MB))
        return
    await message.answer(texts.IMPORT_STARTED.format(name=h(name)))
    buffer = io.BytesIO()
    await bot.download(document, destination=buffer)
    try:
        result = await importer.import_plan(session, name, buffer.getvalue(), actor)
    except importer.PlanFileError as error:
        shown = [f"• {h(problem)}" for problem in error.problems[:MAX_PROBLEMS_SHOWN]]
        await message.answer(texts.REJECTED.format(name=h(name), problems="\n".join(shown)))
        return
    await message.answer(
        texts.IMPORTED.format(
            year=result.year,
            name=h(name),
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
        )
    )


async def _plan_document(event: Message) -> bool:
    return event.document is not None and _is_plan_file(event.document)


def router() -> Router:
    """/plan and its buttons for every admin (a fresh router per dispatcher)."""
    r = Router(name=__name__)
    r.message.register(cmd_plan, Command("plan"))
    r.callback_query.register(on_plan_button, PlanCB.filter())
    return r


def regional_router() -> Router:
    """The plan file and the typed name search: regional admins only."""
    r = Router(name=f"{__name__}.regional")
    r.message.register(on_plan_file, When(F.document), _plan_document)
    r.message.register(on_link_query, StateFilter(PlanLinking.query), TYPED)
    return r
