"""The library of methodological materials: adding, who sees what, search, opening, keeping
the bot's own copies of the files and re-sending them under a new bot token.

Who sees a material: it is not hidden (or the viewer manages it), it is regional or of the
viewer's territory, and it is for everyone or the viewer is an activist (`is_activist`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, false, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Audience,
    AuditKind,
    Broadcast,
    BroadcastKind,
    BroadcastStatus,
    BroadcastTopic,
    Material,
    MaterialAudience,
    MaterialCategory,
    MaterialKind,
    Organization,
    OrgLevel,
    Person,
    Role,
    Topic,
)
from models.material import TITLE_LENGTH
from services import audit
from services.audit import Actor
from services.broadcasts import outbox
from services.broadcasts.preview import first_words
from services.people import Roles

logger = logging.getLogger(__name__)

# Telegram lets a bot download files up to 20 MB (getFile); bigger ones stay a file_id only.
DOWNLOAD_LIMIT = 20 * 1024 * 1024
ANNOUNCE_TOPIC = "education"  # «Обучение и семинары»
PAGE_SIZE = 8


def normalise(text: str) -> str:
    """The search form of a text: casefolded, ё as е; the same on every database."""
    return text.casefold().replace("ё", "е")


def search_form(title: str, description: str) -> str:
    return normalise(f"{title}\n{description}")


# --- who sees what ---------------------------------------------------------------------------


async def is_activist(session: AsyncSession, person_id: int, roles: Roles) -> bool:
    """An officer, a consultant, an admin: anyone holding any role row (or listed in
    ADMIN_IDS). The one definition of "activist" for the library."""
    if roles.is_admin or roles.officer_of:
        return True
    return bool(await session.scalar(select(exists().where(Role.person_id == person_id))))


@dataclass(frozen=True)
class Viewer:
    """What one person may see and manage in the library."""

    person_id: int
    activist: bool = False
    territories: frozenset[int] = field(default_factory=frozenset)
    everywhere: bool = False  # a regional admin: every territory's materials
    manages: frozenset[int] = field(default_factory=frozenset)  # territories they manage

    def may_manage(self, material: Material) -> bool:
        if self.everywhere:
            return True
        return material.territory_id is not None and material.territory_id in self.manages


async def territory_of(session: AsyncSession, org_id: int | None) -> int | None:
    """The territorial organisation an organisation belongs to (itself if territorial)."""
    if org_id is None:
        return None
    row = (
        await session.execute(
            select(Organization.level, Organization.id, Organization.parent_id).where(
                Organization.id == org_id
            )
        )
    ).first()
    if row is None:
        return None
    level, own_id, parent_id = row
    if level is OrgLevel.TERRITORIAL:
        return int(own_id)
    if level is OrgLevel.PRIMARY:
        return int(parent_id) if parent_id is not None else None
    return None


async def viewer(session: AsyncSession, person: Person, roles: Roles) -> Viewer:
    own = await territory_of(session, person.org_id)
    territories = set(roles.territories)
    if own is not None:
        territories.add(own)
    return Viewer(
        person_id=person.id,
        activist=await is_activist(session, person.id, roles),
        territories=frozenset(territories),
        everywhere=roles.regional_admin,
        manages=roles.territories,
    )


def manager(roles: Roles) -> Viewer:
    """An admin as a manager of materials: what they may change needs no person record."""
    return Viewer(
        person_id=0,
        activist=True,
        territories=roles.territories,
        everywhere=roles.regional_admin,
        manages=roles.territories,
    )


def _visible(who: Viewer) -> list[ColumnElement[bool]]:
    managed: ColumnElement[bool] = (
        Material.territory_id.in_(who.manages) if who.manages else false()
    )
    conditions: list[ColumnElement[bool]] = []
    if not who.everywhere:
        conditions.append(Material.hidden.is_(False) | managed)
        conditions.append(
            or_(Material.territory_id.is_(None), Material.territory_id.in_(who.territories))
        )
    if not who.activist:
        conditions.append(Material.audience == MaterialAudience.ALL)
    return conditions


# --- reading ---------------------------------------------------------------------------------


async def categories(session: AsyncSession) -> list[MaterialCategory]:
    return list(
        await session.scalars(select(MaterialCategory).order_by(MaterialCategory.position))
    )


async def get_category(session: AsyncSession, category_id: int) -> MaterialCategory | None:
    return await session.get(MaterialCategory, category_id)


async def category_counts(
    session: AsyncSession, who: Viewer
) -> list[tuple[MaterialCategory, int]]:
    """Every category in menu order with how many materials this viewer sees in it."""
    counted = dict(
        (
            await session.execute(
                select(Material.category_id, func.count(Material.id))
                .where(*_visible(who))
                .group_by(Material.category_id)
            )
        ).all()
    )
    return [(category, int(counted.get(category.id, 0))) for category in await categories(session)]


@dataclass(frozen=True)
class Page:
    items: list[Material]
    total: int
    page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


async def _page(session: AsyncSession, conditions: Sequence[Any], page: int) -> Page:
    total = int(await session.scalar(select(func.count(Material.id)).where(*conditions)) or 0)
    page = max(0, min(page, max(0, -(-total // PAGE_SIZE) - 1)))
    items = await session.scalars(
        select(Material)
        .where(*conditions)
        .order_by(Material.created_at.desc(), Material.id.desc())
        .offset(page * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    return Page(list(items), total, page)


async def list_page(session: AsyncSession, who: Viewer, category_id: int, page: int) -> Page:
    """One page of a category, newest first."""
    return await _page(session, [Material.category_id == category_id, *_visible(who)], page)


def search_words(query: str) -> list[str]:
    return [word for word in normalise(query).split() if word][:8]


async def search(session: AsyncSession, who: Viewer, query: str, page: int) -> Page:
    """Materials whose title or description holds every typed word, case-insensitively."""
    words = search_words(query)
    if not words:
        return Page([], 0, 0)
    matches = [Material.search_text.contains(word, autoescape=True) for word in words]
    return await _page(session, [and_(*matches), *_visible(who)], page)


async def visible(session: AsyncSession, who: Viewer, material_id: int) -> Material | None:
    """The material if this viewer may see it; None for a forged or stale button."""
    return await session.scalar(select(Material).where(Material.id == material_id, *_visible(who)))


async def count_opening(session: AsyncSession, material_id: int) -> None:
    """One more opening, counted in the database (no lost update between replicas)."""
    await session.execute(
        update(Material)
        .where(Material.id == material_id)
        .values(opens=Material.opens + 1)
        .execution_options(synchronize_session=False)
    )
    await session.commit()


# --- adding and managing ---------------------------------------------------------------------


@dataclass(frozen=True)
class Content:
    """What an admin sent to /material_add, as it is kept until the material is saved."""

    kind: MaterialKind
    file_id: str | None = None
    file_unique_id: str | None = None
    file_name: str | None = None
    mime_type: str | None = None
    file_size: int | None = None
    url: str | None = None
    caption: str = ""

    @property
    def too_big(self) -> bool:
        return self.file_id is not None and (self.file_size or 0) > DOWNLOAD_LIMIT

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_name": self.file_name,
            "mime_type": self.mime_type,
            "file_size": self.file_size,
            "url": self.url,
            "caption": self.caption,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Content:
        return cls(**{**data, "kind": MaterialKind(data["kind"])})


def territory_for(roles: Roles) -> int | None:
    """Where a new material belongs: regional for a regional admin, else the admin's
    territory (the first, for an admin of several)."""
    if roles.regional_admin or not roles.territories:
        return None
    return min(roles.territories)


def clean_title(text: str) -> str | None:
    title = " ".join(text.split())
    if not title or len(title) > TITLE_LENGTH:
        return None
    return title


async def create(
    session: AsyncSession,
    content: Content,
    *,
    title: str,
    category_id: int,
    audience: MaterialAudience,
    territory_id: int | None,
    author_telegram_id: int,
    actor: Actor | None = None,
) -> Material:
    material = Material(
        title=title,
        description=content.caption,
        search_text=search_form(title, content.caption),
        category_id=category_id,
        audience=audience,
        territory_id=territory_id,
        kind=content.kind,
        file_id=content.file_id,
        file_unique_id=content.file_unique_id,
        file_name=content.file_name,
        mime_type=content.mime_type,
        file_size=content.file_size,
        url=content.url,
        hidden=False,
        opens=0,
        author_telegram_id=author_telegram_id,
    )
    session.add(material)
    await session.flush()
    audit.record(session, actor, AuditKind.MATERIAL_ADDED, material=material.id)
    await session.commit()
    return material


def stored_name(material: Material) -> str:
    """The file name of the bot's own copy: the id keeps it unique, the suffix readable."""
    suffix = Path(material.file_name or "").suffix[:10]
    if not suffix:
        suffix = {MaterialKind.PHOTO: ".jpg", MaterialKind.VIDEO: ".mp4"}.get(material.kind, "")
    return f"material_{material.id}{suffix}"


