"""Seminars and trainings in the reports: trained activists per territory and quarter (people
who attended at least one training), events held, attendance rate and rating per quarter."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from openpyxl import Workbook
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from models import (
    Event,
    EventKind,
    EventRegistration,
    EventStatus,
    Organization,
    OrgLevel,
    Person,
    RegistrationStatus,
)
from services.spreadsheet import openpyxl_row
from texts import events as texts

# A training teaches: a meeting or a contest does not make a person "trained".
TRAINING_KINDS = (EventKind.SEMINAR, EventKind.WEBINAR, EventKind.LESSON)


def quarter_of(moment: datetime, tz: tzinfo) -> str:
    local = moment.astimezone(tz)
    return f"{local.year}-Q{(local.month - 1) // 3 + 1}"


@dataclass(frozen=True)
class QuarterLine:
    quarter: str
    held: int
    registered: int
    attended: int
    rating: float | None

    @property
    def attendance(self) -> float | None:
        return self.attended / self.registered if self.registered else None


@dataclass(frozen=True)
class EventsReport:
    quarters: list[QuarterLine]
    # (territory name, quarter) → people trained
    trained: dict[tuple[str, str], int]

    @property
    def quarter_names(self) -> list[str]:
        return sorted({q for _, q in self.trained} | {line.quarter for line in self.quarters})


async def collect(
    session: AsyncSession, *, territory_id: int | None, tz: tzinfo, now: datetime
) -> EventsReport:
    """Events that have ended (not cancelled), within a territory or the whole region."""
    query = select(Event).where(Event.status == EventStatus.ANNOUNCED, Event.ends_at <= now)
    if territory_id is not None:
        query = query.where(Event.territory_id == territory_id)
    held = list(await session.scalars(query))
    by_id = {event.id: event for event in held}
    territory = aliased(Organization)
    rows = (
        await session.execute(
            select(
                EventRegistration.event_id,
                EventRegistration.person_id,
                EventRegistration.status,
                EventRegistration.attended,
                EventRegistration.rating,
                Organization.level,
                Organization.name,
                territory.name,
            )
            .join(Person, Person.id == EventRegistration.person_id)
            .outerjoin(Organization, Organization.id == Person.org_id)
            .outerjoin(territory, territory.id == Organization.parent_id)
            .where(
                EventRegistration.event_id.in_(list(by_id)),
                or_(
                    EventRegistration.status == RegistrationStatus.REGISTERED,
                    EventRegistration.attended.is_(True),
                ),
            )
        )
    ).all()
    per_quarter: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for event in held:
        per_quarter[quarter_of(event.starts_at, tz)][0] += 1
    trained: dict[tuple[str, str], set[int]] = defaultdict(set)
    for event_id, person_id, _, attended, rating, level, org_name, parent_name in rows:
        event = by_id[event_id]
        quarter = quarter_of(event.starts_at, tz)
        line = per_quarter[quarter]
        line[1] += 1
        line[2] += int(attended)
        if rating is not None:
            line[3] += rating
            line[4] += 1
        if attended and event.kind in TRAINING_KINDS:
            if level is OrgLevel.TERRITORIAL:
                name = org_name
            elif level is OrgLevel.PRIMARY and parent_name:
                name = parent_name
            else:
                name = texts.REPORT_NO_TERRITORY
            trained[(name, quarter)].add(person_id)
            trained[(texts.REPORT_TOTAL, quarter)].add(person_id)
    quarters = [
        QuarterLine(q, v[0], v[1], v[2], v[3] / v[4] if v[4] else None)
        for q, v in sorted(per_quarter.items())
    ]
    return EventsReport(quarters, {key: len(people) for key, people in trained.items()})


def tables(report: EventsReport) -> list[tuple[str, list[str], list[list[object]]]]:
    """(title, header, rows) of the two tables, as the XLSX and the PDF show them."""
    names = report.quarter_names
    territories = sorted({t for t, _ in report.trained if t != texts.REPORT_TOTAL})
    trained_rows: list[list[object]] = [
        [name, *(report.trained.get((name, q), 0) for q in names)]
        for name in [*territories, texts.REPORT_TOTAL]
        if any(report.trained.get((name, q)) for q in names)
    ]
    quarter_rows: list[list[object]] = [
        [
            line.quarter,
            line.held,
            line.registered,
            line.attended,
            f"{line.attendance:.0%}" if line.attendance is not None else "—",
            f"{line.rating:.1f}" if line.rating is not None else "—",
        ]
        for line in report.quarters
    ]
    return [
        (texts.REPORT_TRAINED, [texts.REPORT_TERRITORY, *names], trained_rows),
        (texts.REPORT_EVENTS, list(texts.REPORT_EVENTS_HEADER), quarter_rows),
    ]


def workbook(report: EventsReport) -> bytes:
    book = Workbook(write_only=True)
    for title, header, rows in tables(report):
        sheet = book.create_sheet(title[:31])
        sheet.append(openpyxl_row(sheet, header))
        for row in rows:
            sheet.append(openpyxl_row(sheet, row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def caption(report: EventsReport) -> str:
    held = sum(line.held for line in report.quarters)
    trained = sum(v for (t, _), v in report.trained.items() if t == texts.REPORT_TOTAL)
    return texts.REPORT_CAPTION.format(held=held, trained=trained)


def text_lines(report: EventsReport) -> Sequence[str]:
    """The per-quarter figures as lines (the chat and the PDF's short form)."""
    return [
        texts.REPORT_LINE.format(
            quarter=line.quarter,
            held=line.held,
            attendance=f"{line.attendance:.0%}" if line.attendance is not None else "—",
            rating=f"{line.rating:.1f}" if line.rating is not None else "—",
        )
        for line in report.quarters
    ]
