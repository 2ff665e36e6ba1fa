"""Questionnaire versions in the database: a changed definition becomes a new version."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import AuditKind
from models import Questionnaire as QuestionnaireRow
from services import audit
from services.monitoring.questionnaire import Questionnaire, definition_hash, load_default
from services.unique import first_writer_wins


async def store(
    session: AsyncSession,
    questionnaire: Questionnaire,
    actor: audit.Actor | None = None,
    file_name: str | None = None,
) -> QuestionnaireRow:
    """The row for this definition: the existing one if unchanged, else the next version
    (audited as the actor's upload of `file_name`)."""
    digest = definition_hash(questionnaire)
    query = select(QuestionnaireRow).where(
        QuestionnaireRow.code == questionnaire.id, QuestionnaireRow.definition_hash == digest
    )
    existing = await session.scalar(query)
    if existing is not None:
        return existing

    async def insert() -> QuestionnaireRow:
        last = await session.scalar(
            select(func.max(QuestionnaireRow.version)).where(
                QuestionnaireRow.code == questionnaire.id
            )
        )
        row = QuestionnaireRow(
            code=questionnaire.id,
            version=(last or 0) + 1,
            title=questionnaire.title,
            definition=questionnaire.model_dump(mode="json"),
            definition_hash=digest,
        )
        session.add(row)
        audit.record(
            session,
            actor,
            AuditKind.QUESTIONNAIRE_UPLOADED,
            code=row.code,
            version=row.version,
            file=file_name,
        )
        await session.commit()
        return row

    # The same definition stored by a concurrent caller (two first sweeps) is that row.
    return await first_writer_wins(session, insert, query)


async def current(session: AsyncSession, code: str = "quarterly") -> QuestionnaireRow:
    """The newest version; the default questionnaire is stored the first time it is needed."""
    row = await session.scalar(
        select(QuestionnaireRow)
        .where(QuestionnaireRow.code == code)
        .order_by(QuestionnaireRow.version.desc())
        .limit(1)
    )
    return row if row is not None else await store(session, load_default())


def definition(row: QuestionnaireRow) -> Questionnaire:
    """The frozen definition a campaign was opened with.

    Validating the JSON costs ~9 ms, paid on every answer before this cache. A version's row
    never changes (a changed file is a new version), and the model is frozen, so one parsed
    definition per version is shared by every chat.
    """
    parsed = _PARSED.get(row.definition_hash)
    if parsed is None:
        parsed = _PARSED[row.definition_hash] = Questionnaire.model_validate(row.definition)
    return parsed


async def definition_of(session: AsyncSession, row_id: int, digest: str) -> Questionnaire:
    """`definition` of the row with that id and hash, read from the database only the first
    time: the answer path loads the hash alone, not the definition's JSON."""
    parsed = _PARSED.get(digest)
    if parsed is None:
        row = await session.get_one(QuestionnaireRow, row_id)
        parsed = definition(row)
    return parsed


_PARSED: dict[str, Questionnaire] = {}  # by content hash; a handful of versions in a lifetime
