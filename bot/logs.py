"""Logging set-up; the bot token is masked in every record, whoever logs it, and the database
drivers never log what they send."""

from __future__ import annotations

import logging
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


def setup_logging(level: int, secrets: list[str]) -> None:
    """Log to stderr with the secrets masked on the handler, so third-party loggers are covered;
    the QUIET_LOGGERS no lower than their floor (nor lower than `level`)."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(SecretFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name, floor in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(max(level, floor))
