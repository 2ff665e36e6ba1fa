"""Two officers of one organisation answering the same question at the same moment."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

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


async def test_simultaneous_answers_to_one_question_keep_one_row_and_raise_nothing(
    session_factory: Sessions,
) -> None:
    for telegram_id in COLLEAGUES:
        await add_member(session_factory, telegram_id, ORG, topics=())
        await grant(session_factory, telegram_id, "officer", ORG)
    await open_quarter(session_factory, utcnow().year, 4)
    async with session_factory() as session:
        org = await orgs.get_by_code(session, ORG)
        assert org is not None
        org_id = org.id
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
