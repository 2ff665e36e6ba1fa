"""`python -m bot` as an operator runs it: settings errors, migrate, orgs import/export."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import Settings, describe_settings_error
from bot.logs import SecretFilter
from tests.conftest import SAMPLE_ORGS, TEST_NOW, TOKEN

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in Settings.model_fields
        and k.upper() not in {f.upper() for f in Settings.model_fields}
    }
    clean["PYTHONPATH"] = str(ROOT)
    clean["CLOCK_NOW"] = TEST_NOW.isoformat()  # the subprocess runs on the tests' clock too
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_missing_token_stops_with_one_clear_line(tmp_path: Path) -> None:
    result = run_cli(cwd=tmp_path, DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/b.db")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "BOT_TOKEN" in lines[0] and "@BotFather" in lines[0]
    assert "Traceback" not in result.stderr


def test_malformed_settings_name_their_keys(tmp_path: Path) -> None:
    result = run_cli(
        cwd=tmp_path,
        BOT_TOKEN="not-a-token",
        ADMIN_IDS="12,abc",
        TIMEZONE="Mars/Base",
        LOG_LEVEL="LOUD",
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "Неверное значение TIMEZONE",  # a setting of the command-line jobs too: listed first
        "Неверное значение BOT_TOKEN",
        "Неверное значение ADMIN_IDS",
        "Неверное значение LOG_LEVEL",
    ]
    assert "not-a-token" not in result.stderr  # even a wrong token is not echoed
    assert "Traceback" not in result.stderr


def test_settings_parse_the_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in Settings.model_fields:
        monkeypatch.delenv(key.upper(), raising=False)
    env = tmp_path / ".env"
    env.write_text(f"BOT_TOKEN={TOKEN}\nADMIN_IDS=1, 2;3\nTELEGRAM_API_URL=\n", encoding="utf-8")
    settings = Settings(_env_file=env)  # type: ignore[call-arg]
    assert settings.admin_ids == {1, 2, 3}
    assert settings.telegram_api_url is None
    assert settings.database_url == "sqlite+aiosqlite:///data/bot.db"
    assert str(settings.tz) == "Europe/Moscow"


def test_the_example_env_file_with_a_token_is_a_valid_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `python3 dev.py run` copies .env.example to .env; with BOT_TOKEN filled in it must start
    # (its empty keys, `CLOCK_NOW=` among them, mean the defaults).
    for key in Settings.model_fields:
        monkeypatch.delenv(key.upper(), raising=False)
    example = (Path(__file__).resolve().parent.parent / ".env.example").read_text("utf-8")
    env = tmp_path / ".env"
    env.write_text(example.replace("BOT_TOKEN=\n", f"BOT_TOKEN={TOKEN}\n"), encoding="utf-8")
    settings = Settings(_env_file=env)  # type: ignore[call-arg]
    assert settings.bot_token.get_secret_value() == TOKEN
    assert settings.clock_now is None and settings.clock_now_at is None
    assert settings.broadcast_workers == 1 and settings.telegram_api_url is None


def test_settings_error_text_for_a_missing_token() -> None:
    with pytest.raises(ValidationError) as error:
        Settings(_env_file=None)  # type: ignore[call-arg]
    assert "@BotFather" in describe_settings_error(error.value)


def test_secret_filter_masks_the_token_in_messages_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(SecretFilter([TOKEN]))
    log = logging.getLogger("test.secret")
    log.addHandler(handler)
    try:
        log.error("calling https://api.telegram.org/bot%s/getMe", TOKEN)
        try:
            raise RuntimeError(f"url /bot{TOKEN}/sendMessage")
        except RuntimeError:
            log.exception("failed")
    finally:
        log.removeHandler(handler)
    assert TOKEN not in stream.getvalue()
    assert stream.getvalue().count("***") == 2


def test_migrate_then_import_and_export(tmp_path: Path, migrated_url: str) -> None:
    env = {"DATABASE_URL": migrated_url}
    assert run_cli("migrate", cwd=tmp_path, **env).returncode == 0
    imported = run_cli("orgs", "import", str(SAMPLE_ORGS), cwd=tmp_path, **env)
    assert imported.returncode == 0, imported.stderr
    assert "добавлено 399" in imported.stdout
    out = tmp_path / "export.csv"
    exported = run_cli("orgs", "export", str(out), cwd=tmp_path, **env)
    assert exported.returncode == 0, exported.stderr
    again = run_cli("orgs", "import", str(out), cwd=tmp_path, **env)
    assert "добавлено 0, изменено 0, без изменений 399" in again.stdout


def test_a_bad_directory_exits_non_zero_listing_lines(tmp_path: Path, migrated_url: str) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("code,parent_code,level,name\n46,,regional,\n", encoding="utf-8")
    result = run_cli("orgs", "import", str(bad), cwd=tmp_path, DATABASE_URL=migrated_url)
    assert result.returncode == 1
    assert "Строка 2" in result.stderr
    missing = run_cli(
        "orgs", "import", str(tmp_path / "nope.csv"), cwd=tmp_path, DATABASE_URL=migrated_url
    )
    assert missing.returncode == 1 and "Не удалось прочитать" in missing.stderr
