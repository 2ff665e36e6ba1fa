"""The questionnaire benchmark still drives whole conversations and checks what was stored.

Not a timing test: the figures are run by hand and reported in the README. This keeps the
script honest as the bot changes: two officers answer everything against the fake Bot API in
its own process, and every submission must hold exactly the scripted answers.
"""

from __future__ import annotations

import json

import pytest

from bench import questionnaire


def test_two_officers_answer_everything(capsys: pytest.CaptureFixture[str]) -> None:
    assert questionnaire.main(["--officers", "2"]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["verified"] is True
    assert figures["errors"] == 0
    assert figures["answers"] >= 2 * 22  # /anketa is not counted; every answer is
