"""The quarterly report for the presidium: one PDF to print as it is.

Page 1: the quarter's figures and the summary by territory. Then the charts of
`visuals.chart_set`, one a page. Last: the rating of territories and the best practice list
(the top organisations with their links), for the «обобщать опыт лучших» part of the meeting.

Drawn with matplotlib's PDF backend, the library the charts already use: A4 portrait,
DejaVu Sans embedded (Cyrillic prints as it shows). CPU-bound: call through
`asyncio.to_thread`.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from datetime import datetime
from typing import Final

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.image import imread
from matplotlib.transforms import Bbox

from services.reports import charts, rating
from services.reports.data import CampaignInfo, Dataset
from services.reports.rating import Summary
from services.reports.visuals import Picture, as_percent, indicator_name, latest
from texts import charts as chart_texts
from texts import presidium as texts

A4: Final = (8.27, 11.69)  # inches, portrait
MARGIN: Final = 0.06  # of the page, each side
ROWS_PER_PAGE: Final = 40  # table rows that fit one page at the table font
TABLE_FONT: Final = 7.5
TABLE_WIDTH_CHARS: Final = 100  # characters of the table font across the whole table
HEADER_FONT: Final = 6.0
TEXT_WIDTH: Final = 95  # characters of a 9-point line across the page
ROW: Final = 0.021  # a table row's height, as a share of the drawing area
INTRO_LINE: Final = 0.03  # an intro line's height, likewise


def build_pdf(dataset: Dataset, pictures: Sequence[Picture], made_at: datetime) -> bytes:
    """The whole report as PDF bytes; `made_at` is printed on the title page."""
    buffer = io.BytesIO()
    campaign = latest(dataset)
    with (
        charts.RENDER_LOCK,
        matplotlib.rc_context(charts.STYLE),
        PdfPages(buffer, metadata=_metadata(campaign)) as pdf,
    ):
        for page in _pages(dataset, campaign, pictures, made_at):
            pdf.savefig(page)
    return buffer.getvalue()


def _metadata(campaign: CampaignInfo | None) -> dict[str, str | None]:
    quarter = campaign.label if campaign else ""
    # No creation date: the same data gives the same file.
    return {"Title": texts.PDF_TITLE.format(quarter=quarter), "CreationDate": None}


def _pages(
    dataset: Dataset,
    campaign: CampaignInfo | None,
    pictures: Sequence[Picture],
    made_at: datetime,
) -> list[Figure]:
    if campaign is None:
        page, axes = _page(texts.PDF_TITLE.format(quarter=""))
        axes.text(0, 1, texts.PDF_NO_CAMPAIGN, va="top", fontsize=11)
        return [page]
    lines = rating.summary(dataset, campaign.id)
    pages = _summary_pages(dataset, campaign, lines, made_at)
    pages += [_picture_page(picture) for picture in pictures]
    pages += _rating_pages(dataset, campaign)
    return pages


def _page(title: str | None) -> tuple[Figure, Axes]:
    """An A4 page with a title (None: the picture on it has its own) and one blank drawing
    area under it."""
    page = Figure(figsize=A4)
    if title is not None:
        page.suptitle(
            title, x=MARGIN, ha="left", y=1 - MARGIN / 2, fontsize=13, fontweight="bold"
        )
    axes = page.add_axes((MARGIN, MARGIN, 1 - 2 * MARGIN, 1 - 2.6 * MARGIN))
    axes.set_axis_off()
    return page, axes


def _summary_pages(
    dataset: Dataset, campaign: CampaignInfo, lines: Sequence[Summary], made_at: datetime
) -> list[Figure]:
    indicators = rating.key_indicators(campaign.questionnaire.questions)
    total = lines[-1]
    facts = [
        texts.PDF_MADE_AT.format(when=made_at),
        texts.PDF_SUBMITTED.format(
            submitted=total.submitted,
            total=total.total,
            percent=charts.percent(total.share * 100),
        ),
        *(
            texts.PDF_INDICATOR.format(
                name=indicator_name(i.question),
                value=_percent(as_percent(i, total.indicators.get(i.question.id))),
            )
            for i in indicators
        ),
        texts.PDF_AVERAGE_INDEX.format(value=_number(total.average_index)),
    ]
    header = [
        texts.PDF_COL_GROUP,
        texts.PDF_COL_SUBMITTED,
        texts.PDF_COL_SHARE,
        *(indicator_name(i.question) for i in indicators),
        texts.PDF_COL_INDEX,
    ]
    rows = [
        [
            charts.short_name(line.group.name, width=60) if line.group else texts.PDF_TOTAL,
            f"{line.submitted} / {line.total}",
            charts.percent(line.share * 100),
            *(_percent(as_percent(i, line.indicators.get(i.question.id))) for i in indicators),
            _number(line.average_index),
        ]
        for line in lines
    ]
    title = texts.PDF_TITLE.format(quarter=campaign.label)
    return _table_pages(title, header, rows, intro=facts, widths=_summary_widths(len(indicators)))


def _summary_widths(indicators: int) -> list[float]:
    rest = 0.7 / (indicators + 3)
    return [0.3, *([rest] * (indicators + 3))]


def _picture_page(picture: Picture) -> Figure:
    page, axes = _page(None)
    image = imread(io.BytesIO(picture.png), format="png")
    axes.imshow(image)
    axes.set_anchor("N")  # top of the page; the caption goes under it
    axes.set_axis_off()
    caption = "\n".join(textwrap.wrap(picture.caption, TEXT_WIDTH))
    page.text(MARGIN, MARGIN / 2, caption, fontsize=9, va="bottom")
    return page


def _rating_pages(dataset: Dataset, campaign: CampaignInfo) -> list[Figure]:
    """The rating of territories; within one territory's report, of its organisations."""
    if dataset.territory_id is not None:
        organisations = [
            [str(item.rank), item.row.org.name, _number(item.score)]
            for item in rating.org_rating(dataset, campaign.id)
        ]
        pages = _table_pages(
            texts.PDF_ORG_RATING_TITLE.format(quarter=campaign.label),
            texts.PDF_ORG_RATING_HEADER,
            organisations,
            widths=[0.08, 0.77, 0.15],
        )
    else:
        territories = [
            [
                str(item.rank) if item.rank is not None else "—",
                charts.short_name(item.group.name, width=60),
                _number(item.average),
                f"{item.submitted} / {item.total}",
            ]
            for item in rating.territory_rating(dataset, campaign.id)
        ]
        pages = _table_pages(
            texts.PDF_RATING_TITLE.format(quarter=campaign.label),
            texts.PDF_RATING_HEADER,
            territories,
            widths=[0.08, 0.57, 0.15, 0.2],
        )
    pages.append(_best_practice_page(dataset, campaign))
    return pages


