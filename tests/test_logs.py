"""The log as the process writes it (bot/logs.py setup_logging): no personal data from the
database drivers or SQLAlchemy, whatever LOG_LEVEL says."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import QUIET_LOGGERS, UPDATE_LOGGER, setup_logging
from fakeapi import FakeTelegram, FakeUser
from tests.conftest import TOKEN, RunningBot
from tests.helpers import person_of, screen

pytestmark = pytest.mark.usefixtures("directory")

DRIVER_LOGGERS = ("aiosqlite", "asyncpg", "sqlalchemy", "sqlalchemy.engine", "sqlalchemy.pool")


@pytest.fixture
def process_log() -> Iterator[io.StringIO]:
    """What setup_logging's own handler writes, as text; the logging state is put back after
    (setup_logging replaces the root's handlers, pytest's among them)."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    names = (*DRIVER_LOGGERS, *QUIET_LOGGERS, UPDATE_LOGGER)
    levels = {name: logging.getLogger(name).level for name in names}
    stream = io.StringIO()
    try:
        yield stream
    finally:
        root.handlers[:], root.level = saved
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def capture(stream: io.StringIO, level: int, log_format: str = "text") -> None:
    setup_logging(level, [TOKEN], log_format)
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)


@pytest.mark.parametrize("level", [logging.DEBUG, logging.INFO])
async def test_a_registration_leaves_no_names_in_the_log(
    fake: FakeTelegram,
    running_bot: RunningBot,
    process_log: io.StringIO,
    level: int,
) -> None:
    capture(process_log, level)
    person = FakeUser(id=100321, first_name="Евдокия", last_name="Шереметева", username="evd_sh")
    await fake.send_message(person, "/start")
    await fake.click(person, "✅ Согласен(на)")
    assert "Согласие получено" in screen(fake, person.id).text
    stored = await person_of(running_bot.sessions, person.id)
    assert stored is not None and stored.username == "evd_sh"  # it did go to the database

    log = process_log.getvalue()
    assert log  # the handler did receive records (aiogram's, at least)
    for private in ("Евдокия", "Шереметева", "evd_sh"):
        assert private not in log, private


def test_driver_loggers_stay_quiet_whatever_the_level(process_log: io.StringIO) -> None:
    capture(process_log, logging.DEBUG)
    assert logging.getLogger().level == logging.DEBUG  # our own code is verbose
    for name in DRIVER_LOGGERS:
        logger = logging.getLogger(name)
        assert not logger.isEnabledFor(logging.DEBUG), name
    # SQLAlchemy logs every statement with its parameters at INFO already.
    assert not logging.getLogger("sqlalchemy.engine.Engine").isEnabledFor(logging.INFO)

    capture(process_log, logging.ERROR)  # a floor, never a way to make them louder
    for name in DRIVER_LOGGERS:
        assert not logging.getLogger(name).isEnabledFor(logging.WARNING), name


async def test_json_lines_carry_ids_handler_and_duration_but_no_name_text_or_token(
    fake: FakeTelegram, running_bot: RunningBot, process_log: io.StringIO
) -> None:
    capture(process_log, logging.INFO, "json")
    person = FakeUser(id=100322, first_name="Аграфена", last_name="Голицына", username="agr_g")
    await fake.send_message(person, "/start")
    await fake.click(person, "✅ Согласен(на)")
    assert "Согласие получено" in screen(fake, person.id).text
    logging.getLogger("bot").info("Token %s must not show", TOKEN)

    raw = process_log.getvalue()
    lines = [json.loads(line) for line in raw.splitlines()]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    handled = [line for line in lines if line["logger"] == UPDATE_LOGGER]
    assert [line["update_type"] for line in handled] == ["message", "callbackquery"]
    assert {line["user_id"] for line in handled} == {person.id}
    assert len({line["update_id"] for line in handled}) == 2
    assert all(line["handler"].startswith("handlers.") for line in handled)
    assert all(isinstance(line["duration_ms"], float) for line in handled)
    for private in ("Аграфена", "Голицына", "agr_g", "Согласен", "/start", TOKEN):
        assert private not in raw, private
    assert any(line["message"] == "Token *** must not show" for line in lines)


def test_the_text_log_keeps_the_update_line_at_debug(process_log: io.StringIO) -> None:
    capture(process_log, logging.INFO)
    assert not logging.getLogger(UPDATE_LOGGER).isEnabledFor(logging.INFO)
    capture(process_log, logging.INFO, "json")
    assert logging.getLogger(UPDATE_LOGGER).isEnabledFor(logging.INFO)
