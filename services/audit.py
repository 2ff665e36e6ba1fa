"""The audit trail of admin actions: recording, the /audit pages, the CSV, anonymising.

`record` adds the row to the caller's transaction, so an action and its audit row commit
together (or neither does). Services that carry an action out take an optional `actor` and
record only when the action applied; `None` is the system itself (the sweep, the worker),
which is not recorded. Details are ids, codes, quarters, counts and file names: never a
message's text and never anyone else's personal data.
"""

from __future__ import annotations

import csv
import getpass
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import AuditEntry, AuditKind, AuditVia, Person, utcnow
from texts import ru

if TYPE_CHECKING:
    from services.people import TelegramProfile

PAGE_SIZE = 10
TIME_FORMAT = "%d.%m.%Y %H:%M"
CSV_HEADER = ("at", "actor", "kind", "details", "via")
MAX_DETAIL_LENGTH = 120
# What stays of an actor who used /forget.
FORGOTTEN = ru.AUDIT_FORGOTTEN

Detail = int | str | bool | None


@dataclass(frozen=True)
class Actor:
    """Who acts: the person (None before consent, or for the command line), their name as it
    is now, and the way in."""

    person_id: int | None
    name: str | None
    via: AuditVia = AuditVia.CHAT


def _name(first_name: str | None, last_name: str | None, username: str | None) -> str | None:
    name = " ".join(part for part in (first_name, last_name) if part)
    if username:
        name = f"{name} (@{username})" if name else f"@{username}"
    return name[:200] or None


def chat_actor(person: Person | None, profile: TelegramProfile) -> Actor:
    """The person behind a chat update; an admin listed in ADMIN_IDS may have no record yet."""
    name = _name(profile.first_name, profile.last_name, profile.username)
    return Actor(person.id if person else None, name, AuditVia.CHAT)


def person_actor(person: Person) -> Actor:
    """A registered person acting in the chat, named as their record says."""
    return Actor(person.id, _name(person.first_name, person.last_name, person.username))


def cli_actor() -> Actor:
    """The command line: the operating system's login stands for the name."""
    try:
        login: str | None = getpass.getuser()
    except (KeyError, OSError):  # no login name in a bare container
        login = None
    return Actor(None, login, AuditVia.CLI)


def _clean(details: dict[str, Detail]) -> dict[str, Detail]:
    cleaned: dict[str, Detail] = {}
    for key, value in details.items():
        if isinstance(value, str):
            value = value[:MAX_DETAIL_LENGTH]
        elif value is not None and not isinstance(value, int | bool):
            raise TypeError(f"audit detail {key!r} must be a short scalar, not {type(value)}")
        cleaned[key] = value
    return cleaned


def record(
    session: AsyncSession, actor: Actor | None, kind: AuditKind, **details: Detail
) -> AuditEntry | None:
    """Add the row to the session (the caller commits it with the action); nothing for the
    system's own actions (`actor` None)."""
    if actor is None:
        return None
    entry = AuditEntry(
        at=utcnow(),
        actor_id=actor.person_id,
        actor_name=actor.name,
        kind=kind,
        details=_clean(details),
        via=actor.via,
    )
    session.add(entry)
    return entry


async def log(
    session: AsyncSession, actor: Actor | None, kind: AuditKind, **details: Detail
) -> None:
    """Record and commit: for actions that write nothing else (an export)."""
    if record(session, actor, kind, **details) is not None:
        await session.commit()


