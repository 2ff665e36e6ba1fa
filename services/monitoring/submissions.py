"""An organisation's submission: answers saved as given, shared by its officers, locked after
the deadline; changes after submitting are recorded with who and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Insert, bindparam, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Answer,
    AnswerChange,
    Campaign,
    Organization,
    Person,
    Role,
    RoleKind,
    Submission,
    SubmissionStatus,
)
from models import Questionnaire as QuestionnaireRow
from services.monitoring import campaigns, versions
from services.monitoring.questionnaire import Question, Questionnaire, missing_required
from services.people import Roles
from services.unique import first_writer_wins


class Refusal(StrEnum):
    """Why an officer cannot work on a submission now."""

    NOT_OFFICER = "not_officer"
    NO_CAMPAIGN = "no_campaign"
    CLOSED = "closed"


@dataclass
class Workspace:
    """Everything a questionnaire screen needs, loaded once per update."""

    submission: Submission
    campaign: Campaign
    org: Organization
    questionnaire: Questionnaire
    answers: dict[str, Any]
    previous: dict[str, Any]

    @property
    def level(self) -> str:
        return self.org.level.value

    @property
    def submitted(self) -> bool:
        return self.submission.status is SubmissionStatus.SUBMITTED


async def officer_orgs(session: AsyncSession, person: Person) -> list[Organization]:
    """The organisations this person answers for, by name."""
    rows = await session.scalars(
        select(Organization)
        .join(Role, Role.org_id == Organization.id)
        .where(Role.person_id == person.id, Role.kind == RoleKind.OFFICER)
        .order_by(Organization.name)
    )
    return list(rows)


# The statements of the answer path are built once, with bound parameters: every update of
# an officer's conversation runs them, and building one costs more than running it
# (`python -m bench.questionnaire --profile`). SQLAlchemy compiles each once per engine.
_EARLIER_SUBMISSION = (
    select(Submission.id)
    .join(Campaign, Campaign.id == Submission.campaign_id)
    .where(
        Submission.org_id == bindparam("org_id"),
        Campaign.period < bindparam("period"),
    )
    .order_by(Campaign.period.desc())
    .limit(1)
    .scalar_subquery()
)
_ANSWERS_NOW_AND_BEFORE = select(Answer.submission_id, Answer.question_id, Answer.value).where(
    or_(
        Answer.submission_id == bindparam("submission_id"),
        Answer.submission_id == _EARLIER_SUBMISSION,
    )
)
_WORKSPACE = (
    select(
        Submission, Campaign, Organization, QuestionnaireRow.id, QuestionnaireRow.definition_hash
    )
    .join(Campaign, Campaign.id == Submission.campaign_id)
    .join(Organization, Organization.id == Submission.org_id)
    .join(QuestionnaireRow, QuestionnaireRow.id == Campaign.questionnaire_id)
    .where(Submission.id == bindparam("submission_id"))
)
# Core statements on the table: the values come with each execution, typed by the columns.
_ANSWER_TABLE = Answer.metadata.tables[Answer.__tablename__]
_UPDATE_ANSWER = update(_ANSWER_TABLE).where(
    _ANSWER_TABLE.c.submission_id == bindparam("key_submission_id"),
    _ANSWER_TABLE.c.question_id == bindparam("key_question_id"),
)
_INSERT_ANSWER_IF_ABSENT: dict[str, Insert] = {
    dialect: insert(_ANSWER_TABLE).on_conflict_do_nothing(
        index_elements=["submission_id", "question_id"]
    )
    for dialect, insert in (("sqlite", sqlite_insert), ("postgresql", postgresql_insert))
}


async def _answers_now_and_before(
    session: AsyncSession, submission: Submission, campaign: Campaign
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The submission's answers, and the organisation's in the latest earlier campaign (for
    «Как в прошлом квартале»), in one query: this runs on every answer an officer gives."""
    rows = await session.execute(
        _ANSWERS_NOW_AND_BEFORE,
        {
            "submission_id": submission.id,
            "org_id": submission.org_id,
            "period": campaign.period,
        },
    )
    now: dict[str, Any] = {}
    before: dict[str, Any] = {}
    for submission_id, question_id, value in rows:
        (now if submission_id == submission.id else before)[question_id] = value
    return now, before


