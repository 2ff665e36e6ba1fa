"""Seminars and trainings: creating and announcing an event, race-free registration with a
waiting list, the .ics confirmation, reminders and feedback through the outbox, check-in,
attendance, the card's figures and the participants' spreadsheet."""

from __future__ import annotations

import enum
import io
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from typing import Any

import icalendar
from openpyxl import Workbook
from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import InstrumentedAttribute, set_committed_value

from models import (
    Audience,
    AuditKind,
    Broadcast,
    BroadcastKind,
    BroadcastStatus,
    BroadcastTopic,
    Event,
    EventAudience,
    EventKind,
    EventRegistration,
    EventStatus,
    Organization,
    OrgLevel,
    Person,
    PlanPeriod,
    RegistrationStatus,
    Role,
    RoleKind,
    Subscription,
    utcnow,
)
from services import audit
from services.broadcasts import outbox
from services.people import Roles
from services.plan.due import OPEN_KEY
from services.spreadsheet import openpyxl_row
from texts import events as texts

logger = logging.getLogger(__name__)

Markup = dict[str, Any]  # an inline keyboard as Bot API JSON
# Check-in is accepted from this long before the start until the end.
CHECKIN_EARLY = timedelta(minutes=30)
DAY = timedelta(days=1)
ACTIVE = (RegistrationStatus.REGISTERED, RegistrationStatus.WAITING)


@dataclass
class EventDraft:
    """What the organiser has typed and chosen so far (kept in the FSM data between steps)."""

    title: str
    description: str
    kind: EventKind
    starts_at: datetime
    ends_at: datetime
    place: str
    audience: EventAudience
    topic_id: int | None
    capacity: int | None
    plan_item_id: int | None = None
    territory_id: int | None = None  # chosen by an admin of several territories


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


# --- who may do what ---------------------------------------------------------------------


def territory_of(roles: Roles, chosen: int | None = None) -> int | None:
    """Where an organiser's events go: everywhere for a regional admin, else their territory
    (the one `chosen` by an admin of several, if it is one of theirs)."""
    if roles.regional_admin or not roles.territories:
        return None
    return chosen if chosen in roles.territories else min(roles.territories)


def may_manage(event: Event, roles: Roles) -> bool:
    """A regional admin manages every event; a territorial admin those of their territory."""
    return roles.regional_admin or (
        event.territory_id is not None and event.territory_id in roles.territories
    )


def _event_territory_orgs() -> Select[int]:
    """The organisations of the event's territory (correlated to the enclosing Event row)."""
    return select(Organization.id).where(
        or_(Organization.id == Event.territory_id, Organization.parent_id == Event.territory_id)
    )


def _joinable(
    person_id: ColumnElement[int] | InstrumentedAttribute[int],
    org_id: ColumnElement[int | None] | InstrumentedAttribute[int | None],
) -> ColumnElement[bool]:
    """Whether the person (their id and organisation as columns or bound parameters) is in the
    audience of the Event row the query stands on: the one definition behind the
    announcement's recipients and the tap's check, so a forwarded or forged button gives no
    seat."""

    def role(*where: ColumnElement[bool]) -> ColumnElement[bool]:
        return exists().where(
            Role.person_id == person_id,
            *where,
            or_(Event.territory_id.is_(None), Role.org_id.in_(_event_territory_orgs())),
        )

    primary = select(Organization.id).where(Organization.level == OrgLevel.PRIMARY)
    # A person of no organisation (NULL) is inside no territory.
    org_inside = or_(Event.territory_id.is_(None), org_id.in_(_event_territory_orgs()))
    subscribed = exists().where(
        Subscription.person_id == person_id, Subscription.topic_id == Event.topic_id
    )
    return or_(
        and_(Event.audience == EventAudience.OFFICERS, role(Role.kind == RoleKind.OFFICER)),
        and_(
            Event.audience == EventAudience.AIS_OFFICERS, role(Role.kind == RoleKind.AIS_OFFICER)
        ),
        and_(
            Event.audience == EventAudience.TERRITORIAL_CHAIRS,
            role(Role.kind == RoleKind.TERRITORIAL_ADMIN),
        ),
        and_(
            Event.audience == EventAudience.PRIMARY_CHAIRS,
            role(Role.kind == RoleKind.OFFICER, Role.org_id.in_(primary)),
        ),
        and_(Event.audience == EventAudience.TOPIC, subscribed, org_inside),
    )


