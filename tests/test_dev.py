"""dev.py installs once: switching between `run` and `test` runs no pip (a fake pip and a
.venv in a temporary folder; nothing is installed)."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load_dev() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dev_under_test", ROOT / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def dev(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[ModuleType, list[list[str]]]:
    """dev.py pointed at a copy of the project's files in tmp_path, with its commands
    recorded instead of run: (the module, the commands it ran)."""
    for name in ("pyproject.toml", "requirements.lock", ".env.example"):
        shutil.copy(ROOT / name, tmp_path / name)
    module = load_dev()
    venv = tmp_path / ".venv"
    python = venv / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.touch()  # an existing venv: dev.py does not create one
    for name, value in {
        "ROOT": tmp_path,
        "VENV": venv,
        "LOCK": tmp_path / "requirements.lock",
        "BIN": python.parent,
        "PYTHON": python,
        "STAMP": venv / ".installed",
    }.items():
        monkeypatch.setattr(module, name, value, raising=False)
    commands: list[list[str]] = []
    monkeypatch.setattr(module, "_run", lambda *args: commands.append([str(a) for a in args]))
    monkeypatch.setattr(module.os, "execv", lambda *args: commands.append(["exec", *args[1]]))
    monkeypatch.setattr(module.sys, "argv", ["dev.py", "command"])
    return module, commands


def pip_runs(commands: list[list[str]]) -> list[list[str]]:
    return [command for command in commands if command[1:4] == ["-m", "pip", "install"]]


def test_switching_between_run_and_test_installs_nothing(
    dev: tuple[ModuleType, list[list[str]]],
) -> None:
    module, commands = dev
    for command in (module.test, module.run, module.test, module.run, module.test):
        command()
    installed = pip_runs(commands)
    assert len(installed) == 2, installed  # the first command: pip itself, then the project
    target = installed[-1][-1]  # with what either command needs
    assert target.startswith(".[") and {"dev", "postgres"} <= set(target[2:-1].split(","))
    assert any(c[:3] == ["exec", str(module.PYTHON), "-m"] for c in commands)  # the bot ran
    assert any(c[1:3] == ["-m", "pytest"] for c in commands)  # and the tests


def test_a_changed_lock_installs_again_once(dev: tuple[ModuleType, list[list[str]]]) -> None:
    module, commands = dev
    module.run()
    assert len(pip_runs(commands)) == 2
    lock = module.LOCK
    lock.write_text(lock.read_text() + "# changed\n")
    commands.clear()
    module.test()
    module.run()
    assert len(pip_runs(commands)) == 2  # one install (pip + project), then none
