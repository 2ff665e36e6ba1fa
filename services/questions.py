"""Members' questions to the committee: asking, routing to answerers, taking, answering,
clarifying, rating, the answerers' list, the SLA sweep, the FAQ and forgetting.

No question or answer text goes to a log line here (152-FZ): only numbers and ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import Select, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    AuditKind,
    ConsultantCategory,
    FaqEntry,
    Organization,
    OrgLevel,
    Person,
    PostKind,
    Question,
    QuestionCategory,
    QuestionPost,
    QuestionStatus,
    Role,
    RoleKind,
    utcnow,
)
from services import audit, workdays
from services.audit import Actor
from services.broadcasts import outbox
from texts import questions as tq

PAGE_SIZE = 8
MY_PAGE_SIZE = 8  # /myquestions
CLOSE_REASON_LIMIT = 500  # the column keeps it, the member reads it
QUESTION_PARTS_LIMIT = 10  # messages in one question: an answerer reads them all
WAITING = (QuestionStatus.OPEN, QuestionStatus.TAKEN)


@dataclass(frozen=True)
class Scope:
    """Whose questions an answerer sees: the region's (and so everyone's) or territories'."""

    regional: bool
    territories: frozenset[int]

    def covers(self, question: Question) -> bool:
        return self.regional or (
            question.territory_id is not None and question.territory_id in self.territories
        )


async def categories(session: AsyncSession) -> Sequence[QuestionCategory]:
    return (
        await session.scalars(select(QuestionCategory).order_by(QuestionCategory.position))
    ).all()


async def category(session: AsyncSession, category_id: int) -> QuestionCategory | None:
    return await session.get(QuestionCategory, category_id)


async def start(session: AsyncSession, person: Person, category_id: int) -> Question:
    """A draft question in the category; the member's messages join it until they confirm.
    An older unfinished draft of theirs is dropped: one draft at a time."""
    await session.execute(
        delete(Question).where(
            Question.person_id == person.id, Question.status == QuestionStatus.DRAFT
        )
    )
    question = Question(
        person_id=person.id,
        category_id=category_id,
        org_id=person.org_id,
        status=QuestionStatus.DRAFT,
    )
    session.add(question)
    await session.commit()
    return question


async def drop_draft(session: AsyncSession, question_id: int) -> None:
    """«Отмена» while writing: the draft and its messages go, nothing is kept."""
    await session.execute(
        delete(Question).where(Question.id == question_id, Question.status == QuestionStatus.DRAFT)
    )
    await session.commit()


async def get(session: AsyncSession, question_id: int) -> Question | None:
    return await session.get(Question, question_id, populate_existing=True)


async def add_post(
    session: AsyncSession,
    question: Question,
    kind: PostKind,
    author_id: int | None,
    chat_id: int,
    message_id: int,
    content_type: str,
    text: str | None,
) -> QuestionPost:
    post = QuestionPost(
        question_id=question.id,
        kind=kind,
        author_id=author_id,
        chat_id=chat_id,
        message_id=message_id,
        content_type=content_type,
        text=text,
        created_at=utcnow(),
    )
    session.add(post)
    await session.commit()
    return post


async def posts(
    session: AsyncSession, question_id: int, kind: PostKind | None = None
) -> Sequence[QuestionPost]:
    query = select(QuestionPost).where(QuestionPost.question_id == question_id)
    if kind is not None:
        query = query.where(QuestionPost.kind == kind)
    return (await session.scalars(query.order_by(QuestionPost.id))).all()


def has_text(thread: Sequence[QuestionPost]) -> bool:
    """Whether the question says something in words (a photo alone does not)."""
    return any(post.text and post.text.strip() for post in thread)


async def _territory_of(session: AsyncSession, org_id: int | None) -> int | None:
    """The territorial organisation above the member's organisation (None: the region)."""
    if org_id is None:
        return None
    org = await session.get(Organization, org_id)
    if org is None or org.level is OrgLevel.REGIONAL:
        return None
    if org.level is OrgLevel.TERRITORIAL:
        return org.id
    parent = await session.get(Organization, org.parent_id) if org.parent_id else None
    return parent.id if parent is not None and parent.level is OrgLevel.TERRITORIAL else None


