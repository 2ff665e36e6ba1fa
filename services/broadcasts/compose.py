"""Composing a broadcast in the chat: the draft row, its topics and audience, who may manage it,
and the members' archive (/news)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Audience,
    AuditKind,
    Broadcast,
    BroadcastKind,
    BroadcastStatus,
    BroadcastTopic,
    Organization,
    OrgLevel,
    Person,
    Topic,
)
from services import audit
from services.broadcasts import audience
from services.broadcasts.preview import first_words
from services.people import Roles

# The topic a kind starts with; the admin can change the choice.
DEFAULT_TOPIC = {BroadcastKind.NEWS: "news", BroadcastKind.ALERT: "law"}


async def start_draft(session: AsyncSession, author_telegram_id: int, roles: Roles) -> Broadcast:
    """A new draft; the author's earlier unfinished drafts are dropped."""
    await session.execute(
        delete(Broadcast).where(
            Broadcast.author_telegram_id == author_telegram_id,
            Broadcast.status == BroadcastStatus.DRAFT,
        )
    )
    draft = Broadcast(
        kind=BroadcastKind.NEWS,
        status=BroadcastStatus.DRAFT,
        author_telegram_id=author_telegram_id,
        source_message_ids=[],
        audience=Audience.ALL,
        # A territorial admin (who is not also regional) broadcasts within the territory only.
        territory_id=None if roles.regional_admin else min(roles.territories),
        total=0,
    )
    session.add(draft)
    await session.commit()
    return draft


async def get_draft(
    session: AsyncSession, broadcast_id: int, author_telegram_id: int
) -> Broadcast | None:
    """The author's own draft with that id, or None (sent, cancelled, someone else's, forged)."""
    draft = await session.get(Broadcast, broadcast_id)
    if (
        draft is None
        or draft.status is not BroadcastStatus.DRAFT
        or draft.author_telegram_id != author_telegram_id
    ):
        return None
    return draft


async def set_source(
    session: AsyncSession,
    draft: Broadcast,
    chat_id: int,
    message_ids: list[int],
    text: str | None = None,
) -> None:
    """The admin's message(s) that members will get a copy of; `text` (or caption) of the
    first one gives the broadcast's first words."""
    draft.source_chat_id = chat_id
    draft.source_message_ids = list(message_ids)
    if text is not None:
        draft.preview = first_words(text)
    await session.commit()


async def set_kind(session: AsyncSession, draft: Broadcast, kind: BroadcastKind) -> None:
    """News or law-change alert; the first choice also pre-selects the matching topic."""
    draft.kind = kind
    if not await topic_ids(session, draft.id):
        topic_id = await session.scalar(select(Topic.id).where(Topic.slug == DEFAULT_TOPIC[kind]))
        if topic_id is not None:
            session.add(BroadcastTopic(broadcast_id=draft.id, topic_id=topic_id))
    await session.commit()


async def topic_ids(session: AsyncSession, broadcast_id: int) -> set[int]:
    rows = await session.scalars(
        select(BroadcastTopic.topic_id).where(BroadcastTopic.broadcast_id == broadcast_id)
    )
    return set(rows)


async def topic_titles(session: AsyncSession, broadcast_id: int) -> list[str]:
    rows = await session.scalars(
        select(Topic.title)
        .join(BroadcastTopic, BroadcastTopic.topic_id == Topic.id)
        .where(BroadcastTopic.broadcast_id == broadcast_id)
        .order_by(Topic.position)
    )
    return list(rows)


async def toggle_topic(session: AsyncSession, draft: Broadcast, topic_id: int) -> bool | None:
    """Flip one topic of the draft; None for an unknown topic."""
    if await session.get(Topic, topic_id) is None:
        return None
    link = await session.get(BroadcastTopic, (draft.id, topic_id))
    if link is None:
        session.add(BroadcastTopic(broadcast_id=draft.id, topic_id=topic_id))
    else:
        await session.delete(link)
    await session.commit()
    return link is None


