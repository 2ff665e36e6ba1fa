"""The information-work index turned into what the committee compares: the rating of
organisations and of territories, key indicators by territory with the region's total, and
the best practice (the top organisations with their links).

Pure functions over a `Dataset` and one campaign: no database. Only submitted organisations
count; a draft has no index (see `OrgRow.score`).

Ranks are competition ranks: equal indices share a place and the next place is skipped
(1, 2, 2, 4), so no organisation is placed above an equal one by the alphabet; within equal
indices rows are ordered by name, then code, so every run gives the same order. Indices are
compared rounded to 6 decimals: 0.1 + 0.2 and 0.3 are the same index.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from statistics import fmean
from typing import Final, TypeVar

from services.monitoring.questionnaire import Question, QuestionType
from services.reports.data import Dataset, Group, OrgRow

BEST_PRACTICE_SIZE: Final = 10
_PRECISION: Final = 6

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RatedOrg:
    rank: int
    row: OrgRow
    score: float


@dataclass(frozen=True, slots=True)
class RatedTerritory:
    """A group's average index over its submitted organisations; no rank (None) and no
    average while none has submitted."""

    rank: int | None
    group: Group
    average: float | None
    submitted: int
    total: int


class IndicatorKind(StrEnum):
    SHARE_OF_YES = "share_of_yes"  # yes_no: the share of «Да»
    AVERAGE = "average"  # percent: the mean


@dataclass(frozen=True, slots=True)
class Indicator:
    """A key indicator: every yes_no question (share of «Да») and every percent question
    (average), in questionnaire order."""

    question: Question
    kind: IndicatorKind


@dataclass(frozen=True, slots=True)
class Summary:
    """One group's line of the summary, or the total (`group` None) of everything in the
    dataset's scope. `indicators` by question id; None where no organisation had the
    question shown (or, for an average, answered)."""

    group: Group | None
    submitted: int
    total: int
    indicators: dict[str, float | None]
    average_index: float | None

    @property
    def share(self) -> float:
        """Share of organisations that submitted (0..1)."""
        return self.submitted / self.total if self.total else 0.0


@dataclass(frozen=True, slots=True)
class Practice:
    """A top organisation and the links it gave (answers of url questions), in order."""

    rated: RatedOrg
    links: list[tuple[Question, str]]


def _key(value: float) -> float:
    return round(value, _PRECISION)


def _ranked(
    items: Iterable[T], value: Callable[[T], float], name: Callable[[T], tuple[str, ...]]
) -> list[tuple[int, T]]:
    """Items by value, highest first, equal values by name; with competition ranks."""
    ordered = sorted(items, key=lambda item: (-_key(value(item)), name(item)))
    ranked: list[tuple[int, T]] = []
    for position, item in enumerate(ordered, 1):
        tied = bool(ranked) and _key(value(ranked[-1][1])) == _key(value(item))
        ranked.append((ranked[-1][0] if tied else position, item))
    return ranked


def org_rating(dataset: Dataset, campaign_id: int) -> list[RatedOrg]:
    """Submitted organisations by index, highest first."""
    rows = [row for row in dataset.submitted_rows(campaign_id) if row.score is not None]
    return [
        RatedOrg(rank, row, row.score or 0.0)
        for rank, row in _ranked(
            rows, lambda row: row.score or 0.0, lambda row: (row.org.name.casefold(), row.org.code)
        )
    ]


def territory_rating(dataset: Dataset, campaign_id: int) -> list[RatedTerritory]:
    """Groups by the average index of their submitted organisations; groups where nobody
    has submitted follow, unranked, in dataset order."""
    rated: list[RatedTerritory] = []
    unrated: list[RatedTerritory] = []
    for group, rows in _by_group(dataset, campaign_id):
        scores = [row.score for row in rows if row.score is not None]
        average = fmean(scores) if scores else None
        item = RatedTerritory(None, group, average, len(scores), len(rows))
        (rated if scores else unrated).append(item)
    ranked = _ranked(
        rated, lambda item: item.average or 0.0, lambda item: (item.group.name.casefold(),)
    )
    return [
        RatedTerritory(rank, item.group, item.average, item.submitted, item.total)
        for rank, item in ranked
    ] + unrated


def _by_group(dataset: Dataset, campaign_id: int) -> list[tuple[Group, list[OrgRow]]]:
    """Each group of the dataset with its rows of that campaign, in dataset order."""
    rows: dict[int, list[OrgRow]] = {group.id: [] for group in dataset.groups}
    for row in dataset.rows_of(campaign_id):
        rows[row.org.group.id].append(row)
    return [(group, rows[group.id]) for group in dataset.groups]


def key_indicators(questions: Iterable[Question]) -> list[Indicator]:
    """The key indicators among these questions (a questionnaire's, in its order): generic,
    so a new yes/no or percent question in the YAML becomes one without code changes."""
    kinds = {
        QuestionType.YES_NO: IndicatorKind.SHARE_OF_YES,
        QuestionType.PERCENT: IndicatorKind.AVERAGE,
    }
    return [
        Indicator(question, kinds[question.type])
        for question in questions
        if question.type in kinds
    ]


def indicator_value(indicator: Indicator, rows: Sequence[OrgRow]) -> float | None:
    """The indicator over submitted rows.

    Share of «Да»: among the organisations the question was shown to (a submitted
    organisation has an answer, maybe a skip, for every question shown to it), a skip counts
    as not «Да». Average: over the numbers given; a skip is no figure, not a zero.
    """
    question_id = indicator.question.id
    answers = [row.answers[question_id].value for row in rows if question_id in row.answers]
    if indicator.kind is IndicatorKind.SHARE_OF_YES:
        return sum(value is True for value in answers) / len(answers) if answers else None
    numbers = [v for v in answers if isinstance(v, int | float) and not isinstance(v, bool)]
    return fmean(numbers) if numbers else None


def summary(dataset: Dataset, campaign_id: int) -> list[Summary]:
    """A line per group, then the total over all of them (the region, or the one territory
    of a scoped dataset)."""
    campaign = next(c for c in dataset.campaigns if c.id == campaign_id)
    indicators = key_indicators(campaign.questionnaire.questions)
    lines = [_summary(group, rows, indicators) for group, rows in _by_group(dataset, campaign_id)]
    lines.append(_summary(None, dataset.rows_of(campaign_id), indicators))
    return lines


def _summary(group: Group | None, rows: Sequence[OrgRow], indicators: list[Indicator]) -> Summary:
    submitted = [row for row in rows if row.submitted]
    scores = [row.score for row in submitted if row.score is not None]
    return Summary(
        group=group,
        submitted=len(submitted),
        total=len(rows),
        indicators={i.question.id: indicator_value(i, submitted) for i in indicators},
        average_index=fmean(scores) if scores else None,
    )


def best_practice(
    dataset: Dataset, campaign_id: int, size: int = BEST_PRACTICE_SIZE
) -> list[Practice]:
    """The first `size` organisations of the rating, with their links. Exactly `size` rows
    even when the next one has the same index: the list is an example set, not a prize."""
    return [Practice(rated, links(rated.row)) for rated in org_rating(dataset, campaign_id)[:size]]


def links(row: OrgRow) -> list[tuple[Question, str]]:
    """The organisation's answers to url questions that count, in questionnaire order."""
    questions = row.campaign.questions
    return [
        (questions[question_id], answer.value)
        for question_id, answer in row.answers.items()
        if questions[question_id].type is QuestionType.URL and isinstance(answer.value, str)
    ]
