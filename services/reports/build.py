"""Every report as files, for the admin's chat and for `python -m bot report`: one place that
knows which data each report needs and what its files are called.

The CPU-heavy parts (the workbook, the charts, the PDF) run in a worker thread, so the bot
keeps answering other people while a report is built.
"""

from __future__ import annotations

import asyncio
import enum
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import AuditKind, Campaign, Organization, OrgLevel
from services import audit, materials
from services.monitoring import campaigns
from services.reports import charts, export, presidium, subscribers, visuals
from services.reports import events as events_report
from services.reports import questions as questions_report
from services.reports.data import campaigns_for_report, load_report
from texts import presidium as texts


class ReportKind(enum.StrEnum):
    XLSX = "xlsx"  # the quarter's workbook
    XLSX_ALL = "xlsx-all"  # the workbook over every quarter
    CSV = "csv"  # the quarter's wide answers sheet
    CHARTS = "charts"  # the quarter's charts, the trend up to it
    PRESIDIUM = "presidium"  # the PDF for the presidium
    SUBSCRIBERS = "subscribers"  # members per topic, territory and week, with a chart
    QUESTIONS = "questions"  # members' questions: categories, territories, answer times
    EVENTS = "events"  # seminars and trainings: trained activists, held events, attendance


@dataclass(frozen=True)
class ReportFile:
    name: str
    content: bytes
    caption: str = ""

    @property
    def is_picture(self) -> bool:
        return self.name.endswith(".png")


@dataclass(frozen=True)
class Scope:
    """What a report covers: a campaign (None: the latest) and a territory (None: region)."""

    campaign_id: int | None = None
    territory_id: int | None = None
    territory_code: str | None = None


class NoCampaign(Exception):
    """No monitoring campaign has been opened yet (or not the one asked for)."""


async def make(
    session: AsyncSession,
    kind: ReportKind,
    scope: Scope,
    *,
    now: datetime,
    tz: tzinfo,
    actor: audit.Actor | None = None,
    question_sla_days: int = 3,
) -> list[ReportFile]:
    """The report's files, the export audited as the actor's. NoCampaign when it needs a
    campaign and there is none."""
    without_campaign = (ReportKind.SUBSCRIBERS, ReportKind.QUESTIONS, ReportKind.EVENTS)
    chosen = None if kind in without_campaign else await _chosen(session, scope)
    if kind is ReportKind.QUESTIONS:
        files = [
            ReportFile(name, content, caption)
            for name, content, caption in await questions_report.files(
                session,
                territory_id=scope.territory_id,
                territory_code=scope.territory_code,
                now=now,
                tz=tz,
                sla_days=question_sla_days,
            )
        ]
    else:
        files = await _files(session, kind, scope, chosen, now, tz, question_sla_days)
    await audit.log(
        session,
        actor,
        AuditKind.REPORT_EXPORTED,
        report=kind.value,
        year=chosen.year if chosen else None,
        quarter=chosen.quarter if chosen else None,
        territory=scope.territory_code,
    )
    return files


async def _files(
    session: AsyncSession,
    kind: ReportKind,
    scope: Scope,
    chosen: Campaign | None,
    now: datetime,
    tz: tzinfo,
    question_sla_days: int = 3,
) -> list[ReportFile]:
    if kind is ReportKind.EVENTS:
        return await _events(session, scope, now, tz)
    if chosen is None:
        return await _subscribers(session, scope, now, tz)
    if kind is ReportKind.XLSX_ALL:
        ids = await campaigns_for_report(session, all_quarters=True)
    elif kind in (ReportKind.CHARTS, ReportKind.PRESIDIUM):
        ids = await _history_up_to(session, chosen)  # the trend needs the earlier quarters
    else:
        ids = [chosen.id]
    dataset = await load_report(session, ids, scope.territory_id)
    stem = _stem(kind, chosen, scope)
    if kind in (ReportKind.XLSX, ReportKind.XLSX_ALL):
        return [ReportFile(f"{stem}.xlsx", await asyncio.to_thread(export.build_xlsx, dataset))]
    if kind is ReportKind.CSV:
        return [ReportFile(f"{stem}.csv", await asyncio.to_thread(export.build_csv, dataset))]
    pictures = await asyncio.to_thread(visuals.chart_set, dataset)
    if kind is ReportKind.CHARTS:
        return [
            ReportFile(f"{stem}_{number}.png", picture.png, picture.caption)
            for number, picture in enumerate(pictures, 1)
        ]
    asked = await questions_report.collect(
        session, territory_id=scope.territory_id, sla_days=question_sla_days, tz=tz
    )
    from services.plan import report as plan_report  # the plan of events' section

    trained = await events_report.collect(session, territory_id=scope.territory_id, tz=tz, now=now)
    extra = [
        *await plan_report.presidium_section(session, chosen.year, tz),
        *presidium.events_section(trained),
    ]
    pdf = await asyncio.to_thread(
        presidium.build_pdf, dataset, pictures, now.astimezone(tz), asked, extra
    )
    return [ReportFile(f"{stem}.pdf", pdf)]