# Built once: the audience's expression is large, and a statement object keeps its cache key,
# so a tap does not walk the tree again to find the compiled SQL (see bench/events.py).
_PERSON_ID = bindparam("person_id", type_=Integer)
_JOINABLE = _joinable(_PERSON_ID, bindparam("org_id", type_=Integer))
_MAY_JOIN = select(Event.id).where(Event.id == bindparam("event_id"), _JOINABLE)
# The tap's one read: the event, whether the person is in its audience, their row if any.
_TAP_CHECK = (
    select(Event, _JOINABLE.label("inside"), EventRegistration.id, EventRegistration.status)
    .outerjoin(
        EventRegistration,
        and_(EventRegistration.event_id == Event.id, EventRegistration.person_id == _PERSON_ID),
    )
    .where(Event.id == bindparam("event_id"))
)


def _person_params(event_id: int, person: Person) -> dict[str, int | None]:
    return {"event_id": event_id, "person_id": person.id, "org_id": person.org_id}


async def may_join(session: AsyncSession, event: Event, person: Person) -> bool:
    """Whether the person is in the event's audience (and territory)."""
    found = await session.scalar(_MAY_JOIN, _person_params(event.id, person))
    return found is not None


# --- creating and announcing ---------------------------------------------------------------


async def create(
    session: AsyncSession, draft: EventDraft, organiser_telegram_id: int, roles: Roles
) -> Event:
    """Store the event (within the organiser's territory); committed."""
    event = Event(
        title=draft.title,
        description=draft.description,
        kind=draft.kind,
        starts_at=draft.starts_at,
        ends_at=draft.ends_at,
        place=draft.place,
        audience=draft.audience,
        topic_id=draft.topic_id,
        territory_id=territory_of(roles, draft.territory_id),
        capacity=draft.capacity,
        registered=0,
        status=EventStatus.ANNOUNCED,
        organiser_telegram_id=organiser_telegram_id,
        checkin_code=f"{secrets.randbelow(900000) + 100000}",
        plan_item_id=draft.plan_item_id,
    )
    session.add(event)
    await session.commit()
    return event


def _audience_people(event: Event) -> Select[int]:
    """Telegram ids of the people in a role-based audience (territory applied)."""
    # The one event row joined to every person: the audience is judged on it.
    return (
        select(Person.telegram_id)
        .join(Event, Event.id == event.id)
        .where(_joinable(Person.id, Person.org_id))
    )


def announcement_text(event: Event, tz: Any) -> str:
    return texts.ANNOUNCEMENT.format(
        kind=texts.KIND_TITLES[event.kind],
        title=escape(event.title),
        description=escape(event.description),
        when=when_text(event, tz),
        place=escape(event.place),
        capacity=texts.CAPACITY.format(n=event.capacity) if event.capacity else texts.NO_LIMIT,
    )


def when_text(event: Event, tz: Any) -> str:
    start, end = event.starts_at.astimezone(tz), event.ends_at.astimezone(tz)
    tail = end.strftime("%H:%M") if end.date() == start.date() else end.strftime("%d.%m.%Y %H:%M")
    return f"{start.strftime('%d.%m.%Y %H:%M')}–{tail}"


