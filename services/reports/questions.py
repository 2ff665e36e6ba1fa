"""The questions report: per category and territory, time to the first answer (median and
90th percentile), the share answered within the SLA, ratings; a workbook and a chart.

Counts only: no question text, no name (a forgotten member's questions count too)."""

from __future__ import annotations

import asyncio
import io
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Organization, Question, QuestionCategory, QuestionStatus
from services import workdays
from services.reports import charts, export
from texts import questions as tq


@dataclass(frozen=True)
class Row:
    title: str
    asked: int
    answered: int


@dataclass
class QuestionStats:
    asked: int = 0
    answered: int = 0
    within_sla: int = 0
    hours: list[float] = field(default_factory=list)
    up: int = 0
    down: int = 0
    by_category: list[Row] = field(default_factory=list)
    by_territory: list[Row] = field(default_factory=list)

    @property
    def median_hours(self) -> float | None:
        return statistics.median(self.hours) if self.hours else None

    @property
    def p90_hours(self) -> float | None:
        if not self.hours:
            return None
        if len(self.hours) == 1:
            return self.hours[0]
        return statistics.quantiles(self.hours, n=10, method="inclusive")[-1]

    @property
    def sla_share(self) -> float | None:
        return self.within_sla / self.answered if self.answered else None


async def collect(
    session: AsyncSession, *, territory_id: int | None, sla_days: int, tz: tzinfo
) -> QuestionStats:
    """One pass over the asked questions (a few columns each, never their texts)."""
    query = select(
        Question.category_id,
        Question.territory_id,
        Question.asked_at,
        Question.answered_at,
        Question.rating,
    ).where(Question.status != QuestionStatus.DRAFT, Question.asked_at.is_not(None))
    if territory_id is not None:
        query = query.where(Question.territory_id == territory_id)
    rows = (await session.execute(query)).all()
    ordered = select(QuestionCategory).order_by(QuestionCategory.position)
    cats = {c.id: c.title for c in await session.scalars(ordered)}
    orgs = (await session.execute(select(Organization.id, Organization.name))).all()
    names = {org_id: name for org_id, name in orgs}
    stats = QuestionStats(asked=len(rows))
    per_cat: Counter[int] = Counter()
    per_cat_answered: Counter[int] = Counter()
    per_ter: Counter[int | None] = Counter()
    per_ter_answered: Counter[int | None] = Counter()
    for category_id, territory, asked_at, answered_at, rating in rows:
        assert asked_at is not None  # the query's condition
        per_cat[category_id] += 1
        per_ter[territory] += 1
        if answered_at is not None:
            stats.answered += 1
            per_cat_answered[category_id] += 1
            per_ter_answered[territory] += 1
            stats.hours.append((answered_at - asked_at).total_seconds() / 3600)
            if answered_at <= workdays.add(asked_at.astimezone(tz), sla_days):
                stats.within_sla += 1
        stats.up += rating == 1
        stats.down += rating == -1
    stats.by_category = [
        Row(title, per_cat[cid], per_cat_answered[cid]) for cid, title in cats.items()
    ]
    stats.by_territory = sorted(
        (
            Row(names.get(t, tq.REPORT_REGION) if t else tq.REPORT_REGION, n, per_ter_answered[t])
            for t, n in per_ter.items()
        ),
        key=lambda row: row.title,
    )
    return stats


def _hours(value: float | None) -> str:
    return "—" if value is None else charts.number(value, 1)


def summary_lines(stats: QuestionStats) -> list[tuple[str, str]]:
    """The headline figures, as the workbook's first sheet and the PDF's section show them."""
    share = stats.sla_share
    return [
        (tq.REPORT_ASKED, str(stats.asked)),
        (tq.REPORT_ANSWERED, str(stats.answered)),
        (tq.REPORT_MEDIAN, _hours(stats.median_hours)),
        (tq.REPORT_P90, _hours(stats.p90_hours)),
        (tq.REPORT_SLA_SHARE, "—" if share is None else charts.percent(100 * share)),
        (tq.REPORT_UP, str(stats.up)),
        (tq.REPORT_DOWN, str(stats.down)),
    ]


def build_xlsx(stats: QuestionStats) -> bytes:
    wide = export.Column
    tables = [
        export.Table(
            tq.REPORT_SHEET_SUMMARY, [wide("", 50.0), wide("", 16.0)], summary_lines(stats)
        ),
        export.Table(
            tq.REPORT_SHEET_CATEGORIES,
            [
                wide(tq.REPORT_CATEGORY, 45.0),
                wide(tq.REPORT_ASKED, 14.0),
                wide(tq.REPORT_ANSWERED, 14.0),
            ],
            [(r.title, r.asked, r.answered) for r in stats.by_category],
            freeze_columns=1,
        ),
        export.Table(
            tq.REPORT_SHEET_TERRITORIES,
            [
                wide(tq.REPORT_TERRITORY, 50.0),
                wide(tq.REPORT_ASKED, 14.0),
                wide(tq.REPORT_ANSWERED, 14.0),
            ],
            [(r.title, r.asked, r.answered) for r in stats.by_territory],
            freeze_columns=1,
        ),
    ]
    buffer = io.BytesIO()
    export.write_workbook(tables, buffer)
    return buffer.getvalue()


def build_chart(stats: QuestionStats) -> bytes:
    """Questions per category: asked and answered bars (the charts module's own style)."""
    if stats.asked == 0:
        return charts.no_data_chart(tq.REPORT_CHART_TITLE)
    rows = stats.by_category

    def draw(figure: charts.Figure) -> None:
        axes = figure.add_subplot()
        positions = charts._bar_rows(axes, [r.title for r in rows])
        axes.barh(
            positions,
            [r.asked for r in rows],
            height=0.65,
            color=charts.MUTED,
            label=tq.REPORT_ASKED,
        )
        axes.barh(
            positions,
            [r.answered for r in rows],
            height=0.45,
            color=charts.MAIN,
            label=tq.REPORT_ANSWERED,
        )
        axes.legend(loc="lower right")

    return charts._render(tq.REPORT_CHART_TITLE, charts._rows_height(len(rows), 0.5, 1.0), draw)


async def files(
    session: AsyncSession,
    *,
    territory_id: int | None,
    territory_code: str | None,
    now: datetime,
    tz: tzinfo,
    sla_days: int,
) -> list[tuple[str, bytes, str]]:
    """(name, content, caption) of the workbook and the chart."""
    stats = await collect(session, territory_id=territory_id, sla_days=sla_days, tz=tz)
    stem = f"questions_{now.astimezone(tz):%Y-%m-%d}" + (
        f"_{territory_code}" if territory_code else ""
    )
    xlsx = await asyncio.to_thread(build_xlsx, stats)
    png = await asyncio.to_thread(build_chart, stats)
    caption = tq.REPORT_CAPTION.format(
        asked=stats.asked, answered=stats.answered, median=_hours(stats.median_hours)
    )
    return [(f"{stem}.png", png, caption), (f"{stem}.xlsx", xlsx, "")]
