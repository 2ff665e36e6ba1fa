"""Two officers of one organisation answering the same question at the same moment."""

from __future__ import annotations

import asyncio

import pytest
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage import DatabaseStorage
from models import Answer, utcnow
from services import orgs, people
from services.monitoring import submissions
from services.monitoring.submissions import Refusal, Workspace
from tests.helpers import add_member, grant
from tests.monitoring_data import open_quarter

pytestmark = pytest.mark.usefixtures("directory")

Sessions = async_sessionmaker[AsyncSession]
COLLEAGUES = (700001, 700002)
ORG = "46-01-001"


async def workspace(session: AsyncSession, telegram_id: int, org_id: int) -> Workspace:
    _, roles = await people.person_and_roles(session, telegram_id, frozenset())
    space = await submissions.open_for(session, roles, org_id, utcnow())
    assert not isinstance(space, Refusal)
    return space


async def colleagues_in_a_campaign(sessions: Sessions) -> int:
    """Two officers of ORG and an open campaign; the organisation's id."""
    for telegram_id in COLLEAGUES:
        await add_member(sessions, telegram_id, ORG, topics=())
        await grant(sessions, telegram_id, "officer", ORG)
    await open_quarter(sessions, utcnow().year, 4)
    async with sessions() as session:
        org = await orgs.get_by_code(session, ORG)
        assert org is not None
        return org.id


async def test_simultaneous_answers_to_one_question_keep_one_row_and_raise_nothing(
    session_factory: Sessions,
) -> None:
    org_id = await colleagues_in_a_campaign(session_factory)
    async with session_factory() as first, session_factory() as second:
        sessions = (first, second)
        pairs = list(zip(sessions, COLLEAGUES, strict=True))
        spaces = [await workspace(session, telegram_id, org_id) for session, telegram_id in pairs]
        officers = [await people.get_person(session, person) for session, person in pairs]
        assert None not in officers
        question = spaces[0].questionnaire.question("pr_events_count")
        # Both read "no answer yet" before either writes: the second insert meets the first.
        await asyncio.gather(
            *(
                submissions.save_answer(session, space, question, value, officer, utcnow())
                for session, space, officer, value in zip(
                    sessions, spaces, officers, (3, 5), strict=True
                )
            )
        )
    async with session_factory() as session:
        rows = (await session.scalars(select(Answer))).all()
    assert [(row.question_id, row.value) for row in rows] in (
        [("pr_events_count", 3)],
        [("pr_events_count", 5)],
    )


@pytest.mark.parametrize("second_value", [3, 5])
async def test_an_answer_that_meets_a_colleagues_leaves_no_transaction_open(
    session_factory: Sessions, second_value: int
) -> None:
    """The second officer's update read the submission before the first answered; after its
    save, the update goes on to write its FSM state in another session, as handlers do."""
    org_id = await colleagues_in_a_campaign(session_factory)
    async with session_factory() as late:
        stale = await workspace(late, COLLEAGUES[1], org_id)  # read before the colleague
        async with session_factory() as early:
            space = await workspace(early, COLLEAGUES[0], org_id)
            question = space.questionnaire.question("pr_events_count")
            first = await people.get_person(early, COLLEAGUES[0])
            assert first is not None
            await submissions.save_answer(early, space, question, 3, first, utcnow())
        second = await people.get_person(late, COLLEAGUES[1])
        assert second is not None
        await submissions.save_answer(late, stale, question, second_value, second, utcnow())
        assert stale.answers["pr_events_count"] == second_value
        storage = DatabaseStorage(session_factory)  # must not wait for `late`'s transaction
        await storage.set_data(StorageKey(bot_id=1, chat_id=1, user_id=1), {"qi": 1})
    async with session_factory() as session:
        values = (await session.scalars(select(Answer.value))).all()
    assert values == [second_value]
