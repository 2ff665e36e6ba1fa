"""Member-facing routers: everything a person does in a private chat with the bot."""

from aiogram import Router

from handlers.filters import PRIVATE, Registered
from handlers.member import (
    account,
    events,
    help,
    materials,
    news,
    org_picker,
    profile,
    questions,
    start,
    topics,
)


def build_router() -> Router:
    """Private chats only; steps after consent require a registered person."""
    member = Router(name="member")
    member.message.filter(PRIVATE)
    # /start, /help, /stop and /forget also answer people who are not registered (yet).
    member.include_routers(start.router(), help.router(), account.router())

    registered = Router(name="member.registered")
    registered.message.filter(Registered())
    registered.callback_query.filter(Registered())
    registered.include_routers(
        org_picker.router(), topics.router(), profile.router(), news.router(), events.router()
    )
    registered.include_router(materials.router())
    registered.include_router(questions.router())
    member.include_router(registered)
    return member
