"""Screens a member sees (text + keyboard), built from services; shared by several handlers."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import keyboards
from handlers.callbacks import Flow
from models import Organization, OrgLevel, Person
from services import orgs, topics
from services.people import Roles
from texts import questions as tq
from texts import ru
from texts.ru import h

Screen = tuple[str, InlineKeyboardMarkup | None]


async def org_title(session: AsyncSession, org_id: int | None) -> str:
    """The organisation with its parents, as people recognise it, or «не указана»."""
    org = await orgs.get_by_id(session, org_id) if org_id is not None else None
    if org is None:
        return ru.NO_ORG
    chain = [o for o in await orgs.path(session, org) if o.level is not OrgLevel.REGIONAL]
    return h(" › ".join(o.name for o in chain or [org]))


def _with_page(text: str, page: int, total: int) -> str:
    count = keyboards.pages(total)
    return text if count == 1 else f"{text}\n\n{ru.PAGE.format(page=page + 1, pages=count)}"


def echo(query: str) -> str:
    """What a person typed, shortened to quote it back in a reply (never over 4096)."""
    query = " ".join(query.split())
    limit = ru.SEARCH_QUERY_LIMIT
    return h(query if len(query) <= limit else query[: limit - 1] + "…")


async def search_results(session: AsyncSession, query: str, flow: Flow, page: int) -> Screen:
    """A page of the typed search: the names with their territory, buttons to pick."""
    size = keyboards.PAGE_SIZE
    found, total = await orgs.search(session, query, limit=size, offset=page * size)
    if not found and page > 0:  # the directory changed under an old page: start over
        page = 0
        found, total = await orgs.search(session, query, limit=size)
    first = page * size + 1
    markup = keyboards.search_results(found, flow, total, page)
    if not found:
        return ru.SEARCH_NOTHING.format(query=echo(query)), markup
    lines = [ru.SEARCH_FOUND.format(query=echo(query))]
    for org in found:
        parent = await orgs.get_by_id(session, org.parent_id) if org.parent_id else None
        territorial = parent is not None and parent.level is OrgLevel.TERRITORIAL
        where = f" — {h(parent.name)}" if territorial and parent is not None else ""
        lines.append(f"• {h(org.name)}{where}")
    if total > len(found):
        last = first + len(found) - 1
        lines += ["", ru.SEARCH_SHOWN.format(first=first, last=last, total=total)]
    return "\n".join(lines), markup


async def territories(session: AsyncSession, flow: Flow, page: int = 0) -> Screen:
    region = await orgs.regional(session)
    if region is None:
        return ru.PICK_TERRITORY_EMPTY, keyboards.territories([], 0, 0, flow, None)
    page_orgs, total = await orgs.list_children(
        session,
        region.id,
        OrgLevel.TERRITORIAL,
        offset=page * keyboards.PAGE_SIZE,
        limit=keyboards.PAGE_SIZE,
    )
    _, direct = await orgs.list_children(session, region.id, OrgLevel.PRIMARY, limit=1)
    markup = keyboards.territories(page_orgs, total, page, flow, region.id if direct else None)
    return _with_page(ru.PICK_TERRITORY, page, total), markup


async def primaries(
    session: AsyncSession, parent: Organization, flow: Flow, page: int = 0
) -> Screen:
    page_orgs, total = await orgs.list_children(
        session,
        parent.id,
        OrgLevel.PRIMARY,
        offset=page * keyboards.PAGE_SIZE,
        limit=keyboards.PAGE_SIZE,
    )
    name = ru.REGIONAL_SUBORDINATION if parent.level is OrgLevel.REGIONAL else parent.name
    template = ru.PICK_PRIMARY if total else ru.PICK_PRIMARY_EMPTY
    text = _with_page(template.format(parent=h(name)), page, total)
    return text, keyboards.primaries(parent, page_orgs, total, page, flow)


async def topic_choice(session: AsyncSession, person: Person, flow: Flow) -> Screen:
    chosen = await topics.subscribed_ids(session, person.id)
    return ru.TOPICS_PROMPT, keyboards.topics(await topics.list_topics(session), chosen, flow)


async def _topic_lines(session: AsyncSession, person: Person) -> list[str]:
    chosen = await topics.subscribed_ids(session, person.id)
    return [h(t.title) for t in await topics.list_topics(session) if t.id in chosen]


async def summary(session: AsyncSession, person: Person) -> Screen:
    lines = await _topic_lines(session, person)
    listed = "\n".join(f"• {line}" for line in lines) if lines else ru.TOPICS_NONE
    return ru.SUMMARY.format(org=await org_title(session, person.org_id), topics=listed), None


async def _role_lines(session: AsyncSession, roles: Roles) -> list[str]:
    lines = [ru.ROLE_REGIONAL_ADMIN] if roles.regional_admin else []
    lines += [
        ru.ROLE_TERRITORIAL_ADMIN.format(org=await org_title(session, org_id))
        for org_id in sorted(roles.territories)
    ]
    lines += [
        ru.ROLE_OFFICER.format(org=await org_title(session, org_id))
        for org_id in sorted(roles.officer_of)
    ]
    if roles.regional_consultant:
        lines.append(tq.ROLE_CONSULTANT.format(org=tq.CONSULTANT_REGION))
    lines += [
        tq.ROLE_CONSULTANT.format(org=await org_title(session, org_id))
        for org_id in sorted(roles.consultant_of)
    ]
    lines += [
        ru.ROLE_AIS.format(org=await org_title(session, org_id)) for org_id in sorted(roles.ais_of)
    ]
    return lines


async def profile(session: AsyncSession, person: Person, roles: Roles, tz: ZoneInfo) -> Screen:
    topic_lines = await _topic_lines(session, person)
    name = " ".join(filter(None, [person.first_name, person.last_name])) or "—"
    text = ru.PROFILE.format(
        name=h(name),
        org=await org_title(session, person.org_id),
        topics=", ".join(topic_lines) if topic_lines else "нет",
        consent=person.consent_at.astimezone(tz).strftime("%d.%m.%Y %H:%M"),
        roles="\n".join(await _role_lines(session, roles)),
    )
    return text.rstrip(), keyboards.profile()