async def announce(
    session: AsyncSession,
    event: Event,
    text: str,
    markup: Markup,
    actor: audit.Actor | None,
) -> Broadcast:
    """The announcement as an outbox broadcast with «Записаться»; enqueued (committed)."""
    broadcast = Broadcast(
        kind=BroadcastKind.NEWS,
        status=BroadcastStatus.DRAFT,
        author_telegram_id=event.organiser_telegram_id,
        text=text,
        preview=event.title[:120],
        source_message_ids=[],
        territory_id=event.territory_id,
        total=0,
        reply_markup=markup,
    )
    if event.audience is EventAudience.OFFICERS:
        broadcast.audience = Audience.OFFICERS
    elif event.audience is EventAudience.TOPIC:
        broadcast.audience = Audience.ALL
    else:
        broadcast.audience = Audience.PEOPLE
        broadcast.recipient_ids = list(await session.scalars(_audience_people(event)))
    session.add(broadcast)
    await session.flush()
    if event.audience is EventAudience.TOPIC and event.topic_id is not None:
        session.add(BroadcastTopic(broadcast_id=broadcast.id, topic_id=event.topic_id))
    event.broadcast_id = broadcast.id
    await session.flush()
    await outbox.enqueue(session, broadcast.id, actor)
    return broadcast


async def get(session: AsyncSession, event_id: int) -> Event | None:
    return await session.get(Event, event_id, populate_existing=True)


# --- registering ---------------------------------------------------------------------------


class Joined(enum.StrEnum):
    REGISTERED = "registered"
    WAITING = "waiting"
    ALREADY = "already"
    CLOSED = "closed"  # past, started or cancelled
    OUTSIDE = "outside"  # another territory's event


def is_open(event: Event, now: datetime) -> bool:
    return event.status is EventStatus.ANNOUNCED and event.starts_at > now


# One conditional UPDATE: a seat is taken only while the counter is under capacity, so
# concurrent taps cannot overrun it on SQLite (one writer) or PostgreSQL (row lock).
_TAKE_SEAT = (
    update(Event)
    .where(
        Event.id == bindparam("event_id"),
        Event.status == EventStatus.ANNOUNCED,
        Event.starts_at > bindparam("now"),
        or_(Event.capacity.is_(None), Event.registered < Event.capacity),
    )
    .values(registered=Event.registered + 1)
    .execution_options(synchronize_session=False)
)
_ADD_REGISTRATION = insert(EventRegistration).values(
    event_id=bindparam("event_id"),
    person_id=bindparam("person_id"),
    status=bindparam("status"),
    queued_at=bindparam("now"),
)


def _registration(event_id: int, person_id: int) -> Select[EventRegistration]:
    return select(EventRegistration).where(
        EventRegistration.event_id == event_id, EventRegistration.person_id == person_id
    )


async def register(session: AsyncSession, event_id: int, person: Person) -> Joined:
    """A tap on «Записаться»: a seat, or a place in the waiting list; committed.

    One read answers every question (open? in the audience? registered already?) before the
    write, so SQLite's single writer is held only for the seat's UPDATE, the row and COMMIT;
    the event stays in the session's identity map for the confirmation."""
    now = utcnow()
    row = (await session.execute(_TAP_CHECK, _person_params(event_id, person))).first()
    if row is None or not is_open(row[0], now):
        return Joined.CLOSED
    _, inside, existing_id, existing_status = row
    if not inside:
        return Joined.OUTSIDE
    if existing_status in ACTIVE:
        return Joined.ALREADY
    seated = await session.execute(_TAKE_SEAT, {"event_id": event_id, "now": now})
    seat = _rowcount(seated) == 1
    status = RegistrationStatus.REGISTERED if seat else RegistrationStatus.WAITING
    try:
        if existing_id is None:
            await session.execute(
                _ADD_REGISTRATION,
                {"event_id": event_id, "person_id": person.id, "status": status, "now": now},
            )
        else:
            revived = await session.execute(
                update(EventRegistration)
                .where(
                    EventRegistration.id == existing_id,
                    EventRegistration.status == RegistrationStatus.CANCELLED,
                )
                .values(status=status, queued_at=now)
                .execution_options(synchronize_session=False)
            )
            if not _rowcount(revived):  # a concurrent tap of the same person got there first
                await session.rollback()
                return Joined.ALREADY
        await session.commit()
    except IntegrityError:  # the same person's second tap, committed first: seat given back
        await session.rollback()
        return Joined.ALREADY
    return Joined.REGISTERED if seat else Joined.WAITING


