"""Answerers' routers: consultants and admins answering members' questions."""

from aiogram import Router

from handlers.consultant import faq, questions
from handlers.filters import PRIVATE, Answerer


def build_router() -> Router:
    """The role filter on the parent: a member pressing an answerer's button falls through
    to the catch-all's polite «устарела», nothing changed."""
    consultant = Router(name="consultant")
    consultant.message.filter(PRIVATE, Answerer())
    consultant.callback_query.filter(Answerer())
    consultant.include_routers(questions.router(), faq.router())
    return consultant
