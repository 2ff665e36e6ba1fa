"""Admin routers; the role filter sits here, on the parent, not on each handler."""

from aiogram import F, Router

from handlers.admin import orgs
from handlers.filters import RegionalAdmin


def build_router() -> Router:
    admin = Router(name="admin")
    admin.message.filter(F.chat.type == "private", RegionalAdmin())
    admin.callback_query.filter(RegionalAdmin())
    admin.include_routers(orgs.router())
    return admin