@dataclass(frozen=True)
class Left:
    was: RegistrationStatus | None  # None: there was nothing to cancel
    promoted_telegram_id: int | None = None


async def cancel_registration(session: AsyncSession, event_id: int, person_id: int) -> Left:
    """The second tap: cancel; a freed seat goes to the first in the waiting list; committed."""
    event = await get(session, event_id)
    if event is None or not is_open(event, utcnow()):
        return Left(None)
    left = await _cancel(session, event_id, person_id)
    if left.was is None:
        await session.rollback()
    else:
        await session.commit()
    return left


async def _cancel(session: AsyncSession, event_id: int, person_id: int) -> Left:
    """Cancel within the caller's transaction; the seat moves to the waiting list's first."""
    was: RegistrationStatus | None = None
    for status in ACTIVE:
        result = await session.execute(
            update(EventRegistration)
            .where(
                EventRegistration.event_id == event_id,
                EventRegistration.person_id == person_id,
                EventRegistration.status == status,
            )
            .values(status=RegistrationStatus.CANCELLED)
            .execution_options(synchronize_session=False)
        )
        if _rowcount(result):
            was = status
            break
    if was is None:
        return Left(None)
    promoted: int | None = None
    if was is RegistrationStatus.REGISTERED:
        promoted = await _promote_first(session, event_id)
        if promoted is None:
            await session.execute(
                update(Event)
                .where(Event.id == event_id, Event.registered > 0)
                .values(registered=Event.registered - 1)
                .execution_options(synchronize_session=False)
            )
    return Left(was, promoted)


async def release_seats(session: AsyncSession, person_id: int, tz: Any) -> int:
    """/forget: give up the person's seats in open events before the rows go, so the counters
    stay right and the waiting lists move up; whoever moves up is told as at any promotion,
    through the outbox in the caller's transaction (the .ics comes with a tap, not here: the
    outbox sends text). Not committed."""
    open_events = list(
        await session.scalars(
            select(Event)
            .join(EventRegistration, EventRegistration.event_id == Event.id)
            .where(
                EventRegistration.person_id == person_id,
                EventRegistration.status == RegistrationStatus.REGISTERED,
                Event.status == EventStatus.ANNOUNCED,
                Event.starts_at > utcnow(),
            )
        )
    )
    for event in open_events:
        left = await _cancel(session, event.id, person_id)
        if left.promoted_telegram_id is not None:
            text = texts.PROMOTED_NOTICE.format(
                title=escape(event.title), when=when_text(event, tz), place=escape(event.place)
            )
            await _tell_people(session, event, [left.promoted_telegram_id], text, None)
    return len(open_events)


async def _promote_first(session: AsyncSession, event_id: int) -> int | None:
    """Hand the freed seat to the first in line (the counter stays); their Telegram id."""
    for _ in range(5):  # another cancellation may promote the same person at the same moment
        first = (
            await session.execute(
                select(EventRegistration.id, Person.telegram_id)
                .join(Person, Person.id == EventRegistration.person_id)
                .where(
                    EventRegistration.event_id == event_id,
                    EventRegistration.status == RegistrationStatus.WAITING,
                )
                .order_by(EventRegistration.queued_at, EventRegistration.id)
                .limit(1)
                # PostgreSQL: concurrent cancellations each take a different waiting person
                # instead of queueing on the same row (SQLite's one writer needs no lock).
                .with_for_update(of=EventRegistration, skip_locked=True)
            )
        ).first()
        if first is None:
            return None
        moved = await session.execute(
            update(EventRegistration)
            .where(
                EventRegistration.id == first.id,
                EventRegistration.status == RegistrationStatus.WAITING,
            )
            .values(status=RegistrationStatus.REGISTERED)
            .execution_options(synchronize_session=False)
        )
        if _rowcount(moved):
            return int(first.telegram_id)
    return None


async def registration_of(
    session: AsyncSession, event_id: int, person_id: int
) -> EventRegistration | None:
    return await session.scalar(
        _registration(event_id, person_id).execution_options(populate_existing=True)
    )


