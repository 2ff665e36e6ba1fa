"""The consultant role: granted by a regional admin for the region or one territory."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    AuditKind,
    ConsultantCategory,
    Organization,
    OrgLevel,
    Person,
    QuestionCategory,
    Role,
    RoleKind,
)
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


async def categories_by_slug(
    session: AsyncSession, slugs: str
) -> tuple[list[QuestionCategory], list[str]]:
    """`pay,safety` → the categories, and the slugs that name none."""
    wanted = [slug.strip() for slug in slugs.split(",") if slug.strip()]
    found = {c.slug: c for c in await session.scalars(select(QuestionCategory))}
    return [found[s] for s in wanted if s in found], [s for s in wanted if s not in found]


async def set_categories(
    session: AsyncSession, role: Role, categories: list[QuestionCategory]
) -> None:
    """The role's categories from now on (none: every category)."""
    await session.execute(delete(ConsultantCategory).where(ConsultantCategory.role_id == role.id))
    session.add_all(ConsultantCategory(role_id=role.id, category_id=c.id) for c in categories)
    await session.commit()


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
