"""Information officers: the quarterly questionnaire."""

from aiogram import Router

from handlers.filters import PRIVATE, Registered
from handlers.officer import questionnaire


def build_router() -> Router:
    """Private chats of registered people; each handler checks the officer role itself, since
    a submission (not the person) decides what may be answered."""
    officer = Router(name="officer")
    officer.message.filter(PRIVATE, Registered())
    officer.callback_query.filter(Registered())
    officer.include_router(questionnaire.router())
    return officer
