"""`python -m bot broadcast`: an HTML text broadcast from a file, enqueued for the worker.

The command only writes the outbox; the running bot's delivery worker finds the broadcast on
its next poll and sends it. Nothing here imports aiogram, so the command starts fast and
needs no bot token.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from services import audit
from services.broadcasts import outbox


async def enqueue_text_file(
    session: AsyncSession,
    path: Path,
    *,
    topic_slugs: list[str],
    org_code: str | None,
    alert: bool,
) -> bool:
    """Enqueue the file's text; print the result, or every problem on stderr (then False)."""
    text, problems = await _read_text(path)
    if text is None:
        problems += await outbox.target_problems(
            session, topic_slugs=topic_slugs, org_code=org_code
        )
    else:
        try:
            broadcast = await outbox.create_text_broadcast(
                session,
                text=text,
                topic_slugs=topic_slugs,
                org_code=org_code,
                alert=alert,
                actor=audit.cli_actor(),
            )
        except outbox.BroadcastInputError as error:
            problems = error.problems
    if problems:
        print("Рассылка не поставлена в очередь:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return False
    print(f"Рассылка №{broadcast.id} поставлена в очередь: получателей {broadcast.total}.")
    return True


async def _read_text(path: Path) -> tuple[str | None, list[str]]:
    """The file's text (UTF-8, a BOM tolerated), or None and why it could not be read."""
    try:
        content = await asyncio.to_thread(path.read_bytes)
    except FileNotFoundError:
        return None, [f"Файл {path} не найден."]
    except IsADirectoryError:
        return None, [f"{path} — это папка, а нужен файл с текстом."]
    except PermissionError:
        return None, [f"Нет прав на чтение файла {path}."]
    except OSError as error:
        return None, [f"Не удалось прочитать файл {path}: {error.strerror or error}."]
    try:
        return content.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        return None, [f"Файл {path} не в кодировке UTF-8."]