def _best_practice_page(dataset: Dataset, campaign: CampaignInfo) -> Figure:
    """The top organisations as a numbered list: full names and links do not fit table cells."""
    page, axes = _page(texts.PDF_BEST_TITLE.format(quarter=campaign.label))
    lines = [*textwrap.wrap(texts.PDF_BEST_INTRO, TEXT_WIDTH), ""]
    for practice in rating.best_practice(dataset, campaign.id):
        row = practice.rated.row
        heading = texts.PDF_BEST_ITEM.format(
            rank=practice.rated.rank,
            name=row.org.name,
            group=charts.short_name(row.org.group.name, width=60),
            score=_number(practice.rated.score),
        )
        lines += textwrap.wrap(heading, TEXT_WIDTH, subsequent_indent="    ")
        lines += [
            texts.PDF_BEST_LINK.format(name=indicator_name(question), url=url)
            for question, url in practice.links
        ] or [texts.PDF_BEST_NO_LINKS]
        lines.append("")
    if len(lines) == 2:
        lines.append(texts.PDF_EMPTY)
    axes.text(0, 1, "\n".join(lines), va="top", fontsize=9, linespacing=1.45)
    return page


def _table_pages(
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    widths: Sequence[float],
    intro: Sequence[str] = (),
) -> list[Figure]:
    """A table over as many pages as it needs, the header repeated, the intro on the first.

    Each cell is cut to its column (with «…»): matplotlib tables do not wrap, and a long
    territory name running into the next cell would hide the figures.
    """
    pages = []
    chunks = [rows[i : i + ROWS_PER_PAGE] for i in range(0, len(rows), ROWS_PER_PAGE)] or [[]]
    for number, chunk in enumerate(chunks):
        page, axes = _page(title if number == 0 else f"{title} {texts.PDF_CONTINUED}")
        top = 1.0
        if number == 0 and intro:
            axes.text(0, 1, "\n".join(intro), va="top", fontsize=10, linespacing=1.5)
            top = 1 - INTRO_LINE * (len(intro) + 1)
        if not chunk:
            axes.text(0, top, texts.PDF_EMPTY, va="top", fontsize=10)
        else:
            _draw_table(axes, top, header, chunk, widths)
        pages.append(page)
    return pages


def _draw_table(
    axes: Axes,
    top: float,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
) -> None:
    chars = [max(4, int(width * TABLE_WIDTH_CHARS)) for width in widths]
    table = axes.table(
        cellText=[
            [_fit(cell, limit) for cell, limit in zip(row, chars, strict=True)] for row in rows
        ],
        colLabels=[
            charts.short_name(text, width=limit + 2, lines=3)  # the smaller font fits more
            for text, limit in zip(header, chars, strict=True)
        ],
        colWidths=list(widths),
        cellLoc="left",
        bbox=Bbox.from_bounds(0, top - ROW * (len(rows) + 3), 1, ROW * (len(rows) + 3)),
    )
    table.auto_set_font_size(False)
    table.set_fontsize(TABLE_FONT)
    for (row, _), cell in table.get_celld().items():
        cell.set_edgecolor(charts.MUTED)
        cell.set_linewidth(0.3)
        # Relative heights: the bounding box scales them, a three-line header row is 4 rows.
        cell.set_height(4 if row == 0 else 1)
        if row == 0:
            cell.set_text_props(fontweight="bold", ha="center", fontsize=HEADER_FONT)
            cell.set_facecolor("#EEF3F8")


def _fit(text: str, limit: int) -> str:
    """A cell's text cut to its column; a long name first loses the words every name has."""
    return charts.short_name(text, width=limit) if len(text) > limit else text


def _percent(value: float | None) -> str:
    return charts.percent(value) if value is not None else chart_texts.NOT_AVAILABLE


def _number(value: float | None) -> str:
    return charts.number(value, 1) if value is not None else "—"
