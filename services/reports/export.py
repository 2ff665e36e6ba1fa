"""Monitoring exports: an XLSX workbook (summary, ratings, best practice, who did not submit,
the answers wide and long, the questions) and the wide answers as CSV.

Sheets are built as `Table`s — columns and a stream of rows of typed cells — and written by
a small streaming SpreadsheetML writer below rather than by openpyxl. The reason is speed:
without lxml (not a dependency) openpyxl's write-only mode costs ~45 µs per cell (measured),
and 700 organisations × 8 quarters are ~1 million cells (the long sheet alone ~800 000):
45 s. The writer here needs ~1.5 µs per cell: ~1.6 s for the lot (bench/report.py). It
streams each sheet into the zip as it goes, so memory stays flat whatever the row count;
only the shared strings (each distinct text once) are held until the end. openpyxl reads
the result back in the tests. Every text is a shared-string cell and no cell is ever a
formula, so an answer like «=1+1» opens as the text it is (services/spreadsheet.py).

What a cell holds: text; a number (int or float; a column's `Format` decides how numbers
look); a `date` (shown DD.MM.YYYY) or naive `datetime` (DD.MM.YYYY HH:MM, Moscow time: Excel
has no time zones, so the headers say «МСК»); a `Link` (a clickable address); or None (an
empty cell).

Conventions in the answers: yes/no answers are «Да»/«Нет», the words the officer pressed and
the chat shows, the same in the long sheet, the CSV and the wide sheet, and countable with
COUNTIF; each choice of a multiple-choice question is its own 0/1 column, so SUM counts the
organisations that ticked it and AVERAGE gives their share. An empty answer cell means the
question was not shown to the organisation, or skipped (the long sheet tells which: a skip
is «пропущено» there), or not yet answered in a draft.
"""

from __future__ import annotations

import csv
import enum
import functools
import io
import math
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Final
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from openpyxl.utils import get_column_letter

from models import SubmissionStatus
from services import spreadsheet
from services.monitoring.questionnaire import (
    NUMBER_TYPES,
    SELECT_TYPES,
    Choice,
    Question,
    QuestionType,
    format_answer,
)
from services.reports import rating
from services.reports.data import CampaignInfo, Dataset, OrgRow
from texts import reports as texts

REPORT_TZ: Final = ZoneInfo("Europe/Moscow")
HEADER_LIMIT: Final = 80  # characters of a question's text in a column header
CHOICE_QUESTION_LIMIT: Final = 50  # … of the question's text before «: choice label»


# --- the table model -----------------------------------------------------------------------


class Format(enum.Enum):
    """How the numbers of a column look."""

    GENERAL = "general"
    SHARE = "share"  # a fraction shown as a percentage: 0.853 → 85,3%
    INDEX = "index"  # two decimals
    AVERAGE = "average"  # one decimal


@dataclass(frozen=True, slots=True)
class Link:
    """A cell that opens `url` when clicked."""

    url: str


Cell = str | int | float | date | datetime | Link | None


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    width: float  # in characters, as Excel measures columns
    format: Format = Format.GENERAL


@dataclass
class Table:
    """A sheet: a bold header row, frozen with the first `freeze_columns` columns, filterable."""

    title: str
    columns: list[Column]
    rows: Iterable[Sequence[Cell]]
    freeze_columns: int = 0


# Column widths by what they hold.
QUARTER_COLUMN: Final = Column(texts.QUARTER, 17)
TERRITORY_COLUMN: Final = Column(texts.TERRITORY, 36)
CODE_COLUMN: Final = Column(texts.CODE, 11)
ORG_COLUMN: Final = Column(texts.ORGANISATION, 50)
RANK_COLUMN: Final = Column(texts.RANK, 8)
STATUS_COLUMN: Final = Column(texts.STATUS, 12)
INDEX_COLUMN: Final = Column(texts.INDEX, 9, Format.INDEX)
ANSWER_WIDTHS: Final = {
    QuestionType.YES_NO: 10,
    QuestionType.SELECT_ONE: 24,
    QuestionType.SELECT_MULTIPLE: 30,
    QuestionType.INTEGER: 12,
    QuestionType.DECIMAL: 12,
    QuestionType.PERCENT: 12,
    QuestionType.TEXT: 40,
    QuestionType.URL: 36,
    QuestionType.DATE: 12,
}
CHOICE_WIDTH: Final = 14