async def set_stored_path(session: AsyncSession, material: Material, name: str) -> None:
    material.stored_path = name
    await session.commit()


async def _changed(
    session: AsyncSession, material: Material, actor: Actor | None, change: str
) -> None:
    audit.record(session, actor, AuditKind.MATERIAL_CHANGED, material=material.id, change=change)
    await session.commit()


async def rename(
    session: AsyncSession, material: Material, title: str, actor: Actor | None = None
) -> None:
    material.title = title
    material.search_text = search_form(title, material.description)
    await _changed(session, material, actor, "название")


async def set_category(
    session: AsyncSession, material: Material, category_id: int, actor: Actor | None = None
) -> None:
    material.category_id = category_id
    await _changed(session, material, actor, "раздел")


async def set_hidden(
    session: AsyncSession, material: Material, hidden: bool, actor: Actor | None = None
) -> None:
    material.hidden = hidden
    await _changed(session, material, actor, "скрыт" if hidden else "показан")


async def remove(
    session: AsyncSession, material: Material, files_dir: Path, actor: Actor | None = None
) -> None:
    """Delete the row and the bot's own copy of the file."""
    name = material.stored_path
    material_id = material.id
    await session.execute(delete(Material).where(Material.id == material_id))
    audit.record(session, actor, AuditKind.MATERIAL_DELETED, material=material_id)
    await session.commit()
    if name:
        (files_dir / name).unlink(missing_ok=True)


