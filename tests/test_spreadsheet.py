"""The one rule that keeps text in spreadsheets text (services/spreadsheet.py)."""

from __future__ import annotations

import pytest

from services.spreadsheet import csv_text, from_csv


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://evil.example")', '\'=HYPERLINK("http://evil.example")'),
        ("+7 900", "'+7 900"),
        ("-5", "'-5"),  # text that looks like a number; numbers themselves are not text
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("'=1+1", "''=1+1"),  # an apostrophe of its own survives the round trip
        ("'просто", "'просто"),
        ("Школа № 5 = лучшая", "Школа № 5 = лучшая"),
        ("", ""),
    ],
)
def test_csv_text_quotes_what_would_run_and_from_csv_undoes_it(value: str, written: str) -> None:
    assert csv_text(value) == written
    assert from_csv(written) == value
