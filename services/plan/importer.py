"""A plan file (CSV or XLSX in the document's own columns №, Мероприятия, Ответственные,
Сроки) into the database: all or nothing, every bad line named, re-import changes nothing."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import AuditKind, Plan, PlanAssignee, PlanItem, PlanPeriod
from services import audit, orgs
from services.audit import Actor
from services.orgs import DirectoryError, Problem
from services.plan import due as due_periods
from services.plan.people import split_names

COLUMNS: Final = {
    "№": "number",
    "мероприятия": "text",
    "ответственные": "responsible",
    "сроки": "due",
}
SUPPORTED_SUFFIXES: Final = orgs.SUPPORTED_SUFFIXES
_YEAR_IN_NAME: Final = re.compile(r"(20\d\d)")


class PlanFileError(DirectoryError):
    """A plan file was rejected; `problems` lists every reason, in line order."""


@dataclass(frozen=True)
class PlanRow:
    line: int
    number: int
    text: str
    responsible: str
    due_text: str
    due: due_periods.Due
    names: tuple[str, ...]


@dataclass(frozen=True)
class PlanImportResult:
    year: int
    created: int
    updated: int
    unchanged: int


def _fail(message: str, line: int | None = None) -> PlanFileError:
    return PlanFileError([Problem(line, message)])


def _columns(header: Sequence[str], line: int) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, title in enumerate(header):
        key = COLUMNS.get(" ".join(title.split()).casefold().rstrip("."))
        if key:
            positions.setdefault(key, index)
    missing = [title for title, key in COLUMNS.items() if key not in positions]
    if missing:
        names = ", ".join(f"«{title.capitalize()}»" for title in missing)
        raise _fail(
            f"в заголовке не хватает столбцов: {names} (нужны №, Мероприятия, "
            "Ответственные, Сроки)",
            line,
        )
    return positions


def infer_year(filename: str, due_cells: Sequence[str]) -> int | None:
    """The plan's year: from the file name (plan_2022.xlsx), else the earliest year written
    in the «Сроки» column."""
    named = _YEAR_IN_NAME.search(filename)
    if named:
        return int(named.group(1))
    years = [int(y) for cell in due_cells for y in re.findall(r"\b(20\d\d)\b", cell)]
    return min(years) if years else None


def parse_plan(
    filename: str, content: bytes, year: int | None = None
) -> tuple[int, list[PlanRow]]:
    """The plan's year and its rows; PlanFileError lists every bad line."""
    try:
        records = orgs._read_records(filename, content)
    except DirectoryError as error:
        raise PlanFileError(error.problems) from error
    numbered = [(i, r) for i, r in enumerate(records, start=1) if any(c.strip() for c in r)]
    if not numbered:
        raise _fail("Файл пуст")
    (header_line, header), *data = numbered
    columns = _columns(header, header_line)
    if not data:
        raise _fail("В файле нет ни одного мероприятия: есть только заголовок")

    def cell(record: list[str], key: str) -> str:
        index = columns[key]
        return record[index].strip() if index < len(record) else ""

    if year is None:
        year = infer_year(filename, [cell(r, "due") for _, r in data])
    if year is None:
        raise _fail("Не удалось понять год плана: укажите его в имени файла (plan_2022.xlsx)")
    rows: list[PlanRow] = []
    problems: list[Problem] = []
    seen: dict[int, int] = {}
    for line, record in data:
        messages: list[str] = []
        raw_number = cell(record, "number").rstrip(". ")
        number = int(raw_number) if raw_number.isdigit() else None
        if number is None:
            messages.append(f"номер «{cell(record, 'number')}» — не число")
        elif number in seen:
            messages.append(f"номер {number} уже встречался в строке {seen[number]}")
        else:
            seen[number] = line
        text = " ".join(cell(record, "text").split())
        if not text:
            messages.append("не указано мероприятие")
        responsible = cell(record, "responsible")
        names = split_names(responsible)
        if not names:
            messages.append("не указаны ответственные")
        due_text = " ".join(cell(record, "due").split())
        parsed_due: due_periods.Due | None = None
        try:
            parsed_due = due_periods.parse_due(due_text, year)
        except due_periods.DueError as error:
            messages.append(str(error))
        if messages or number is None or parsed_due is None:
            problems.extend(Problem(line, message) for message in messages)
            continue
        rows.append(PlanRow(line, number, text, responsible.strip(), due_text, parsed_due, names))
    if problems:
        raise PlanFileError(problems)
    return year, rows


async def import_plan(
    session: AsyncSession,
    filename: str,
    content: bytes,
    actor: Actor | None = None,
    year: int | None = None,
) -> PlanImportResult:
    """Create or update the plan of the file's year; items are matched by their number."""
    year, rows = parse_plan(filename, content, year)
    plan = await session.scalar(select(Plan).where(Plan.year == year))
    if plan is None:
        plan = Plan(year=year)
        session.add(plan)
        await session.flush()
    items = {
        item.number: item
        for item in await session.scalars(select(PlanItem).where(PlanItem.plan_id == plan.id))
    }
    created = updated = unchanged = 0
    for row in rows:
        item = items.get(row.number)
        if item is None:
            item = PlanItem(
                plan_id=plan.id,
                number=row.number,
                text=row.text,
                responsible=row.responsible,
                due_text=row.due_text,
            )
            session.add(item)
            await session.flush()
            created += 1
            changed = True
        else:
            changed = (item.text, item.responsible, item.due_text) != (
                row.text,
                row.responsible,
                row.due_text,
            )
            item.text, item.responsible, item.due_text = row.text, row.responsible, row.due_text
        changed = await _sync_children(session, item, row) or changed
        if item.number in items:
            if changed:
                updated += 1
            else:
                unchanged += 1
    if created or updated:
        audit.record(
            session,
            actor,
            AuditKind.PLAN_IMPORTED,
            year=year,
            file=filename,
            created=created,
            updated=updated,
        )
    await session.commit()
    return PlanImportResult(year, created, updated, unchanged)


async def _sync_children(session: AsyncSession, item: PlanItem, row: PlanRow) -> bool:
    """Periods and names of the item as the row has them; True when anything changed."""
    from services.plan.people import name_key

    changed = False
    periods = {
        p.key: p
        for p in await session.scalars(select(PlanPeriod).where(PlanPeriod.item_id == item.id))
    }
    wanted = set(row.due.keys)
    gone = [p.id for key, p in periods.items() if key not in wanted]
    if gone:
        await session.execute(delete(PlanPeriod).where(PlanPeriod.id.in_(gone)))
        changed = True
    for key in row.due.keys:
        if key not in periods:
            session.add(PlanPeriod(item_id=item.id, key=key, due_on=due_periods.due_date(key)))
            changed = True
    assignees = {
        a.name_key: a
        for a in await session.scalars(select(PlanAssignee).where(PlanAssignee.item_id == item.id))
    }
    keys = {name_key(name): name for name in row.names}
    gone = [a.id for key, a in assignees.items() if key not in keys]
    if gone:
        await session.execute(delete(PlanAssignee).where(PlanAssignee.id.in_(gone)))
        changed = True
    for key, name in keys.items():
        if key not in assignees:
            session.add(PlanAssignee(item_id=item.id, name=name, name_key=key))
            changed = True
    await session.flush()
    return changed
