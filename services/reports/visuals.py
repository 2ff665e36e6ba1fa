"""A report's charts: the dataset turned into what `charts` draws, with titles and captions.

The chat sends these as photos and the presidium report prints them, so both show the same
pictures. Each chart takes a few hundred milliseconds of CPU: from asyncio, call
`chart_set` through `asyncio.to_thread`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from services.monitoring.questionnaire import Question
from services.reports import charts, rating
from services.reports.data import CampaignInfo, Dataset
from services.reports.rating import Indicator, IndicatorKind, Summary
from texts import charts as texts


@dataclass(frozen=True)
class Picture:
    title: str
    caption: str
    png: bytes
    # The caption in the presidium report when not the photo's: the report names the
    # territories without a questionnaire once, under its summary table.
    report_caption: str | None = None


def indicator_name(question: Question) -> str:
    """The name a chart gives the question: its `short` from the YAML, or its text cut."""
    return question.short or charts.short_name(question.text, width=40)


def as_percent(indicator: Indicator, value: float | None) -> float | None:
    """A share of «Да» (0..1) or an average percent (0..100), as a percent."""
    if value is None:
        return None
    return value * 100 if indicator.kind is IndicatorKind.SHARE_OF_YES else value


def latest(dataset: Dataset) -> CampaignInfo | None:
    return dataset.campaigns[-1] if dataset.campaigns else None


def chart_set(dataset: Dataset) -> list[Picture]:
    """Completion, key indicators by territory, their trend over the dataset's quarters (from
    two quarters with data on) and the rating, for the dataset's latest quarter; one «no
    data» picture without a campaign."""
    campaign = latest(dataset)
    if campaign is None:
        title = texts.TITLE_NO_CAMPAIGN
        return [Picture(title, "", charts.no_data_chart(title))]
    lines = rating.summary(dataset, campaign.id)
    groups, total = lines[:-1], lines[-1]
    indicators = rating.key_indicators(campaign.questionnaire.questions)
    trend = _trend(dataset, indicators)
    return [
        _completion(campaign, groups, total),
        _indicators(campaign, groups, indicators, trend_left_out=trend is None),
        *([trend] if trend else []),
        _rating(dataset, campaign),
    ]


def silent_line(groups: Sequence[Summary], most: int | None = None) -> str | None:
    """The territories (groups) where nobody has submitted, in one line: «Не отправили ни
    одной анкеты (территорий: 27): Беловская районная, …»; None when every one has sent
    something. `most`: name at most that many, then «и ещё N» (a photo caption is short)."""
    names = [
        charts.short_name(_group_name(line), width=60) for line in groups if not line.submitted
    ]
    if not names:
        return None
    listed = ", ".join(names if most is None else names[:most])
    if most is not None and len(names) > most:
        listed = texts.NO_SUBMISSION_MORE.format(names=listed, count=len(names) - most)
    return texts.NO_SUBMISSION_LINE.format(count=len(names), names=listed)


CAPTION_NAMES: Final = 12  # territories a photo caption names (Telegram allows 1024 characters)


def _completion(campaign: CampaignInfo, groups: Sequence[Summary], total: Summary) -> Picture:
    """Bars for the territories that sent something; the others in one line of the caption
    (33 empty bars would push the few real ones off the screen)."""
    title = texts.TITLE_COMPLETION.format(quarter=campaign.label)
    rows = [
        charts.CompletionRow(_group_name(line), line.submitted, line.total)
        for line in groups
        if line.submitted
    ]
    caption = texts.CAPTION_COMPLETION.format(
        quarter=campaign.label,
        submitted=total.submitted,
        total=total.total,
        percent=charts.percent(total.share * 100),
    )
    silent = silent_line(groups, CAPTION_NAMES)
    photo_caption = f"{caption} {silent}" if silent else caption
    return Picture(title, photo_caption, charts.completion_chart(rows, title), caption)


def _indicators(
    campaign: CampaignInfo,
    groups: Sequence[Summary],
    indicators: Sequence[Indicator],
    *,
    trend_left_out: bool,
) -> Picture:
    """The heat map of the territories that sent something: a row of a territory without a
    single questionnaire would be all «н/д»; the caption counts them (the completion chart
    and the presidium report name them)."""
    title = texts.TITLE_INDICATORS.format(quarter=campaign.label)
    silent = sum(1 for line in groups if not line.submitted)
    groups = [line for line in groups if line.submitted]
    values = {
        indicator_name(i.question): [
            as_percent(i, line.indicators.get(i.question.id)) for line in groups
        ]
        for i in indicators
    }
    names = [_group_name(line) for line in groups]
    caption = texts.CAPTION_INDICATORS.format(quarter=campaign.label)
    if silent and groups:
        caption += texts.INDICATORS_HIDDEN.format(count=silent)
    if trend_left_out:
        caption += texts.TREND_ONE_QUARTER.format(quarter=campaign.label)
    return Picture(title, caption, charts.indicators_chart(names, values, title))


def _trend(dataset: Dataset, indicators: Sequence[Indicator]) -> Picture | None:
    """The latest questionnaire's indicators in every quarter of the dataset (no value where
    an older version did not ask); None while fewer than two quarters have a value: a
    «trend» of one point says nothing the indicators chart does not (the indicators' caption
    says why it is missing)."""
    totals = [rating.summary(dataset, campaign.id)[-1] for campaign in dataset.campaigns]
    series = {
        indicator_name(i.question): [
            as_percent(i, total.indicators.get(i.question.id)) for total in totals
        ]
        for i in indicators
    }
    quarters = [campaign.label for campaign in dataset.campaigns]
    known = [
        any(values[index] is not None for values in series.values())
        for index in range(len(quarters))
    ]
    if sum(known) < 2:
        return None
    title = texts.TITLE_TREND
    caption = texts.CAPTION_TREND.format(first=quarters[0], last=quarters[-1])
    return Picture(title, caption, charts.trend_chart(quarters, series, title))


def _rating(dataset: Dataset, campaign: CampaignInfo) -> Picture:
    """Territories by their average index; within one territory, its organisations."""
    if dataset.territory_id is None:
        title = texts.TITLE_RATING_TERRITORIES.format(quarter=campaign.label)
        rows = [
            (item.group.name, item.average)
            for item in rating.territory_rating(dataset, campaign.id)
            if item.average is not None
        ]
    else:
        title = texts.TITLE_RATING_ORGS.format(quarter=campaign.label)
        ranked = rating.org_rating(dataset, campaign.id)
        rows = [(item.row.org.name, item.score) for item in ranked]
    return Picture(title, texts.CAPTION_RATING, charts.rating_chart(rows, title))


def _group_name(line: Summary) -> str:
    assert line.group is not None  # the total line is never drawn as a row
    return line.group.name
