"""Officer invites: a deep link that makes its first opener an information officer."""

from __future__ import annotations

import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import AuditKind, OfficerInvite, Organization, OrgLevel, Person, Role, RoleKind
from services import audit

DEEP_LINK_PREFIX = "inv_"
INVITE_TTL = timedelta(days=30)


class InviteRefusal(StrEnum):
    """Why a link does not work; the chat says it plainly."""

    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True)
class Redeemed:
    org: Organization
    already_officer: bool


def _new_token() -> str:
    # 96 random bits: unguessable, and short enough for a deep link (64 characters at most).
    return secrets.token_urlsafe(12)


async def create(
    session: AsyncSession,
    org: Organization,
    created_by: int | None,
    now: datetime,
    actor: audit.Actor | None = None,
) -> OfficerInvite:
    """A fresh invite for one organisation, valid for INVITE_TTL."""
    invite = OfficerInvite(
        token=_new_token(),
        org_id=org.id,
        created_by_telegram_id=created_by,
        created_at=now,
        expires_at=now + INVITE_TTL,
    )
    session.add(invite)
    await session.flush()
    audit.record(session, actor, AuditKind.INVITE_CREATED, invite=invite.id, org=org.code)
    await session.commit()
    return invite


async def create_for_territory(
    session: AsyncSession,
    territory: Organization,
    created_by: int | None,
    now: datetime,
    actor: audit.Actor | None = None,
) -> list[tuple[Organization, OfficerInvite]]:
    """One invite for the territorial organisation and each of its primary organisations."""
    members = list(
        await session.scalars(
            select(Organization)
            .where(or_(Organization.id == territory.id, Organization.parent_id == territory.id))
            .order_by(Organization.level.desc(), Organization.name)
        )
    )
    pairs = []
    for org in members:
        invite = OfficerInvite(
            token=_new_token(),
            org_id=org.id,
            created_by_telegram_id=created_by,
            created_at=now,
            expires_at=now + INVITE_TTL,
        )
        session.add(invite)
        pairs.append((org, invite))
    audit.record(session, actor, AuditKind.INVITES_CREATED, org=territory.code, count=len(pairs))
    await session.commit()
    return pairs


def token_of(text: str) -> str:
    """The token from a deep-link payload or a whole link pasted by an admin."""
    tail = text.strip().rsplit("start=", 1)[-1]
    return tail.removeprefix(DEEP_LINK_PREFIX)


async def redeem(
    session: AsyncSession,
    token: str,
    person: Person,
    now: datetime,
) -> Redeemed | InviteRefusal:
    """Make the person an officer of the invite's organisation; the invite is then used. The
    new role is audited as the person's own act, naming the invite."""
    invite = await session.scalar(select(OfficerInvite).where(OfficerInvite.token == token))
    if invite is None:
        return InviteRefusal.UNKNOWN
    if invite.revoked_at is not None:
        return InviteRefusal.REVOKED
    if invite.used_at is not None:
        return InviteRefusal.USED
    if invite.expires_at <= now:
        return InviteRefusal.EXPIRED
    org = await session.get(Organization, invite.org_id)
    assert org is not None  # the invite is deleted with its organisation
    existing = await session.scalar(
        select(Role.id).where(
            Role.person_id == person.id, Role.kind == RoleKind.OFFICER, Role.org_id == org.id
        )
    )
    if existing is None:
        session.add(Role(person_id=person.id, kind=RoleKind.OFFICER, org_id=org.id))
        audit.record(
            session,
            audit.person_actor(person),
            AuditKind.ROLE_GRANTED,
            invite=invite.id,
            org=org.code,
        )
    if person.org_id is None:
        person.org_id = org.id
    invite.used_at = now
    invite.used_by_person_id = person.id
    await session.commit()
    return Redeemed(org=org, already_officer=existing is not None)


async def revoke(
    session: AsyncSession,
    token: str,
    now: datetime,
    territories: frozenset[int] | None,
    actor: audit.Actor | None = None,
) -> bool:
    """Revoke an unused invite (a territorial admin: only within their territories)."""
    invite = await session.scalar(select(OfficerInvite).where(OfficerInvite.token == token))
    if invite is None or invite.used_at is not None or invite.revoked_at is not None:
        return False
    org = await session.get(Organization, invite.org_id)
    if org is None or (territories is not None and not in_scope(org, territories)):
        return False
    invite.revoked_at = now
    audit.record(session, actor, AuditKind.INVITE_REVOKED, invite=invite.id, org=org.code)
    await session.commit()
    return True


async def open_invites(
    session: AsyncSession, territory_id: int, now: datetime
) -> Sequence[tuple[Organization, OfficerInvite]]:
    """The territory's invites that can still be used (neither used, revoked nor expired):
    the territorial organisation's first, then its primaries' by name, soonest expiry first."""
    rows = await session.execute(
        select(Organization, OfficerInvite)
        .join(OfficerInvite, OfficerInvite.org_id == Organization.id)
        .where(
            or_(Organization.id == territory_id, Organization.parent_id == territory_id),
            OfficerInvite.used_at.is_(None),
            OfficerInvite.revoked_at.is_(None),
            OfficerInvite.expires_at > now,
        )
        .order_by(Organization.level.desc(), Organization.name, OfficerInvite.expires_at)
    )
    return [(org, invite) for org, invite in rows]


async def officers(
    session: AsyncSession, territory_ids: Collection[int] | None = None
) -> Sequence[tuple[Organization, Person]]:
    """Who is officer where, by organisation name; only the given territories' when given."""
    query = (
        select(Organization, Person)
        .join(Role, Role.org_id == Organization.id)
        .join(Person, Person.id == Role.person_id)
        .where(Role.kind == RoleKind.OFFICER)
    )
    if territory_ids is not None:
        ids = list(territory_ids)
        query = query.where(or_(Organization.id.in_(ids), Organization.parent_id.in_(ids)))
    rows = await session.execute(query.order_by(Organization.name, Person.first_name))
    return [(org, person) for org, person in rows]


def in_scope(org: Organization, territories: frozenset[int] | None) -> bool:
    """A regional admin (None) may invite anywhere; a territorial admin within the territory."""
    if territories is None:
        return org.level is not OrgLevel.REGIONAL
    return org.id in territories or org.parent_id in territories


def link(bot_username: str, invite: OfficerInvite) -> str:
    return f"https://t.me/{bot_username}?start={DEEP_LINK_PREFIX}{invite.token}"


def workbook(rows: Sequence[Sequence[object]], header: Sequence[str], title: str) -> bytes:
    """A one-sheet XLSX with a frozen, filterable header and readable column widths; every
    text is a text cell (a name like «=1+1» is not a formula)."""
    from io import BytesIO

    from openpyxl import Workbook

    from services.spreadsheet import openpyxl_row

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    sheet.append(openpyxl_row(sheet, header))
    for row in rows:
        sheet.append(openpyxl_row(sheet, row))
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    for column in sheet.columns:
        width = max(len(str(cell.value or "")) for cell in column)
        sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 10), 80)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
