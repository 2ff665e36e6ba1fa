"""/orgs and directory files sent by a regional admin: export and import of organisations."""

from __future__ import annotations

import io
from pathlib import PurePath

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, Document, Message
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.filters import When
from models import OrgLevel
from services import orgs
from services.audit import Actor
from texts import ru
from texts.ru import h

MAX_FILE_MB = 5
MAX_PROBLEMS_SHOWN = 30
EXPORT_NAME = "organizations.xlsx"


async def cmd_orgs(message: Message, session: AsyncSession) -> None:
    counts = await orgs.count_by_level(session)
    await message.answer(
        ru.ORGS_INFO.format(
            regional=counts[OrgLevel.REGIONAL],
            territorial=counts[OrgLevel.TERRITORIAL],
            primary=counts[OrgLevel.PRIMARY],
        )
    )
    content = await orgs.export_directory(session, EXPORT_NAME)
    await message.answer_document(
        BufferedInputFile(content, filename=EXPORT_NAME),
        caption=ru.ORGS_EXPORT_CAPTION.format(count=sum(counts.values())),
    )


def _is_directory_file(document: Document) -> bool:
    return PurePath(document.file_name or "").suffix.lower() in orgs.SUPPORTED_SUFFIXES


async def on_directory_file(
    message: Message, bot: Bot, session: AsyncSession, actor: Actor | None
) -> None:
    document = message.document
    assert document is not None  # guaranteed by the When(F.document) filter
    name = document.file_name or "файл"
    if not _is_directory_file(document):
        await message.answer(ru.ORGS_BAD_TYPE)
        return
    if (document.file_size or 0) > MAX_FILE_MB * 1024 * 1024:
        await message.answer(ru.ORGS_TOO_BIG.format(limit=MAX_FILE_MB))
        return
    await message.answer(ru.ORGS_IMPORT_STARTED.format(name=h(name)))
    buffer = io.BytesIO()
    await bot.download(document, destination=buffer)
    try:
        result = await orgs.import_directory(session, name, buffer.getvalue(), actor)
    except orgs.DirectoryError as error:
        await message.answer(_rejection(name, error))
        return
    await message.answer(
        ru.ORGS_IMPORTED.format(
            name=h(name),
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
        )
    )


def _rejection(name: str, error: orgs.DirectoryError) -> str:
    shown = [f"• {h(problem)}" for problem in error.problems[:MAX_PROBLEMS_SHOWN]]
    hidden = len(error.problems) - len(shown)
    if hidden > 0:
        shown.append(ru.ORGS_REJECTED_MORE.format(count=hidden))
    return ru.ORGS_REJECTED.format(name=h(name), problems="\n".join(shown))


def router() -> Router:
    """This module's handlers on a fresh router (one per dispatcher)."""
    r = Router(name=__name__)
    r.message.register(cmd_orgs, Command("orgs"))
    r.message.register(on_directory_file, When(F.document))
    return r
