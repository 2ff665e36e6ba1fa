"""Who answers for an item: names linked once to people, and group phrases meaning roles."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    AuditKind,
    Organization,
    OrgLevel,
    Person,
    PlanAssignee,
    PlanNameLink,
    Role,
    RoleKind,
)
from services import audit
from services.audit import Actor

# «Жилина Е.А. председатели ТПО» on one line: a break after the initials.
_AFTER_INITIALS = re.compile(r"(?<=[А-ЯЁA-Z]\.[А-ЯЁA-Z]\.)\s+")
_SPACED_INITIALS = re.compile(r"([А-ЯЁA-Z])\.\s+([А-ЯЁA-Z])\.")
SEARCH_LIMIT = 10


class Group(enum.StrEnum):
    TPO = "tpo"  # председатели ТПО: the territorial admins
    PPO = "ppo"  # председатели ППО: the officers of primary organisations


GROUPS: dict[str, frozenset[Group]] = {
    "председатели тпо": frozenset({Group.TPO}),
    "председатели ппо": frozenset({Group.PPO}),
    "председатели тпо и ппо": frozenset({Group.TPO, Group.PPO}),
}


def split_names(cell: str) -> tuple[str, ...]:
    """The names of an «Ответственные» cell, each as written (tidied), in order."""
    names: list[str] = []
    for part in re.split(r"[,;\n]+", cell):
        for piece in _AFTER_INITIALS.split(_SPACED_INITIALS.sub(r"\1.\2.", part)):
            name = " ".join(piece.split())
            name = re.sub(r"\.{2,}", ".", name).strip(" ,;")
            if name and name_key(name) not in {name_key(n) for n in names}:
                names.append(name[0].upper() + name[1:])
    return tuple(names)


def name_key(name: str) -> str:
    """The search and link key: casefolded (Cyrillic too, on every backend), ё as е."""
    return " ".join(name.casefold().replace("ё", "е").split()).rstrip(".")


def group_of(key: str) -> frozenset[Group]:
    return GROUPS.get(key, frozenset())


async def group_people(session: AsyncSession, groups: Iterable[Group]) -> set[int]:
    """Person ids a set of group phrases reaches."""
    wanted = set(groups)
    found: set[int] = set()
    if Group.TPO in wanted:
        found |= set(
            await session.scalars(
                select(Role.person_id).where(Role.kind == RoleKind.TERRITORIAL_ADMIN)
            )
        )
    if Group.PPO in wanted:
        found |= set(
            await session.scalars(
                select(Role.person_id)
                .join(Organization, Organization.id == Role.org_id)
                .where(Role.kind == RoleKind.OFFICER, Organization.level == OrgLevel.PRIMARY)
            )
        )
    return found


async def responsible_people(session: AsyncSession, item_id: int) -> set[int]:
    """Everyone an item reaches: linked names and the roles its group phrases mean."""
    keys = list(
        await session.scalars(select(PlanAssignee.name_key).where(PlanAssignee.item_id == item_id))
    )
    linked = set(
        await session.scalars(
            select(PlanNameLink.person_id).where(PlanNameLink.name_key.in_(keys))
        )
    )
    groups = {group for key in keys for group in group_of(key)}
    return linked | await group_people(session, groups)


async def unlinked_names(session: AsyncSession, plan_id: int) -> list[str]:
    """Names of the plan no person is linked to (group phrases are never unlinked)."""
    from models import PlanItem

    rows = await session.execute(
        select(PlanAssignee.name_key, PlanAssignee.name)
        .join(PlanItem, PlanItem.id == PlanAssignee.item_id)
        .outerjoin(PlanNameLink, PlanNameLink.name_key == PlanAssignee.name_key)
        .where(PlanItem.plan_id == plan_id, PlanNameLink.id.is_(None))
        .order_by(PlanAssignee.name)
    )
    names: dict[str, str] = {}
    for key, name in rows:
        if not group_of(key):
            names.setdefault(key, name)
    return sorted(names.values())


def person_name(person: Person) -> str:
    return " ".join(part for part in (person.last_name, person.first_name) if part) or "—"


async def search_people(session: AsyncSession, query: str) -> list[Person]:
    """Registered people whose name contains every word of `query` (Cyrillic-safe: compared
    casefolded in Python, the same on SQLite and PostgreSQL)."""
    words = name_key(query).split()
    if not words:
        return []
    # A coarse prefilter in SQL (the first word as typed, lower-case and capitalised: names are
    # written «Жилина»), exact casefolded matching in Python below.
    typed = query.split()[0].casefold()
    variants = {v for w in (typed, words[0]) for v in (w, w.capitalize(), w.upper())}
    columns = (Person.last_name, Person.first_name, Person.username)
    prefilter = or_(*(column.contains(v) for column in columns for v in variants))
    found: list[Person] = []
    for person in await session.scalars(select(Person).where(prefilter).order_by(Person.id)):
        haystack = name_key(
            f"{person.last_name or ''} {person.first_name} {person.username or ''}"
        )
        if all(word in haystack for word in words):
            found.append(person)
            if len(found) >= SEARCH_LIMIT:
                break
    return found


async def link_name(
    session: AsyncSession, key: str, person_id: int, actor: Actor | None
) -> PlanNameLink:
    """Link a name (by key) to a person; a later link replaces an earlier one."""
    link = await session.scalar(select(PlanNameLink).where(PlanNameLink.name_key == key))
    if link is None:
        link = PlanNameLink(name_key=key, person_id=person_id)
        session.add(link)
    else:
        link.person_id = person_id
    audit.record(session, actor, AuditKind.PLAN_NAME_LINKED, name=key, person_id=person_id)
    await session.commit()
    return link


async def linked_people(session: AsyncSession) -> list[Person]:
    """People some name of a plan is linked to, by name."""
    found = list(
        await session.scalars(
            select(Person).where(Person.id.in_(select(PlanNameLink.person_id))).distinct()
        )
    )
    return sorted(found, key=person_name)
