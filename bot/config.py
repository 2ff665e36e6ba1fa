"""Settings read from the environment and `.env` (pydantic-settings)."""

from __future__ import annotations

import logging
import re
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from models import clock
from services.monitoring.schedule import Schedule

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/bot.db"
DEFAULT_SCHEDULE = Schedule()
LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


class DatabaseSettings(BaseSettings):
    """The part of the settings the command-line jobs need (migrations, directory, reports):
    no token required."""

    # An empty value (`CLOCK_NOW=` as `.env.example` has it) means "not set": the default.
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        env_ignore_empty=True,
    )

    database_url: str = DEFAULT_DATABASE_URL
    timezone: str = "Europe/Moscow"
    # Run as if it were this moment, the clock running on from there (a demo of a campaign
    # month, the CLI under tests); empty: the machine's clock. ISO 8601 with an offset.
    clock_now: datetime | None = None
    # The machine's Unix time at which it was CLOCK_NOW (empty: when this process starts):
    # processes given the same pair share one clock (a bot's BROADCAST_WORKERS children).
    clock_now_at: float | None = None
    # Members' questions: working days without an answer before the territory's answerers are
    # reminded; after twice that the question goes to the regional admins. Here, not in
    # Settings, because `report questions` measures answers against it without the token.
    question_sla_days: int = Field(default=3, ge=1, le=30)

    @field_validator("database_url")
    @classmethod
    def _db_url(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "поддерживаются sqlite+aiosqlite:///путь и postgresql+asyncpg://user:pass@host/db"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"неизвестный часовой пояс {value!r}, пример: Europe/Moscow"
            ) from None
        return value

    @field_validator("clock_now")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("укажите момент со смещением, например 2027-03-01T10:00:00+03:00")
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def install_clock(self) -> None:
        """The process clock: the machine's, or CLOCK_NOW's when set."""
        if self.clock_now is not None:
            moment = self.clock_now
            if self.clock_now_at is not None:
                elapsed = clock.SystemClock().now().timestamp() - self.clock_now_at
                moment += timedelta(seconds=elapsed)
            clock.install(clock.FakeClock(moment))


