"""What a monitoring report needs, loaded in a fixed handful of queries.

A report covers one or more campaigns (quarters) and either the whole region or one territory.
`load_report` reads the directory, the campaigns with their frozen questionnaires, the
submissions, their answers and the names of the people who gave them: five queries (the
people in chunks of 500) however many organisations and quarters there are, so 700
organisations × 8 quarters load in about a second. Answers stream in partitions, so the
driver never holds all of them as rows at once.

Out come plain frozen dataclasses, no ORM objects: the export, the rating and the charts
work on them without a session, and nothing lazy-loads behind their back.

Grouping is the one of `campaigns.completion`: a territory is a territorial organisation with
its primaries; the primaries directly under the regional organisation make a group headed by
the regional organisation and named «Организации областного подчинения». The regional
organisation itself is nobody's member and so is not in a report, as on the /monitoring
screen. The directory is today's: an organisation added since an old quarter shows as not
submitted in it, one moved to another territory counts where it is now.
"""

from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Answer,
    Campaign,
    Organization,
    OrgLevel,
    Person,
    Submission,
    SubmissionStatus,
)
from models import Questionnaire as QuestionnaireRow
from services.monitoring import versions
from services.monitoring.questionnaire import Question, Questionnaire, effective_answers, score
from texts import reports as texts
from texts import ru

ANSWER_PARTITION: Final = 5000  # answer rows fetched at a time
PEOPLE_CHUNK: Final = 500  # ids in one IN (…): well below every driver's parameter limit


@dataclass(frozen=True, slots=True)
class Group:
    """Organisations that report together: a territory, or the regional organisation's own
    primaries (then `name` is «Организации областного подчинения»)."""

    id: int
    code: str
    name: str
    level: OrgLevel


@dataclass(frozen=True, slots=True)
class Org:
    """An organisation that must submit, and its group."""

    id: int
    code: str
    name: str
    level: OrgLevel
    group: Group


@dataclass(frozen=True, slots=True)
class CampaignInfo:
    """A quarter and the questionnaire version it was opened with."""

    id: int
    year: int
    quarter: int
    label: str  # «4 квартал 2026 г.»
    questionnaire: Questionnaire
    version: int
    questions: Mapping[str, Question]  # by id, for lookups per answer


@dataclass(frozen=True, slots=True)
class AnswerInfo:
    """One stored answer (None: skipped), who gave it (a name) and when (UTC)."""

    value: Any
    by: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class OrgRow:
    """One organisation in one campaign; `status` None means it has not started.

    `answers` holds only what counts for the organisation's level (answers to questions that
    relevance hides are dropped), in questionnaire order. `score` is the index, for
    submitted organisations only: a draft's partial sum would rank it unfairly.
    """

    campaign: CampaignInfo
    org: Org
    status: SubmissionStatus | None
    submitted_at: datetime | None
    submitted_by: str | None
    answers: Mapping[str, AnswerInfo]
    score: float | None

    @property
    def submitted(self) -> bool:
        return self.status is SubmissionStatus.SUBMITTED


@dataclass(frozen=True)
class Dataset:
    """Everything a report shows: campaigns oldest first; groups in the /monitoring order
    (the regional organisation's own primaries first, then territories by name); each
    group's organisations (the territorial one first, then primaries by name); one row per
    campaign and organisation, in that order, started or not."""

    campaigns: tuple[CampaignInfo, ...]
    groups: tuple[Group, ...]
    orgs: tuple[Org, ...]
    rows: tuple[OrgRow, ...]
    territory_id: int | None = None  # the scope, None for the whole region

    def rows_of(self, campaign_id: int) -> list[OrgRow]:
        """Every organisation's row in that campaign."""
        return list(self._by_campaign.get(campaign_id, ()))

    @functools.cached_property
    def _by_campaign(self) -> dict[int, list[OrgRow]]:
        # The rating asks for a campaign's rows several times; 700 × 8 rows each time adds up.
        index: dict[int, list[OrgRow]] = {}
        for row in self.rows:
            index.setdefault(row.campaign.id, []).append(row)
        return index

    def submitted_rows(self, campaign_id: int) -> list[OrgRow]:
        """The rows of organisations that submitted in that campaign."""
        return [row for row in self.rows_of(campaign_id) if row.submitted]


# --- choosing campaigns ------------------------------------------------------------------------


async def campaigns_for_report(
    session: AsyncSession,
    year: int | None = None,
    quarter: int | None = None,
    *,
    all_quarters: bool = False,
) -> list[int]:
    """Ids of the campaigns a report covers, oldest first.

    `all_quarters`: every campaign; `year` (and `quarter`): that year's campaigns (that one
    quarter); nothing: the latest campaign, the one /monitoring shows. Empty when there is
    none such.
    """
    if quarter is not None and year is None:
        raise ValueError("a quarter needs its year")
    query = select(Campaign.id)
    if year is not None and not all_quarters:
        query = query.where(Campaign.year == year)
        if quarter is not None:
            query = query.where(Campaign.quarter == quarter)
    elif not all_quarters:
        latest = select(Campaign.id).order_by(Campaign.period.desc())
        query = query.where(Campaign.id == latest.limit(1).scalar_subquery())
    ids = await session.scalars(query.order_by(Campaign.period))
    return list(ids)


