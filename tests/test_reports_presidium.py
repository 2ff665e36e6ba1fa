"""The presidium PDF for an early quarter (1 submission), a tenth of the region and all of it,
built through the real code from a migrated database.

What a printed page shows is checked on `presidium.plan`, the pages as blocks just before
they are drawn (no poppler needed), and the PDF's page count on the file itself. The pages
were looked at as pictures (pdftoppm) when the layout was made.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from services.reports import presidium, rating, visuals
from services.reports.data import Dataset, load_report
from services.reports.presidium import Image, Table, Text
from tests.monitoring_data import Sessions, open_quarter, submit_many
from texts import charts as chart_texts
from texts import presidium as texts

pytestmark = pytest.mark.usefixtures("directory")

MADE_AT = datetime(2026, 5, 14, 12, 0, tzinfo=UTC)
MEMBERS = 398  # the sample directory's organisations that must submit
GROUPS = 34  # 33 territories and the regional organisation's own primaries


async def _history(sessions: Sessions, *counts: int) -> Dataset:
    """Quarters 1, 2, … of 2026 with these many submissions, loaded together (the trend)."""
    ids = []
    for quarter, count in enumerate(counts, 1):
        ids.append(await open_quarter(sessions, 2026, quarter))
        await submit_many(sessions, ids[-1], count, seed=quarter)
    async with sessions() as session:
        return await load_report(session, ids)


def _page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))


def _texts(pages: list[list[presidium.Block]]) -> str:
    found = []
    for page in pages:
        for block in page:
            if isinstance(block, Text):
                found += block.lines
            elif isinstance(block, Image):
                found += block.caption
    return " ".join(found)


def _tables(pages: list[list[presidium.Block]]) -> list[Table]:
    return [block for page in pages for block in page if isinstance(block, Table)]


async def _quarter(sessions: Sessions, quarter: int, count: int) -> Dataset:
    """A quarter of its own with `count` submissions, loaded alone (no trend)."""
    campaign_id = await open_quarter(sessions, 2026, quarter)
    await submit_many(sessions, campaign_id, count, seed=quarter)
    async with sessions() as session:
        return await load_report(session, [campaign_id])


async def test_the_pdf_for_one_a_tenth_and_all_submitted(session_factory: Sessions) -> None:
    counts = []
    for quarter, (submitted, most_pages) in enumerate([(1, 3), (40, 6), (MEMBERS, 6)], 1):
        dataset = await _quarter(session_factory, quarter, submitted)
        pages = _check_pdf(dataset, submitted)
        assert len(pages) <= most_pages, submitted
        counts.append(len(pages))
    assert counts == sorted(counts) and counts[0] < counts[-1]


def _check_pdf(dataset: Dataset, submitted: int) -> list[list[presidium.Block]]:
    pictures = visuals.chart_set(dataset)
    pdf = presidium.build_pdf(dataset, pictures, MADE_AT)
    pages = presidium.plan(dataset, pictures, MADE_AT)

    assert pdf.startswith(b"%PDF") and pdf.rstrip().endswith(b"%%EOF")
    assert _page_count(pdf) == len(pages)
    # No page but the last is left mostly white, none overflows.
    for number, page in enumerate(pages):
        used = sum(block.height for block in page) + presidium.GAP_IN * (len(page) - 1)
        assert used <= presidium.HEIGHT_IN + 1e-6
        if number < len(pages) - 1:
            assert used > presidium.HEIGHT_IN / 2, [type(block).__name__ for block in page]

    summary, rating_table, *_ = _tables(pages)
    groups = rating.summary(dataset, dataset.campaigns[-1].id)[:-1]
    silent = sum(1 for line in groups if not line.submitted)
    # A row per territory that sent something, and the total: no rows of «0 / 9», «н/д».
    assert len(summary.rows) == GROUPS - silent + 1
    assert not any(row[1].startswith("0 /") for row in summary.rows)
    assert summary.rows[-1][0] == texts.PDF_TOTAL
    assert summary.rows[-1][1] == f"{submitted} / {MEMBERS}"
    # The rating, continued over pages, ranks only those; no «—» places.
    ranked = [row for table in _tables(pages)[1:] for row in table.rows]
    assert len(ranked) == GROUPS - silent and all(row[0] != "—" for row in ranked)
    assert rating_table.rows[0][0] == "1"

    words = _texts(pages)
    line = chart_texts.NO_SUBMISSION_LINE.split("(")[0]  # «Не отправили ни одной анкеты »
    if silent:
        assert words.count(line) == 1, "the silent territories are named once, in one line"
        assert f"(территорий: {silent}):" in words
        assert texts.PDF_RATING_SILENT.format(count=silent) in words
    else:
        assert line not in words
    # One quarter: no trend chart, the reason said instead.
    assert chart_texts.TITLE_TREND not in [picture.title for picture in pictures]
    assert "Динамики по кварталам пока нет" in words
    return pages


async def test_two_quarters_have_the_trend_and_no_sentence(session_factory: Sessions) -> None:
    dataset = await _history(session_factory, 40, 60)
    pictures = visuals.chart_set(dataset)
    assert [picture.title for picture in pictures].count(chart_texts.TITLE_TREND) == 1
    assert not any("Динамики по кварталам пока нет" in p.caption for p in pictures)
    pdf = presidium.build_pdf(dataset, pictures, MADE_AT)
    assert _page_count(pdf) == len(presidium.plan(dataset, pictures, MADE_AT))


async def test_one_quarter_has_no_trend_chart_but_a_sentence(session_factory: Sessions) -> None:
    dataset = await _history(session_factory, 5)
    pictures = visuals.chart_set(dataset)
    assert len(pictures) == 3
    assert chart_texts.TITLE_TREND not in [picture.title for picture in pictures]
    indicators = next(p for p in pictures if p.title.startswith("Ключевые показатели"))
    assert indicators.caption.endswith(
        chart_texts.TREND_ONE_QUARTER.format(quarter=dataset.campaigns[0].label)
    )


@pytest.mark.parametrize(
    ("header", "limit"),
    [
        ("Заполненность реестра в АИС", 12),
        ("Опубликован публичный отчёт", 11),
        ("Территориальная организация", 10),
        ("Средний индекс", 6),
    ],
)
def test_a_header_wraps_between_words_only(header: str, limit: int) -> None:
    lines = presidium.header_lines(header, limit)
    assert 1 <= len(lines) <= presidium.HEADER_LINES
    assert " ".join(lines) == header  # every word whole, none cut in two
    for word in header.split():
        assert any(word in line.split() for line in lines)


def test_a_header_word_too_long_gets_a_smaller_font_not_a_break() -> None:
    table = presidium._table("Сводка", ["Заполненность", "Сдали"], [["1", "2"]], [0.05, 0.95])
    assert table.header[0] == "Заполненность"
    assert table.header_sizes[0] < presidium.HEADER_FONT == table.header_sizes[1]


def test_a_table_too_long_for_the_page_runs_on_with_a_heading() -> None:
    rows = [(str(n), f"Территория {n}") for n in range(80)]
    table = presidium._table("Рейтинг", ["Место", "Территория"], rows, [0.2, 0.8])
    pages = presidium.paginate([presidium._heading("Рейтинг"), table])
    tables = _tables(pages)
    assert len(pages) == len(tables) >= 2
    assert sum(len(part.rows) for part in tables) == 80
    assert all(len(part.rows) >= presidium.MIN_ROWS for part in tables)
    assert isinstance(pages[1][0], Text) and pages[1][0].lines[0].endswith(texts.PDF_CONTINUED)


def test_small_blocks_share_a_page() -> None:
    small = [presidium._text(f"Абзац {n}.") for n in range(10)]
    assert len(presidium.paginate(small)) == 1