def _allowed_org(org: Organization, audience_kind: Audience, territory_id: int | None) -> bool:
    expected = OrgLevel.TERRITORIAL if audience_kind is Audience.TERRITORY else OrgLevel.PRIMARY
    if org.level is not expected:
        return False
    if territory_id is None:
        return True
    return org.id == territory_id or org.parent_id == territory_id


async def set_audience(
    session: AsyncSession, draft: Broadcast, audience_kind: Audience, org_id: int | None = None
) -> bool:
    """Who gets it; False when the organisation does not fit (wrong level, outside territory)."""
    if audience_kind in (Audience.TERRITORY, Audience.ORG):
        org = await session.get(Organization, org_id) if org_id else None
        if org is None or not _allowed_org(org, audience_kind, draft.territory_id):
            return False
    else:
        org_id = None
    draft.audience = audience_kind
    draft.audience_org_id = org_id
    await session.commit()
    return True


async def recipient_count(session: AsyncSession, broadcast: Broadcast) -> int:
    return await audience.count(session, broadcast)


async def schedule(
    session: AsyncSession, draft: Broadcast, when: datetime, actor: audit.Actor | None = None
) -> None:
    """Confirmed for later: the worker enqueues it when the time comes."""
    draft.status = BroadcastStatus.SCHEDULED
    draft.scheduled_at = when
    audit.record(
        session, actor, AuditKind.BROADCAST_SCHEDULED, broadcast=draft.id, when=when.isoformat()
    )
    await session.commit()


async def discard(session: AsyncSession, draft: Broadcast) -> None:
    await session.delete(draft)
    await session.commit()


async def set_progress_message(
    session: AsyncSession, broadcast: Broadcast, chat_id: int, message_id: int
) -> None:
    """The admin's message that the worker keeps editing with the progress."""
    broadcast.progress_chat_id = chat_id
    broadcast.progress_message_id = message_id
    await session.commit()


def may_manage(broadcast: Broadcast, roles: Roles) -> bool:
    """Regional admins manage every broadcast; territorial admins those of their territory."""
    if roles.regional_admin:
        return True
    return broadcast.territory_id is not None and broadcast.territory_id in roles.territories


async def manageable(session: AsyncSession, broadcast_id: int, roles: Roles) -> Broadcast | None:
    """A confirmed broadcast the admin may pause, cancel or recall; None otherwise."""
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None or broadcast.status is BroadcastStatus.DRAFT:
        return None
    return broadcast if may_manage(broadcast, roles) else None


async def recent(session: AsyncSession, roles: Roles, limit: int = 10) -> list[Broadcast]:
    """The latest confirmed broadcasts this admin may see, newest first (not the monitoring
    notices: those are listed in /monitoring's own terms; nor the plan's reminders)."""
    # Monitoring notices (prompts, reminders, escalations) are the bot's own, not news.
    query = select(Broadcast).where(
        Broadcast.status != BroadcastStatus.DRAFT,
        Broadcast.campaign_id.is_(None),
        Broadcast.notice.is_(False),
    )
    if not roles.regional_admin:
        query = query.where(Broadcast.territory_id.in_(roles.territories))
    return list(await session.scalars(query.order_by(Broadcast.id.desc()).limit(limit)))


async def news_for(session: AsyncSession, person: Person, limit: int = 5) -> list[Broadcast]:
    """Finished broadcasts of the person's topics that were meant for them, newest first."""
    finished = select(Broadcast).where(
        Broadcast.status == BroadcastStatus.DONE,
        Broadcast.recall_status.is_(None),
        Broadcast.notice.is_(False),  # a plan reminder is no news to read again
    )
    found: list[Broadcast] = []
    # Newest first, checking each against the audience query: a few dozen rows at most.
    for broadcast in await session.scalars(finished.order_by(Broadcast.id.desc()).limit(50)):
        reaches = audience.recipients(broadcast).where(Person.id == person.id)
        if await session.scalar(select(exists(reaches))):
            found.append(broadcast)
            if len(found) == limit:
                break
    return found