# --- loading -----------------------------------------------------------------------------------


async def load_report(
    session: AsyncSession, campaign_ids: Sequence[int], territory_id: int | None = None
) -> Dataset:
    """The report's data for these campaigns, of one group when `territory_id` is given (a
    territorial organisation, or the regional one for its own primaries): a territorial
    admin's report. ValueError if `territory_id` heads no group."""
    with _collector_paused():
        return await _load(session, campaign_ids, territory_id)


async def _load(
    session: AsyncSession, campaign_ids: Sequence[int], territory_id: int | None
) -> Dataset:
    campaign_list = await _campaigns(session, campaign_ids)
    groups, orgs = await _directory(session, territory_id)
    members = {org.id: org for org in orgs}
    ids = [campaign.id for campaign in campaign_list]
    scope = list(members) if territory_id is not None else None
    submissions = await _submissions(session, ids, scope)
    submissions = [s for s in submissions if s.org_id in members]
    answers = await _answers(session, ids, scope)
    names = await _people(session, _person_ids(submissions, answers))
    rows = _rows(campaign_list, orgs, submissions, answers, names)
    return Dataset(tuple(campaign_list), tuple(groups), tuple(orgs), tuple(rows), territory_id)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside.

    Loading a report makes hundreds of thousands of small containers (rows, tuples, dicts,
    answers) that all stay alive and form no cycles, yet each counts towards the next
    collection: the collector keeps running full passes over the growing heap that free
    nothing, a third of the load time for 700 organisations × 8 quarters. Reference counting
    frees garbage as usual meanwhile, for the rest of the bot too, whose coroutines run
    during the awaits: a second or two without the cycle collector costs them nothing.

    Whoever paused the collector while it was on turns it back on, so overlapping loads
    (other tasks, threads) leave it on in the end, and one switched off elsewhere stays off.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


async def _campaigns(session: AsyncSession, campaign_ids: Sequence[int]) -> list[CampaignInfo]:
    if not campaign_ids:
        return []
    result = await session.execute(
        select(Campaign.id, Campaign.year, Campaign.quarter, QuestionnaireRow)
        .join(QuestionnaireRow, QuestionnaireRow.id == Campaign.questionnaire_id)
        .where(Campaign.id.in_(list(campaign_ids)))
        .order_by(Campaign.period)
    )
    found = []
    for campaign_id, year, quarter, row in result:
        definition = versions.definition(row)
        found.append(
            CampaignInfo(
                id=campaign_id,
                year=year,
                quarter=quarter,
                label=ru.MON_QUARTER.format(quarter=quarter, year=year),
                questionnaire=definition,
                version=row.version,
                questions={question.id: question for question in definition.questions},
            )
        )
    return found


async def _directory(
    session: AsyncSession, territory_id: int | None
) -> tuple[list[Group], list[Org]]:
    """The groups and their member organisations, in report order (one query: the whole
    directory is a few hundred rows)."""
    result = await session.execute(
        select(
            Organization.id,
            Organization.code,
            Organization.name,
            Organization.level,
            Organization.parent_id,
        )
    )
    records = result.all()
    heads = {
        org_id: Group(
            id=org_id,
            code=code,
            name=ru.REGIONAL_SUBORDINATION if level is OrgLevel.REGIONAL else name,
            level=level,
        )
        for org_id, code, name, level, _ in records
        if level is not OrgLevel.PRIMARY
    }
    if territory_id is not None and territory_id not in heads:
        raise ValueError(f"organisation {territory_id} is not a territory")
    members: dict[int, list[Org]] = {}
    for org_id, code, name, level, parent_id in records:
        group_id = _group_of(org_id, level, parent_id)
        if group_id in heads and territory_id in (None, group_id):
            members.setdefault(group_id, []).append(
                Org(org_id, code, name, level, heads[group_id])
            )
    groups = sorted(
        (heads[group_id] for group_id in members),
        key=lambda group: (group.level is not OrgLevel.REGIONAL, group.name.casefold()),
    )
    orgs = [org for group in groups for org in sorted(members[group.id], key=_member_order)]
    return groups, orgs


def _group_of(org_id: int, level: OrgLevel, parent_id: int | None) -> int | None:
    """The head of the organisation's group: a territorial organisation heads its own; a
    primary belongs to its parent's; the regional one belongs to none."""
    if level is OrgLevel.TERRITORIAL:
        return org_id
    if level is OrgLevel.PRIMARY:
        return parent_id
    return None


def _member_order(org: Org) -> tuple[bool, str, str]:
    return org.level is not OrgLevel.TERRITORIAL, org.name.casefold(), org.code


@dataclass(frozen=True, slots=True)
class _Submission:
    id: int
    campaign_id: int
    org_id: int
    status: SubmissionStatus
    submitted_at: datetime | None
    submitted_by: int | None


# One stored answer before names are known: (value, person id, answered at).
_RawAnswer = tuple[Any, int | None, datetime]


