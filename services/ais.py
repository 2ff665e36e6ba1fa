"""The AIS officer role (keeps the organisation's register in the AIS; a seminars audience of
its own): an admin grants and withdraws it, a territorial admin within the territory."""

from __future__ import annotations

import enum

from sqlalchemy import Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import AuditKind, Organization, Person, Role, RoleKind
from services import audit, orgs
from services.people import Roles
from services.unique import first_writer_wins


def _role(person_id: int) -> Select[Role]:
    return select(Role).where(Role.person_id == person_id, Role.kind == RoleKind.AIS_OFFICER)


async def is_ais(session: AsyncSession, person_id: int) -> bool:
    return await session.scalar(_role(person_id).limit(1)) is not None


async def org_of(session: AsyncSession, person: Person) -> Organization | None:
    return await orgs.get_by_id(session, person.org_id) if person.org_id is not None else None


def in_scope(org: Organization | None, roles: Roles) -> bool:
    """A regional admin: anyone registered; a territorial admin: people of their territory."""
    if roles.regional_admin:
        return True
    return org is not None and (org.id in roles.territories or org.parent_id in roles.territories)


class Change(enum.StrEnum):
    DONE = "done"
    UNCHANGED = "unchanged"  # granted already / nothing to withdraw
    OUTSIDE = "outside"  # the person is not (or no longer) in this admin's territory


async def grant(
    session: AsyncSession, person: Person, roles: Roles, actor: audit.Actor | None
) -> Change:
    """The role over the person's organisation (so a territory's AIS seminars reach them);
    audited; committed."""
    org = await org_of(session, person)
    if not in_scope(org, roles):
        return Change.OUTSIDE
    existing = _role(person.id)
    if await session.scalar(existing) is not None:
        return Change.UNCHANGED

    async def write() -> Role:
        role = Role(person_id=person.id, kind=RoleKind.AIS_OFFICER, org_id=person.org_id)
        session.add(role)
        audit.record(
            session, actor, AuditKind.AIS_GRANTED, person=person.id, org=org.code if org else ""
        )
        await session.commit()
        return role

    await first_writer_wins(session, write, existing)
    return Change.DONE


async def revoke(
    session: AsyncSession, person: Person, roles: Roles, actor: audit.Actor | None
) -> Change:
    """Withdraw the role; audited when there was one; committed."""
    if not in_scope(await org_of(session, person), roles):
        return Change.OUTSIDE
    result = await session.execute(
        delete(Role).where(Role.person_id == person.id, Role.kind == RoleKind.AIS_OFFICER)
    )
    if not getattr(result, "rowcount", 0):
        await session.rollback()
        return Change.UNCHANGED
    audit.record(session, actor, AuditKind.AIS_REVOKED, person=person.id)
    await session.commit()
    return Change.DONE
