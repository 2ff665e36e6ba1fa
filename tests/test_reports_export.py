"""The XLSX and CSV exports, read back cell by cell: answers of every question type stored in a
migrated database, loaded by services.reports.data, written by services.reports.export and
reopened with openpyxl and the csv module."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from services.monitoring import versions
from services.monitoring.questionnaire import load_questionnaire
from services.reports.data import Dataset, load_report
from services.reports.export import build_csv, build_xlsx
from tests.monitoring_data import Sessions, add_person, load, open_quarter, store_submission
from tests.test_reports_rating import BELOVO, TERRITORIAL
from texts import reports as texts

pytestmark = pytest.mark.usefixtures("directory")

# Every answerable type, a shared and an inline choice list, relevance on an answer and on the
# level, instructions after the question (not in the header), optional questions.
ALL_TYPES = """
id: quarterly
title: Проверочная анкета
choices:
  ways:
    - {id: stand, label: Стенд, weight: 0.5}
    - {id: site, label: Сайт, weight: 1}
    - {id: chat, label: Чат, weight: 1.5}
questions:
  - id: intro
    type: note
    text: Вступление.
  - id: has_site
    type: yes_no
    text: Есть ли сайт? Ответьте да или нет.
    weight: 2
  - id: site_url
    type: url
    text: Ссылка на сайт?
    weight: 1
    relevant: [{question: has_site, eq: true}]
  - id: updated
    type: date
    text: Когда обновлялся сайт?
    weight: 1
    relevant: [{question: has_site, eq: true}]
  - id: format
    type: select_one
    text: Формат работы?
    choices:
      - {id: online, label: Онлайн, weight: 1}
      - {id: offline, label: Очно, weight: 0.5}
  - id: ways
    type: select_multiple
    text: Способы информирования?
    choices: ways
    required: false
  - id: events
    type: integer
    text: Сколько мероприятий?
    weight: 1
  - id: budget
    type: decimal
    text: Расходы, тыс. руб.?
    weight: 0.5
    required: false
  - id: register
    type: percent
    text: Доля в реестре?
    short: Реестр в АИС
    weight: 3
  - id: pages
    type: integer
    text: Сколько первичных со страницей?
    weight: 1
    relevant: [{level: [territorial]}]
  - id: comment
    type: text
    text: Комментарий?
    required: false
