"""Text written into a spreadsheet stays text: never a formula (CSV/XLSX injection).

Names in the organisation directory, officers' answers, people's Telegram names: any of them
may start with `=`, `+`, `-` or `@` (or a tab or carriage return, which Excel skips before
reading one of those). Opened in Excel or LibreOffice such a value would run as a formula:
`=HYPERLINK("http://evil.example";"Отчёт")` becomes a link, `=cmd|…` asks to start a program.
The rule, in one place for every export:

- CSV has no cell types, so a value that starts like a formula gets a leading apostrophe,
  which is how Excel marks a cell as text. Only text gets it: a number written as a number
  (−5, 12,5) is left as it is. `from_csv` undoes it on import, so an exported directory
  imports unchanged (a value that already started with apostrophes before a formula
  character gets one more, so the round trip is exact).
- XLSX has cell types: text goes into a string cell (shared or inline string), never `<f>`.
  The streaming writer in services/reports/export.py writes every str as a shared string;
  openpyxl, however, takes any str starting with `=` for a formula, so sheets built with it
  append their rows through `openpyxl_row`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from openpyxl.cell import WriteOnlyCell

FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet would take this text (after any apostrophes) for a formula."""
    return text.lstrip("'").startswith(FORMULA_START)


def csv_text(text: str) -> str:
    """Text for a CSV cell: a leading apostrophe before what would run as a formula."""
    return f"'{text}" if looks_like_formula(text) else text


def from_csv(text: str) -> str:
    """The value `csv_text` was given (text that did not come from it stays as it is)."""
    return text[1:] if text.startswith("'") and looks_like_formula(text) else text


def openpyxl_row(sheet: Any, values: Iterable[object]) -> list[object]:
    """A row for openpyxl's `sheet.append` (normal or write-only sheet) in which every str is a
    string cell; other values (numbers, dates, None) go as they are."""
    row: list[object] = []
    for value in values:
        if isinstance(value, str):
            cell = WriteOnlyCell(sheet, value)
            cell.data_type = "s"  # openpyxl has just made "=…" a formula ("f")
            row.append(cell)
        else:
            row.append(value)
    return row