class Settings(DatabaseSettings):
    """Everything the bot needs to start; see `.env.example` for the meaning of each key."""

    bot_token: SecretStr
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    # The operator of personal data (152-FZ) as the consent names it, its address, the full
    # privacy text's address (empty: the bot shows it itself, /privacy), and how to reach a
    # person at the committee (empty: through one's chair).
    operator_name: str = (
        "Курская областная организация Профсоюза работников народного образования и науки РФ"
    )
    operator_address: str = ""
    privacy_url: str = ""
    contacts: str = ""
    telegram_api_url: str | None = None
    log_level: str = "INFO"
    # "json": one JSON object per log line (ids, handler, duration; never a text or a name).
    log_format: str = "text"
    # Per-user flood guard: at most `throttle_rate` updates per `throttle_period` seconds.
    throttle_rate: int = Field(default=15, ge=1)
    throttle_period: float = Field(default=5.0, gt=0)
    # Updates handled at once; more wait in line (each uses up to two database connections).
    update_concurrency: int = Field(default=16, ge=1, le=200)
    # Webhook mode: when WEBHOOK_URL is set (the public HTTPS address Telegram posts to), the
    # bot calls setWebhook and serves HTTP on WEBHOOK_HOST:WEBHOOK_PORT at WEBHOOK_PATH;
    # empty: long polling. Telegram sends WEBHOOK_SECRET back with every update.
    webhook_url: str = ""
    webhook_secret: SecretStr = SecretStr("")
    webhook_host: str = "0.0.0.0"
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    webhook_path: str = "/telegram/webhook"
    # Redis (redis://host:6379/0): FSM state in aiogram's RedisStorage and the flood guard's
    # counts, shared by every replica; empty: in the database and in this process.
    redis_url: str = ""
    # /metrics (Prometheus), /healthz and /readyz in polling mode on this port (0: off); in
    # webhook mode they are served beside the webhook.
    metrics_port: int = Field(default=0, ge=0, le=65535)
    metrics_host: str = "0.0.0.0"
    # Leases in the database (seconds): the scheduled sweeps run on the replica that holds
    # theirs, renewed every third of it; another replica takes over once it has run out. Without
    # Redis the one bot process holds the instance lease and a second one refuses to start.
    lease_seconds: float = Field(default=30.0, ge=3, le=300)
    # SIGTERM: stop taking updates, finish or hand back the sends in flight, exit within this.
    shutdown_timeout: float = Field(default=20.0, ge=1, le=600)
    # Broadcast delivery: Telegram allows about 30 messages per second to different chats.
    broadcast_rate: float = Field(default=30.0, gt=0)
    # Sends in flight at once, so that network latency does not cap the rate; also the most
    # a crash can duplicate.
    broadcast_concurrency: int = Field(default=16, ge=1, le=200)
    # Delivery worker processes of this replica over the shared outbox (this one and N − 1
    # `python -m bot deliver` children): what lifts paid broadcasts to Telegram's 1000/s.
    # Their sum stays under the rate: one limit shared through Redis, else split evenly.
    broadcast_workers: int = Field(default=1, ge=1, le=16)
    # Paid broadcasts (allow_paid_broadcast, costs Stars) lift the limit to up to 1000/s.
    paid_broadcast: bool = False
    paid_broadcast_rate: float = Field(default=1000.0, gt=0)
    # News arriving between these local hours comes silently; alerts always ring.
    quiet_hours_start: int = Field(default=22, ge=0, le=23)
    quiet_hours_end: int = Field(default=8, ge=0, le=23)
    # The admin's progress message is edited at most this often (seconds).
    progress_interval: float = Field(default=3.0, gt=0)
    # Quarterly monitoring: opened on `campaign_open_day` of these months at this local time,
    # answers accepted until `campaign_deadline_day` of the same month, reminders N days before.
    campaign_months: Annotated[tuple[int, ...], NoDecode] = DEFAULT_SCHEDULE.months
    campaign_open_day: int = Field(default=DEFAULT_SCHEDULE.open_day, ge=1, le=28)
    campaign_open_time: time = DEFAULT_SCHEDULE.open_time
    campaign_deadline_day: int = Field(default=DEFAULT_SCHEDULE.deadline_day, ge=1, le=28)
    campaign_deadline_time: time = DEFAULT_SCHEDULE.deadline_time
    reminder_days: Annotated[tuple[int, ...], NoDecode] = DEFAULT_SCHEDULE.reminder_days
    # The library of materials keeps its own copy of each file here (relative: to the
    # working directory), so a new bot token can re-send them: `materials reupload`.
    files_dir: Path = Path("data/files")
    # The plan of events: reminders to responsible people N days before each due month's end.
    plan_remind_days: Annotated[tuple[int, ...], NoDecode] = (14, 3)
    # Seminars and trainings: the second reminder goes this many minutes before the start
    # (the first the day before).
    event_remind_minutes: int = Field(default=60, ge=1, le=720)

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        token = value.get_secret_value().strip()
        if not token:
            raise ValueError(
                "токен не задан — получите его у @BotFather в Telegram (команда /newbot) "
                "и впишите в файл .env"
            )
        bot_id, _, secret = token.partition(":")
        if not bot_id.isdigit() or not secret:
            raise ValueError("токен должен иметь вид 123456789:AAE… (как его выдаёт @BotFather)")
        return SecretStr(token)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
            bad = [p for p in parts if not p.lstrip("-").isdigit()]
            if bad:
                raise ValueError(f"ожидаются числовые id через запятую, а не {', '.join(bad)}")
            return frozenset(int(p) for p in parts)
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("campaign_months", "reminder_days", "plan_remind_days", mode="before")
    @classmethod
    def _split_numbers(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
            if not all(p.isdigit() for p in parts):
                raise ValueError("ожидаются числа через запятую, например 3,6,9,12")
            return tuple(int(p) for p in parts)
        return value

    @field_validator("campaign_months")
    @classmethod
    def _months(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or any(not 1 <= m <= 12 for m in value):
            raise ValueError("месяцы от 1 до 12 через запятую")
        return tuple(sorted(set(value)))

    @model_validator(mode="after")
    def _webhook(self) -> Settings:
        if not self.webhook_url:
            return self
        if not self.webhook_url.startswith(("https://", "http://")):
            raise ValueError("WEBHOOK_URL: ожидается адрес вида https://bot.example.org/telegram")
        if not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", self.webhook_secret.get_secret_value()):
            raise ValueError(
                "WEBHOOK_SECRET: нужен при WEBHOOK_URL, 16–256 символов из A–Z, a–z, 0–9, _ и -"
            )
        if not self.webhook_path.startswith("/"):
            raise ValueError("WEBHOOK_PATH: путь начинается с /, например /telegram/webhook")
        return self

    @model_validator(mode="after")
    def _deadline_after_opening(self) -> Settings:
        if (self.campaign_deadline_day, self.campaign_deadline_time) <= (
            self.campaign_open_day,
            self.campaign_open_time,
        ):
            raise ValueError("CAMPAIGN_DEADLINE_DAY должен быть позже CAMPAIGN_OPEN_DAY")
        return self

    @field_validator("telegram_api_url")
    @classmethod
    def _api_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("ожидается адрес вида http://127.0.0.1:8081")
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        value = value.upper()
        if value not in LOG_LEVELS:
            raise ValueError(f"одно из {', '.join(LOG_LEVELS)}")
        return value

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in ("text", "json"):
            raise ValueError("text или json")
        return value

    @property
    def effective_broadcast_rate(self) -> float:
        return self.paid_broadcast_rate if self.paid_broadcast else self.broadcast_rate

    @property
    def log_level_number(self) -> int:
        return logging.getLevelNamesMapping()[self.log_level]


def describe_settings_error(error: ValidationError) -> str:
    """One readable line per bad key, naming the key as it is written in `.env`."""
    lines = []
    for item in error.errors():
        key = ".".join(str(p) for p in item["loc"]).upper() or "?"
        if item["type"] == "missing" and key == "BOT_TOKEN":
            lines.append(
                "Не задан BOT_TOKEN: получите токен у @BotFather в Telegram (команда /newbot) "
                "и впишите его в файл .env (образец — .env.example)."
            )
        elif item["type"] == "missing":
            lines.append(f"Не задан обязательный параметр {key} (см. .env.example).")
        else:
            message = str(item["msg"]).removeprefix("Value error, ")
            lines.append(f"Неверное значение {key}: {message}.")
    return "\n".join(lines)
