"""The outbox: one `deliveries` row per (broadcast, recipient), and every query over it.

The chat UI and the command line put broadcasts in (`enqueue`, `create_text_broadcast`) and
steer them (`set_paused`, `cancel`, `request_recall`, `stats`); the delivery worker drains
them with the `claim_*` / `record_outcomes` / `finish_*` functions below. All SQL of the
delivery side lives here, written for SQLite and PostgreSQL alike.

Statuses, and who moves them:

- broadcast: DRAFT or SCHEDULED → SENDING (`enqueue`) → DONE (worker, when no row is pending);
  SENDING ⇄ PAUSED (`set_paused`); SCHEDULED/SENDING/PAUSED → CANCELLED (`cancel`). A cancelled
  broadcast's unsent rows simply stay PENDING: nothing resumes a cancelled broadcast, and
  `stats` shows them as not delivered. `recall_status`: None → RECALLING (`request_recall`)
  → RECALLED (worker).
- delivery: PENDING → SENT | BLOCKED | FAILED (worker, only after Telegram answered);
  SENT → RECALLED (worker, after deleting the message). A PENDING row is claimed by one
  worker at a time (`claimed_by`, `claimed_until`): the claim is cleared with the outcome,
  released at a pause or stop, and simply runs out when its worker died.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html.parser import HTMLParser
from typing import Any, NamedTuple

from sqlalchemy import bindparam, exists, func, insert, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Audience,
    AuditKind,
    Broadcast,
    BroadcastKind,
    BroadcastStatus,
    BroadcastTopic,
    Delivery,
    DeliveryStatus,
    Organization,
    OrgLevel,
    Person,
    RecallStatus,
    Topic,
    utcnow,
)
from models.broadcast import PREVIEW_LENGTH
from services import audit
from services.broadcasts import audience
from services.broadcasts.preview import first_words
from services.broadcasts.progress import ProgressSnapshot, snapshot

TEXT_LIMIT = 4096
# Telegram lets a bot delete its messages in private chats for 48 hours only.
RECALL_WINDOW = timedelta(hours=48)
_NOT_YET_ENQUEUED = (BroadcastStatus.DRAFT, BroadcastStatus.SCHEDULED)
# Ids per UPDATE when claims are renewed or released (well under any bind-parameter limit).
CLAIM_CHUNK = 500
_CANCELLABLE = (BroadcastStatus.SCHEDULED, BroadcastStatus.SENDING, BroadcastStatus.PAUSED)


class BroadcastInputError(Exception):
    """A command-line broadcast was rejected; `problems` are Russian, one per mistake."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


# --- putting broadcasts in -----------------------------------------------------------------


async def enqueue(
    session: AsyncSession,
    broadcast_id: int,
    actor: audit.Actor | None = None,
    *,
    audit_as: AuditKind = AuditKind.BROADCAST_SENT,
    **audit_details: audit.Detail,
) -> int:
    """Fill the outbox with one INSERT … SELECT and start sending; returns the recipient count.

    Idempotent: only a DRAFT or SCHEDULED broadcast is switched to SENDING (the switch is the
    guard, atomic in one UPDATE), and the unique (broadcast, person) pair backs it up. The
    actor's audit row (`audit_as`, with the recipient count) commits with the switch.
    """
    now = utcnow()
    switched = await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.status.in_(_NOT_YET_ENQUEUED))
        .values(status=BroadcastStatus.SENDING, started_at=now, finished_at=None)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(switched):
        broadcast = await session.get(Broadcast, broadcast_id, populate_existing=True)
        assert broadcast is not None
        recipients = audience.recipients(broadcast).add_columns(
            literal(broadcast_id), literal(DeliveryStatus.PENDING.value), literal(0)
        )
        await session.execute(
            insert(Delivery).from_select(
                ["person_id", "chat_id", "broadcast_id", "status", "attempts"], recipients
            )
        )
        counted = select(func.count(Delivery.id)).where(Delivery.broadcast_id == broadcast_id)
        await session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id)
            .values(total=counted.scalar_subquery())
            .execution_options(synchronize_session=False)
        )
        if actor is not None:
            total = await session.scalar(
                select(Broadcast.total).where(Broadcast.id == broadcast_id)
            )
            audit.record(
                session,
                actor,
                audit_as,
                broadcast=broadcast_id,
                recipients=int(total or 0),
                **audit_details,
            )
    await session.commit()
    total = await session.scalar(select(Broadcast.total).where(Broadcast.id == broadcast_id))
    return int(total or 0)