# --- answers as cells ----------------------------------------------------------------------


def local(moment: datetime | None) -> datetime | None:
    """A stored UTC moment as Moscow wall-clock time to the second, without a zone (Excel
    cannot hold one)."""
    if moment is None:
        return None
    return moment.astimezone(REPORT_TZ).replace(tzinfo=None, microsecond=0)


_AS_IS: Final = frozenset({QuestionType.TEXT, QuestionType.URL})


def typed(question: Question, value: object) -> Cell:
    """An answer as a cell: numbers stay numbers, a date becomes a date, anything else is the
    text the officer saw on the review screen («Да», choice labels, «пропущено»)."""
    kind = question.type
    if kind in _AS_IS and type(value) is str:
        return value  # what format_answer would give, without its checks
    if kind in NUMBER_TYPES and isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if kind is QuestionType.DATE and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    return format_answer(question, value)


class Typist:
    """`typed`, remembering the words of yes/no and choice answers for one export.

    A choice label is a few microseconds to look up (the questionnaire model resolves shared
    choice lists through a pydantic private attribute), the same few answers repeat tens of
    thousands of times in a two-year export, and format_answer stays the one place that
    words them. Keyed by the question object's id: the dataset keeps every question alive
    while its export runs, so an id cannot be reused meanwhile.
    """

    def __init__(self) -> None:
        self._memo: dict[tuple[int, object], Cell] = {}

    def __call__(self, question: Question, value: object) -> Cell:
        if question.type not in _WORDED:
            return typed(question, value)
        key = (id(question), tuple(value) if isinstance(value, list) else value)
        found = self._memo.get(key)  # typed() never gives None
        if found is None:
            found = self._memo[key] = typed(question, value)
        return found


_WORDED: Final = frozenset({QuestionType.YES_NO, *SELECT_TYPES})


