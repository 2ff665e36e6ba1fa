#!/usr/bin/env python3
"""Developer entry point that needs nothing but Python 3.11+.

    python3 dev.py run    # local .venv, dependencies, migrations, then the bot (long polling)
    python3 dev.py test   # local .venv with dev tools, then ruff, mypy and the whole test suite

Dependencies are installed from pyproject.toml pinned by requirements.lock, once: a stamp in
.venv remembers what was installed and reinstalls only when either file changes. Both
commands install the same set, what either needs (the dev tools and the PostgreSQL driver),
so switching between `run` and `test` installs nothing.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
LOCK = ROOT / "requirements.lock"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed"
# The union of what `run` (the PostgreSQL driver) and `test` (pytest, ruff, mypy…) need. A
# set per command would reinstall at every switch between them: one stamp, one set.
EXTRAS = "dev,postgres"


def _run(*args: str | Path) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    code = subprocess.call([str(a) for a in args], cwd=ROOT)
    if code:
        sys.exit(code)


def _ensure_venv() -> None:
    """.venv with EXTRAS installed as the current pyproject.toml and lock say; pip runs only
    if that is not what the stamp records."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this file runs before the venv exists
        sys.exit("Нужен Python 3.11 или новее.")
    if not PYTHON.exists():
        print(f"Создаю виртуальное окружение в {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256(
        (ROOT / "pyproject.toml").read_bytes() + LOCK.read_bytes() + EXTRAS.encode()
    ).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest:
        return
    _run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    _run(PYTHON, "-m", "pip", "install", "--quiet", "-c", LOCK, "-e", f".[{EXTRAS}]")
    STAMP.write_text(digest)


def run() -> None:
    _ensure_venv()
    env_file = ROOT / ".env"
    if not env_file.exists():
        shutil.copy(ROOT / ".env.example", env_file)
        print("Создан файл .env из .env.example — впишите в него BOT_TOKEN.", flush=True)
    # `python -m bot` applies pending migrations itself before it starts polling.
    os.execv(PYTHON, [str(PYTHON), "-m", "bot", *sys.argv[2:]])


def test() -> None:
    _ensure_venv()
    _run(PYTHON, "-m", "ruff", "check", ".")
    _run(PYTHON, "-m", "mypy")
    _run(PYTHON, "-m", "pytest", *sys.argv[2:])


if __name__ == "__main__":
    commands = {"run": run, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(f"usage: python3 {Path(__file__).name} run|test [args…]")
    commands[sys.argv[1]]()