async def queue_notice(
    session: AsyncSession,
    telegram_ids: Iterable[int],
    text: str,
    *,
    preview: str,
    markup: dict[str, Any] | None = None,
) -> int:
    """The bot's own notice to exactly these people (a reminder, a promotion, an escalation):
    one PEOPLE broadcast, filled and committed with whatever the caller's transaction holds
    (the rows it claimed), so a crash keeps both or neither. NEWS, not ALERT: silent in the
    quiet hours and never pinned; `notice`: kept out of /broadcasts and /news. Returns its id."""
    broadcast = Broadcast(
        kind=BroadcastKind.NEWS,
        status=BroadcastStatus.DRAFT,
        text=text,
        preview=preview[:PREVIEW_LENGTH],
        source_message_ids=[],
        audience=Audience.PEOPLE,
        recipient_ids=sorted(set(telegram_ids)),
        total=0,
        reply_markup=markup,
        notice=True,
    )
    session.add(broadcast)
    await session.flush()
    await enqueue(session, broadcast.id)
    return broadcast.id


async def activate_due(session: AsyncSession, now: datetime) -> list[int]:
    """Enqueue the SCHEDULED broadcasts whose time has come; returns their ids."""
    due = await session.scalars(
        select(Broadcast.id)
        .where(Broadcast.status == BroadcastStatus.SCHEDULED, Broadcast.scheduled_at <= now)
        .order_by(Broadcast.scheduled_at, Broadcast.id)
    )
    ids = list(due)
    for broadcast_id in ids:
        await enqueue(session, broadcast_id)
    return ids


async def create_text_broadcast(
    session: AsyncSession,
    *,
    text: str,
    topic_slugs: list[str],
    org_code: str | None,
    alert: bool,
    actor: audit.Actor | None = None,
) -> Broadcast:
    """Validate and enqueue an HTML text broadcast (the command line); nothing written on error."""
    problems = text_problems(text)
    target = await _resolve_target(session, topic_slugs, org_code)
    problems += target.problems
    if problems:
        raise BroadcastInputError(problems)
    broadcast = Broadcast(
        kind=BroadcastKind.ALERT if alert else BroadcastKind.NEWS,
        status=BroadcastStatus.DRAFT,
        text=text,
        preview=first_words(text, markup=True),
        source_message_ids=[],
        audience=target.audience,
        audience_org_id=target.org_id,
        total=0,
    )
    session.add(broadcast)
    await session.flush()
    session.add_all(
        BroadcastTopic(broadcast_id=broadcast.id, topic_id=topic_id)
        for topic_id in target.topic_ids
    )
    await session.flush()
    await enqueue(session, broadcast.id, actor)
    await session.refresh(broadcast)
    return broadcast


async def target_problems(
    session: AsyncSession, *, topic_slugs: list[str], org_code: str | None
) -> list[str]:
    """What is wrong with the topics and organisation of a command-line broadcast."""
    return (await _resolve_target(session, topic_slugs, org_code)).problems


@dataclass
class _Target:
    problems: list[str]
    topic_ids: list[int]
    audience: Audience = Audience.ALL
    org_id: int | None = None


async def _resolve_target(
    session: AsyncSession, topic_slugs: Sequence[str], org_code: str | None
) -> _Target:
    rows = await session.execute(select(Topic.slug, Topic.id))
    topics: dict[str, int] = {slug: topic_id for slug, topic_id in rows}
    wanted = list(dict.fromkeys(slug.strip() for slug in topic_slugs if slug.strip()))
    unknown = [slug for slug in wanted if slug not in topics]
    target = _Target(problems=[], topic_ids=[topics[s] for s in wanted if s in topics])
    if not wanted:
        target.problems.append(f"Не указана ни одна тема (есть: {', '.join(sorted(topics))}).")
    if unknown:
        target.problems.append(
            f"Неизвестная тема: {', '.join(unknown)} (есть: {', '.join(sorted(topics))})."
        )
    if org_code is not None:
        org = await session.scalar(select(Organization).where(Organization.code == org_code))
        if org is None:
            target.problems.append(f"Неизвестная организация: {org_code}.")
        elif org.level is OrgLevel.TERRITORIAL:
            target.audience, target.org_id = Audience.TERRITORY, org.id
        elif org.level is OrgLevel.PRIMARY:
            target.audience, target.org_id = Audience.ORG, org.id
    return target


