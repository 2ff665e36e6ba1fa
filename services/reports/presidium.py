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
from texts import presidium as texts

A4: Final = (8.27, 11.69)  # inches, portrait
MARGIN: Final = 0.06  # of the page, each side
ROWS_PER_PAGE: Final = 40  # table rows that fit one page at the table font
TABLE_FONT: Final = 7.5


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


def _page(title: str) -> tuple[Figure, Axes]:
    """An A4 page with a title and one blank drawing area under it."""
    page = Figure(figsize=A4)
    page.suptitle(title, x=MARGIN, ha="left", y=1 - MARGIN / 2, fontsize=13, fontweight="bold")
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
            line.group.name if line.group else texts.PDF_TOTAL,
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
    rest = 0.62 / (indicators + 3)
    return [0.38, *([rest] * (indicators + 3))]


def _picture_page(picture: Picture) -> Figure:
    page, axes = _page(picture.title)
    image = imread(io.BytesIO(picture.png), format="png")
    axes.imshow(image)
    axes.set_anchor("N")  # top of the page; the caption goes under it
    axes.set_axis_off()
    page.text(MARGIN, MARGIN / 2, picture.caption, fontsize=9, wrap=True)
    return page


def _rating_pages(dataset: Dataset, campaign: CampaignInfo) -> list[Figure]:
    territories = [
        [
            str(item.rank) if item.rank is not None else "—",
            item.group.name,
            _number(item.average),
            f"{item.submitted} / {item.total}",
        ]
        for item in rating.territory_rating(dataset, campaign.id)
    ]
    best = [
        [
            str(practice.rated.rank),
            practice.rated.row.org.name,
            practice.rated.row.org.group.name,
            _number(practice.rated.score),
            "\n".join(link for _, link in practice.links) or "—",
        ]
        for practice in rating.best_practice(dataset, campaign.id)
    ]
    pages = _table_pages(
        texts.PDF_RATING_TITLE.format(quarter=campaign.label),
        texts.PDF_RATING_HEADER,
        territories,
        widths=[0.08, 0.57, 0.15, 0.2],
    )
    pages += _table_pages(
        texts.PDF_BEST_TITLE.format(quarter=campaign.label),
        texts.PDF_BEST_HEADER,
        best,
        intro=[texts.PDF_BEST_INTRO],
        widths=[0.06, 0.34, 0.22, 0.08, 0.3],
    )
    return pages


def _table_pages(
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    widths: Sequence[float],
    intro: Sequence[str] = (),
) -> list[Figure]:
    """A table over as many pages as it needs, the header repeated, the intro on the first."""
    pages = []
    chunks = [rows[i : i + ROWS_PER_PAGE] for i in range(0, len(rows), ROWS_PER_PAGE)] or [[]]
    for number, chunk in enumerate(chunks):
        page, axes = _page(title if number == 0 else f"{title} {texts.PDF_CONTINUED}")
        top = 1.0
        if number == 0 and intro:
            axes.text(0, 1, "\n".join(intro), va="top", fontsize=10, linespacing=1.5)
            top = 1 - 0.03 * (len(intro) + 1)
        if not chunk:
            axes.text(0, top, texts.PDF_EMPTY, va="top", fontsize=10)
            pages.append(page)
            continue
        height = min(top, 0.022 * (len(chunk) + 2))
        table = axes.table(
            cellText=[list(row) for row in chunk],
            colLabels=[_wrap_header(text) for text in header],
            colWidths=list(widths),
            cellLoc="left",
            bbox=Bbox.from_bounds(0, top - height, 1, height),
        )
        table.auto_set_font_size(False)
        table.set_fontsize(TABLE_FONT)
        for (row, _), cell in table.get_celld().items():
            cell.set_edgecolor(charts.MUTED)
            cell.set_linewidth(0.3)
            if row == 0:
                cell.set_text_props(fontweight="bold")
                cell.set_facecolor("#EEF3F8")
        pages.append(page)
    return pages


def _wrap_header(text: str) -> str:
    return charts.short_name(text, width=18, lines=3)


def _percent(value: float | None) -> str:
    return charts.percent(value) if value is not None else charts.texts.NOT_AVAILABLE


def _number(value: float | None) -> str:
    return charts.number(value, 1) if value is not None else "—"
