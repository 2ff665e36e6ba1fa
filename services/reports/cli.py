"""`python -m bot report KIND`: a report's files written to a folder, errors said plainly."""

from __future__ import annotations

import asyncio
import sys
from datetime import tzinfo
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from models import utcnow
from services import audit, orgs
from services.reports import build
from services.reports.build import ReportKind, Scope
from services.reports.data import campaigns_for_report
from texts import presidium as texts


async def write_report(
    session: AsyncSession,
    kind: str,
    out: Path,
    *,
    year: int | None,
    quarter: int | None,
    territory: str | None,
    tz: tzinfo,
    question_sla_days: int,
) -> bool:
    """Writes the files and prints their paths; False, with one clear line on stderr, for a
    bad argument or a quarter without a campaign."""
    scope = Scope()
    if territory is not None:
        found = build.territory_scope(await orgs.get_by_code(session, territory))
        if found is None:
            return _fail(texts.CLI_NO_TERRITORY.format(code=territory))
        scope = found
    if kind in (ReportKind.SUBSCRIBERS, ReportKind.QUESTIONS, ReportKind.EVENTS) and (
        year is not None or quarter is not None
    ):
        return _fail(texts.CLI_SUBSCRIBERS_ARE_TODAY)
    if quarter is not None and year is None:
        return _fail(texts.CLI_QUARTER_NEEDS_YEAR)
    if year is not None:
        if quarter is None:
            return _fail(texts.CLI_YEAR_NEEDS_QUARTER)
        ids = await campaigns_for_report(session, year, quarter)
        if not ids:
            return _fail(texts.CLI_NO_SUCH_CAMPAIGN.format(quarter=quarter, year=year))
        scope = Scope(ids[0], scope.territory_id, scope.territory_code)
    try:
        files = await build.make(
            session,
            ReportKind(kind),
            scope,
            now=utcnow(),
            tz=tz,
            actor=audit.cli_actor(),
            question_sla_days=question_sla_days,
        )
    except build.NoCampaign:
        return _fail(texts.CLI_NO_CAMPAIGN)
    try:
        await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)
        for file in files:
            await asyncio.to_thread((out / file.name).write_bytes, file.content)
    except OSError as error:
        return _fail(texts.CLI_CANNOT_WRITE.format(path=out, reason=error.strerror))
    for file in files:
        print(out / file.name)
    return True


def _fail(message: str) -> bool:
    print(message, file=sys.stderr)
    return False