"""

TERRITORIAL_ANSWERS = {
    "has_site": True,
    "site_url": "https://belovo-prof.ru",
    "updated": "2026-03-15",
    "format": "online",
    "ways": ["site", "chat"],
    "events": 4,
    "budget": 12.5,
    "register": 85.5,
    "pages": 3,
    "comment": "Всё по плану",
}
# has_site 2, site_url 1, updated 1, online 1, site 1 + chat 1.5, events > 0: 1,
# budget > 0: 0.5, register 3 × 85.5 %, pages > 0: 1; the comment weighs nothing.
TERRITORIAL_INDEX = 2 + 1 + 1 + 1 + (1 + 1.5) + 1 + 0.5 + 3 * 85.5 / 100 + 1  # = 12.565
INJECTION = '=HYPERLINK("http://evil.example")'
SCHOOL_ANSWERS = {
    "has_site": False,
    "site_url": "https://stale.example.ru",  # hidden by has_site «Нет»
    "updated": "2025-01-01",  # hidden by has_site «Нет»
    "format": "offline",
    "ways": None,  # skipped
    "events": 0,
    "budget": None,  # skipped
    "register": 50,
    "pages": 7,  # hidden: a primary organisation is not asked
    "comment": INJECTION,
}
SCHOOL_INDEX = 0.5 + 3 * 50 / 100  # offline 0.5, register 3 × 50 %; events 0 weighs nothing
GYMNASIUM_ANSWERS = {
    "has_site": True,
    "site_url": "https://gymn4-kursk.ru",
    "updated": "2026-04-01",
    "format": "online",
    "ways": ["stand"],
    "events": 2,
    "budget": 0.0,
    "register": 100,
    "comment": None,
}
GYMNASIUM_INDEX = 2 + 1 + 1 + 1 + 0.5 + 1 + 0 + 3  # = 9.5
QUARTER = "2 квартал 2026 г."
SUBMITTED_MSK = datetime(2026, 3, 25, 10, 0)
ANSWERED_MSK = datetime(2026, 3, 20, 12, 30)

# Headers of the wide sheet's answer columns.
HAS_SITE = "Есть ли сайт?"  # the instruction after «?» is not in the header
WAYS = "Способы информирования?: {}"
WAYS_HEADERS = [WAYS.format(label) for label in ("Стенд", "Сайт", "Чат")]


async def use_all_types(sessions: Sessions) -> None:
    """Store ALL_TYPES as the newest questionnaire version: the next campaign opens with it."""
    async with sessions() as session:
        await versions.store(session, load_questionnaire(ALL_TYPES))


@pytest.fixture
async def quarter(session_factory: Sessions) -> int:
    """Q2 2026 with ALL_TYPES: Belovo's territorial organisation and a school submitted,
    another school has a draft, the rest of Belovo has not started; a Kursk gymnasium
    submitted (another territory)."""
    await use_all_types(session_factory)
    campaign_id = await open_quarter(session_factory, 2026, 2)
    anna = await add_person(session_factory, 700001, "Анна", "Петрова")
    chair = await add_person(session_factory, 700002, "", username="chair_b")
    for code, answers, officer in (
        ("46-01", TERRITORIAL_ANSWERS, anna),
        ("46-01-001", SCHOOL_ANSWERS, chair),
        ("46-29-004", GYMNASIUM_ANSWERS, anna),
    ):
        await store_submission(session_factory, campaign_id, code, answers, by=officer)
    draft = {"has_site": True, "site_url": "https://draft.example.ru"}
    await store_submission(
        session_factory, campaign_id, "46-01-002", draft, by=anna, submitted=False
    )
    return campaign_id


def workbook(dataset: Dataset) -> Any:
    return load_workbook(io.BytesIO(build_xlsx(dataset)))


def records(sheet: Worksheet) -> list[dict[str, Any]]:
    """The sheet's rows as header → value."""
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def record(sheet: Worksheet, code: str, quarter: str | None = None) -> dict[str, Any]:
    """The one row of that organisation (in that quarter)."""
    found = [
        r for r in records(sheet) if r[texts.CODE] == code and quarter in (None, r[texts.QUARTER])
    ]
    assert len(found) == 1, f"{code}: {len(found)} rows"
    return found[0]


def cell_of(sheet: Worksheet, code: str, header: str) -> Any:
    """The cell itself (for its type and format) in the row of `code` under `header`."""
    headers = [cell.value for cell in sheet[1]]
    code_column = headers.index(texts.CODE) + 1
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, code_column).value == code)
    return sheet.cell(row, headers.index(header) + 1)