async def _get_or_create(session: AsyncSession, campaign: Campaign, org_id: int) -> Submission:
    query = select(Submission).where(
        Submission.campaign_id == campaign.id, Submission.org_id == org_id
    )
    found = await session.scalar(query)
    if found is not None:
        return found

    async def insert() -> Submission:
        submission = Submission(
            campaign_id=campaign.id, org_id=org_id, status=SubmissionStatus.DRAFT
        )
        session.add(submission)
        await session.commit()
        return submission

    # A second officer of the same organisation may open it at the same moment.
    return await first_writer_wins(session, insert, query)


async def _workspace(session: AsyncSession, submission_id: int) -> Workspace | None:
    """The submission with its campaign, organisation, questionnaire and answers: two queries
    (the questionnaire's definition is parsed once per version, see `versions`)."""
    found = (await session.execute(_WORKSPACE, {"submission_id": submission_id})).first()
    if found is None:
        return None
    submission, campaign, org, questionnaire_id, digest = found
    answers, previous = await _answers_now_and_before(session, submission, campaign)
    return Workspace(
        submission=submission,
        campaign=campaign,
        org=org,
        questionnaire=await versions.definition_of(session, questionnaire_id, digest),
        answers=answers,
        previous=previous,
    )


async def open_for(
    session: AsyncSession, roles: Roles, org_id: int, now: datetime
) -> Workspace | Refusal:
    """The current campaign's submission of that organisation, created on first use."""
    if org_id not in roles.officer_of:
        return Refusal.NOT_OFFICER
    campaign = await campaigns.current(session)
    if campaign is None:
        return Refusal.NO_CAMPAIGN
    if not campaigns.is_accepting(campaign, now):
        return Refusal.CLOSED
    submission = await _get_or_create(session, campaign, org_id)
    space = await _workspace(session, submission.id)
    assert space is not None
    return space


async def load(
    session: AsyncSession, roles: Roles, submission_id: int, now: datetime
) -> Workspace | Refusal:
    """A submission named by a button: only its organisation's officers, only while open.

    `roles` were read from the database at the start of this update (bot/middlewares.py).
    """
    space = await _workspace(session, submission_id)
    if space is None or space.org.id not in roles.officer_of:
        return Refusal.NOT_OFFICER
    if not campaigns.is_accepting(space.campaign, now):
        return Refusal.CLOSED
    return space


async def save_answer(
    session: AsyncSession,
    space: Workspace,
    question: Question,
    value: Any,
    person: Person,
    now: datetime,
) -> None:
    """Store the answer now; after submitting, a change is also written to the audit trail.

    `space.answers` was read in this update, so the usual answer costs one statement: an
    insert of a new answer, or an update of a changed one. Two officers of one organisation
    may answer the same question at the same moment: the first answer is inserted, and the
    second, meeting it, changes it as if it came a moment later (last answer wins; after
    submitting, the change is in the audit trail).
    """
    key = {"submission_id": space.submission.id, "question_id": question.id}
    values = {"value": value, "answered_by_person_id": person.id, "answered_at": now}
    if question.id not in space.answers:
        if await _insert_if_absent(session, {**key, **values}):
            await session.commit()
            space.answers[question.id] = value
            return
        # A colleague's answer landed after this update read the submission: it is the old one.
        space.answers[question.id] = await session.scalar(select(Answer.value).filter_by(**key))
        # End the transaction the insert began: on SQLite it holds the writer queue, which the
        # FSM storage's own session needs next (an unchanged answer returns below).
        await session.commit()
    old = space.answers[question.id]
    if old == value:
        return
    if space.submitted:
        session.add(
            AnswerChange(
                **key,
                old_value=old,
                new_value=value,
                changed_by_person_id=person.id,
                changed_at=now,
            )
        )
    await session.execute(
        _UPDATE_ANSWER,
        {"key_submission_id": key["submission_id"], "key_question_id": question.id, **values},
    )
    await session.commit()
    space.answers[question.id] = value


async def _insert_if_absent(session: AsyncSession, values: dict[str, Any]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING (both SQLite and PostgreSQL have it): False when the
    answer already exists. No rollback, so the update's loaded objects stay usable."""
    statement = _INSERT_ANSWER_IF_ABSENT[session.get_bind().dialect.name]
    result = await session.execute(statement, values)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def submit(
    session: AsyncSession, space: Workspace, person: Person, now: datetime
) -> list[Question]:
    """Submit when nothing required is missing; returns what is still missing otherwise."""
    missing = missing_required(space.questionnaire, space.answers, space.level)
    if missing:
        return missing
    space.submission.status = SubmissionStatus.SUBMITTED
    space.submission.submitted_at = now
    space.submission.submitted_by_person_id = person.id
    await session.commit()
    return []