async def campaign_choices(session: AsyncSession) -> list[Campaign]:
    """Every campaign, newest first: the quarters a report can be made for."""
    rows = await session.scalars(select(Campaign).order_by(Campaign.period.desc()))
    return list(rows)


def territory_scope(org: Organization | None) -> Scope | None:
    """The scope of a territorial organisation (or of the regional one's own primaries);
    None for a primary organisation or none at all: no group is headed by it."""
    if org is None or org.level is OrgLevel.PRIMARY:
        return None
    return Scope(territory_id=org.id, territory_code=org.code)


async def _chosen(session: AsyncSession, scope: Scope) -> Campaign:
    campaign = (
        await campaigns.current(session)
        if scope.campaign_id is None
        else await session.get(Campaign, scope.campaign_id)
    )
    if campaign is None:
        raise NoCampaign
    return campaign


async def _history_up_to(session: AsyncSession, chosen: Campaign) -> list[int]:
    rows = await session.scalars(
        select(Campaign.id).where(Campaign.period <= chosen.period).order_by(Campaign.period)
    )
    return list(rows)


def _stem(kind: ReportKind, campaign: Campaign, scope: Scope) -> str:
    """monitoring_2026-4, monitoring_all, presidium_2026-4, …, with the territory's code."""
    base = {
        ReportKind.PRESIDIUM: "presidium",
        ReportKind.CHARTS: "chart",
    }.get(kind, "monitoring")
    period = "all" if kind is ReportKind.XLSX_ALL else f"{campaign.year}-{campaign.quarter}"
    territory = f"_{scope.territory_code}" if scope.territory_code else ""
    return f"{base}_{period}{territory}"


async def _subscribers(
    session: AsyncSession, scope: Scope, now: datetime, tz: tzinfo
) -> list[ReportFile]:
    stats = await subscribers.collect(session, territory_id=scope.territory_id, tz=tz, now=now)
    tables = subscribers.subscribers_tables(stats)
    tables += await materials.report_tables(session, scope.territory_id)  # the library
    png = await asyncio.to_thread(charts.subscribers_chart, stats, texts.SUBSCRIBERS_TITLE)
    territory = f"_{scope.territory_code}" if scope.territory_code else ""
    today = now.astimezone(tz).date()
    caption = texts.SUBSCRIBERS_CAPTION.format(
        members=stats.members, active=stats.active, blocked=stats.blocked
    )
    caption += await materials.report_caption(session, scope.territory_id)
    return [
        ReportFile(f"subscribers_{today:%Y-%m-%d}{territory}.png", png, caption),
        ReportFile(
            f"subscribers_{today:%Y-%m-%d}{territory}.xlsx",
            await asyncio.to_thread(_workbook, tables),
        ),
    ]


def _workbook(tables: Sequence[subscribers.Table]) -> bytes:
    """The statistics tables as sheets of one workbook, like the monitoring export."""
    sheets = [
        export.Table(
            table.title,
            [
                export.Column(header, max(12.0, len(header) + 2.0) if i else 40.0)
                for i, header in enumerate(table.header)
            ],
            table.rows,
            freeze_columns=1,
        )
        for table in tables
    ]
    buffer = io.BytesIO()
    export.write_workbook(sheets, buffer)
    return buffer.getvalue()


async def _events(
    session: AsyncSession, scope: Scope, now: datetime, tz: tzinfo
) -> list[ReportFile]:
    """Seminars and trainings: one workbook, its summary as the caption."""
    report = await events_report.collect(session, territory_id=scope.territory_id, tz=tz, now=now)
    territory = f"_{scope.territory_code}" if scope.territory_code else ""
    today = now.astimezone(tz).date()
    content = await asyncio.to_thread(events_report.workbook, report)
    return [
        ReportFile(
            f"events_{today:%Y-%m-%d}{territory}.xlsx", content, events_report.caption(report)
        )
    ]
