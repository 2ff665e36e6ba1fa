"""Members: registration with consent, profile, roles, leaving and forgetting."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Material, Person, Role, RoleKind, utcnow
from services import audit, questions, topics


@dataclass(frozen=True)
class TelegramProfile:
    """What Telegram tells us about a person; handlers build it from aiogram's User."""

    telegram_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None


@dataclass(frozen=True)
class Roles:
    """What a person may do, resolved once per update."""

    regional_admin: bool = False
    territories: frozenset[int] = field(default_factory=frozenset)
    officer_of: frozenset[int] = field(default_factory=frozenset)
    # Consultants (questions to the committee): for the whole region, or for territories.
    regional_consultant: bool = False
    consultant_of: frozenset[int] = field(default_factory=frozenset)
    # AIS officers (granted by /ais): the organisations they keep the register of.
    ais_of: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_admin(self) -> bool:
        return self.regional_admin or bool(self.territories)

    @property
    def answers_questions(self) -> bool:
        """Sees members' questions: a consultant or an admin."""
        return self.is_admin or self.regional_consultant or bool(self.consultant_of)


async def get_person(session: AsyncSession, telegram_id: int) -> Person | None:
    return await session.scalar(select(Person).where(Person.telegram_id == telegram_id))


# Built once: every update runs it, and building a statement costs more than running it.
_PERSON_AND_ROLES = (
    select(Person, Role.kind, Role.org_id)
    .outerjoin(Role, Role.person_id == Person.id)
    .where(Person.telegram_id == bindparam("telegram_id"))
)


async def person_and_roles(
    session: AsyncSession, telegram_id: int, admin_ids: frozenset[int]
) -> tuple[Person | None, Roles]:
    """The person (None before consent) and their roles in one query: every update asks."""
    rows = (await session.execute(_PERSON_AND_ROLES, {"telegram_id": telegram_id})).all()
    person = rows[0][0] if rows else None
    granted = [(kind, org_id) for _, kind, org_id in rows if kind is not None]
    return person, _roles(telegram_id in admin_ids, granted)


def _roles(listed_admin: bool, granted: list[tuple[RoleKind, int | None]]) -> Roles:
    return Roles(
        regional_admin=listed_admin or any(kind is RoleKind.REGIONAL_ADMIN for kind, _ in granted),
        territories=frozenset(
            org_id
            for kind, org_id in granted
            if kind is RoleKind.TERRITORIAL_ADMIN and org_id is not None
        ),
        officer_of=frozenset(
            org_id for kind, org_id in granted if kind is RoleKind.OFFICER and org_id is not None
        ),
        regional_consultant=any(
            kind is RoleKind.CONSULTANT and org_id is None for kind, org_id in granted
        ),
        consultant_of=frozenset(
            org_id
            for kind, org_id in granted
            if kind is RoleKind.CONSULTANT and org_id is not None
        ),
        ais_of=frozenset(
            org_id
            for kind, org_id in granted
            if kind is RoleKind.AIS_OFFICER and org_id is not None
        ),
    )


def _apply_profile(person: Person, profile: TelegramProfile) -> None:
    person.first_name = profile.first_name[:128]
    person.last_name = profile.last_name[:128] if profile.last_name else None
    person.username = profile.username


async def seen(session: AsyncSession, person: Person, profile: TelegramProfile) -> bool:
    """The person wrote or tapped: keep names and username as Telegram shows them now, and
    make them reachable again if they had blocked the bot (whoever writes has unblocked it).
    Writes only when something changed; returns True when they had been blocked."""
    before = (person.first_name, person.last_name, person.username)
    _apply_profile(person, profile)
    came_back = person.blocked
    person.blocked = False
    if came_back or (person.first_name, person.last_name, person.username) != before:
        await session.commit()
    return came_back


async def register(session: AsyncSession, profile: TelegramProfile) -> Person:
    """Record consent and create the person with the default topics; idempotent."""
    person = await get_person(session, profile.telegram_id)
    if person is not None:
        return person
    person = _new_person(profile)
    session.add(person)
    await session.flush()
    await topics.subscribe_defaults(session, person.id)
    await session.commit()
    return person


async def register_staff(session: AsyncSession, profile: TelegramProfile) -> Person:
    """An admin listed in ADMIN_IDS who writes for the first time: recorded as a person (no
    topics), so that escalations and summaries, which go to people, reach them without their
    registering as a member. The operator lists its own staff; `consent_at` is that moment."""
    person = _new_person(profile)
    session.add(person)
    await session.commit()
    return person


def _new_person(profile: TelegramProfile) -> Person:
    person = Person(telegram_id=profile.telegram_id, consent_at=utcnow(), blocked=False)
    _apply_profile(person, profile)
    return person


async def set_organization(session: AsyncSession, person: Person, org_id: int | None) -> None:
    person.org_id = org_id
    await session.commit()


async def forget(session: AsyncSession, telegram_id: int, tz: Any) -> bool:
    """Delete the person and everything hanging off them (subscriptions, roles). Their audit
    rows stay, anonymised, in the same transaction: the actions remain, the person does not.
    `tz` dates the notice to whoever takes their seat at an event."""
    person_id = await session.scalar(select(Person.id).where(Person.telegram_id == telegram_id))
    if person_id is None:
        await session.commit()  # ends the read transaction, as the delete would have
        return False
    await audit.anonymise(session, person_id)
    await session.execute(  # the library keeps the materials, not who added them
        update(Material)
        .where(Material.author_telegram_id == telegram_id)
        .values(author_telegram_id=None)
    )
    await questions.forget(session, person_id)
    from services import events  # events imports this module

    await events.release_seats(session, person_id, tz)
    await session.execute(delete(Person).where(Person.id == person_id))
    await session.commit()
    return True


async def admin_telegram_ids(session: AsyncSession) -> frozenset[int]:
    """Telegram ids of everyone holding an admin role in the database."""
    rows = await session.scalars(
        select(Person.telegram_id)
        .join(Role, Role.person_id == Person.id)
        .where(Role.kind.in_([RoleKind.REGIONAL_ADMIN, RoleKind.TERRITORIAL_ADMIN]))
        .distinct()
    )
    return frozenset(rows)
