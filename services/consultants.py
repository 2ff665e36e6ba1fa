"""The consultant role: granted by a regional admin for the region or one territory."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import AuditKind, Organization, OrgLevel, Person, Role, RoleKind
from services import audit, orgs
from services.unique import first_writer_wins


async def find_person(session: AsyncSession, who: str) -> Person | None:
    """A registered person by @username or Telegram id."""
    who = who.strip()
    if who.lstrip("-").isdigit():
        return await session.scalar(select(Person).where(Person.telegram_id == int(who)))
    return await session.scalar(
        select(Person).where(Person.username == who.removeprefix("@")).limit(1)
    )


async def territory(session: AsyncSession, code: str) -> Organization | None:
    org = await orgs.get_by_code(session, code)
    return org if org is not None and org.level is OrgLevel.TERRITORIAL else None


async def grant(
    session: AsyncSession, person: Person, org: Organization | None, actor: audit.Actor | None
) -> Role:
    org_id = org.id if org else None
    existing = select(Role).where(
        Role.person_id == person.id,
        Role.kind == RoleKind.CONSULTANT,
        Role.org_id.is_(None) if org_id is None else Role.org_id == org_id,
    )
    found = await session.scalar(existing)
    if found is not None:
        return found

    async def write() -> Role:
        role = Role(person_id=person.id, kind=RoleKind.CONSULTANT, org_id=org_id)
        session.add(role)
        audit.record(
            session,
            actor,
            AuditKind.ROLE_GRANTED,
            role="consultant",
            person=person.id,
            org=org.code if org else "",
        )
        await session.commit()
        return role

    return await first_writer_wins(session, write, existing)


async def revoke(session: AsyncSession, person: Person, actor: audit.Actor | None) -> None:
    await session.execute(
        delete(Role).where(Role.person_id == person.id, Role.kind == RoleKind.CONSULTANT)
    )
    await session.commit()
