"""A regional admin sends a questionnaire YAML: a new version for the next campaigns."""

from __future__ import annotations

import io

from aiogram import Bot, F, Router
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.filters import When
from services.audit import Actor
from services.monitoring import versions
from services.monitoring.questionnaire import QuestionnaireError, load_questionnaire
from texts import ru
from texts.ru import h

MAX_FILE_BYTES = 512 * 1024
MAX_PROBLEMS_SHOWN = 30


async def on_questionnaire_file(
    message: Message, bot: Bot, session: AsyncSession, actor: Actor | None
) -> None:
    document = message.document
    assert document is not None  # guaranteed by the filter
    name = document.file_name or "anketa.yaml"
    if (document.file_size or 0) > MAX_FILE_BYTES:
        await message.answer(ru.QF_TOO_BIG)
        return
    buffer = io.BytesIO()
    await bot.download(document, destination=buffer)
    try:
        questionnaire = load_questionnaire(buffer.getvalue())
    except QuestionnaireError as error:
        shown = [f"• {h(problem)}" for problem in error.problems[:MAX_PROBLEMS_SHOWN]]
        if len(error.problems) > MAX_PROBLEMS_SHOWN:
            shown.append(
                ru.ORGS_REJECTED_MORE.format(count=len(error.problems) - MAX_PROBLEMS_SHOWN)
            )
        await message.answer(ru.QF_REJECTED.format(name=h(name), problems="\n".join(shown)))
        return
    before = await versions.current(session, questionnaire.id)
    row = await versions.store(session, questionnaire, actor, name)
    template = ru.QF_UNCHANGED if row.id == before.id else ru.QF_SAVED
    await message.answer(
        template.format(
            title=h(row.title), version=row.version, count=len(questionnaire.questions)
        )
    )


def router() -> Router:
    """This module's handlers on a fresh router (one per dispatcher)."""
    r = Router(name=__name__)
    r.message.register(
        on_questionnaire_file, When(F.document.file_name.regexp(r"(?i)^.+\.ya?ml$"))
    )
    return r
