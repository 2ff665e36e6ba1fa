"""/consultant: a regional admin grants or withdraws the consultant role (правовой
инспектор, специалист), for the whole region or one territory."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.menus import set_chat_menu
from services import consultants, orgs
from services.audit import Actor
from texts import questions as tq
from texts import ru
from texts.ru import h


async def cmd_consultant(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    bot: Bot,
    actor: Actor | None,
) -> None:
    words = (command.args or "").split()
    revoke = bool(words) and words[0] == "-"
    words = words[1:] if revoke else words
    slugs = ""
    if len(words) >= 2 and not orgs.looks_like_code(words[-1]):  # `pay,safety`
        slugs, words = words[-1], words[:-1]
    if not words or len(words) > 2:
        await message.answer(tq.CONSULTANT_USAGE)
        return
    person = await consultants.find_person(session, words[0])
    if person is None:
        await message.answer(tq.CONSULTANT_NO_PERSON)
        return
    name = h(" ".join(filter(None, [person.first_name, person.last_name])))
    if revoke:
        await consultants.revoke(session, person, actor)
        await message.answer(tq.CONSULTANT_REVOKED.format(name=name))
        return
    territory = None
    if len(words) == 2:
        territory = await consultants.territory(session, words[1])
        if territory is None:
            await message.answer(tq.CONSULTANT_NO_TERRITORY.format(code=h(words[1])))
            return
    chosen, unknown = await consultants.categories_by_slug(session, slugs)
    if unknown:
        await message.answer(tq.CONSULTANT_NO_CATEGORY.format(slugs=h(", ".join(unknown))))
        return
    role = await consultants.grant(session, person, territory, actor)
    await consultants.set_categories(session, role, chosen)
    scope = h(territory.name) if territory else tq.CONSULTANT_REGION
    if chosen:
        scope += tq.CONSULTANT_CATEGORIES.format(titles=h(", ".join(c.title for c in chosen)))
    await message.answer(tq.CONSULTANT_GRANTED.format(name=name, scope=scope))
    await set_chat_menu(bot, person.telegram_id, {**ru.MEMBER_COMMANDS, **tq.ANSWERER_COMMANDS})


def router() -> Router:
    """This module's handlers on a fresh router (one per dispatcher)."""
    r = Router(name=__name__)
    r.message.register(cmd_consultant, Command("consultant"))
    return r