async def test_the_wide_sheet_holds_every_answer_typed(
    session_factory: Sessions, quarter: int
) -> None:
    book = workbook(await load(session_factory, quarter))
    sheet = book[texts.SHEET_WIDE]
    headers = [cell.value for cell in sheet[1]]
    assert headers == [
        texts.QUARTER,
        texts.TERRITORY,
        texts.CODE,
        texts.ORGANISATION,
        texts.STATUS,
        texts.SUBMITTED_AT,
        texts.INDEX,
        HAS_SITE,
        "Ссылка на сайт?",
        "Когда обновлялся сайт?",
        "Формат работы?",
        *WAYS_HEADERS,
        "Сколько мероприятий?",
        "Расходы, тыс. руб.?",
        "Доля в реестре?",
        "Сколько первичных со страницей?",
        "Комментарий?",
    ]
    territorial = record(sheet, "46-01")
    assert territorial == {
        texts.QUARTER: QUARTER,
        texts.TERRITORY: BELOVO,
        texts.CODE: "46-01",
        texts.ORGANISATION: "Беловская районная организация Профсоюза",
        texts.STATUS: "отправлена",
        texts.SUBMITTED_AT: SUBMITTED_MSK,
        texts.INDEX: pytest.approx(TERRITORIAL_INDEX),
        HAS_SITE: "Да",
        "Ссылка на сайт?": "https://belovo-prof.ru",
        "Когда обновлялся сайт?": datetime(2026, 3, 15),
        "Формат работы?": "Онлайн",
        WAYS_HEADERS[0]: 0,
        WAYS_HEADERS[1]: 1,
        WAYS_HEADERS[2]: 1,
        "Сколько мероприятий?": 4,
        "Расходы, тыс. руб.?": 12.5,
        "Доля в реестре?": 85.5,
        "Сколько первичных со страницей?": 3,
        "Комментарий?": "Всё по плану",
    }
    assert cell_of(sheet, "46-01", "Когда обновлялся сайт?").number_format == "DD.MM.YYYY"
    assert cell_of(sheet, "46-01", texts.SUBMITTED_AT).number_format == "DD.MM.YYYY HH:MM"
    assert cell_of(sheet, "46-01", "Сколько мероприятий?").data_type == "n"
    assert cell_of(sheet, "46-01", WAYS_HEADERS[1]).value == 1
    assert type(cell_of(sheet, "46-01", WAYS_HEADERS[1]).value) is int

    school = record(sheet, "46-01-001")
    assert school[texts.INDEX] == pytest.approx(SCHOOL_INDEX) == pytest.approx(2.0)
    assert (school[HAS_SITE], school["Формат работы?"]) == ("Нет", "Очно")
    # Hidden (site, its date, pages of a primary) and skipped (ways, budget): empty.
    for header in ("Ссылка на сайт?", "Когда обновлялся сайт?", "Расходы, тыс. руб.?"):
        assert school[header] is None, header
    assert school["Сколько первичных со страницей?"] is None
    assert [school[h] for h in WAYS_HEADERS] == [None, None, None]
    assert school["Сколько мероприятий?"] == 0
    assert school["Комментарий?"] == INJECTION
    assert cell_of(sheet, "46-01-001", "Комментарий?").data_type == "s"  # text, not a formula

    draft = record(sheet, "46-01-002")
    assert (draft[texts.STATUS], draft[texts.SUBMITTED_AT], draft[texts.INDEX]) == (
        "черновик",
        None,
        None,
    )
    assert draft[HAS_SITE] == "Да"
    codes = [r[texts.CODE] for r in records(sheet)]
    assert codes == ["46-01", "46-01-002", "46-01-001", "46-29-004"]  # started only, by group
    assert record(sheet, "46-29-004")[texts.INDEX] == pytest.approx(GYMNASIUM_INDEX)


async def test_every_sheet_has_a_frozen_bold_filtered_header_and_widths(
    session_factory: Sessions, quarter: int
) -> None:
    book = workbook(await load(session_factory, quarter))
    assert book.sheetnames == [
        texts.SHEET_SUMMARY,
        texts.SHEET_TERRITORY_RATING,
        texts.SHEET_ORG_RATING,
        texts.SHEET_BEST,
        texts.SHEET_MISSING,
        texts.SHEET_WIDE,
        texts.SHEET_LONG,
        texts.SHEET_QUESTIONS,
    ]
    for sheet in book.worksheets:
        last = sheet.cell(1, sheet.max_column).column_letter
        assert sheet.auto_filter.ref == f"A1:{last}{sheet.max_row}", sheet.title
        assert sheet.freeze_panes in ("A2", "C2", "D2", "E2"), sheet.title
        assert all(cell.font.b for cell in sheet[1]), sheet.title
        assert sheet.column_dimensions["A"].width >= 8, sheet.title
    assert book[texts.SHEET_WIDE].freeze_panes == "E2"  # the organisation stays in sight
    assert book[texts.SHEET_WIDE].column_dimensions["D"].width == 50