# --- Telegram HTML -------------------------------------------------------------------------

_ALLOWED_TAGS = frozenset(
    {
        "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
        "a", "code", "pre", "blockquote", "tg-emoji",
    }
)  # fmt: skip
_NAMED_ENTITIES = frozenset({"lt", "gt", "amp", "quot"})
_REQUIRED_ATTRS = {"a": "href", "tg-emoji": "emoji-id"}


class _TelegramHtml(HTMLParser):
    """Checks text the way Telegram parses `parse_mode=HTML` and measures what is shown."""

    def __init__(self) -> None:
        # Character references arrive separately, so a stray "<" can be told from "&lt;".
        super().__init__(convert_charrefs=False)
        self.length = 0
        self.visible = False
        self.problems: list[str] = []
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag not in _ALLOWED_TAGS:
            self.problems.append(
                f"Тег <{tag}> Telegram не поддерживает (можно: b, i, u, s, a, code, pre, "
                "blockquote, tg-spoiler, tg-emoji)."
            )
        elif tag == "span" and values.get("class") != "tg-spoiler":
            self.problems.append('Тег <span> допустим только как <span class="tg-spoiler">.')
        elif tag in _REQUIRED_ATTRS and not values.get(_REQUIRED_ATTRS[tag]):
            self.problems.append(f"У тега <{tag}> нет атрибута {_REQUIRED_ATTRS[tag]}.")
        self._open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.problems.append(f"Тег <{tag}/> Telegram не поддерживает.")

    def handle_endtag(self, tag: str) -> None:
        if tag not in self._open:
            self.problems.append(f"Лишний закрывающий тег </{tag}>.")
            return
        if self._open[-1] != tag:
            self.problems.append(
                f"Закрывающий тег </{tag}> стоит раньше, чем </{self._open[-1]}>."
            )
        # Close the innermost matching tag and whatever was left open inside it.
        innermost = len(self._open) - 1 - self._open[::-1].index(tag)
        del self._open[innermost:]

    def handle_data(self, data: str) -> None:
        if "<" in data:
            self.problems.append("Знак «<» вне тега: запишите его как &lt;.")
            data = data.replace("<", "")
        self._count(data)

    def handle_entityref(self, name: str) -> None:
        self._count("&" if name in _NAMED_ENTITIES else f"&{name};")

    def handle_charref(self, name: str) -> None:
        self._count("&")

    def handle_comment(self, data: str) -> None:
        self.problems.append("Комментарии <!-- … --> Telegram не поддерживает.")

    def handle_decl(self, decl: str) -> None:
        self.problems.append(f"Конструкцию <!{decl}> Telegram не поддерживает.")

    def unknown_decl(self, data: str) -> None:
        self.handle_decl(data)

    def handle_pi(self, data: str) -> None:
        self.problems.append(f"Конструкцию <?{data}> Telegram не поддерживает.")

    def _count(self, shown: str) -> None:
        self.length += len(shown)
        self.visible = self.visible or bool(shown.strip())

    def finish(self) -> list[str]:
        self.close()
        self.problems += [f"Тег <{tag}> не закрыт." for tag in reversed(self._open)]
        return list(dict.fromkeys(self.problems))


def text_problems(text: str) -> list[str]:
    """What Telegram would reject in an HTML text message: markup, emptiness, length."""
    parser = _TelegramHtml()
    parser.feed(text)
    problems = parser.finish()
    if not parser.visible:
        problems.append("Текст рассылки пустой.")
    elif parser.length > TEXT_LIMIT:
        problems.append(
            f"Текст длиннее {TEXT_LIMIT} символов: {parser.length} без учёта разметки."
        )
    return problems


# --- steering ------------------------------------------------------------------------------


