"""The questionnaire benchmark still drives whole conversations and checks what was stored.

Not a timing test: the figures are run by hand and reported in the README. This keeps the
script honest as the bot changes: two officers answer everything against the fake Bot API in
its own process, and every submission must hold exactly the scripted answers. It runs as it is
run by hand, in a process of its own: the benchmark freezes its heap and sets up logging.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_two_officers_answer_everything() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.questionnaire", "--officers", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["verified"] is True
    assert figures["errors"] == 0
    assert figures["answers"] >= 2 * 22  # /anketa is not counted; every answer is