async def test_the_long_sheet_has_who_and_when_for_each_answer_that_counts(
    session_factory: Sessions, quarter: int
) -> None:
    sheet = workbook(await load(session_factory, quarter))[texts.SHEET_LONG]
    school = [r for r in records(sheet) if r[texts.CODE] == "46-01-001"]
    assert [(r[texts.QUESTION_ID], r[texts.ANSWER]) for r in school] == [
        ("has_site", "Нет"),
        ("format", "Очно"),
        ("ways", "пропущено"),
        ("events", 0),
        ("budget", "пропущено"),
        ("register", 50),
        ("comment", INJECTION),
    ]
    assert {(r[texts.ANSWERED_BY], r[texts.ANSWERED_AT]) for r in school} == {
        ("@chair_b", ANSWERED_MSK)
    }
    territorial = {r[texts.QUESTION_ID]: r for r in records(sheet) if r[texts.CODE] == "46-01"}
    assert territorial["ways"][texts.ANSWER] == "Сайт, Чат"
    assert territorial["updated"][texts.ANSWER] == datetime(2026, 3, 15)
    assert territorial["budget"][texts.ANSWER] == 12.5
    assert territorial["has_site"][texts.QUESTION] == HAS_SITE
    assert territorial["has_site"][texts.ANSWERED_BY] == "Анна Петрова"
    assert territorial["has_site"][texts.QUARTER] == QUARTER
    assert len(records(sheet)) == 10 + 7 + 2 + 9  # 46-01, 46-01-001, the draft, 46-29-004
    draft = [r for r in records(sheet) if r[texts.CODE] == "46-01-002"]
    assert {r[texts.STATUS] for r in draft} == {"черновик"}
    assert {r[texts.STATUS] for r in school} == {"отправлена"}


async def test_the_summary_counts_and_averages_by_territory_and_in_total(
    session_factory: Sessions, quarter: int
) -> None:
    sheet = workbook(await load(session_factory, quarter))[texts.SHEET_SUMMARY]
    lines = {r[texts.TERRITORY]: r for r in records(sheet)}
    share_of_site = texts.SHARE_OF_YES.format(question=HAS_SITE)
    register = texts.AVERAGE_OF.format(question="Реестр в АИС")  # the short name heads it
    assert lines[BELOVO] == {
        texts.QUARTER: QUARTER,
        texts.TERRITORY: BELOVO,
        texts.SUBMITTED: 2,
        texts.TOTAL: 9,
        texts.SUBMITTED_SHARE: pytest.approx(2 / 9),
        share_of_site: pytest.approx(1 / 2),
        register: pytest.approx((85.5 + 50) / 2),
        texts.AVERAGE_INDEX: pytest.approx((TERRITORIAL_INDEX + SCHOOL_INDEX) / 2),
    }
    total = lines[texts.REGION_TOTAL]
    assert (total[texts.SUBMITTED], total[texts.TOTAL]) == (3, 398)
    assert total[share_of_site] == pytest.approx(2 / 3)
    assert total[register] == pytest.approx((85.5 + 50 + 100) / 3)
    assert total[texts.AVERAGE_INDEX] == pytest.approx(
        (TERRITORIAL_INDEX + SCHOOL_INDEX + GYMNASIUM_INDEX) / 3
    )
    silent = lines["Организации областного подчинения"]
    assert (silent[texts.SUBMITTED], silent[texts.TOTAL], silent[share_of_site]) == (0, 10, None)
    assert len(lines) == 33 + 1 + 1  # territories, the regional group, the total
    headers = [cell.value for cell in sheet[1]]
    assert sheet.cell(2, headers.index(texts.SUBMITTED_SHARE) + 1).number_format == "0.0%"


