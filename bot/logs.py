"""Logging set-up; the bot token is masked in every record, whoever logs it, and the database
drivers never log what they send."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Final

# The quietest level each of these loggers gets, whatever LOG_LEVEL says. At DEBUG aiosqlite
# logs every call with its arguments (a statement and its values: people's names, usernames,
# answers), asyncpg likewise; SQLAlchemy logs statements with their parameters from INFO
# (WARNING is its own default). LOG_LEVEL=DEBUG is for our code, not a dump of the database.
QUIET_LOGGERS: Final = {
    "aiosqlite": logging.INFO,
    "asyncpg": logging.INFO,
    "sqlalchemy": logging.WARNING,  # sqlalchemy.engine, .pool, .orm … inherit it
}


class SecretFilter(logging.Filter):
    """Replaces each secret in a record's rendered message and traceback with ***."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        masked = self._mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_text:
            record.exc_text = self._mask(record.exc_text)
        return True

    def _mask(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


# The per-update line (update id, user id, handler, duration), written at INFO: in the JSON
# log always (a log collector is there to count it), in the text log only at LOG_LEVEL=DEBUG.
UPDATE_LOGGER: Final = "bot.updates"
# The only extra fields a JSON line carries (`logger.info(..., extra={...})`): ids and timings,
# never a text or a name (152-FZ), whatever a caller passes.
JSON_FIELDS: Final = ("update_id", "update_type", "user_id", "handler", "duration_ms", "holder")
LOG_FORMATS: Final = ("text", "json")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, the whitelisted extras and
    the traceback; the message is rendered after SecretFilter masked it."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in JSON_FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                line[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


def setup_logging(level: int, secrets: list[str], log_format: str = "text") -> None:
    """Log to stderr with the secrets masked on the handler, so third-party loggers are covered;
    the QUIET_LOGGERS no lower than their floor (nor lower than `level`). `log_format` "json":
    JSON lines (LOG_FORMAT=json), with the per-update line at INFO."""
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
        logging.getLogger(UPDATE_LOGGER).setLevel(min(level, logging.INFO))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        quiet = logging.DEBUG if level <= logging.DEBUG else logging.WARNING
        logging.getLogger(UPDATE_LOGGER).setLevel(quiet)
    handler.addFilter(SecretFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name, floor in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(max(level, floor))
