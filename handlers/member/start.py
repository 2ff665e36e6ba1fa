"""/start: what the bot is, consent (152-FZ), then organisation and topics."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.middlewares import profile_of
from handlers import keyboards
from handlers.callbacks import ConsentAnswer, ConsentCB, Flow
from handlers.member import screens
from handlers.member.org_picker import open_picker
from handlers.ui import show
from models import Organization, Person
from services import orgs, people
from texts import ru
from texts.ru import h

DEEP_LINK_PREFIX = "org_"


async def _deep_link_org(
    session: AsyncSession, args: str | None
) -> tuple[Organization | None, str]:
    """The organisation named by `/start org_<code>`, and the code as typed (for the message)."""
    if not args or not args.startswith(DEEP_LINK_PREFIX):
        return None, ""
    code = args.removeprefix(DEEP_LINK_PREFIX)
    return await orgs.get_by_code(session, code), code


async def cmd_start(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    state: FSMContext,
    person: Person | None,
) -> None:
    await state.clear()
    org, code = await _deep_link_org(session, command.args)
    if code and org is None:
        await message.answer(ru.DEEP_LINK_UNKNOWN.format(code=h(code)))
    if person is None:
        await message.answer(ru.WELCOME, reply_markup=keyboards.consent(org.code if org else ""))
        return
    if await people.unblock(session, person):
        await message.answer(ru.UNBLOCKED)
    if org is not None:
        text = ru.DEEP_LINK_CONFIRM.format(org=await screens.org_title(session, org.id))
        await message.answer(text, reply_markup=keyboards.confirm_org(org.id, Flow.PROFILE))
        return
    await message.answer(ru.WELCOME_BACK.format(name=h(person.first_name)) + "\n\n" + ru.HELP)


async def on_consent_declined(callback: CallbackQuery, person: Person | None) -> None:
    # Nothing is stored for someone who declines; a registered person keeps their record.
    await callback.answer()
    await show(callback, ru.CONSENT_DECLINED if person is None else ru.NEED_START)


async def on_consent_given(
    callback: CallbackQuery, callback_data: ConsentCB, session: AsyncSession, state: FSMContext
) -> None:
    await callback.answer()
    await people.register(session, profile_of(callback.from_user))
    org = await orgs.get_by_code(session, callback_data.org) if callback_data.org else None
    if org is not None:
        title = await screens.org_title(session, org.id)
        text = f"{ru.CONSENT_THANKS}\n\n{ru.DEEP_LINK_CONFIRM.format(org=title)}"
        await show(callback, text, keyboards.confirm_org(org.id, Flow.ONBOARDING))
        return
    await open_picker(callback, session, state, Flow.ONBOARDING, prefix=f"{ru.CONSENT_THANKS}\n\n")


def router() -> Router:
    """This module's handlers on a fresh router (one per dispatcher)."""
    r = Router(name=__name__)
    r.message.register(cmd_start, CommandStart())
    r.callback_query.register(on_consent_declined, ConsentCB.filter(F.answer == ConsentAnswer.NO))
    r.callback_query.register(on_consent_given, ConsentCB.filter(F.answer == ConsentAnswer.YES))
    return r
