"""Small assertions over what a person sees in the fake chat and what the database holds."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fakeapi import ChatMessage, FakeTelegram
from models import Organization, Person, Subscription, Topic


def screen(fake: FakeTelegram, chat_id: int) -> ChatMessage:
    message = fake.last_message(chat_id)
    assert message is not None, "the bot has not written to this chat"
    return message


def button_texts(message: ChatMessage) -> list[str]:
    return [text for row in message.buttons for text, _ in row]


async def person_of(sessions: async_sessionmaker[AsyncSession], telegram_id: int) -> Person | None:
    async with sessions() as session:
        return await session.scalar(select(Person).where(Person.telegram_id == telegram_id))


async def topic_slugs(sessions: async_sessionmaker[AsyncSession], telegram_id: int) -> set[str]:
    async with sessions() as session:
        rows = await session.scalars(
            select(Topic.slug)
            .join(Subscription, Subscription.topic_id == Topic.id)
            .join(Person, Person.id == Subscription.person_id)
            .where(Person.telegram_id == telegram_id)
        )
        return set(rows)


async def org_code_of(sessions: async_sessionmaker[AsyncSession], telegram_id: int) -> str | None:
    async with sessions() as session:
        return await session.scalar(
            select(Organization.code)
            .join(Person, Person.org_id == Organization.id)
            .where(Person.telegram_id == telegram_id)
        )


async def count(sessions: async_sessionmaker[AsyncSession], model: type) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def add_member(
    sessions: async_sessionmaker[AsyncSession],
    telegram_id: int,
    org_code: str | None,
    topics: Iterable[str] = ("news", "law"),
) -> int:
    """A registered member, created through the same services as the chat uses."""
    from services import orgs, people
    from services import topics as topic_service

    async with sessions() as session:
        person = await people.register(
            session, people.TelegramProfile(telegram_id=telegram_id, first_name=f"М{telegram_id}")
        )
        org = await orgs.get_by_code(session, org_code) if org_code else None
        await people.set_organization(session, person, org.id if org else None)
        wanted = {t.id for t in await topic_service.list_topics(session) if t.slug in set(topics)}
        for topic_id in wanted ^ await topic_service.subscribed_ids(session, person.id):
            await topic_service.toggle(session, person.id, topic_id)
        return person.id


async def grant(
    sessions: async_sessionmaker[AsyncSession], telegram_id: int, kind: str, org_code: str
) -> None:
    """Give a registered person a role (territorial admin, officer) over an organisation."""
    from models import Role, RoleKind
    from services import orgs, people

    async with sessions() as session:
        person = await people.get_person(session, telegram_id)
        org = await orgs.get_by_code(session, org_code)
        assert person is not None and org is not None
        session.add(Role(person_id=person.id, kind=RoleKind(kind), org_id=org.id))
        await session.commit()


async def eventually(
    check: Callable[[], Any], within: float = 10.0, interval: float = 0.05
) -> Any:
    """Wait until `check()` (sync or async) gives something truthy, at most `within` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(interval)


async def submit_for(sessions: async_sessionmaker[AsyncSession], org_code: str) -> None:
    """Mark the organisation's submission of the current campaign as sent."""
    from models import Submission, SubmissionStatus, utcnow
    from services import orgs
    from services.monitoring import campaigns

    async with sessions() as session:
        campaign = await campaigns.current(session)
        org = await orgs.get_by_code(session, org_code)
        assert campaign is not None and org is not None
        session.add(
            Submission(
                campaign_id=campaign.id,
                org_id=org.id,
                status=SubmissionStatus.SUBMITTED,
                submitted_at=utcnow(),
            )
        )
        await session.commit()