def ics(event: Event) -> bytes:
    """The event as an iCalendar file for the person's calendar."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Profinform//events//RU")
    calendar.add("version", "2.0")
    entry = icalendar.Event()
    entry.add("uid", f"event-{event.id}@profinform")
    entry.add("dtstamp", utcnow())
    entry.add("dtstart", event.starts_at)
    entry.add("dtend", event.ends_at)
    entry.add("summary", event.title)
    entry.add("location", event.place)
    if event.description:
        entry.add("description", event.description)
    calendar.add_component(entry)
    return calendar.to_ical()


# --- lists ---------------------------------------------------------------------------------


async def upcoming(session: AsyncSession, person: Person) -> list[Event]:
    """Open events this person may join, soonest first."""
    now = utcnow()
    events = await session.scalars(
        select(Event)
        .where(Event.status == EventStatus.ANNOUNCED, Event.starts_at > now)
        .order_by(Event.starts_at, Event.id)
        .limit(50)
    )
    return [event for event in events if await may_join(session, event, person)][:10]


async def my_registrations(
    session: AsyncSession, person: Person
) -> list[tuple[Event, RegistrationStatus]]:
    rows = await session.execute(
        select(Event, EventRegistration.status)
        .join(EventRegistration, EventRegistration.event_id == Event.id)
        .where(
            EventRegistration.person_id == person.id,
            EventRegistration.status.in_(ACTIVE),
            Event.status == EventStatus.ANNOUNCED,
            Event.ends_at > utcnow(),
        )
        .order_by(Event.starts_at)
    )
    return [(event, status) for event, status in rows]


async def managed(session: AsyncSession, roles: Roles) -> list[Event]:
    """The organiser's latest events (their territory's, or all for a regional admin)."""
    query = select(Event).order_by(Event.starts_at.desc(), Event.id.desc()).limit(10)
    if not roles.regional_admin:
        query = query.where(Event.territory_id.in_(roles.territories))
    return list(await session.scalars(query))


# --- the organiser cancels ----------------------------------------------------------------


def may_cancel(event: Event, roles: Roles, telegram_id: int) -> bool:
    """The organiser, an admin of the event's territory, or a regional admin."""
    return may_manage(event, roles) or event.organiser_telegram_id == telegram_id


def is_cancellable(event: Event, now: datetime) -> bool:
    """Announced and not over yet (a held event stays in the reports as held)."""
    return event.status is EventStatus.ANNOUNCED and event.ends_at > now


class Cancelled(enum.StrEnum):
    DONE = "done"
    NOT_YOURS = "not_yours"
    CLOSED = "closed"  # cancelled already, or over


@dataclass(frozen=True)
class Cancellation:
    outcome: Cancelled
    told: int = 0  # the people registered or waiting, told through the outbox