def _scoped(query: Any, campaign_ids: Sequence[int], scope: list[int] | None) -> Any:
    submission = Submission.__table__.c
    query = query.where(submission.campaign_id.in_(list(campaign_ids)))
    return query if scope is None else query.where(submission.org_id.in_(scope))


async def _submissions(
    session: AsyncSession, campaign_ids: Sequence[int], scope: list[int] | None
) -> list[_Submission]:
    if not campaign_ids:
        return []
    query = select(
        Submission.id,
        Submission.campaign_id,
        Submission.org_id,
        Submission.status,
        Submission.submitted_at,
        Submission.submitted_by_person_id,
    )
    result = await session.execute(_scoped(query, campaign_ids, scope))
    return [_Submission(*record) for record in result]


async def _answers(
    session: AsyncSession, campaign_ids: Sequence[int], scope: list[int] | None
) -> dict[int, dict[str, _RawAnswer]]:
    """Every stored answer of these campaigns by submission id, then question id."""
    found: dict[int, dict[str, _RawAnswer]] = {}
    if not campaign_ids:
        return found
    # Tables, not mapped classes: a Core statement's rows skip the ORM's per-row loading
    # machinery, a good part of the time for 100 000 answers.
    answer = Answer.__table__.c
    query = select(
        answer.submission_id,
        answer.question_id,
        answer.value,
        answer.answered_by_person_id,
        answer.answered_at,
    ).join(Submission.__table__, Submission.__table__.c.id == answer.submission_id)
    # Partitions, not rows, through the await: an async step per row would cost a quarter
    # of a second per 100 000 answers.
    statement = _scoped(query, campaign_ids, scope).execution_options(yield_per=ANSWER_PARTITION)
    result = await session.stream(statement)
    async for partition in result.partitions():
        for submission_id, question_id, value, person_id, at in partition:
            found.setdefault(submission_id, {})[question_id] = (value, person_id, at)
    return found


def _person_ids(
    submissions: Iterable[_Submission], answers: Mapping[int, Mapping[str, _RawAnswer]]
) -> set[int]:
    ids = {s.submitted_by for s in submissions if s.submitted_by is not None}
    for stored in answers.values():
        ids.update(person_id for _, person_id, _ in stored.values() if person_id is not None)
    return ids


async def _people(session: AsyncSession, person_ids: set[int]) -> dict[int, str]:
    """Display names by person id, only of the people who answered or submitted."""
    ordered = sorted(person_ids)
    names: dict[int, str] = {}
    for start in range(0, len(ordered), PEOPLE_CHUNK):
        chunk = ordered[start : start + PEOPLE_CHUNK]
        result = await session.execute(
            select(Person.id, Person.first_name, Person.last_name, Person.username).where(
                Person.id.in_(chunk)
            )
        )
        for person_id, first, last, username in result:
            names[person_id] = person_name(person_id, first, last, username)
    return names


def person_name(person_id: int, first: str, last: str | None, username: str | None) -> str:
    """«Имя Фамилия» as in Telegram; the @username, else the id, when there is no name."""
    name = " ".join(part for part in (first, last) if part)
    if name:
        return name
    return f"@{username}" if username else texts.UNKNOWN_PERSON.format(id=person_id)


def _rows(
    campaign_list: Sequence[CampaignInfo],
    orgs: Sequence[Org],
    submissions: Iterable[_Submission],
    answers: Mapping[int, Mapping[str, _RawAnswer]],
    names: Mapping[int, str],
) -> list[OrgRow]:
    by_key = {(s.campaign_id, s.org_id): s for s in submissions}
    rows = []
    for campaign in campaign_list:
        for org in orgs:
            submission = by_key.get((campaign.id, org.id))
            if submission is None:
                rows.append(OrgRow(campaign, org, None, None, None, {}, None))
            else:
                stored = answers.get(submission.id, {})
                rows.append(_row(campaign, org, submission, stored, names))
    return rows


def _row(
    campaign: CampaignInfo,
    org: Org,
    submission: _Submission,
    stored: Mapping[str, _RawAnswer],
    names: Mapping[int, str],
) -> OrgRow:
    """The row of a started submission: its answers that count, and its index if submitted."""
    level = org.level.value
    values = {question_id: value for question_id, (value, _, _) in stored.items()}
    counted = effective_answers(campaign.questionnaire, values, level)
    answers = {question_id: _answer(stored[question_id], names) for question_id in counted}
    submitted = submission.status is SubmissionStatus.SUBMITTED
    return OrgRow(
        campaign=campaign,
        org=org,
        status=submission.status,
        submitted_at=submission.submitted_at,
        submitted_by=_name(submission.submitted_by, names),
        answers=answers,
        score=score(campaign.questionnaire, counted, level) if submitted else None,
    )


def _answer(raw: _RawAnswer, names: Mapping[int, str]) -> AnswerInfo:
    value, person_id, at = raw
    return AnswerInfo(value, _name(person_id, names), at)


def _name(person_id: int | None, names: Mapping[int, str]) -> str | None:
    # A person who used /forget is gone (SET NULL), and so is the name.
    return None if person_id is None else names.get(person_id)
