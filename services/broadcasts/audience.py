"""Who receives a broadcast: one SELECT, used to count (preview) and to fill the outbox."""

from __future__ import annotations

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Audience,
    Broadcast,
    BroadcastTopic,
    Organization,
    Person,
    Role,
    RoleKind,
    Submission,
    SubmissionStatus,
    Subscription,
)


def _territory_orgs(territory_id: int) -> Select:
    """Ids of the territorial organisation itself and of its primary organisations."""
    return select(Organization.id).where(
        or_(Organization.id == territory_id, Organization.parent_id == territory_id)
    )


def _pending_officer(campaign_id: int | None) -> Select:
    """An officer role of this person in an organisation that has not submitted yet."""
    submitted = select(Submission.org_id).where(
        Submission.campaign_id == campaign_id, Submission.status == SubmissionStatus.SUBMITTED
    )
    return select(Role.id).where(
        Role.person_id == Person.id,
        Role.kind == RoleKind.OFFICER,
        Role.org_id.not_in(submitted),
    )


def recipients(broadcast: Broadcast) -> Select:
    """(person id, chat id) of everyone the broadcast goes to, blocked people left out."""
    query = select(Person.id, Person.telegram_id).where(Person.blocked.is_(False))
    if broadcast.audience is Audience.PEOPLE:
        return query.where(Person.telegram_id.in_(broadcast.recipient_ids or []))
    if broadcast.audience is Audience.OFFICERS_PENDING:
        pending = _pending_officer(broadcast.campaign_id)
        if broadcast.territory_id is not None:
            pending = pending.where(Role.org_id.in_(_territory_orgs(broadcast.territory_id)))
        return query.where(exists(pending))
    if broadcast.audience is Audience.OFFICERS:
        # Officers get operational messages whatever topics they follow as members.
        officer = select(Role.id).where(Role.person_id == Person.id, Role.kind == RoleKind.OFFICER)
        if broadcast.territory_id is not None:
            officer = officer.where(Role.org_id.in_(_territory_orgs(broadcast.territory_id)))
        return query.where(exists(officer))
    subscribed = exists(
        select(Subscription.person_id)
        .join(BroadcastTopic, BroadcastTopic.topic_id == Subscription.topic_id)
        .where(
            and_(Subscription.person_id == Person.id, BroadcastTopic.broadcast_id == broadcast.id)
        )
    )
    query = query.where(subscribed)
    if broadcast.audience is Audience.TERRITORY and broadcast.audience_org_id is not None:
        query = query.where(Person.org_id.in_(_territory_orgs(broadcast.audience_org_id)))
    elif broadcast.audience is Audience.ORG and broadcast.audience_org_id is not None:
        query = query.where(Person.org_id == broadcast.audience_org_id)
    if broadcast.territory_id is not None:
        query = query.where(Person.org_id.in_(_territory_orgs(broadcast.territory_id)))
    return query


async def count(session: AsyncSession, broadcast: Broadcast) -> int:
    """How many people the broadcast would reach now (the preview's figure)."""
    inner = recipients(broadcast).subquery()
    return int(await session.scalar(select(func.count()).select_from(inner)) or 0)
