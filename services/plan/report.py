"""«Отчёт о выполнении плана»: one XLSX row per (item, due period) with the reports of
execution, and the rows the presidium PDF's section is drawn from."""

from __future__ import annotations

import asyncio
import io
import sys
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

import openpyxl
from sqlalchemy.ext.asyncio import AsyncSession

from models import Person, PlanReport, PlanState, utcnow
from services import spreadsheet
from services.plan import items
from services.plan.due import period_label
from services.plan.people import person_name
from texts import plan as texts

if TYPE_CHECKING:
    from services.reports.presidium import Block

HEADER = ("№", "Мероприятие", "Ответственные", "Срок", "Состояние", "Выполнено", "Отчёт", "Ссылки")


@dataclass(frozen=True)
class PlanLine:
    number: int
    text: str
    responsible: str
    due: str
    state: str
    done_on: str
    report: str
    links: str


async def plan_lines(session: AsyncSession, year: int, tz: tzinfo) -> list[PlanLine]:
    """One line per due period of each item of the year's plan, its reports joined."""
    plan = await items.plan_of(session, year)
    if plan is None:
        return []
    lines: list[PlanLine] = []
    for view in await items.item_views(session, plan.id):
        reports = await items.reports_of(session, view.item.id)
        for period in view.periods:
            own = [r for p, r in reports if p.id == period.id]
            texts_of = [await _report_text(session, r) for r in own]
            lines.append(
                PlanLine(
                    number=view.item.number,
                    text=view.item.text,
                    responsible=", ".join(view.names),
                    due=period_label(period.key),
                    state=texts.STATE_NAMES[view.item.state],
                    done_on=period.done_at.astimezone(tz).strftime("%d.%m.%Y")
                    if period.done_at
                    else "",
                    report="\n".join(texts_of),
                    links="\n".join(r.link for r in own if r.link),
                )
            )
    return lines


async def _report_text(session: AsyncSession, report: PlanReport) -> str:
    who = await session.get(Person, report.person_id) if report.person_id else None
    name = person_name(who) if who else "—"
    return f"{name}: {report.text}" if report.text else name


async def default_year(session: AsyncSession, tz: tzinfo) -> int | None:
    """This year's plan if there is one, else the latest."""
    known = await items.years(session)
    this_year = utcnow().astimezone(tz).year
    return this_year if this_year in known else (known[-1] if known else None)


async def plan_xlsx(session: AsyncSession, year: int, tz: tzinfo) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(f"План {year}")
    sheet.append(spreadsheet.openpyxl_row(sheet, HEADER))
    for line in await plan_lines(session, year, tz):
        sheet.append(
            spreadsheet.openpyxl_row(
                sheet,
                (
                    line.number,
                    line.text,
                    line.responsible,
                    line.due,
                    line.state,
                    line.done_on,
                    line.report,
                    line.links,
                ),
            )
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def file_name(year: int) -> str:
    return f"plan_{year}_report.xlsx"


async def write_report(session: AsyncSession, out: Path, *, year: int | None, tz: tzinfo) -> bool:
    """`python -m bot report plan`: the XLSX into `out`; False with a line on stderr."""
    chosen = year if year is not None else await default_year(session, tz)
    if chosen is None or await items.plan_of(session, chosen) is None:
        print(texts.CLI_NO_PLAN.format(year=chosen or "—"), file=sys.stderr)
        return False
    content = await plan_xlsx(session, chosen, tz)
    path = out / file_name(chosen)
    try:
        await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)
        await asyncio.to_thread(path.write_bytes, content)
    except OSError as error:
        print(f"Не удалось записать {path}: {error.strerror}", file=sys.stderr)
        return False
    print(path)
    return True


async def presidium_section(session: AsyncSession, year: int, tz: tzinfo) -> list[Block]:
    """The presidium PDF's section on the year's plan (nothing when there is no plan)."""
    from services.reports import presidium

    if await items.plan_of(session, year) is None:
        return []
    lines = await plan_lines(session, year, tz)
    rows = [
        (str(line.number), line.text, line.responsible, line.due, line.state, line.done_on)
        for line in lines
    ]
    done = sum(1 for line in lines if line.done_on)
    overdue = len(
        {line.number for line in lines if line.state == texts.STATE_NAMES[PlanState.OVERDUE]}
    )
    return presidium.plan_of_events(year, rows, done, overdue)
