"""Topics and subscriptions."""

from __future__ import annotations

from sqlalchemy import delete, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Subscription, Topic


async def list_topics(session: AsyncSession) -> list[Topic]:
    return list(await session.scalars(select(Topic).order_by(Topic.position, Topic.id)))


async def subscribed_ids(session: AsyncSession, person_id: int) -> set[int]:
    rows = await session.scalars(
        select(Subscription.topic_id).where(Subscription.person_id == person_id)
    )
    return set(rows)


async def subscribe_defaults(session: AsyncSession, person_id: int) -> None:
    """Subscribe a new member to the pre-selected topics (news and law changes)."""
    await session.execute(
        insert(Subscription).from_select(
            ["person_id", "topic_id"],
            select(literal(person_id), Topic.id).where(Topic.is_default),
        )
    )


async def toggle(session: AsyncSession, person_id: int, topic_id: int) -> bool | None:
    """Flip one subscription; True when now subscribed, None for an unknown topic."""
    if await session.get(Topic, topic_id) is None:
        return None
    existing = await session.get(Subscription, (person_id, topic_id))
    if existing is not None:
        await session.delete(existing)
        subscribed = False
    else:
        session.add(Subscription(person_id=person_id, topic_id=topic_id))
        subscribed = True
    await session.commit()
    return subscribed


async def unsubscribe_all(session: AsyncSession, person_id: int) -> int:
    result = await session.execute(delete(Subscription).where(Subscription.person_id == person_id))
    await session.commit()
    return int(getattr(result, "rowcount", 0) or 0)