async def test_missing_ratings_best_practice_and_questions_sheets(
    session_factory: Sessions, quarter: int
) -> None:
    book = workbook(await load(session_factory, quarter))
    missing = records(book[texts.SHEET_MISSING])
    assert len(missing) == 398 - 3
    by_code = {r[texts.CODE]: r for r in missing}
    assert by_code["46-01-002"][texts.STATUS] == "черновик"
    assert by_code["46-01-003"][texts.STATUS] == "не начата"
    assert by_code["46-01-003"][texts.TERRITORY] == BELOVO
    assert "46-01" not in by_code and "46-29-004" not in by_code

    ranked = [(r[texts.RANK], r[texts.CODE]) for r in records(book[texts.SHEET_ORG_RATING])]
    assert ranked == [(1, "46-01"), (2, "46-29-004"), (3, "46-01-001")]
    territories = records(book[texts.SHEET_TERRITORY_RATING])
    assert [(r[texts.RANK], r[texts.TERRITORY]) for r in territories[:2]] == [
        (1, "Курская городская организация Профсоюза"),
        (2, BELOVO),
    ]
    assert territories[2][texts.RANK] is None and territories[2][texts.AVERAGE_INDEX] is None

    best = book[texts.SHEET_BEST]
    assert [r[texts.ORGANISATION] for r in records(best)][:2] == [
        "Беловская районная организация Профсоюза",
        "МБОУ «Гимназия № 4» г. Курска",
    ]
    link = best.cell(2, [c.value for c in best[1]].index("Ссылка на сайт?") + 1)
    assert link.value == "https://belovo-prof.ru"
    assert link.hyperlink is not None and link.hyperlink.target == "https://belovo-prof.ru"

    questions = records(book[texts.SHEET_QUESTIONS])
    assert [r[texts.COLUMN] for r in questions] == [
        cell.value for cell in book[texts.SHEET_WIDE][1]
    ][7:]
    ways = [r for r in questions if r[texts.QUESTION_ID] == "ways"]
    assert [r[texts.CHOICE] for r in ways] == ["Стенд", "Сайт", "Чат"]
    has_site = next(r for r in questions if r[texts.QUESTION_ID] == "has_site")
    assert has_site[texts.FULL_TEXT] == "Есть ли сайт? Ответьте да или нет."


async def test_a_territorial_report_shows_nothing_of_other_territories(
    session_factory: Sessions, quarter: int
) -> None:
    dataset = await load(session_factory, quarter, territory="46-01")
    book = workbook(dataset)
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            text = " ".join(str(value) for value in row if value is not None)
            assert "46-29" not in text and "Курск" not in text, (sheet.title, row)
    assert len(records(book[texts.SHEET_MISSING])) == 9 - 2
    lines = [r[texts.TERRITORY] for r in records(book[texts.SHEET_SUMMARY])]
    assert lines == [BELOVO, texts.REGION_TOTAL]
    assert "46-29" not in build_csv(dataset).decode("utf-8-sig")