async def answerer_ids(
    session: AsyncSession,
    territory_id: int | None,
    admin_ids: frozenset[int],
    category_id: int | None = None,
) -> list[int]:
    """Telegram ids of who answers the territory's questions: its admins and the consultants
    of the category (a consultant with no categories answers all); for the region (None),
    the regional consultants and admins, ADMIN_IDS included."""
    if territory_id is None:
        admins = Role.kind == RoleKind.REGIONAL_ADMIN
        consultants = (Role.kind == RoleKind.CONSULTANT) & Role.org_id.is_(None)
    else:
        admins = (Role.kind == RoleKind.TERRITORIAL_ADMIN) & (Role.org_id == territory_id)
        consultants = (Role.kind == RoleKind.CONSULTANT) & (Role.org_id == territory_id)
    if category_id is not None:
        specialised = select(ConsultantCategory.id).where(ConsultantCategory.role_id == Role.id)
        covers = specialised.where(ConsultantCategory.category_id == category_id)
        consultants = consultants & (~specialised.exists() | covers.exists())
    rows = await session.scalars(
        select(Person.telegram_id)
        .join(Role, Role.person_id == Person.id)
        .where(or_(admins, consultants))
        .distinct()
    )
    found = set(rows)
    if territory_id is None:
        found |= admin_ids
    return sorted(found)


async def submit(
    session: AsyncSession, question: Question, anonymous: bool, admin_ids: frozenset[int]
) -> tuple[Question, list[int]]:
    """The member confirmed: the question is open, routed to the territory when it has
    somebody to answer, else to the region; returns it and the answerers to tell."""
    territory = await _territory_of(session, question.org_id)
    category = question.category_id
    recipients = await answerer_ids(session, territory, admin_ids, category) if territory else []
    if not recipients:
        territory = None
        recipients = await answerer_ids(session, None, admin_ids, category)
    done = await session.execute(
        update(Question)
        .where(Question.id == question.id, Question.status == QuestionStatus.DRAFT)
        .values(
            status=QuestionStatus.OPEN,
            anonymous=anonymous,
            territory_id=territory,
            asked_at=utcnow(),
        )
    )
    await session.commit()
    if not done.rowcount:  # type: ignore[attr-defined]
        return question, []
    await session.refresh(question)
    return question, recipients


async def take(session: AsyncSession, question_id: int, person_id: int) -> bool:
    """«Взять в работу»: the first answerer to press wins (a conditional UPDATE)."""
    done = await session.execute(
        update(Question)
        .where(Question.id == question_id, Question.status == QuestionStatus.OPEN)
        .values(status=QuestionStatus.TAKEN, taken_by=person_id, taken_at=utcnow())
    )
    await session.commit()
    return bool(done.rowcount)  # type: ignore[attr-defined]


async def to_region(session: AsyncSession, question_id: int) -> bool:
    """«Передать в обком»: open again, for the regional answerers."""
    done = await session.execute(
        update(Question)
        .where(
            Question.id == question_id,
            Question.status.in_(WAITING),
            Question.territory_id.is_not(None),
        )
        .values(status=QuestionStatus.OPEN, territory_id=None, taken_by=None, taken_at=None)
    )
    await session.commit()
    return bool(done.rowcount)  # type: ignore[attr-defined]


async def close(session: AsyncSession, question_id: int, reason: str) -> bool:
    done = await session.execute(
        update(Question)
        .where(Question.id == question_id, Question.status.in_(WAITING))
        .values(status=QuestionStatus.CLOSED, closed_reason=reason[:CLOSE_REASON_LIMIT])
    )
    await session.commit()
    return bool(done.rowcount)  # type: ignore[attr-defined]


async def answered(session: AsyncSession, question: Question) -> None:
    """The taker's answer went to the member: the question is answered (first time kept)."""
    question.status = QuestionStatus.ANSWERED
    if question.answered_at is None:
        question.answered_at = utcnow()
    await session.commit()


async def clarify(session: AsyncSession, question: Question) -> bool:
    """The member's one clarification: back to the taker."""
    done = await session.execute(
        update(Question)
        .where(
            Question.id == question.id,
            Question.status == QuestionStatus.ANSWERED,
            Question.clarified.is_(False),
        )
        .values(clarified=True, status=QuestionStatus.TAKEN)
    )
    await session.commit()
    return bool(done.rowcount)  # type: ignore[attr-defined]


