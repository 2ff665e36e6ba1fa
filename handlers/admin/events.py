"""/newevent: an admin creates and announces a seminar or training; the organiser's card with
attendance and the participants' spreadsheet."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
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
from handlers.admin import broadcast_views
from handlers.callbacks import EvAction, EvCB, EvNewCB, EvNewStep
from handlers.filters import TYPED
from handlers.states import EventCreate
from handlers.ui import show
from models import Event, EventAudience, EventKind, EventStatus, utcnow
from services import events, orgs, topics
from services.audit import Actor
from services.broadcasts import compose, outbox
from services.broadcasts.worker import DeliveryWorker
from services.people import Roles
from services.plan import items as plan_items
from texts import events as texts
from texts import ru

TIME_FORMAT = "%d.%m.%Y %H:%M"
Screen = tuple[str, InlineKeyboardMarkup]
# The wizard's steps in order; «Назад» goes one up (the topic only for a topic audience).
STEPS = (
    EventCreate.title,
    EventCreate.description,
    EventCreate.kind,
    EventCreate.starts,
    EventCreate.ends,
    EventCreate.place,
    EventCreate.audience,
    EventCreate.topic,
    EventCreate.territory,
    EventCreate.capacity,
    EventCreate.plan_item,
    EventCreate.confirm,
)
# Steps a draft may not have: the topic (a topic audience only), the territory (an admin of
# several), the plan item (a regional admin, once a plan is imported).
OPTIONAL = {
    EventCreate.topic: lambda data: data.get("audience") == EventAudience.TOPIC,
    EventCreate.territory: lambda data: bool(data.get("choose_territory")),
    EventCreate.plan_item: lambda data: bool(data.get("with_plan")),
}
PLAN_ITEMS_SHOWN = 30


def _b(text: str, data: EvNewCB | EvCB) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def _nav(first: bool = False) -> list[InlineKeyboardButton]:
    row = [] if first else [_b(texts.BACK, EvNewCB(step=EvNewStep.BACK))]
    return [*row, _b(texts.CANCEL, EvNewCB(step=EvNewStep.CANCEL))]


def _example(settings: Settings) -> str:
    later = utcnow().astimezone(settings.tz) + timedelta(days=7)
    return later.replace(hour=10, minute=0).strftime(TIME_FORMAT)


def _draft_from(data: dict[str, Any]) -> events.EventDraft:
    return events.EventDraft(
        title=data["title"],
        description=data["description"],
        kind=EventKind(data["kind"]),
        starts_at=datetime.fromisoformat(data["starts_at"]),
        ends_at=datetime.fromisoformat(data["ends_at"]),
        place=data["place"],
        audience=EventAudience(data["audience"]),
        topic_id=data.get("topic_id"),
        capacity=data.get("capacity"),
        plan_item_id=data.get("plan_item_id"),
        territory_id=data.get("territory_id"),
    )


async def _screen(
    step: Any, data: dict[str, Any], settings: Settings, session: AsyncSession, roles: Roles
) -> Screen:
    tz, example = settings.timezone, _example(settings)
    if step == EventCreate.title:
        return texts.ASK_TITLE, InlineKeyboardMarkup(inline_keyboard=[_nav(first=True)])
    if step == EventCreate.description:
        return texts.ASK_DESCRIPTION, InlineKeyboardMarkup(inline_keyboard=[_nav()])
    if step == EventCreate.kind:
        rows = [
            [_b(title, EvNewCB(step=EvNewStep.KIND, value=kind.value))]
            for kind, title in texts.KIND_TITLES.items()
        ]
        return texts.ASK_KIND, InlineKeyboardMarkup(inline_keyboard=[*rows, _nav()])
    if step == EventCreate.starts:
        text = texts.ASK_START.format(tz=tz, example=example)
        return text, InlineKeyboardMarkup(inline_keyboard=[_nav()])
    if step == EventCreate.ends:
        text = texts.ASK_END.format(tz=tz, example=example)
        return text, InlineKeyboardMarkup(inline_keyboard=[_nav()])
    if step == EventCreate.place:
        return texts.ASK_PLACE, InlineKeyboardMarkup(inline_keyboard=[_nav()])
    if step == EventCreate.audience:
        rows = [
            [_b(title, EvNewCB(step=EvNewStep.AUDIENCE, value=audience.value))]
            for audience, title in texts.AUDIENCE_TITLES.items()
        ]
        if data.get("choose_territory"):
            where = texts.WHERE_CHOOSE
        elif events.territory_of(roles) is None:
            where = texts.WHERE_EVERYWHERE
        else:
            where = texts.WHERE_TERRITORY
        return (
            texts.ASK_AUDIENCE.format(where=where),
            InlineKeyboardMarkup(inline_keyboard=[*rows, _nav()]),
        )
    if step == EventCreate.topic:
        rows = [
            [_b(topic.title, EvNewCB(step=EvNewStep.TOPIC, value=str(topic.id)))]
            for topic in await topics.list_topics(session)
        ]
        return texts.ASK_TOPIC, InlineKeyboardMarkup(inline_keyboard=[*rows, _nav()])
    if step == EventCreate.territory:
        rows = [
            [_b(keyboards.short(org.name), EvNewCB(step=EvNewStep.TERRITORY, value=str(org.id)))]
            for org in await orgs.by_ids(session, sorted(roles.territories))
        ]
        return texts.ASK_TERRITORY, InlineKeyboardMarkup(inline_keyboard=[*rows, _nav()])
    if step == EventCreate.capacity:
        rows = [[_b(texts.NO_LIMIT_BUTTON, EvNewCB(step=EvNewStep.NO_LIMIT))]]
        return texts.ASK_CAPACITY, InlineKeyboardMarkup(inline_keyboard=[*rows, _nav()])
    if step == EventCreate.plan_item:
        rows = [
            [
                _b(
                    keyboards.short(f"№ {item.number}. {item.text}"),
                    EvNewCB(step=EvNewStep.PLAN, value=str(item.id)),
                )
            ]
            for item in (await _plan_items(session, data))[:PLAN_ITEMS_SHOWN]
        ]
        rows.append([_b(texts.NO_PLAN_ITEM_BUTTON, EvNewCB(step=EvNewStep.PLAN, value="0"))])
        return texts.ASK_PLAN_ITEM, InlineKeyboardMarkup(inline_keyboard=[*rows, _nav()])
    draft = _draft_from(data)
    audience = texts.AUDIENCE_TITLES[draft.audience]
    if draft.topic_id is not None:
        chosen = [t.title for t in await topics.list_topics(session) if t.id == draft.topic_id]
        audience += f": {chosen[0]}" if chosen else ""
    preview = Event(
        title=draft.title,
        description=draft.description,
        kind=draft.kind,
        starts_at=draft.starts_at,
        ends_at=draft.ends_at,
        place=draft.place,
        capacity=draft.capacity,
    )
    text = texts.CONFIRM.format(
        card=events.announcement_text(preview, settings.tz), audience=audience
    )
    if data.get("territory_id") and data.get("choose_territory"):
        [org] = await orgs.by_ids(session, [data["territory_id"]])
        text += "\n" + texts.CONFIRM_TERRITORY.format(name=org.name)
    if data.get("plan_item_number"):
        text += "\n" + texts.CONFIRM_PLAN_ITEM.format(number=data["plan_item_number"])
    rows = [[_b(texts.ANNOUNCE, EvNewCB(step=EvNewStep.ANNOUNCE))]]
    return text, InlineKeyboardMarkup(inline_keyboard=[*rows, _nav()])


async def _go(
    target: Message | CallbackQuery,
    step: Any,
    state: FSMContext,
    settings: Settings,
    session: AsyncSession,
    roles: Roles,
) -> None:
    await state.set_state(step)
    text, markup = await _screen(step, await state.get_data(), settings, session, roles)
    if isinstance(target, CallbackQuery):
        await show(target, text, markup)
    else:
        await target.answer(text, reply_markup=markup)


def _next(step: Any, data: dict[str, Any]) -> Any:
    following = STEPS[STEPS.index(step) + 1]
    while following in OPTIONAL and not OPTIONAL[following](data):
        following = STEPS[STEPS.index(following) + 1]
    return following


def _previous(step: Any, data: dict[str, Any]) -> Any:
    before = STEPS[max(STEPS.index(step) - 1, 0)]
    while before in OPTIONAL and not OPTIONAL[before](data):
        before = STEPS[STEPS.index(before) - 1]
    return before


async def _plan_items(session: AsyncSession, data: dict[str, Any]) -> list[plan_items.PickItem]:
    """The items an event may carry out: the plan of the event's year, else every plan's."""
    year = datetime.fromisoformat(data["starts_at"]).year if data.get("starts_at") else None
    return await plan_items.items_for_picking(session, year) or (
        await plan_items.items_for_picking(session)
    )


async def cmd_newevent(
    message: Message, state: FSMContext, settings: Settings, session: AsyncSession, roles: Roles
) -> None:
    await state.clear()
    if roles.regional_admin and await plan_items.items_for_picking(session):
        await state.update_data(with_plan=True)
    if not roles.regional_admin and len(roles.territories) > 1:
        await state.update_data(choose_territory=True)
    await _go(message, EventCreate.title, state, settings, session, roles)


def _parse_moment(text: str, settings: Settings) -> datetime | None:
    try:
        return datetime.strptime(text.strip(), TIME_FORMAT).replace(tzinfo=settings.tz)
    except ValueError:
        return None


def _check(step: Any, text: str, data: dict[str, Any], settings: Settings) -> Any:
    """The typed value for the step, or the Russian complaint (a str in a tuple)."""
    text = text.strip()
    if step == EventCreate.title:
        return text if 3 <= len(text) <= 200 else (texts.BAD_TITLE,)
    if step == EventCreate.description:
        return text if len(text) <= 3000 else (texts.BAD_DESCRIPTION,)
    if step == EventCreate.place:
        return text if 3 <= len(text) <= 500 else (texts.BAD_PLACE,)
    if step == EventCreate.capacity:
        if not text.isdigit() or not 1 <= int(text) <= 100000:
            return (texts.BAD_CAPACITY,)
        return int(text)
    if step == EventCreate.starts:
        moment = _parse_moment(text, settings)
        if moment is None:
            return (texts.BAD_TIME.format(example=_example(settings)),)
        if moment <= utcnow():
            return (texts.PAST_TIME,)
        return moment.isoformat()
    # the end: a full moment, or a time on the start's day
    start = datetime.fromisoformat(data["starts_at"]).astimezone(settings.tz)
    moment = _parse_moment(text, settings)
    if moment is None:
        moment = _parse_moment(f"{start.strftime('%d.%m.%Y')} {text}", settings)
    if moment is None:
        return (texts.BAD_TIME.format(example=_example(settings)),)
    if moment <= start:
        return (texts.END_BEFORE_START.format(start=start.strftime(TIME_FORMAT)),)
    return moment.isoformat()


FIELDS = {
    EventCreate.title: "title",
    EventCreate.description: "description",
    EventCreate.starts: "starts_at",
    EventCreate.ends: "ends_at",
    EventCreate.place: "place",
    EventCreate.capacity: "capacity",
}


async def on_typed(
    message: Message, state: FSMContext, settings: Settings, session: AsyncSession, roles: Roles
) -> None:
    step_name = await state.get_state()
    step = next((s for s in FIELDS if s.state == step_name), None)
    if step is None:  # a step answered with a button: say which buttons
        data = await state.get_data()
        current = next(s for s in STEPS if s.state == step_name)
        text, markup = await _screen(current, data, settings, session, roles)
        await message.answer(text, reply_markup=markup)
        return
    data = await state.get_data()
    value = _check(step, message.text or "", data, settings)
    if isinstance(value, tuple):
        await message.answer(value[0])
        return
    await state.update_data({FIELDS[step]: value})
    await _go(message, _next(step, data), state, settings, session, roles)


async def _wizard_step(callback: CallbackQuery, state: FSMContext) -> Any | None:
    """The step the wizard is on, or None (answered) when it is over."""
    name = await state.get_state()
    step = next((s for s in STEPS if s.state == name), None)
    if step is None:
        await callback.answer(texts.STALE_DRAFT, show_alert=True)
    return step


async def on_wizard_button(
    callback: CallbackQuery,
    callback_data: EvNewCB,
    state: FSMContext,
    settings: Settings,
    session: AsyncSession,
    roles: Roles,
    bot: Bot,
    delivery_worker: DeliveryWorker,
    actor: Actor | None,
) -> None:
    action = callback_data.step
    if action is EvNewStep.CANCEL:
        await state.clear()
        await callback.answer()
        await show(callback, texts.CREATE_CANCELLED)
        return
    step = await _wizard_step(callback, state)
    if step is None:
        return
    data = await state.get_data()
    if action is EvNewStep.BACK:
        await callback.answer()
        await _go(callback, _previous(step, data), state, settings, session, roles)
        return
    expected = {
        EvNewStep.KIND: EventCreate.kind,
        EvNewStep.AUDIENCE: EventCreate.audience,
        EvNewStep.TOPIC: EventCreate.topic,
        EvNewStep.TERRITORY: EventCreate.territory,
        EvNewStep.NO_LIMIT: EventCreate.capacity,
        EvNewStep.PLAN: EventCreate.plan_item,
        EvNewStep.ANNOUNCE: EventCreate.confirm,
    }
    if expected[action] != step:
        await callback.answer(texts.STALE_DRAFT, show_alert=True)
        return
    value: dict[str, Any]
    try:
        if action is EvNewStep.KIND:
            value = {"kind": EventKind(callback_data.value).value}
        elif action is EvNewStep.AUDIENCE:
            value = {"audience": EventAudience(callback_data.value).value, "topic_id": None}
        elif action is EvNewStep.TOPIC:
            known = {t.id for t in await topics.list_topics(session)}
            if not callback_data.value.isdigit() or int(callback_data.value) not in known:
                raise ValueError(callback_data.value)
            value = {"topic_id": int(callback_data.value)}
        elif action is EvNewStep.TERRITORY:
            # Only one of the admin's own territories (a forged id is refused).
            if not callback_data.value.isdigit() or int(callback_data.value) not in (
                roles.territories
            ):
                raise ValueError(callback_data.value)
            value = {"territory_id": int(callback_data.value)}
        elif action is EvNewStep.NO_LIMIT:
            value = {"capacity": None}
        elif action is EvNewStep.PLAN:
            value = {"plan_item_id": None, "plan_item_number": None}
            if callback_data.value != "0":
                offered = {str(item.id): item for item in await _plan_items(session, data)}
                item = offered.get(callback_data.value)
                if item is None:
                    raise ValueError(callback_data.value)
                value = {"plan_item_id": item.id, "plan_item_number": item.number}
        else:
            value = {}
    except ValueError:
        await callback.answer(texts.STALE_DRAFT, show_alert=True)
        return
    await callback.answer()
    if action is not EvNewStep.ANNOUNCE:
        await state.update_data(value)
        await _go(callback, _next(step, {**data, **value}), state, settings, session, roles)
        return
    await state.clear()
    assert callback.from_user is not None
    event = await events.create(session, _draft_from(data), callback.from_user.id, roles)
    markup = join_markup(event.id)
    broadcast = await events.announce(
        session,
        event,
        events.announcement_text(event, settings.tz),
        markup.model_dump(exclude_none=True),
        actor,
    )
    text, progress = broadcast_views.render_progress(await outbox.stats(session, broadcast.id))
    await show(callback, texts.ANNOUNCED.format(id=event.id) + "\n\n" + text, progress)
    if callback.message is not None:
        await compose.set_progress_message(
            session, broadcast, callback.from_user.id, callback.message.message_id
        )
    delivery_worker.wake()


def join_markup(event_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_b(texts.JOIN, EvCB(action=EvAction.JOIN, event=event_id))]]
    )


# --- the organiser's card ------------------------------------------------------------------


async def _managed(
    callback: CallbackQuery, data: EvCB, session: AsyncSession, roles: Roles
) -> Event | None:
    event = await events.get(session, data.event)
    if event is None or not events.may_manage(event, roles):
        await callback.answer(texts.NOT_YOURS, show_alert=True)
        return None
    return event


async def card(session: AsyncSession, event: Event, settings: Settings) -> Screen:
    figures = await events.figures(session, event.id)
    rating = (
        texts.RATING.format(avg=figures.rating, n=figures.ratings)
        if figures.rating is not None
        else texts.NO_RATING
    )
    text = texts.CARD.format(
        kind=texts.KIND_TITLES[event.kind],
        title=events.escape(event.title),
        when=events.when_text(event, settings.tz),
        place=events.escape(event.place),
        capacity=texts.CAPACITY.format(n=event.capacity) if event.capacity else texts.NO_LIMIT,
        registered=figures.registered,
        waiting=figures.waiting,
        attended=figures.attended,
        rating=rating,
        code=event.checkin_code,
    )
    rows = [
        [_b(texts.ATTENDANCE, EvCB(action=EvAction.ATTENDANCE, event=event.id))],
        [_b(texts.XLSX, EvCB(action=EvAction.XLSX, event=event.id))],
    ]
    if event.status is EventStatus.CANCELLED:
        text = texts.CARD_CANCELLED + text
    elif events.is_cancellable(event, utcnow()):
        rows.append([_b(texts.CANCEL_EVENT, EvCB(action=EvAction.CANCEL_ASK, event=event.id))])
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


async def on_card(
    callback: CallbackQuery,
    callback_data: EvCB,
    session: AsyncSession,
    roles: Roles,
    settings: Settings,
) -> None:
    event = await _managed(callback, callback_data, session, roles)
    if event is None:
        return
    await callback.answer()
    text, markup = await card(session, event, settings)
    await show(callback, text, markup)


async def _cancellable(
    callback: CallbackQuery, data: EvCB, session: AsyncSession, roles: Roles
) -> Event | None:
    """The event, if this person may cancel it and it may still be cancelled; answers if not."""
    event = await events.get(session, data.event)
    if event is None or not events.may_cancel(event, roles, callback.from_user.id):
        await callback.answer(texts.NOT_YOURS, show_alert=True)
        return None
    if not events.is_cancellable(event, utcnow()):
        await callback.answer(texts.EVENT_ALREADY_CLOSED, show_alert=True)
        return None
    return event


async def on_cancel_ask(
    callback: CallbackQuery,
    callback_data: EvCB,
    session: AsyncSession,
    roles: Roles,
    settings: Settings,
) -> None:
    event = await _cancellable(callback, callback_data, session, roles)
    if event is None:
        return
    await callback.answer()
    text = texts.CANCEL_EVENT_ASK.format(
        title=events.escape(event.title),
        when=events.when_text(event, settings.tz),
        n=await events.active_count(session, event.id),
    )
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [_b(texts.CANCEL_EVENT_YES, EvCB(action=EvAction.CANCEL_DO, event=event.id))],
            [_b(texts.BACK, EvCB(action=EvAction.CARD, event=event.id))],
        ]
    )
    await show(callback, text, markup)


async def on_cancel_do(
    callback: CallbackQuery,
    callback_data: EvCB,
    session: AsyncSession,
    roles: Roles,
    settings: Settings,
    actor: Actor | None,
    delivery_worker: DeliveryWorker,
) -> None:
    event = await _cancellable(callback, callback_data, session, roles)
    if event is None:
        return
    done = await events.cancel_event(
        session, event.id, roles, callback.from_user.id, settings.tz, actor
    )
    if done.outcome is not events.Cancelled.DONE:
        alert = texts.NOT_YOURS if done.outcome is events.Cancelled.NOT_YOURS else (
            texts.EVENT_ALREADY_CLOSED
        )
        await callback.answer(alert, show_alert=True)
        return
    await callback.answer()
    delivery_worker.wake()
    text, markup = await card(session, event, settings)
    done_line = texts.EVENT_CANCELLED_DONE.format(title=events.escape(event.title), n=done.told)
    await show(callback, done_line + "\n\n" + text, markup)


# A hall of people to tick: more to a page than the bot's short lists (PAGE_SIZE), still one
# screen of a phone with the pager and «Назад».
ATTENDANCE_PAGE = 20


async def _attendance(
    session: AsyncSession, event: Event, page: int = 0, person_id: int | None = None
) -> Screen:
    shown = await events.participants_page(
        session, event.id, page, ATTENDANCE_PAGE, person_id=person_id
    )
    rows = []
    for registration, person in shown.rows:
        mark = "✅" if registration.attended else "▫️"
        name = keyboards.short(" ".join(p for p in (person.first_name, person.last_name) if p))
        rows.append(
            [_b(f"{mark} {name}", EvCB(action=EvAction.MARK, event=event.id, value=person.id))]
        )
    pager = keyboards.pager(
        shown.page,
        shown.total,
        lambda n: EvCB(action=EvAction.ATTENDANCE, event=event.id, value=n),
        ATTENDANCE_PAGE,
    )
    if pager:
        rows.append(pager)
    rows.append([_b(texts.BACK, EvCB(action=EvAction.CARD, event=event.id))])
    if not shown.total:
        return texts.ATTEND_EMPTY, InlineKeyboardMarkup(inline_keyboard=rows)
    count = keyboards.pages(shown.total, ATTENDANCE_PAGE)
    text = texts.ATTEND_TITLE
    if count > 1:
        text += "\n\n" + ru.PAGE.format(page=shown.page + 1, pages=count)
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


async def on_attendance(
    callback: CallbackQuery, callback_data: EvCB, session: AsyncSession, roles: Roles
) -> None:
    event = await _managed(callback, callback_data, session, roles)
    if event is None:
        return
    if not events.has_started(event, utcnow()):
        await callback.answer(texts.NOT_STARTED, show_alert=True)
        return
    await callback.answer()
    text, markup = await _attendance(session, event, page=callback_data.value)
    await show(callback, text, markup)


async def on_mark(
    callback: CallbackQuery, callback_data: EvCB, session: AsyncSession, roles: Roles
) -> None:
    event = await _managed(callback, callback_data, session, roles)
    if event is None:
        return
    if await events.toggle_attended(session, event, callback_data.value) is None:
        await callback.answer(texts.NOT_REGISTERED, show_alert=True)
        return
    await callback.answer()
    text, markup = await _attendance(session, event, person_id=callback_data.value)
    await show(callback, text, markup)


async def on_xlsx(
    callback: CallbackQuery,
    callback_data: EvCB,
    session: AsyncSession,
    roles: Roles,
    settings: Settings,
    bot: Bot,
) -> None:
    event = await _managed(callback, callback_data, session, roles)
    if event is None:
        return
    await callback.answer()
    content = await events.participants_xlsx(session, event, settings.tz)
    await bot.send_document(
        callback.from_user.id,
        BufferedInputFile(content, filename=f"event-{event.id}.xlsx"),
        caption=texts.XLSX_CAPTION.format(title=events.escape(event.title)),
    )


def router() -> Router:
    """This module's handlers on a fresh router (one per dispatcher)."""
    r = Router(name=__name__)
    r.message.register(cmd_newevent, Command("newevent"))
    r.message.register(on_typed, StateFilter(*STEPS), TYPED)
    r.callback_query.register(on_wizard_button, EvNewCB.filter())
    r.callback_query.register(on_card, EvCB.filter(F.action == EvAction.CARD))
    r.callback_query.register(on_attendance, EvCB.filter(F.action == EvAction.ATTENDANCE))
    r.callback_query.register(on_mark, EvCB.filter(F.action == EvAction.MARK))
    r.callback_query.register(on_xlsx, EvCB.filter(F.action == EvAction.XLSX))
    r.callback_query.register(on_cancel_ask, EvCB.filter(F.action == EvAction.CANCEL_ASK))
    r.callback_query.register(on_cancel_do, EvCB.filter(F.action == EvAction.CANCEL_DO))
    return r