async def cancel_event(
    session: AsyncSession,
    event_id: int,
    roles: Roles,
    telegram_id: int,
    tz: Any,
    actor: audit.Actor | None,
) -> Cancellation:
    """Cancel the event for good: registering, reminders, check-in and feedback end with its
    status; everyone registered or waiting is told by one outbox broadcast queued in the same
    transaction (so a restart neither loses nor repeats it); the announcement, if it is still
    going out, stops. Committed."""
    event = await get(session, event_id)
    if event is None or not may_cancel(event, roles, telegram_id):
        return Cancellation(Cancelled.NOT_YOURS)
    now = utcnow()
    changed = await session.execute(
        update(Event)
        .where(Event.id == event_id, Event.status == EventStatus.ANNOUNCED, Event.ends_at > now)
        .values(status=EventStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    if not _rowcount(changed):  # cancelled by someone else meanwhile, or just over
        await session.rollback()
        return Cancellation(Cancelled.CLOSED)
    set_committed_value(event, "status", EventStatus.CANCELLED)  # as stored: nothing to flush
    chats = list(
        await session.scalars(
            select(Person.telegram_id)
            .join(EventRegistration, EventRegistration.person_id == Person.id)
            .where(EventRegistration.event_id == event_id, EventRegistration.status.in_(ACTIVE))
        )
    )
    if chats:
        text = texts.EVENT_CANCELLED_NOTICE.format(
            title=escape(event.title), when=when_text(event, tz)
        )
        await _tell_people(session, event, chats, text, None)
    audit.record(session, actor, AuditKind.EVENT_CANCELLED, event=event_id, recipients=len(chats))
    await session.commit()
    if event.broadcast_id is not None:  # audited above as the event's cancellation
        await outbox.cancel(session, event.broadcast_id)
    return Cancellation(Cancelled.DONE, len(chats))


async def active_count(session: AsyncSession, event_id: int) -> int:
    """People registered or waiting: those a cancellation would tell."""
    found = await session.scalar(
        select(func.count()).where(
            EventRegistration.event_id == event_id, EventRegistration.status.in_(ACTIVE)
        )
    )
    return int(found or 0)


# --- the card and attendance ---------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    registered: int
    waiting: int
    attended: int
    rating: float | None
    ratings: int


async def figures(session: AsyncSession, event_id: int) -> Figures:
    reg = EventRegistration
    row = (
        await session.execute(
            select(
                func.count().filter(reg.status == RegistrationStatus.REGISTERED),
                func.count().filter(reg.status == RegistrationStatus.WAITING),
                func.count().filter(reg.attended.is_(True)),
                func.avg(reg.rating),
                func.count(reg.rating),
            ).where(reg.event_id == event_id)
        )
    ).one()
    return Figures(
        int(row[0]),
        int(row[1]),
        int(row[2]),
        float(row[3]) if row[3] is not None else None,
        int(row[4]),
    )


def _participant(event_id: int) -> ColumnElement[bool]:
    """Registered, or marked as present (and cancelled since)."""
    return and_(
        EventRegistration.event_id == event_id,
        or_(
            EventRegistration.status == RegistrationStatus.REGISTERED,
            EventRegistration.attended.is_(True),
        ),
    )


_TAPPING_ORDER = (EventRegistration.queued_at, EventRegistration.id)


async def participants(
    session: AsyncSession, event_id: int
) -> list[tuple[EventRegistration, Person, str | None]]:
    """Registered (and attended) people with their organisation's name, in order of tapping."""
    rows = await session.execute(
        select(EventRegistration, Person, Organization.name)
        .join(Person, Person.id == EventRegistration.person_id)
        .outerjoin(Organization, Organization.id == Person.org_id)
        .where(_participant(event_id))
        .order_by(*_TAPPING_ORDER)
    )
    return [(r, p, name) for r, p, name in rows]


@dataclass(frozen=True)
class ParticipantsPage:
    rows: list[tuple[EventRegistration, Person]]
    page: int  # from 0, within the pages there are
    total: int


async def participants_page(
    session: AsyncSession, event_id: int, page: int, size: int, person_id: int | None = None
) -> ParticipantsPage:
    """One page of the participants in order of tapping; with `person_id`, the page that
    person is on (the organiser has just marked them)."""
    total = int(
        await session.scalar(select(func.count()).where(_participant(event_id))) or 0
    )
    if person_id is not None:
        mine = (
            await session.execute(
                select(*_TAPPING_ORDER).where(
                    _participant(event_id), EventRegistration.person_id == person_id
                )
            )
        ).first()
        if mine is not None:
            before = await session.scalar(
                select(func.count()).where(
                    _participant(event_id),
                    or_(
                        EventRegistration.queued_at < mine.queued_at,
                        and_(
                            EventRegistration.queued_at == mine.queued_at,
                            EventRegistration.id < mine.id,
                        ),
                    ),
                )
            )
            page = int(before or 0) // size
    page = max(0, min(page, (total - 1) // size if total else 0))
    rows = await session.execute(
        select(EventRegistration, Person)
        .join(Person, Person.id == EventRegistration.person_id)
        .where(_participant(event_id))
        .order_by(*_TAPPING_ORDER)
        .offset(page * size)
        .limit(size)
    )
    return ParticipantsPage([(r, p) for r, p in rows], page, total)


def has_started(event: Event, now: datetime) -> bool:
    return event.starts_at <= now


async def toggle_attended(session: AsyncSession, event: Event, person_id: int) -> bool | None:
    """The organiser marks (or unmarks) one registered person; None when not registered or the
    event has not started."""
    if not has_started(event, utcnow()) or event.status is not EventStatus.ANNOUNCED:
        return None
    registration = await registration_of(session, event.id, person_id)
    if registration is None or registration.status is not RegistrationStatus.REGISTERED:
        return None
    registration.attended = not registration.attended
    await session.commit()
    return registration.attended


async def check_in(session: AsyncSession, person: Person, code: str) -> Event | None:
    """A participant sends the code during the event: marked as attended. The event, or None
    when no running event of theirs has this code."""
    now = utcnow()
    row = (
        await session.execute(
            select(Event, EventRegistration)
            .join(EventRegistration, EventRegistration.event_id == Event.id)
            .where(
                Event.checkin_code == code,
                Event.status == EventStatus.ANNOUNCED,
                Event.ends_at > now,
                EventRegistration.person_id == person.id,
                EventRegistration.status == RegistrationStatus.REGISTERED,
            )
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    event, registration = row
    if event.starts_at - CHECKIN_EARLY > now:
        return None
    registration.attended = True
    await session.commit()
    return event


async def rate(session: AsyncSession, event_id: int, person_id: int, rating: int) -> bool:
    """A participant's 1–5; only after the event and from someone who attended."""
    if not 1 <= rating <= 5:
        return False
    result = await session.execute(
        update(EventRegistration)
        .where(
            EventRegistration.event_id == event_id,
            EventRegistration.person_id == person_id,
            EventRegistration.attended.is_(True),
            EventRegistration.feedback_asked_at.is_not(None),
        )
        .values(rating=rating)
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return bool(_rowcount(result))


async def comment(session: AsyncSession, event_id: int, person_id: int, text: str) -> bool:
    result = await session.execute(
        update(EventRegistration)
        .where(
            EventRegistration.event_id == event_id,
            EventRegistration.person_id == person_id,
            EventRegistration.rating.is_not(None),
        )
        .values(comment=text[:2000])
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return bool(_rowcount(result))


async def participants_xlsx(session: AsyncSession, event: Event, tz: Any) -> bytes:
    """Participants with their organisations, attendance and rating."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(texts.XLSX_SHEET)
    sheet.append(openpyxl_row(sheet, texts.XLSX_HEADER))
    for registration, person, org_name in await participants(session, event.id):
        name = " ".join(part for part in (person.first_name, person.last_name) if part)
        sheet.append(
            openpyxl_row(
                sheet,
                [
                    name,
                    f"@{person.username}" if person.username else "",
                    org_name or "",
                    texts.STATUS_TITLES[registration.status],
                    texts.YES if registration.attended else texts.NO,
                    registration.rating,
                    registration.comment or "",
                ],
            )
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- the sweep: reminders, feedback, held events ------------------------------------------


async def _notify(
    session: AsyncSession,
    event: Event,
    column: Any,
    where: list[Any],
    text: str,
    markup: Markup | None,
    now: datetime,
) -> int | None:
    """Claim the due rows (column IS NULL → now) and queue one PEOPLE broadcast to them, in one
    transaction: a restart neither repeats nor skips it, and of two replicas sweeping at once
    each row goes to the one whose UPDATE … RETURNING claimed it."""
    claimed = await session.scalars(
        update(EventRegistration)
        .where(EventRegistration.event_id == event.id, column.is_(None), *where)
        .values({column.key: now})
        .returning(EventRegistration.id)
        .execution_options(synchronize_session=False)
    )
    ids = list(claimed)
    if not ids:  # the empty UPDATE ends with the sweep's commit
        return None
    chats = list(
        await session.scalars(
            select(Person.telegram_id)
            .join(EventRegistration, EventRegistration.person_id == Person.id)
            .where(EventRegistration.id.in_(ids))
        )
    )
    return await _tell_people(session, event, chats, text, markup)


async def _tell_people(
    session: AsyncSession, event: Event, chats: list[int], text: str, markup: Markup | None
) -> int:
    """One outbox notice to exactly these chats, enqueued in the caller's transaction."""
    return await outbox.queue_notice(session, chats, text, preview=event.title, markup=markup)


async def carry_out_plan_item(session: AsyncSession, event: Event, tz: Any) -> str | None:
    """A held event linked to a plan item marks that item done for the period it carries out:
    the first period not yet done that is due in the event's month or later, else the item's
    open period («в течение всего времени»). Returns the period marked, None when there was
    nothing to mark (no link, a cancelled item, every period done); committed."""
    if event.plan_item_id is None:
        return None
    from services.plan import items as plan_items  # the plan does not depend on events

    month = event.starts_at.astimezone(tz).strftime("%Y-%m")
    keys = list(
        await session.scalars(
            select(PlanPeriod.key)
            .where(PlanPeriod.item_id == event.plan_item_id, PlanPeriod.done_at.is_(None))
            .order_by(PlanPeriod.key)
        )
    )
    dated = [key for key in keys if key != OPEN_KEY and key >= month]
    period = dated[0] if dated else (OPEN_KEY if OPEN_KEY in keys else None)
    if period is None:
        logger.info("Event %s held: plan item %s has no period left", event.id, event.plan_item_id)
        return None
    try:
        await plan_items.mark_done(
            session,
            event.plan_item_id,
            period,
            by_person_id=None,
            report_text=texts.PLAN_REPORT.format(
                title=event.title, date=event.starts_at.astimezone(tz).strftime("%d.%m.%Y")
            ),
            today=utcnow().astimezone(tz).date(),
            check_responsible=False,
        )
    except plan_items.MarkError as error:
        logger.info("Event %s held: plan item %s not marked (%s)", event.id, event.plan_item_id,
                    error.reason.value)
        return None
    return period


async def sweep(
    session: AsyncSession,
    now: datetime,
    remind_minutes: int,
    tz: Any,
    feedback_markup: Callable[[int], Markup],
) -> list[int]:
    """Due reminders (the day before, `remind_minutes` before), feedback questions after the
    end, and held events; returns the broadcasts queued."""
    soon = timedelta(minutes=remind_minutes)
    queued: list[int] = []
    registered = [EventRegistration.status == RegistrationStatus.REGISTERED]
    active = await session.scalars(
        select(Event).where(
            Event.status == EventStatus.ANNOUNCED,
            Event.starts_at <= now + DAY,
            or_(Event.held_at.is_(None), Event.ends_at > now - DAY),
        )
    )
    for event in list(active):
        text_args = {
            "title": escape(event.title),
            "when": when_text(event, tz),
            "place": escape(event.place),
        }
        if now < event.starts_at - soon:
            made = await _notify(
                session,
                event,
                EventRegistration.day_reminder_at,
                registered,
                texts.REMIND_DAY.format(**text_args),
                None,
                now,
            )
        elif now < event.starts_at:
            made = await _notify(
                session,
                event,
                EventRegistration.soon_reminder_at,
                registered,
                texts.REMIND_SOON.format(minutes=remind_minutes, **text_args),
                None,
                now,
            )
        elif now >= event.ends_at:
            made = await _notify(
                session,
                event,
                EventRegistration.feedback_asked_at,
                [EventRegistration.attended.is_(True)],
                texts.FEEDBACK_ASK.format(**text_args),
                feedback_markup(event.id),
                now,
            )
            held = await session.execute(
                update(Event)
                .where(Event.id == event.id, Event.held_at.is_(None))
                .values(held_at=now)
                .execution_options(synchronize_session=False)
            )
            await session.commit()
            if _rowcount(held):
                await carry_out_plan_item(session, event, tz)
        else:
            made = None
        if made is not None:
            queued.append(made)
    await session.commit()
    return queued
