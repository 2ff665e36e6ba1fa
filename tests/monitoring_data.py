"""Campaigns and stored submissions for the report and submission tests: what the chat would
have stored, written directly, with fixed times."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.report import answers_of
from models import (
    Answer,
    Campaign,
    Organization,
    OrgLevel,
    Person,
    Submission,
    SubmissionStatus,
)
from services import orgs
from services.monitoring import campaigns, versions
from services.monitoring.campaigns import Schedule
from services.reports.data import Dataset, load_report

Sessions = async_sessionmaker[AsyncSession]
SCHEDULE = Schedule()
ANSWERED_AT = datetime(2026, 3, 20, 9, 30, tzinfo=UTC)  # 12:30 in Moscow
SUBMITTED_AT = datetime(2026, 3, 25, 7, 0, tzinfo=UTC)  # 10:00 in Moscow


async def open_quarter(sessions: Sessions, year: int, quarter: int) -> int:
    """A campaign with the newest stored questionnaire version (the default file if none)."""
    opens = datetime(year, quarter * 3, 1, 7, 0, tzinfo=UTC)
    async with sessions() as session:
        campaign = await campaigns.open_campaign(
            session,
            SCHEDULE,
            year=year,
            quarter=quarter,
            opens_at=opens,
            deadline=opens + timedelta(days=19),
        )
        return campaign.id


async def add_person(
    sessions: Sessions,
    telegram_id: int,
    first_name: str,
    last_name: str | None = None,
    username: str | None = None,
) -> int:
    async with sessions() as session:
        person = Person(
            telegram_id=telegram_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            consent_at=ANSWERED_AT,
        )
        session.add(person)
        await session.commit()
        return person.id


async def store_submission(
    sessions: Sessions,
    campaign_id: int,
    org_code: str,
    answers: dict[str, Any],
    *,
    submitted: bool = True,
    by: int | None = None,
) -> None:
    """An organisation's submission with these stored answers (None: skipped), given by `by`
    at ANSWERED_AT, sent at SUBMITTED_AT unless a draft."""
    async with sessions() as session:
        org = await orgs.get_by_code(session, org_code)
        assert org is not None
        submission = Submission(
            campaign_id=campaign_id,
            org_id=org.id,
            status=SubmissionStatus.SUBMITTED if submitted else SubmissionStatus.DRAFT,
            submitted_at=SUBMITTED_AT if submitted else None,
            submitted_by_person_id=by if submitted else None,
        )
        session.add(submission)
        await session.flush()
        session.add_all(
            Answer(
                submission_id=submission.id,
                question_id=question_id,
                value=value,
                answered_by_person_id=by,
                answered_at=ANSWERED_AT,
            )
            for question_id, value in answers.items()
        )
        await session.commit()


async def org_id(sessions: Sessions, code: str) -> int:
    async with sessions() as session:
        org = await orgs.get_by_code(session, code)
        assert org is not None
        return org.id


async def load(sessions: Sessions, campaign_id: int, territory: str | None = None) -> Dataset:
    territory_id = await org_id(sessions, territory) if territory else None
    async with sessions() as session:
        return await load_report(session, [campaign_id], territory_id)


async def submit_many(sessions: Sessions, campaign_id: int, count: int, seed: int = 0) -> None:
    """`count` organisations of the directory, picked at random, submitted with plausible random
    answers (those of the report benchmark); the same seed gives the same organisations and
    answers. Bulk inserts: 400 submissions take a second, not one commit each."""
    rng = random.Random(seed)
    async with sessions() as session:
        result = await session.execute(
            select(Organization.id, Organization.level)
            .where(Organization.level != OrgLevel.REGIONAL)
            .order_by(Organization.code)
        )
        levels = {org_id: level.value for org_id, level in result}
        chosen = sorted(rng.sample(sorted(levels), count))
        campaign = await session.get(Campaign, campaign_id)
        assert campaign is not None
        questionnaire = versions.definition(await versions.current(session))
        quarter_end = date(campaign.year, campaign.quarter * 3, 28)
        for org in chosen:
            submission = await session.scalar(
                insert(Submission)
                .values(
                    campaign_id=campaign_id,
                    org_id=org,
                    status=SubmissionStatus.SUBMITTED,
                    submitted_at=SUBMITTED_AT,
                )
                .returning(Submission.id)
            )
            answers = answers_of(questionnaire, levels[org], quarter_end, rng)
            await session.execute(
                insert(Answer),
                [
                    {
                        "submission_id": submission,
                        "question_id": question_id,
                        "value": value,
                        "answered_at": ANSWERED_AT,
                    }
                    for question_id, value in answers.items()
                ],
            )
        await session.commit()