async def set_paused(
    session: AsyncSession, broadcast_id: int, paused: bool, actor: audit.Actor | None = None
) -> bool:
    """Pause a sending broadcast or resume a paused one; False when it was in another state."""
    before, after = (
        (BroadcastStatus.SENDING, BroadcastStatus.PAUSED)
        if paused
        else (BroadcastStatus.PAUSED, BroadcastStatus.SENDING)
    )
    kind = AuditKind.BROADCAST_PAUSED if paused else AuditKind.BROADCAST_RESUMED
    return await _switch(session, broadcast_id, [before], (actor, kind), status=after)


async def cancel(
    session: AsyncSession, broadcast_id: int, actor: audit.Actor | None = None
) -> bool:
    """Stop a scheduled, sending or paused broadcast for good; unsent rows stay PENDING."""
    return await _switch(
        session,
        broadcast_id,
        _CANCELLABLE,
        (actor, AuditKind.BROADCAST_CANCELLED),
        status=BroadcastStatus.CANCELLED,
        finished_at=utcnow(),
    )


async def request_recall(
    session: AsyncSession, broadcast_id: int, actor: audit.Actor | None = None
) -> bool:
    """Ask the worker to delete the delivered copies (those under 48 h old); stops sending too."""
    recallable = exists().where(*_sent_rows(broadcast_id, since=utcnow() - RECALL_WINDOW))
    switched = await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.recall_status.is_(None), recallable)
        .values(recall_status=RecallStatus.RECALLING)
        .execution_options(synchronize_session=False)
    )
    if not _rowcount(switched):
        await session.rollback()
        return False
    # A recalled broadcast must not go on reaching people.
    await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.status.in_(_CANCELLABLE))
        .values(status=BroadcastStatus.CANCELLED, finished_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    audit.record(session, actor, AuditKind.BROADCAST_RECALLED, broadcast=broadcast_id)
    await session.commit()
    return True


async def stats(session: AsyncSession, broadcast_id: int) -> ProgressSnapshot:
    """The broadcast's progress: its row and one GROUP BY over its deliveries."""
    broadcast = await session.get(Broadcast, broadcast_id, populate_existing=True)
    if broadcast is None:
        raise LookupError(f"broadcast {broadcast_id} does not exist")
    rows = await session.execute(
        select(Delivery.status, func.count())
        .where(Delivery.broadcast_id == broadcast_id)
        .group_by(Delivery.status)
    )
    counts = {status: int(n) for status, n in rows}
    author = None
    if broadcast.author_telegram_id is not None:
        person = await session.scalar(
            select(Person).where(Person.telegram_id == broadcast.author_telegram_id)
        )
        if person is not None:
            author = " ".join(filter(None, [person.first_name, person.last_name]))
    return snapshot(broadcast, counts, utcnow(), author)


async def _switch(
    session: AsyncSession,
    broadcast_id: int,
    allowed: Iterable[BroadcastStatus],
    audited: tuple[audit.Actor | None, AuditKind],
    **values: Any,
) -> bool:
    """Switch the broadcast if its status allows; the actor's audit row only if it did."""
    where = (Broadcast.id == broadcast_id, Broadcast.status.in_(list(allowed)))
    result = await session.execute(
        update(Broadcast)
        .where(*where)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    applied = bool(_rowcount(result))
    if applied:
        actor, kind = audited
        audit.record(session, actor, kind, broadcast=broadcast_id)
    await session.commit()
    return applied


async def _switch_where(session: AsyncSession, where: Sequence[Any], **values: Any) -> bool:
    """One conditional UPDATE of a broadcast, committed; True when it applied."""
    result = await session.execute(
        update(Broadcast)
        .where(*where)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return bool(_rowcount(result))


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


# --- the worker's side ---------------------------------------------------------------------


class PendingRow(NamedTuple):
    """What the worker needs to send one delivery (no ORM object: batches stay light)."""

    id: int
    person_id: int
    chat_id: int
    attempts: int


class SentRow(NamedTuple):
    """A delivered copy a recall has to delete."""

    id: int
    chat_id: int
    message_ids: list[int]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one send ended in; the worker writes many of them in one transaction."""

    delivery_id: int
    person_id: int
    status: DeliveryStatus  # PENDING: to be retried at `next_attempt_at`
    attempts: int
    message_ids: list[int] | None = None
    error: str | None = None
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None


async def sending(session: AsyncSession) -> list[int]:
    """Ids of the broadcasts the worker has to deliver, oldest first."""
    return await _broadcast_ids(session, Broadcast.status == BroadcastStatus.SENDING)


async def recalling(session: AsyncSession) -> list[int]:
    """Ids of the broadcasts whose recall the worker has to carry out, oldest first."""
    return await _broadcast_ids(session, Broadcast.recall_status == RecallStatus.RECALLING)


async def _broadcast_ids(session: AsyncSession, condition: Any) -> list[int]:
    return list(
        await session.scalars(select(Broadcast.id).where(condition).order_by(Broadcast.id))
    )


async def claim_pending(
    session: AsyncSession,
    broadcast_id: int,
    *,
    worker: str,
    after_id: int,
    now: datetime,
    until: datetime,
    limit: int,
) -> list[PendingRow]:
    """Claim the next due PENDING rows after `after_id` for `worker` until `until`, in id
    order, and commit the claim: several workers drain one outbox and never take one row
    twice. A row is free when nobody claims it, its claim ran out (a dead worker's), or it is
    this worker's own. PostgreSQL skips the rows another worker is claiming right now
    (`FOR UPDATE SKIP LOCKED`, in a CTE: PostgreSQL evaluates it once, where a subquery under
    `IN` may be rescanned and claim more than `limit`); SQLite has one writer at a time
    anyway. The (broadcast, status, id) index serves it, so a batch costs the same at row 10
    and at row 100 000."""
    free = select(Delivery.id).where(
        Delivery.broadcast_id == broadcast_id,
        Delivery.status == DeliveryStatus.PENDING,
        Delivery.id > after_id,
        or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now),
        or_(
            Delivery.claimed_until.is_(None),
            Delivery.claimed_until <= now,
            Delivery.claimed_by == worker,
        ),
    )
    picked = free.order_by(Delivery.id).limit(limit).with_for_update(skip_locked=True).cte()
    claimed = await session.execute(
        update(Delivery)
        .where(Delivery.id == picked.c.id)
        .values(claimed_by=worker, claimed_until=until)
        .returning(Delivery.id, Delivery.person_id, Delivery.chat_id, Delivery.attempts)
        .execution_options(synchronize_session=False)
    )
    rows = sorted(PendingRow(*row) for row in claimed)
    await session.commit()
    return rows


async def renew_claims(
    session: AsyncSession, worker: str, delivery_ids: Iterable[int], until: datetime
) -> set[int]:
    """Extend `worker`'s claims on rows it still has to send (a long 429 pause, a slow rate);
    returns the ids still its own (a claim that ran out may have gone to another worker)."""
    return await _set_claims(session, worker, delivery_ids, claimed_until=until)


async def release_claims(session: AsyncSession, worker: str, delivery_ids: Iterable[int]) -> None:
    """Hand rows back to the pool unsent (a pause, a cancel, a graceful stop)."""
    await _set_claims(session, worker, delivery_ids, claimed_by=None, claimed_until=None)


async def _set_claims(
    session: AsyncSession, worker: str, delivery_ids: Iterable[int], **values: Any
) -> set[int]:
    # In id order, like every other write of a worker's rows: no deadlock between them.
    ids = sorted(delivery_ids)
    kept: set[int] = set()
    for start in range(0, len(ids), CLAIM_CHUNK):
        result = await session.execute(
            update(Delivery)
            .where(
                Delivery.id.in_(ids[start : start + CLAIM_CHUNK]),
                Delivery.claimed_by == worker,
                Delivery.status == DeliveryStatus.PENDING,
            )
            .values(**values)
            .returning(Delivery.id)
            .execution_options(synchronize_session=False)
        )
        kept.update(result.scalars())
        await session.commit()  # a chunk at a time: short transactions, few locks held
    return kept


async def live_claims(session: AsyncSession, broadcast_id: int, now: datetime) -> int:
    """Rows of the broadcast some worker still holds (sending, or about to): a recall or a
    final progress card waits for them."""
    count = await session.scalar(
        select(func.count(Delivery.id)).where(
            Delivery.broadcast_id == broadcast_id,
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.claimed_until > now,
        )
    )
    return int(count or 0)


def _sent_rows(broadcast_id: int, *, since: datetime) -> tuple[Any, ...]:
    """Conditions of the copies a recall can still delete: sent, and no older than `since`."""
    return (
        Delivery.broadcast_id == broadcast_id,
        Delivery.status == DeliveryStatus.SENT,
        Delivery.sent_at >= since,
    )


async def claim_sent(
    session: AsyncSession, broadcast_id: int, *, after_id: int, since: datetime, limit: int
) -> list[SentRow]:
    """The next SENT rows (delivered after `since`) a recall has to delete, in id order."""
    rows = await session.execute(
        select(Delivery.id, Delivery.chat_id, Delivery.message_ids)
        .where(*_sent_rows(broadcast_id, since=since), Delivery.id > after_id)
        .order_by(Delivery.id)
        .limit(limit)
    )
    return [SentRow(row_id, chat_id, list(ids or [])) for row_id, chat_id, ids in rows]


_OUTCOME_UPDATE = (
    update(Delivery.__table__)  # type: ignore[arg-type]
    .where(
        Delivery.__table__.c.id == bindparam("o_id"),
        # Only a row this worker still holds: if its claim ran out and another worker took
        # (and maybe finished) the row, that worker's result stands.
        Delivery.__table__.c.status == DeliveryStatus.PENDING.value,
        Delivery.__table__.c.claimed_by == bindparam("o_worker"),
    )
    .values(
        status=bindparam("o_status"),
        attempts=bindparam("o_attempts"),
        message_ids=bindparam("o_message_ids"),
        error=bindparam("o_error"),
        next_attempt_at=bindparam("o_next_attempt_at"),
        sent_at=bindparam("o_sent_at"),
        # Whatever the outcome, the row is no longer this worker's: a retry is anyone's.
        claimed_by=None,
        claimed_until=None,
    )
)


async def record_outcomes(
    session: AsyncSession,
    outcomes: Sequence[Outcome],
    recalled: Sequence[int] = (),
    *,
    worker: str,
) -> None:
    """Write `worker`'s finished sends (and recalled rows) in one transaction: one
    executemany each, in id order (as the claims' renewals go: they never deadlock)."""
    if outcomes:
        await session.execute(
            _OUTCOME_UPDATE,
            [
                {
                    "o_id": o.delivery_id,
                    "o_worker": worker,
                    "o_status": o.status,
                    "o_attempts": o.attempts,
                    "o_message_ids": o.message_ids,
                    "o_error": o.error,
                    "o_next_attempt_at": o.next_attempt_at,
                    "o_sent_at": o.sent_at,
                }
                for o in sorted(outcomes, key=lambda o: o.delivery_id)
            ],
        )
    blocked = sorted({o.person_id for o in outcomes if o.status is DeliveryStatus.BLOCKED})
    if blocked:
        # The member blocked the bot or left Telegram: no more broadcasts until /start.
        await session.execute(update(Person).where(Person.id.in_(blocked)).values(blocked=True))
    if recalled:
        await session.execute(
            update(Delivery)
            .where(Delivery.id.in_(list(recalled)))
            .values(status=DeliveryStatus.RECALLED)
            .execution_options(synchronize_session=False)
        )
    await session.commit()


async def finish_if_drained(session: AsyncSession, broadcast_id: int, now: datetime) -> bool:
    """SENDING → DONE once no row is pending; atomic, so a Pause at that moment still wins."""
    pending = exists().where(
        Delivery.broadcast_id == broadcast_id, Delivery.status == DeliveryStatus.PENDING
    )
    return await _switch_where(
        session,
        (Broadcast.id == broadcast_id, Broadcast.status == BroadcastStatus.SENDING, ~pending),
        status=BroadcastStatus.DONE,
        finished_at=now,
    )


async def finish_recall(session: AsyncSession, broadcast_id: int) -> bool:
    """RECALLING → RECALLED once every recallable copy was dealt with."""
    return await _switch_where(
        session,
        (Broadcast.id == broadcast_id, Broadcast.recall_status == RecallStatus.RECALLING),
        recall_status=RecallStatus.RECALLED,
    )


async def status_of(session: AsyncSession, broadcast_id: int) -> BroadcastStatus | None:
    """The broadcast's current status (None if it was deleted)."""
    return await session.scalar(select(Broadcast.status).where(Broadcast.id == broadcast_id))