@functools.lru_cache(maxsize=1024)  # the long sheet asks once per answer
def short(text: str, limit: int = HEADER_LIMIT) -> str:
    """A question's text for a header: its first question (the instructions after «?» go),
    cut at a word boundary with «…» if still longer than `limit`."""
    first = re.split(r"(?<=\?)\s", text.strip(), maxsplit=1)[0]
    if len(first) <= limit:
        return first
    return first[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + texts.ELLIPSIS


def merged_questions(campaigns: Sequence[CampaignInfo]) -> list[Question]:
    """The answerable questions of the campaigns' versions (campaigns oldest first), each
    once: in the order of the newest campaign's version and as defined there; a question
    only older versions have comes right after the question it followed there."""
    order: list[str] = []
    found: dict[str, Question] = {}
    for campaign in reversed(campaigns):
        previous: str | None = None
        for question in campaign.questionnaire.questions:
            if not question.answerable:
                continue
            if question.id not in found:
                found[question.id] = question
                order.insert(order.index(previous) + 1 if previous else 0, question.id)
            previous = question.id
    return [found[question_id] for question_id in order]


def _merged_choices(question_id: str, campaigns: Sequence[CampaignInfo]) -> list[Choice]:
    """The choices a question has had in any version, the newest campaign's first."""
    choices: dict[str, Choice] = {}
    for campaign in reversed(campaigns):
        question = campaign.questions.get(question_id)
        for choice in question.options if question is not None else []:
            choices.setdefault(choice.id, choice)
    return list(choices.values())


@dataclass(frozen=True, slots=True)
class AnswerColumn:
    """A column of the wide sheet: a question, or one choice of a multiple-choice one."""

    question: Question  # as the newest version defines it
    choice: Choice | None
    header: str

    @property
    def column(self) -> Column:
        width = CHOICE_WIDTH if self.choice else ANSWER_WIDTHS.get(self.question.type, 20)
        return Column(self.header, width)

    def cell(self, row: OrgRow, typist: Typist) -> Cell:
        answer = row.answers.get(self.question.id)
        if answer is None or answer.value is None:
            return None
        if self.choice is not None:
            return int(self.choice.id in answer.value) if isinstance(answer.value, list) else None
        # The row's own version labels its choices (a label may have changed since).
        return typist(row.campaign.questions.get(self.question.id, self.question), answer.value)


def answer_columns(campaigns: Sequence[CampaignInfo]) -> list[AnswerColumn]:
    """The wide sheet's answer columns; headers are unique (a repeat gets its question id)."""
    columns = []
    seen: set[str] = set()
    for question in merged_questions(campaigns):
        if question.type is QuestionType.SELECT_MULTIPLE:
            stem = short(question.text, CHOICE_QUESTION_LIMIT)
            for choice in _merged_choices(question.id, campaigns):
                header = texts.CHOICE_HEADER.format(question=stem, choice=choice.label)
                columns.append(AnswerColumn(question, choice, _unique(header, question, seen)))
        else:
            header = _unique(short(question.text), question, seen)
            columns.append(AnswerColumn(question, None, header))
    return columns


def _unique(header: str, question: Question, seen: set[str]) -> str:
    if header in seen:
        header = f"{header} ({question.id})"
    seen.add(header)
    return header


def _status(status: SubmissionStatus | None) -> str:
    if status is SubmissionStatus.SUBMITTED:
        return texts.STATUS_SUBMITTED
    return texts.STATUS_DRAFT if status is SubmissionStatus.DRAFT else texts.STATUS_NOT_STARTED


def _rounded(value: float | None) -> float | None:
    """A computed figure without float noise: 13.35, not 13.350000000000001, in the cell."""
    return None if value is None else round(value, 6)


# --- the sheets ------------------------------------------------------------------------------


def wide_table(dataset: Dataset) -> Table:
    """One row per quarter and organisation that has started the questionnaire."""
    columns = answer_columns(dataset.campaigns)
    fixed = [
        QUARTER_COLUMN,
        TERRITORY_COLUMN,
        CODE_COLUMN,
        ORG_COLUMN,
        STATUS_COLUMN,
        Column(texts.SUBMITTED_AT, 17),
        INDEX_COLUMN,
    ]

    def rows() -> Iterator[list[Cell]]:
        typist = Typist()
        for row in dataset.rows:
            if row.status is not None:
                yield [
                    row.campaign.label,
                    row.org.group.name,
                    row.org.code,
                    row.org.name,
                    _status(row.status),
                    local(row.submitted_at),
                    _rounded(row.score),
                    *(column.cell(row, typist) for column in columns),
                ]

    return Table(texts.SHEET_WIDE, fixed + [c.column for c in columns], rows(), freeze_columns=4)


def long_table(dataset: Dataset) -> Table:
    """One row per answer that counts, who gave it and when; drafts' answers too, marked by
    the status, so that whoever counts from this sheet can leave them out."""
    columns = [
        QUARTER_COLUMN,
        CODE_COLUMN,
        ORG_COLUMN,
        STATUS_COLUMN,
        Column(texts.QUESTION_ID, 18),
        Column(texts.QUESTION, 50),
        Column(texts.ANSWER, 40),
        Column(texts.ANSWERED_BY, 24),
        Column(texts.ANSWERED_AT, 17),
    ]

    def rows() -> Iterator[list[Cell]]:
        typist = Typist()
        for row in dataset.rows:
            status = _status(row.status)
            for question_id, answer in row.answers.items():
                question = row.campaign.questions[question_id]
                yield [
                    row.campaign.label,
                    row.org.code,
                    row.org.name,
                    status,
                    question_id,
                    short(question.text),
                    typist(question, answer.value),
                    answer.by,
                    local(answer.at),
                ]

    return Table(texts.SHEET_LONG, columns, rows(), freeze_columns=3)


def summary_table(dataset: Dataset) -> Table:
    """Per quarter: each group's submitted / total, the key indicators and the average index,
    then the total."""
    indicators = rating.key_indicators(merged_questions(dataset.campaigns))
    columns = [
        QUARTER_COLUMN,
        TERRITORY_COLUMN,
        Column(texts.SUBMITTED, 11),
        Column(texts.TOTAL, 11),
        Column(texts.SUBMITTED_SHARE, 12, Format.SHARE),
        *(_indicator_column(indicator) for indicator in indicators),
        Column(texts.AVERAGE_INDEX, 11, Format.INDEX),
    ]

    def rows() -> Iterator[list[Cell]]:
        for campaign in dataset.campaigns:
            for line in rating.summary(dataset, campaign.id):
                yield [
                    campaign.label,
                    line.group.name if line.group else texts.REGION_TOTAL,
                    line.submitted,
                    line.total,
                    _rounded(line.share),
                    *(_rounded(line.indicators.get(i.question.id)) for i in indicators),
                    _rounded(line.average_index),
                ]

    return Table(texts.SHEET_SUMMARY, columns, rows(), freeze_columns=2)


def _indicator_column(indicator: rating.Indicator) -> Column:
    """Headed by the question's `short` name from the YAML (meant for summaries), else by its
    shortened text."""
    question = indicator.question
    text = question.short or short(question.text, CHOICE_QUESTION_LIMIT)
    if indicator.kind is rating.IndicatorKind.SHARE_OF_YES:
        return Column(texts.SHARE_OF_YES.format(question=text), 16, Format.SHARE)
    return Column(texts.AVERAGE_OF.format(question=text), 16, Format.AVERAGE)


def missing_table(dataset: Dataset) -> Table:
    """Per quarter, the organisations that have not submitted (a draft is not submitted)."""
    columns = [QUARTER_COLUMN, TERRITORY_COLUMN, CODE_COLUMN, ORG_COLUMN, STATUS_COLUMN]
    rows = (
        [row.campaign.label, row.org.group.name, row.org.code, row.org.name, _status(row.status)]
        for row in dataset.rows
        if not row.submitted
    )
    return Table(texts.SHEET_MISSING, columns, rows)


def org_rating_table(dataset: Dataset) -> Table:
    columns = [
        QUARTER_COLUMN,
        RANK_COLUMN,
        TERRITORY_COLUMN,
        CODE_COLUMN,
        ORG_COLUMN,
        INDEX_COLUMN,
    ]
    rows = (
        [
            campaign.label,
            rated.rank,
            rated.row.org.group.name,
            rated.row.org.code,
            rated.row.org.name,
            _rounded(rated.score),
        ]
        for campaign in dataset.campaigns
        for rated in rating.org_rating(dataset, campaign.id)
    )
    return Table(texts.SHEET_ORG_RATING, columns, rows)


def territory_rating_table(dataset: Dataset) -> Table:
    columns = [
        QUARTER_COLUMN,
        RANK_COLUMN,
        TERRITORY_COLUMN,
        Column(texts.SUBMITTED, 11),
        Column(texts.TOTAL, 11),
        Column(texts.AVERAGE_INDEX, 11, Format.INDEX),
    ]
    rows = (
        [campaign.label, t.rank, t.group.name, t.submitted, t.total, _rounded(t.average)]
        for campaign in dataset.campaigns
        for t in rating.territory_rating(dataset, campaign.id)
    )
    return Table(texts.SHEET_TERRITORY_RATING, columns, rows)


def best_practice_table(dataset: Dataset, size: int = rating.BEST_PRACTICE_SIZE) -> Table:
    """Per quarter, the top organisations and their links (a column per url question)."""
    url_questions = [q for q in merged_questions(dataset.campaigns) if q.type is QuestionType.URL]
    columns = [
        QUARTER_COLUMN,
        RANK_COLUMN,
        ORG_COLUMN,
        TERRITORY_COLUMN,
        INDEX_COLUMN,
        *(Column(short(q.text), 36) for q in url_questions),
    ]

    def rows() -> Iterator[list[Cell]]:
        for campaign in dataset.campaigns:
            for practice in rating.best_practice(dataset, campaign.id, size):
                given = {question.id: url for question, url in practice.links}
                org = practice.rated.row.org
                yield [
                    campaign.label,
                    practice.rated.rank,
                    org.name,
                    org.group.name,
                    _rounded(practice.rated.score),
                    *(Link(given[q.id]) if q.id in given else None for q in url_questions),
                ]

    return Table(texts.SHEET_BEST, columns, rows())


def questions_table(dataset: Dataset) -> Table:
    """What each answer column of the wide sheet is: the question's id, type, full text."""
    columns = [
        Column(texts.COLUMN, 50),
        Column(texts.QUESTION_ID, 18),
        Column(texts.QUESTION_TYPE, 24),
        Column(texts.CHOICE, 30),
        Column(texts.FULL_TEXT, 90),
    ]
    rows = (
        [
            column.header,
            column.question.id,
            texts.TYPE_NAMES.get(column.question.type.value, column.question.type.value),
            column.choice.label if column.choice else None,
            column.question.text,
        ]
        for column in answer_columns(dataset.campaigns)
    )
    return Table(texts.SHEET_QUESTIONS, columns, rows)


def report_tables(dataset: Dataset) -> list[Table]:
    """The workbook's sheets. The summary comes first: it is what opens, and what a chair
    reads; the raw answers follow the comparisons."""
    return [
        summary_table(dataset),
        territory_rating_table(dataset),
        org_rating_table(dataset),
        best_practice_table(dataset),
        missing_table(dataset),
        wide_table(dataset),
        long_table(dataset),
        questions_table(dataset),
    ]


# --- the public entry points -----------------------------------------------------------------


def write_xlsx(dataset: Dataset, target: IO[bytes]) -> None:
    """The report workbook, streamed into `target` (a file opened "wb", or a BytesIO)."""
    write_workbook(report_tables(dataset), target)


def build_xlsx(dataset: Dataset) -> bytes:
    """The report workbook as bytes (a few MB for the whole region over two years)."""
    buffer = io.BytesIO()
    write_xlsx(dataset, buffer)
    return buffer.getvalue()


def write_csv(dataset: Dataset, target: IO[bytes]) -> None:
    """The wide answers sheet as CSV for Russian Excel: UTF-8 with a BOM (without it Excel
    assumes Windows-1251), `;` between fields (Russian Excel's list separator; `,` is the
    decimal comma there), numbers with a decimal comma, dates DD.MM.YYYY, times Moscow
    DD.MM.YYYY HH:MM. Double-clicking the file opens it in columns with numbers as numbers.

    A text that starts with = + - @ gets a leading apostrophe: Excel would otherwise run it
    as a formula (CSV injection), and the apostrophe is how Excel marks plain text
    (services/spreadsheet.py). Numbers, negative ones too, are written as they are.
    """
    table = wide_table(dataset)
    stream = io.TextIOWrapper(target, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(stream, delimiter=";", lineterminator="\r\n")
    writer.writerow([column.header for column in table.columns])
    writer.writerows([_csv_text(value) for value in row] for row in table.rows)
    stream.flush()
    stream.detach()  # leave `target` open for the caller


def build_csv(dataset: Dataset) -> bytes:
    """`write_csv` into bytes."""
    buffer = io.BytesIO()
    write_csv(dataset, buffer)
    return buffer.getvalue()


def _csv_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, Link):
        value = value.url
    if isinstance(value, str):
        return spreadsheet.csv_text(value)
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    return str(value)


# --- a streaming XLSX writer -----------------------------------------------------------------
#
# The least SpreadsheetML that Excel, LibreOffice and openpyxl open: a workbook, one styles
# part, shared strings and the sheets. Element order inside a sheet is fixed by the schema
# (sheetViews, cols, sheetData, autoFilter, hyperlinks) and Excel rejects any other.

_MAIN: Final = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL: Final = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL: Final = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_DECLARATION: Final = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_ILLEGAL_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EPOCH: Final = datetime(1899, 12, 30)  # Excel's day 0 (with its 1900 leap-year bug)
_FLUSH_EVERY: Final = 2000  # pieces of XML joined per write into the zip

# Cell style indexes (cellXfs in _STYLES).
_HEADER, _DATE, _DATETIME, _SHARE, _INDEX, _AVERAGE, _LINK = range(1, 8)
_NUMBER_STYLE: Final = {
    Format.GENERAL: "",
    Format.SHARE: f' s="{_SHARE}"',
    Format.INDEX: f' s="{_INDEX}"',
    Format.AVERAGE: f' s="{_AVERAGE}"',
}
_NUMBER_XF: Final = (
    '<xf numFmtId="{}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
)
_STYLES: Final = (
    f'{_DECLARATION}<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="4"><numFmt numFmtId="164" formatCode="DD.MM.YYYY"/>'
    '<numFmt numFmtId="165" formatCode="DD.MM.YYYY HH:MM"/>'
    '<numFmt numFmtId="166" formatCode="0.0%"/><numFmt numFmtId="167" formatCode="0.0"/>'
    "</numFmts>"
    '<fonts count="3"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><u/><sz val="11"/><color rgb="FF0563C1"/><name val="Calibri"/><family val="2"/>'
    "</font></fonts>"
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    "</cellStyleXfs>"
    '<cellXfs count="8">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'  # 0: general
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"'
    ' applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>'  # _HEADER
    + "".join(_NUMBER_XF.format(fmt) for fmt in (164, 165, 166, 2, 167))  # _DATE … _AVERAGE
    + '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>'  # _LINK
    + "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


class _SharedStrings:
    """Each distinct text once, referred to by index from the cells: the sheets stay small
    and repeated names (an organisation on every one of its answers) cost an integer."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        found = self.index.get(text)
        if found is None:
            found = self.index[text] = len(self.index)
        return found

    def write(self, archive: zipfile.ZipFile) -> None:
        with archive.open("xl/sharedStrings.xml", "w") as part:
            out = _Writer(part)
            out.add(f'{_DECLARATION}<sst xmlns="{_MAIN}" uniqueCount="{len(self.index)}">')
            for text in self.index:
                out.add(_string_item(text))
            out.add("</sst>")
            out.flush()


def _string_item(text: str) -> str:
    clean = escape(_ILLEGAL_XML.sub("", text))
    if clean != clean.strip():
        return f'<si><t xml:space="preserve">{clean}</t></si>'
    return f"<si><t>{clean}</t></si>"


class _Writer:
    """Joins XML pieces and writes them into a zip member in batches."""

    def __init__(self, part: IO[bytes]) -> None:
        self.part = part
        self.pieces: list[str] = []

    def add(self, piece: str) -> None:
        self.pieces.append(piece)
        if len(self.pieces) >= _FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        self.part.write("".join(self.pieces).encode("utf-8"))
        self.pieces.clear()


@dataclass
class _SheetResult:
    """What the workbook part needs to know of a written sheet."""

    title: str
    ref: str  # the filtered range, A1:…
    links: list[tuple[str, str]]  # (cell, url)


def write_workbook(tables: Sequence[Table], target: IO[bytes]) -> None:
    """Tables as an XLSX package, one sheet each, in order."""
    strings = _SharedStrings()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        sheets = [
            _write_sheet(archive, number, table, strings) for number, table in enumerate(tables, 1)
        ]
        strings.write(archive)
        archive.writestr("xl/styles.xml", _STYLES)
        archive.writestr("xl/workbook.xml", _workbook_xml(sheets))
        archive.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(sheets)))
        archive.writestr("[Content_Types].xml", _content_types(len(sheets)))
        archive.writestr(
            "_rels/.rels",
            _relationships([("rId1", f"{_REL}/officeDocument", "xl/workbook.xml", False)]),
        )


def _write_sheet(
    archive: zipfile.ZipFile, number: int, table: Table, strings: _SharedStrings
) -> _SheetResult:
    letters = [get_column_letter(n) for n in range(1, len(table.columns) + 1)]
    styles = [_NUMBER_STYLE[column.format] for column in table.columns]
    links: list[tuple[str, str]] = []
    last_row = 1
    with archive.open(f"xl/worksheets/sheet{number}.xml", "w") as part:
        out = _Writer(part)
        out.add(_sheet_top(table, first=number == 1))
        out.add(_header_row(table, letters, strings))
        for last_row, row in enumerate(table.rows, 2):
            out.add(_row_xml(last_row, row, letters, styles, strings, links))
        ref = f"A1:{letters[-1]}{last_row}"
        out.add(f'</sheetData><autoFilter ref="{ref}"/>')
        if links:
            refs = "".join(
                f'<hyperlink ref="{cell}" r:id="rId{n}"/>' for n, (cell, _) in enumerate(links, 1)
            )
            out.add(f"<hyperlinks>{refs}</hyperlinks>")
        out.add("</worksheet>")
        out.flush()
    if links:
        archive.writestr(
            f"xl/worksheets/_rels/sheet{number}.xml.rels",
            _relationships(
                [
                    (f"rId{n}", f"{_REL}/hyperlink", url, True)
                    for n, (_, url) in enumerate(links, 1)
                ]
            ),
        )
    return _SheetResult(table.title, ref, links)


def _sheet_top(table: Table, *, first: bool) -> str:
    """Everything before the rows: the frozen pane, the column widths."""
    columns = table.freeze_columns
    corner = f"{get_column_letter(columns + 1)}2"
    if columns:
        pane = (
            f'<pane xSplit="{columns}" ySplit="1" topLeftCell="{corner}" activePane="bottomRight"'
            f' state="frozen"/><selection pane="topRight"/><selection pane="bottomLeft"/>'
            f'<selection pane="bottomRight" activeCell="{corner}" sqref="{corner}"/>'
        )
    else:
        pane = (
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
        )
    selected = ' tabSelected="1"' if first else ""
    widths = "".join(
        f'<col min="{n}" max="{n}" width="{column.width}" customWidth="1"/>'
        for n, column in enumerate(table.columns, 1)
    )
    return (
        f'{_DECLARATION}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
        f'<sheetViews><sheetView{selected} workbookViewId="0">{pane}</sheetView></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/><cols>{widths}</cols><sheetData>'
    )


def _header_row(table: Table, letters: list[str], strings: _SharedStrings) -> str:
    """Bold, wrapped, and tall enough for the longest header: Excel does not grow a row to
    fit wrapped text written by another program until the row is edited."""
    lines = max(
        (math.ceil(len(column.header) / max(column.width - 1, 1)) for column in table.columns),
        default=1,
    )
    cells = "".join(
        f'<c r="{letter}1" s="{_HEADER}" t="s"><v>{strings(column.header)}</v></c>'
        for letter, column in zip(letters, table.columns, strict=True)
    )
    return f'<row r="1" ht="{15 * min(max(lines, 1), 6)}" customHeight="1">{cells}</row>'


def _row_xml(
    number: int,
    row: Sequence[Cell],
    letters: list[str],
    styles: list[str],
    strings: _SharedStrings,
    links: list[tuple[str, str]],
) -> str:
    # The hot loop (a million cells in a big export): text and whole numbers, most cells,
    # are written inline with the shared-string table looked up directly, which takes 40 %
    # off the writing; anything else goes through _cell_xml.
    known = strings.index
    at = str(number)
    cells = []
    for letter, style, value in zip(letters, styles, row, strict=True):
        kind = type(value)
        if kind is str:
            found = known.get(value)  # type: ignore[arg-type]
            if found is None:
                found = strings(value)  # type: ignore[arg-type]
            cells.append(f'<c r="{letter}{at}" t="s"><v>{found}</v></c>')
        elif kind is int:
            cells.append(f'<c r="{letter}{at}"{style}><v>{value}</v></c>')
        elif value is not None:
            cells.append(_cell_xml(f"{letter}{at}", value, style, strings, links))
    return f'<row r="{at}">{"".join(cells)}</row>'


def _cell_xml(
    ref: str, value: Cell, style: str, strings: _SharedStrings, links: list[tuple[str, str]]
) -> str:
    if isinstance(value, str):
        return f'<c r="{ref}" t="s"><v>{strings(value)}</v></c>'
    if isinstance(value, bool):
        raise TypeError(f"a yes/no must be turned into words first: {ref}")
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        number = float(value) if isinstance(value, float) else int(value)  # no enum reprs
        return f'<c r="{ref}"{style}><v>{number!r}</v></c>'
    if isinstance(value, datetime):
        serial = (value - _EPOCH).total_seconds() / 86400
        return f'<c r="{ref}" s="{_DATETIME}"><v>{serial!r}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="{_DATE}"><v>{(value - _EPOCH.date()).days}</v></c>'
    if isinstance(value, Link):
        links.append((ref, value.url))
        return f'<c r="{ref}" s="{_LINK}" t="s"><v>{strings(value.url)}</v></c>'
    return f'<c r="{ref}" t="s"><v>{strings(str(value))}</v></c>'  # nan, inf


def _relationships(items: Iterable[tuple[str, str, str, bool]]) -> str:
    body = "".join(
        f'<Relationship Id="{rid}" Type="{kind}" Target="{escape(target, {chr(34): "&quot;"})}"'
        + (' TargetMode="External"' if external else "")
        + "/>"
        for rid, kind, target, external in items
    )
    return f'{_DECLARATION}<Relationships xmlns="{_PKG_REL}">{body}</Relationships>'


def _workbook_xml(sheets: Sequence[_SheetResult]) -> str:
    """The sheet list, and each sheet's filter range as Excel itself records it."""
    entries = "".join(
        f'<sheet name="{_quote_attribute(sheet.title)}" sheetId="{n}" r:id="rId{n}"/>'
        for n, sheet in enumerate(sheets, 1)
    )
    filters = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{n}" hidden="1">'
        f"{escape(_absolute(sheet.title, sheet.ref))}</definedName>"
        for n, sheet in enumerate(sheets)
    )
    return (
        f'{_DECLARATION}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
        f'<bookViews><workbookView activeTab="0"/></bookViews><sheets>{entries}</sheets>'
        f"<definedNames>{filters}</definedNames></workbook>"
    )


def _quote_attribute(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def _absolute(title: str, ref: str) -> str:
    """'Сводка'!$A$1:$H$40: a range in another sheet's terms, the name quoted."""
    start, end = ref.split(":")
    quoted = title.replace("'", "''")
    return f"'{quoted}'!{_dollars(start)}:{_dollars(end)}"


def _dollars(cell: str) -> str:
    match = re.fullmatch(r"([A-Z]+)(\d+)", cell)
    assert match is not None
    return f"${match[1]}${match[2]}"


def _workbook_rels(sheets: int) -> str:
    items = [
        (f"rId{n}", f"{_REL}/worksheet", f"worksheets/sheet{n}.xml", False)
        for n in range(1, sheets + 1)
    ]
    items.append((f"rId{sheets + 1}", f"{_REL}/styles", "styles.xml", False))
    items.append((f"rId{sheets + 2}", f"{_REL}/sharedStrings", "sharedStrings.xml", False))
    return _relationships(items)


def _content_types(sheets: int) -> str:
    overrides = [
        ("/xl/workbook.xml", f"{_CT}.sheet.main+xml"),
        ("/xl/styles.xml", f"{_CT}.styles+xml"),
        ("/xl/sharedStrings.xml", f"{_CT}.sharedStrings+xml"),
        *((f"/xl/worksheets/sheet{n}.xml", f"{_CT}.worksheet+xml") for n in range(1, sheets + 1)),
    ]
    body = "".join(
        f'<Override PartName="{name}" ContentType="{kind}"/>' for name, kind in overrides
    )
    return (
        f'{_DECLARATION}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f"{body}</Types>"
    )
