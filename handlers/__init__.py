"""aiogram routers, grouped by role; `build_root_router` is the one place they are assembled."""

from aiogram import Router

from handlers import admin, consultant, fallback, member, officer, plan_report
from handlers.errors import on_error


def build_root_router() -> Router:
    """Admin features first (they carry the role filter), officers, members, the catch-all."""
    root = Router(name="root")
    root.errors.register(on_error)
    root.include_routers(
        # First: an answerer's answer may be a document, which the admins' file handlers
        # would take; it only matches in its own states and on its own buttons.
        consultant.build_router(),
        plan_report.router(),  # before the admins: a responsible admin's report is no file
        admin.build_router(),
        officer.build_router(),
        member.build_router(),
        fallback.router(),  # last: it answers whatever the routers above left unhandled
    )
    return root
