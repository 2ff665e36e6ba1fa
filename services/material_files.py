"""The library's files on the Telegram side: sending a material by its stored file_id,
keeping the bot's own copy, and re-sending the copies to refresh ids under a new token."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import FSInputFile, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from models import Material, MaterialKind
from services import materials

logger = logging.getLogger(__name__)


async def send(
    bot: Bot,
    material: Material,
    chat_id: int,
    caption: str,
    markup: InlineKeyboardMarkup | None = None,
) -> Message:
    """The material itself by its stored file_id (no upload); a link as a message."""
    if material.kind is MaterialKind.LINK or material.file_id is None:
        return await bot.send_message(chat_id, caption, reply_markup=markup)
    if material.kind is MaterialKind.VIDEO:
        return await bot.send_video(
            chat_id, material.file_id, caption=caption, reply_markup=markup
        )
    if material.kind is MaterialKind.PHOTO:
        return await bot.send_photo(
            chat_id, material.file_id, caption=caption, reply_markup=markup
        )
    return await bot.send_document(chat_id, material.file_id, caption=caption, reply_markup=markup)


async def keep_copy(session: AsyncSession, bot: Bot, material: Material, files_dir: Path) -> bool:
    """Download the file into FILES_DIR (if Telegram lets the bot: up to 20 MB); True when
    the copy is kept. A failed download leaves the material as it is, with no copy."""
    if material.file_id is None or (material.file_size or 0) > materials.DOWNLOAD_LIMIT:
        return False
    name = materials.stored_name(material)
    try:
        await asyncio.to_thread(files_dir.mkdir, parents=True, exist_ok=True)
        await bot.download(material.file_id, destination=files_dir / name)
    except (TelegramAPIError, OSError) as error:
        logger.warning("Material %s: no copy of its file kept: %s", material.id, error)
        return False
    await materials.set_stored_path(session, material, name)
    return True


@dataclass
class ReuploadResult:
    done: int = 0
    skipped: int = 0
    failed: int = 0


def _sent_file(message: Message) -> tuple[str, str] | None:
    if message.document is not None:
        return message.document.file_id, message.document.file_unique_id
    if message.video is not None:
        return message.video.file_id, message.video.file_unique_id
    if message.photo:
        biggest = message.photo[-1]
        return biggest.file_id, biggest.file_unique_id
    return None


async def reupload(
    session: AsyncSession, bot: Bot, chat_id: int, files_dir: Path, problems: list[str]
) -> ReuploadResult:
    """Send every kept copy to `chat_id` (quietly), store the new file id, delete the message.
    Materials without a copy (files over 20 MB) are counted as skipped."""
    from texts import materials as texts

    result = ReuploadResult(skipped=await materials.too_big_count(session))
    for material in await materials.with_files(session):
        assert material.stored_path is not None
        path = files_dir / material.stored_path
        if not path.is_file():
            problems.append(texts.REUPLOAD_MISSING.format(id=material.id, path=path))
            result.failed += 1
            continue
        upload = FSInputFile(path, filename=material.file_name or path.name)
        try:
            if material.kind is MaterialKind.VIDEO:
                sent = await bot.send_video(chat_id, upload, disable_notification=True)
            elif material.kind is MaterialKind.PHOTO:
                sent = await bot.send_photo(chat_id, upload, disable_notification=True)
            else:
                sent = await bot.send_document(chat_id, upload, disable_notification=True)
        except TelegramAPIError as error:
            problems.append(texts.REUPLOAD_FAILED.format(id=material.id, reason=error.message))
            result.failed += 1
            continue
        found = _sent_file(sent)
        if found is None:
            result.failed += 1
            continue
        await materials.set_file_id(session, material, *found)
        result.done += 1
        # The file id is stored; a leftover message in the admin's chat is harmless.
        with contextlib.suppress(TelegramAPIError):
            await bot.delete_message(chat_id, sent.message_id)
    return result