async def anonymise(session: AsyncSession, person_id: int) -> int:
    """The person's rows stay, without them: in the caller's transaction (the /forget)."""
    result = await session.execute(
        update(AuditEntry)
        .where(AuditEntry.actor_id == person_id)
        .values(actor_id=None, actor_name=FORGOTTEN)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    person_id: int | None = None
    kind: AuditKind | None = None
    since: datetime | None = None


@dataclass(frozen=True)
class Page:
    entries: list[AuditEntry]
    number: int  # from 0
    pages: int
    total: int


def _filtered(query: Select[Any], filters: Filters) -> Select[Any]:
    if filters.person_id is not None:
        query = query.where(AuditEntry.actor_id == filters.person_id)
    if filters.kind is not None:
        query = query.where(AuditEntry.kind == filters.kind)
    if filters.since is not None:
        query = query.where(AuditEntry.at >= filters.since)
    return query


async def page(
    session: AsyncSession, filters: Filters, number: int = 0, size: int = PAGE_SIZE
) -> Page:
    """One page, latest first; a page past the end shows the last one."""
    total = int(await session.scalar(_filtered(select(func.count(AuditEntry.id)), filters)) or 0)
    pages = max(1, math.ceil(total / size))
    number = min(max(number, 0), pages - 1)
    rows = await session.scalars(
        _filtered(select(AuditEntry), filters)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .offset(number * size)
        .limit(size)
    )
    return Page(list(rows), number, pages, total)


async def entries_since(session: AsyncSession, since: datetime) -> list[AuditEntry]:
    """Every row from `since` on, oldest first (the CSV)."""
    rows = await session.scalars(
        _filtered(select(AuditEntry), Filters(since=since)).order_by(AuditEntry.at, AuditEntry.id)
    )
    return list(rows)


async def actors(session: AsyncSession) -> list[tuple[int, str]]:
    """The people who appear in the log, with the name of their latest row, by name."""
    latest = (
        select(AuditEntry.actor_id, func.max(AuditEntry.id).label("last_id"))
        .where(AuditEntry.actor_id.is_not(None))
        .group_by(AuditEntry.actor_id)
        .subquery()
    )
    rows = await session.execute(
        select(AuditEntry.actor_id, AuditEntry.actor_name).join(
            latest, AuditEntry.id == latest.c.last_id
        )
    )
    found = [(person_id, name or "") for person_id, name in rows if person_id is not None]
    return sorted(found, key=lambda pair: (pair[1].casefold(), pair[0]))


async def kinds(session: AsyncSession) -> list[AuditKind]:
    """The kinds the log holds, in AuditKind's order (the filter's buttons)."""
    present = set(await session.scalars(select(AuditEntry.kind).distinct()))
    return [kind for kind in AuditKind if kind in present]


# --- showing ---------------------------------------------------------------------------------


def actor_label(entry: AuditEntry) -> str:
    if entry.via is AuditVia.CLI:
        return (
            ru.AUDIT_CLI.format(login=entry.actor_name) if entry.actor_name else ru.AUDIT_CLI_ANON
        )
    return entry.actor_name or FORGOTTEN


def describe(entry: AuditEntry, tz: tzinfo) -> str:
    """What was done, in Russian, from the kind's template and the details (plain text)."""
    details: dict[str, Any] = dict(entry.details or {})
    for key in ("when", "since"):
        if isinstance(details.get(key), str):
            details[key] = _local(details[key], tz)
    if "territory" in details and not details["territory"]:
        details["territory"] = ru.AUDIT_WHOLE_REGION
    if details.get("quarter") and details.get("year"):
        details["period"] = ru.AUDIT_PERIOD.format(
            quarter=details["quarter"], year=details["year"]
        )
    else:
        details["period"] = ru.AUDIT_NO_PERIOD
    if "report" in details:
        details["report"] = ru.AUDIT_REPORTS.get(str(details["report"]), details["report"])
    template = ru.AUDIT_LINES.get(entry.kind.value, entry.kind.value)
    return template.format_map(_Missing(details))


def _local(moment: str, tz: tzinfo) -> str:
    try:
        return datetime.fromisoformat(moment).astimezone(tz).strftime(TIME_FORMAT)
    except ValueError:
        return moment


class _Missing(dict[str, Any]):
    """format_map's mapping: a detail an older row lacks shows as «?»."""

    def __missing__(self, key: str) -> str:
        return "?"


async def export_since(
    session: AsyncSession, since: datetime, tz: tzinfo, actor: Actor | None
) -> tuple[str, int]:
    """The CSV of the rows from `since` on and their count; the export itself is audited
    (after the rows are read, so it is in the next export, not this one)."""
    entries = await entries_since(session, since)
    table = csv_text(entries, tz)
    await log(session, actor, AuditKind.AUDIT_EXPORTED, since=since.isoformat(), rows=len(entries))
    return table, len(entries)


def csv_text(entries: Sequence[AuditEntry], tz: tzinfo) -> str:
    """A header row, then one row per entry: times in `tz` (ISO 8601 with the offset), the
    details as JSON. Semicolons, as the reports' CSV, for Russian Excel."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for entry in entries:
        writer.writerow(
            (
                entry.at.astimezone(tz).isoformat(timespec="seconds"),
                actor_label(entry),
                entry.kind.value,
                json.dumps(entry.details or {}, ensure_ascii=False, sort_keys=True),
                entry.via.value,
            )
        )
    return buffer.getvalue()
