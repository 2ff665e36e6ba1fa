"""Small assertions over what a person sees in the fake chat and what the database holds."""

from __future__ import annotations

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
