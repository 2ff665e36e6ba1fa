"""Admin routers; the role filters sit here, on the parents, not on each handler."""

from aiogram import Router

from handlers.admin import (
    ais,
    audit,
    broadcast,
    broadcast_control,
    consultants,
    events,
    materials,
    monitoring,
    officers,
    orgs,
    plan,
    questionnaire_file,
    reports,
)
from handlers.filters import PRIVATE, AnyAdmin, RegionalAdmin


def build_router() -> Router:
    """Broadcasts for regional and territorial admins; the directory for regional admins."""
    admin = Router(name="admin")
    admin.message.filter(PRIVATE, AnyAdmin())
    admin.callback_query.filter(AnyAdmin())

    regional = Router(name="admin.regional")
    regional.message.filter(RegionalAdmin())
    regional.callback_query.filter(RegionalAdmin())
    regional.include_routers(questionnaire_file.router(), plan.regional_router(), orgs.router())
    regional.include_router(consultants.router())

    admin.include_routers(
        broadcast.router(),
        broadcast_control.router(),
        monitoring.router(),
        reports.router(),
        officers.router(),
        ais.router(),
        audit.router(),
        materials.router(),
        plan.router(),
        events.router(),
        regional,
    )
    return admin
