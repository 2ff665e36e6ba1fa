"""/start: what the bot is, consent (152-FZ), then organisation and topics.

Deep links: `org_<code>` pre-selects an organisation (a chair shares it with colleagues);
`inv_<token>` makes the person an information officer of the invite's organisation.
"""

from __future__ import annotations

import re

from aiogram import Bot, F, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.middlewares import profile_of
from bot.scheduler import schedule_of
from handlers import keyboards
from handlers.callbacks import ConsentAnswer, ConsentCB, Flow
from handlers.member import screens
from handlers.member.help import consent_text, help_text
from handlers.member.org_picker import open_picker, start_picking
from handlers.menus import set_chat_menu
from handlers.ui import show
from models import Organization, Person, utcnow
from services import orgs, people
from services.monitoring import campaigns, invites
from services.people import Roles
from texts import ru
from texts.ru import h

ORG_PREFIX = "org_"
# What Telegram allows in a deep-link payload; anything else was typed by hand and is ignored.
PAYLOAD = re.compile(r"^(org|inv)_[A-Za-z0-9_-]{1,40}$")


async def _linked_org(session: AsyncSession, payload: str) -> Organization | None:
    if not payload.startswith(ORG_PREFIX):
        return None
    return await orgs.get_by_code(session, payload.removeprefix(ORG_PREFIX))


async def _redeem(
    session: AsyncSession,
    payload: str,
    person: Person,
    roles: Roles,
    bot: Bot,
    settings: Settings,
) -> str | None:
    """The officer invite in the payload, redeemed: what to tell the person (None: no invite).
    A new officer's chat gets the menu with /anketa (an admin's keeps the admin menu)."""
    if not payload.startswith(invites.DEEP_LINK_PREFIX):
        return None
    outcome = await invites.redeem(session, invites.token_of(payload), person, utcnow())
    if isinstance(outcome, invites.InviteRefusal):
        return ru.INVITE_REFUSED[outcome]
    menu = ru.ADMIN_COMMANDS if roles.is_admin else ru.OFFICER_COMMANDS
    await set_chat_menu(bot, person.telegram_id, menu)
    title = await screens.org_title(session, outcome.org.id)
    prompt = await campaigns.open_prompt_for(
        session, schedule_of(settings), outcome.org.id, utcnow()
    )
    if prompt is not None:  # the quarter is open: the questionnaire now, not "when it opens"
        return f"{ru.INVITE_ACCEPTED_OPEN.format(org=title)}\n\n{prompt}"
    return ru.INVITE_ACCEPTED.format(org=title)


async def cmd_start(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    state: FSMContext,
    person: Person | None,
    roles: Roles,
    settings: Settings,
    bot: Bot,
) -> None:
    await state.clear()
    payload = command.args or ""
    if not PAYLOAD.fullmatch(payload):
        payload = ""
    org = await _linked_org(session, payload)
    if payload.startswith(ORG_PREFIX) and org is None:
        await message.answer(ru.DEEP_LINK_UNKNOWN.format(code=h(payload.removeprefix(ORG_PREFIX))))
        payload = ""
    if person is None:
        await message.answer(consent_text(settings), reply_markup=keyboards.consent(payload))
        return
    invited = await _redeem(session, payload, person, roles, bot, settings)
    if invited is not None:
        await message.answer(invited)
    elif org is not None:
        text = ru.DEEP_LINK_CONFIRM.format(org=await screens.org_title(session, org.id))
        await start_picking(state, Flow.PROFILE)
        await message.answer(text, reply_markup=keyboards.confirm_org(org.id, Flow.PROFILE))
    else:
        welcome = ru.WELCOME_BACK.format(name=h(person.first_name))
        await message.answer(f"{welcome}\n\n{help_text(roles, settings)}")


async def on_consent_declined(callback: CallbackQuery, person: Person | None) -> None:
    # Nothing is stored for someone who declines; a registered person keeps their record.
    await callback.answer()
    await show(callback, ru.CONSENT_DECLINED if person is None else ru.NEED_START)


async def on_consent_given(
    callback: CallbackQuery,
    callback_data: ConsentCB,
    session: AsyncSession,
    state: FSMContext,
    roles: Roles,
    bot: Bot,
    settings: Settings,
) -> None:
    await callback.answer()
    person = await people.register(session, profile_of(callback.from_user))
    thanks = f"{ru.CONSENT_THANKS}\n\n"
    invited = await _redeem(session, callback_data.link, person, roles, bot, settings)
    if invited is not None and person.org_id is not None:
        # An officer's organisation comes with the invite: straight on to the topics.
        text, markup = await screens.topic_choice(session, person, Flow.ONBOARDING)
        await show(callback, f"{thanks}{invited}\n\n{text}", markup)
        return
    if invited is not None:
        thanks += f"{invited}\n\n"
    org = await _linked_org(session, callback_data.link)
    if org is not None:
        title = await screens.org_title(session, org.id)
        confirm: InlineKeyboardMarkup = keyboards.confirm_org(org.id, Flow.ONBOARDING)
        await start_picking(state, Flow.ONBOARDING)
        await show(callback, f"{thanks}{ru.DEEP_LINK_CONFIRM.format(org=title)}", confirm)
        return
    await open_picker(callback, session, state, Flow.ONBOARDING, prefix=thanks)


def router() -> Router:
    """This module's handlers on a fresh router (one per dispatcher)."""
    r = Router(name=__name__)
    r.message.register(cmd_start, CommandStart())
    r.callback_query.register(on_consent_declined, ConsentCB.filter(F.answer == ConsentAnswer.NO))
    r.callback_query.register(on_consent_given, ConsentCB.filter(F.answer == ConsentAnswer.YES))
    return r