async def rate(
    session: AsyncSession, question: Question, rating: int, comment: str | None = None
) -> None:
    question.rating = rating
    if comment is not None:
        question.rating_comment = comment[:1000]
    await session.commit()


async def of_member(
    session: AsyncSession, person_id: int, page: int = 0
) -> tuple[Sequence[Question], int]:
    """A page of the member's own questions, newest first, and how many they have."""
    mine = select(Question).where(
        Question.person_id == person_id, Question.status != QuestionStatus.DRAFT
    )
    total = int(await session.scalar(select(func.count()).select_from(mine.subquery())) or 0)
    found = (
        await session.scalars(
            mine.order_by(Question.id.desc()).offset(page * MY_PAGE_SIZE).limit(MY_PAGE_SIZE)
        )
    ).all()
    return found, total


def _in_scope(query: Select[Question], scope: Scope) -> Select[Question]:
    if scope.regional:
        return query
    return query.where(Question.territory_id.in_(scope.territories))


async def listing(
    session: AsyncSession,
    scope: Scope,
    status: QuestionStatus | None,
    category_id: int | None,
    page: int,
) -> tuple[Sequence[Question], int]:
    """A page of the answerer's questions, oldest first; open and taken ones by default."""
    query = select(Question)
    query = _in_scope(query, scope)
    if status is None:
        query = query.where(Question.status.in_(WAITING))
    else:
        query = query.where(Question.status == status)
    if category_id:
        query = query.where(Question.category_id == category_id)
    total = int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    found = (
        await session.scalars(
            query.order_by(Question.asked_at, Question.id)
            .offset(page * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    ).all()
    return found, total


# --- the SLA sweep ------------------------------------------------------------------------


async def sla_sweep(
    session: AsyncSession, now: datetime, sla_days: int, admin_ids: frozenset[int], tz: tzinfo
) -> list[int]:
    """Questions with no answer after `sla_days` working days remind the territory's
    answerers once; after twice that, they go to the regional admins once. Each reminder is
    claimed with a conditional UPDATE and its outbox broadcast committed in the same
    transaction, so a restart or a second replica neither repeats nor skips it. Returns the
    broadcasts' ids."""
    waiting = (
        await session.execute(
            select(
                Question.id,
                Question.asked_at,
                Question.territory_id,
                Question.reminded_at,
                Question.category_id,
            )
            .where(
                Question.status.in_(WAITING),
                Question.asked_at.is_not(None),
                # A clarification after the first answer is no late question.
                Question.answered_at.is_(None),
                Question.escalated_at.is_(None),
            )
            .order_by(Question.asked_at)
        )
    ).all()
    created: list[int] = []
    for question_id, asked_at, territory_id, reminded_at, category_id in waiting:
        asked = asked_at.astimezone(tz) if asked_at else now
        if now >= workdays.add(asked, 2 * sla_days):
            claim = Question.escalated_at.is_(None)
            values = {"escalated_at": now, "reminded_at": reminded_at or now}
            recipients = await _regional_admins(session, admin_ids)
            text = tq.ESCALATION.format(number=question_id, days=2 * sla_days)
        elif reminded_at is None and now >= workdays.add(asked, sla_days):
            claim = Question.reminded_at.is_(None)
            values = {"reminded_at": now}
            recipients = await answerer_ids(session, territory_id, admin_ids, category_id)
            text = tq.REMINDER.format(number=question_id, days=sla_days)
        else:
            continue
        claimed = await session.execute(
            update(Question).where(Question.id == question_id, claim).values(**values)
        )
        if not claimed.rowcount:  # type: ignore[attr-defined]
            await session.commit()
            continue
        # The claim and the notice commit together: a restart neither repeats nor skips it.
        created.append(await outbox.queue_notice(session, recipients, text, preview=text))
    await session.commit()
    return created


async def _regional_admins(session: AsyncSession, admin_ids: frozenset[int]) -> list[int]:
    rows = await session.scalars(
        select(Person.telegram_id)
        .join(Role, Role.person_id == Person.id)
        .where(Role.kind == RoleKind.REGIONAL_ADMIN)
    )
    return sorted(set(rows) | admin_ids)


# --- the FAQ ------------------------------------------------------------------------------


def search_key(*parts: str) -> str:
    """The normalised text the FAQ search matches: casefold, ё as е, the same on every DB."""
    return " ".join(parts).casefold().replace("ё", "е")


# Lengths that keep an entry whole on its own screen, within Telegram's 4096 characters.
FAQ_QUESTION_LIMIT = 500
FAQ_ANSWER_LIMIT = 3000


async def publish(
    session: AsyncSession,
    category_id: int,
    question: str,
    answer: str,
    actor: Actor | None = None,
    source_id: int | None = None,
) -> FaqEntry:
    """A new FAQ entry from an answered question (`source_id`), audited with the entry."""
    entry = FaqEntry(
        category_id=category_id,
        question=question,
        answer=answer,
        search=search_key(question, answer),
    )
    session.add(entry)
    await session.flush()
    audit.record(session, actor, AuditKind.FAQ_PUBLISHED, entry=entry.id, question=source_id)
    await session.commit()
    return entry


async def faq_entry(session: AsyncSession, entry_id: int) -> FaqEntry | None:
    return await session.get(FaqEntry, entry_id, populate_existing=True)


async def edit_faq(
    session: AsyncSession,
    entry: FaqEntry,
    *,
    question: str | None = None,
    answer: str | None = None,
    actor: Actor | None = None,
) -> None:
    """New text for the entry's question or answer; the search column follows it."""
    if question is not None:
        entry.question = question
    if answer is not None:
        entry.answer = answer
    entry.search = search_key(entry.question, entry.answer)
    change = tq.AUDIT_FAQ_QUESTION if question is not None else tq.AUDIT_FAQ_ANSWER
    audit.record(session, actor, AuditKind.FAQ_CHANGED, entry=entry.id, change=change)
    await session.commit()


async def set_faq_hidden(
    session: AsyncSession, entry_id: int, hidden: bool, actor: Actor | None = None
) -> bool:
    """Take the entry off /faq or put it back; False when it already was so (a second
    press), and then nothing is audited."""
    done = await session.execute(
        update(FaqEntry)
        .where(FaqEntry.id == entry_id, FaqEntry.hidden.is_(not hidden))
        .values(hidden=hidden)
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        await session.commit()
        return False
    change = tq.AUDIT_FAQ_HIDDEN if hidden else tq.AUDIT_FAQ_SHOWN
    audit.record(session, actor, AuditKind.FAQ_CHANGED, entry=entry_id, change=change)
    await session.commit()
    return True


async def faq(
    session: AsyncSession,
    category_id: int | None = None,
    words: str = "",
    limit: int = 10,
    *,
    with_hidden: bool = False,
) -> Sequence[FaqEntry]:
    """Entries of a category or matching every word, newest first; hidden ones only for
    those who manage the FAQ."""
    query = select(FaqEntry)
    if not with_hidden:
        query = query.where(FaqEntry.hidden.is_(False))
    if category_id:
        query = query.where(FaqEntry.category_id == category_id)
    for word in search_key(words).split():
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(FaqEntry.search.like(f"%{escaped}%", escape="\\"))
    return (await session.scalars(query.order_by(FaqEntry.id.desc()).limit(limit))).all()


# --- forgetting ---------------------------------------------------------------------------


async def forget(session: AsyncSession, person_id: int) -> None:
    """/forget: the member's questions lose their texts, the copies' addresses and the
    person; their category, territory, times and rating stay as anonymous counts. Open ones
    are closed. Runs in the caller's transaction."""
    mine = select(Question.id).where(Question.person_id == person_id).scalar_subquery()
    await session.execute(
        update(QuestionPost)
        .where(QuestionPost.question_id.in_(mine))
        .values(text=None, chat_id=None, message_id=None)
    )
    await session.execute(
        update(Question)
        .where(
            Question.person_id == person_id, Question.status.in_((QuestionStatus.DRAFT, *WAITING))
        )
        .values(status=QuestionStatus.CLOSED, closed_reason="forget")
    )
    await session.execute(
        update(Question)
        .where(Question.person_id == person_id)
        .values(person_id=None, rating_comment=None, anonymous=True)
    )


def waiting_days(question: Question, now: datetime, tz: tzinfo) -> int:
    """Working days the question has waited so far."""
    if question.asked_at is None:
        return 0
    return workdays.between(question.asked_at.astimezone(tz).date(), now.astimezone(tz).date())