async def test_the_csv_is_the_wide_sheet_for_russian_excel(
    session_factory: Sessions, quarter: int
) -> None:
    dataset = await load(session_factory, quarter)
    content = build_csv(dataset)
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    wide = workbook(dataset)[texts.SHEET_WIDE]
    assert rows[0] == [cell.value for cell in wide[1]]
    assert len(rows) == wide.max_row
    by_code = {row[2]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    territorial = by_code["46-01"]
    assert territorial[texts.SUBMITTED_AT] == "25.03.2026 10:00"
    assert territorial[texts.INDEX] == "12,565"
    assert territorial["Когда обновлялся сайт?"] == "15.03.2026"
    assert territorial["Доля в реестре?"] == "85,5"
    assert territorial["Сколько мероприятий?"] == "4"
    assert [territorial[h] for h in WAYS_HEADERS] == ["0", "1", "1"]
    assert territorial[HAS_SITE] == "Да"
    school = by_code["46-01-001"]
    assert school["Комментарий?"] == "'" + INJECTION  # Excel must not run it
    assert school["Ссылка на сайт?"] == "" and school[WAYS_HEADERS[0]] == ""


async def test_answers_that_look_like_formulas_stay_text_and_numbers_stay_numbers(
    session_factory: Sessions, quarter: int
) -> None:
    answers = {"has_site": False, "format": "offline", "events": 0, "register": 10}
    await store_submission(
        session_factory, quarter, "46-01-003", {**answers, "budget": -2.5, "comment": "=1+1"}
    )
    dataset = await load(session_factory, quarter)
    content = build_xlsx(dataset)

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert "<f>" not in archive.read(name).decode(), name
    book = load_workbook(io.BytesIO(content))
    comment = cell_of(book[texts.SHEET_WIDE], "46-01-003", "Комментарий?")
    assert (comment.value, comment.data_type) == ("=1+1", "s")
    budget = cell_of(book[texts.SHEET_WIDE], "46-01-003", "Расходы, тыс. руб.?")
    assert (budget.value, budget.data_type) == (-2.5, "n")
    long = [r for r in records(book[texts.SHEET_LONG]) if r[texts.CODE] == "46-01-003"]
    assert {r[texts.QUESTION_ID]: r[texts.ANSWER] for r in long}["comment"] == "=1+1"

    rows = list(csv.reader(io.StringIO(build_csv(dataset).decode("utf-8-sig")), delimiter=";"))
    school = next(dict(zip(rows[0], row, strict=True)) for row in rows if row[2] == "46-01-003")
    assert school["Комментарий?"] == "'=1+1"
    assert school["Расходы, тыс. руб.?"] == "-2,5"  # a number: no apostrophe


async def test_an_empty_campaign_exports_its_headers_and_everyone_missing(
    session_factory: Sessions,
) -> None:
    campaign_id = await open_quarter(session_factory, 2026, 3)
    dataset = await load(session_factory, campaign_id)
    book = workbook(dataset)
    assert book[texts.SHEET_WIDE].max_row == 1
    assert book[texts.SHEET_LONG].max_row == 1
    assert book[texts.SHEET_ORG_RATING].max_row == 1
    assert book[texts.SHEET_BEST].max_row == 1
    assert len(records(book[texts.SHEET_MISSING])) == 398
    total = records(book[texts.SHEET_SUMMARY])[-1]
    assert (total[texts.SUBMITTED], total[texts.TOTAL], total[texts.SUBMITTED_SHARE]) == (
        0,
        398,
        0,
    )
    assert total[texts.AVERAGE_INDEX] is None
    lines = build_csv(dataset).decode("utf-8-sig").splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{texts.QUARTER};")


async def test_quarters_of_different_versions_share_the_union_of_columns(
    session_factory: Sessions,
) -> None:
    first = await open_quarter(session_factory, 2026, 1)  # the default questionnaire
    await store_submission(session_factory, first, "46-01", TERRITORIAL)
    await use_all_types(session_factory)
    second = await open_quarter(session_factory, 2026, 2)
    await store_submission(session_factory, second, "46-01", TERRITORIAL_ANSWERS)
    async with session_factory() as session:
        dataset = await load_report(session, [first, second])
    book = workbook(dataset)
    ids = list(dict.fromkeys(r[texts.QUESTION_ID] for r in records(book[texts.SHEET_QUESTIONS])))
    # The newest version's order; questions only the old one has follow their predecessor.
    assert ids == [
        "info_officer",
        "ais_officer",
        "has_site",
        "site_url",
        "site_updated",
        "primary_with_pages",
        "has_social_group",
        "social_url",
        "social_updated",
        "ais_register_share",
        "public_report",
        "public_report_url",
        "pr_events",
        "pr_events_count",
        "periodicals",
        "technologies",
        "technologies_other",
        "inform_ways",
        "updated",
        "format",
        "ways",
        "events",
        "budget",
        "register",
        "pages",
        "comment",
    ]
    wide = book[texts.SHEET_WIDE]
    old = record(wide, "46-01", quarter="1 квартал 2026 г.")
    new = record(wide, "46-01", quarter=QUARTER)
    # has_site is in both versions (the newer text heads the column); the rest in one only.
    assert (old[HAS_SITE], new[HAS_SITE]) == ("Да", "Да")
    assert (old["Ссылка на сайт?"], new["Ссылка на сайт?"]) == (
        "https://belovo-prof.ru",
        "https://belovo-prof.ru",
    )
    assert (old["Доля в реестре?"], new["Доля в реестре?"]) == (None, 85.5)
    register_v1 = next(h for h in old if h.startswith("Какая доля членов Профсоюза"))
    assert (old[register_v1], new[register_v1]) == (80, None)
    actions = next(
        h for h in old if h.startswith("Какие PR") and h.endswith(": Профсоюзные акции")
    )
    assert (old[actions], new[actions]) == (1, None)