async def announce(
    session: AsyncSession,
    material: Material,
    text: str,
    markup: dict[str, Any],
    actor: Actor | None,
) -> int:
    """A broadcast to the «Обучение и семинары» subscribers through the outbox, with a button
    that opens the material; a territory's material stays in its territory. Returns the
    recipient count."""
    topic_id = await session.scalar(select(Topic.id).where(Topic.slug == ANNOUNCE_TOPIC))
    if topic_id is None:
        raise LookupError(f"topic {ANNOUNCE_TOPIC!r} is missing")
    broadcast = Broadcast(
        kind=BroadcastKind.NEWS,
        status=BroadcastStatus.DRAFT,
        author_telegram_id=material.author_telegram_id,
        text=text,
        preview=first_words(text, markup=True),
        source_message_ids=[],
        audience=Audience.ALL,
        territory_id=material.territory_id,
        reply_markup=markup,
        total=0,
    )
    session.add(broadcast)
    await session.flush()
    session.add(BroadcastTopic(broadcast_id=broadcast.id, topic_id=topic_id))
    await session.flush()
    return await outbox.enqueue(session, broadcast.id, actor)


# --- reports ---------------------------------------------------------------------------------


async def most_opened(
    session: AsyncSession, territory_id: int | None = None, limit: int = 10
) -> list[tuple[str, str, int]]:
    """(title, category, openings) of the most opened materials; a territory's report counts
    its own and the regional materials."""
    query = (
        select(Material.title, MaterialCategory.title, Material.opens)
        .join(MaterialCategory, MaterialCategory.id == Material.category_id)
        .where(Material.opens > 0)
        .order_by(Material.opens.desc(), Material.id)
        .limit(limit)
    )
    if territory_id is not None:
        query = query.where(
            or_(Material.territory_id.is_(None), Material.territory_id == territory_id)
        )
    return [(t, c, int(n)) for t, c, n in (await session.execute(query)).all()]


async def openings_by_category(
    session: AsyncSession, territory_id: int | None = None
) -> list[tuple[str, int, int]]:
    """(category, materials, openings) for every category in menu order."""
    joined = and_(Material.category_id == MaterialCategory.id)
    if territory_id is not None:
        joined = and_(
            joined,
            or_(Material.territory_id.is_(None), Material.territory_id == territory_id),
        )
    rows = await session.execute(
        select(
            MaterialCategory.title,
            func.count(Material.id),
            func.coalesce(func.sum(Material.opens), 0),
        )
        .outerjoin(Material, joined)
        .group_by(MaterialCategory.id, MaterialCategory.title, MaterialCategory.position)
        .order_by(MaterialCategory.position)
    )
    return [(title, int(count), int(opens)) for title, count, opens in rows.all()]


# --- the bot's own copies --------------------------------------------------------------------


async def with_files(session: AsyncSession) -> list[Material]:
    """Materials whose file the bot keeps, in id order (what `reupload` re-sends)."""
    return list(
        await session.scalars(
            select(Material).where(Material.stored_path.is_not(None)).order_by(Material.id)
        )
    )


async def too_big_count(session: AsyncSession) -> int:
    return int(
        await session.scalar(
            select(func.count(Material.id)).where(
                Material.stored_path.is_(None), Material.file_id.is_not(None)
            )
        )
        or 0
    )


async def set_file_id(
    session: AsyncSession, material: Material, file_id: str, file_unique_id: str | None
) -> None:
    material.file_id = file_id
    material.file_unique_id = file_unique_id
    await session.commit()


async def report_tables(session: AsyncSession, territory_id: int | None = None) -> list[Any]:
    """The library's part of the subscriber statistics: the most opened materials and the
    openings per category, as `services.reports.subscribers.Table`s (one sheet each)."""
    from services.reports.subscribers import Table
    from texts import materials as texts

    top = await most_opened(session, territory_id)
    per_category = await openings_by_category(session, territory_id)
    return [
        Table(
            texts.REPORT_TOP,
            (texts.REPORT_MATERIAL, texts.REPORT_CATEGORY, texts.REPORT_OPENS),
            tuple(top),
        ),
        Table(
            texts.REPORT_BY_CATEGORY,
            (texts.REPORT_CATEGORY, texts.REPORT_MATERIALS, texts.REPORT_OPENS),
            tuple(per_category),
        ),
    ]


async def report_caption(session: AsyncSession, territory_id: int | None = None) -> str:
    """A few lines for the chat under the subscriber chart: the three most opened."""
    from texts import materials as texts

    top = await most_opened(session, territory_id, limit=3)
    if not top:
        return ""
    lines = [texts.REPORT_CAPTION_TOP] + [
        texts.REPORT_CAPTION_ROW.format(title=escape(title), opens=opens)
        for title, _, opens in top
    ]
    return "\n\n" + "\n".join(lines)
