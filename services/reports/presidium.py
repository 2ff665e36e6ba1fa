"""The quarterly report for the presidium: one PDF to print as it is.

The quarter's figures and the summary by territory; the charts of `visuals.chart_set`; the
rating of territories and the best practice list (the top organisations with their links),
for the «обобщать опыт лучших» part of the meeting. Territories where nobody has submitted
are named in one line under a table rather than given rows of zeros.

The report is a flow of blocks (headings, text, tables, pictures) laid out on A4 pages by
`paginate`: a block goes on the current page while it fits, a table runs on to the next page
with its header repeated, a heading never ends a page. So an early quarter with a handful of
submissions takes two or three pages, not seven mostly blank ones. `plan` gives the pages as
blocks, before any drawing: what the tests look at.

Drawn with matplotlib's PDF backend, the library the charts already use: A4 portrait,
DejaVu Sans embedded (Cyrillic prints as it shows). CPU-bound: call through
`asyncio.to_thread`.
"""

from __future__ import annotations

import io
import struct
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final

import matplotlib
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.image import imread
from matplotlib.transforms import Bbox

from services.reports import charts, rating
from services.reports import events as events_report
from services.reports.data import CampaignInfo, Dataset
from services.reports.questions import QuestionStats, summary_lines
from services.reports.rating import Summary
from services.reports.visuals import Picture, as_percent, indicator_name, latest, silent_line
from texts import charts as chart_texts
from texts import events as events_texts
from texts import presidium as texts
from texts import questions as tq

A4: Final = (8.27, 11.69)  # inches, portrait
SIDE_IN: Final = 0.55  # left and right margins
TOP_IN: Final = 0.6
BOTTOM_IN: Final = 0.6
WIDTH_IN: Final = A4[0] - 2 * SIDE_IN
HEIGHT_IN: Final = A4[1] - TOP_IN - BOTTOM_IN  # what the blocks of one page may fill
GAP_IN: Final = 0.18  # between blocks
TABLE_FONT: Final = 7.5
TABLE_WIDTH_CHARS: Final = 100  # characters of the table font across the whole table
HEADER_FONT: Final = 6.0
HEADER_LINES: Final = 3
ROW_IN: Final = 0.2  # a table row's height
MIN_ROWS: Final = 3  # a table starts on the next page rather than with fewer rows here
TEXT_WIDTH: Final = 95  # characters of a 9-point line across the page
INTRO_WIDTH: Final = 85  # likewise at 10 points
POINT: Final = 1 / 72  # inch
SMALLEST_PICTURE: Final = 0.65  # a picture may shrink to this (11-point labels print at 7)


@dataclass(frozen=True)
class Text:
    """Lines of text; a heading (bold, bigger) stays on the page of the block after it."""

    lines: tuple[str, ...]
    size: float = 9.0
    spacing: float = 1.45
    heading: bool = False

    @property
    def height(self) -> float:
        return len(self.lines) * self.size * self.spacing * POINT


@dataclass(frozen=True)
class Table:
    """Rows under a header; `continued` is the heading over its rest on the next page."""

    header: tuple[str, ...]  # already wrapped: lines joined by "\n"
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]  # shares of the page width
    continued: str
    header_sizes: tuple[float, ...]  # a header cell's font, smaller for a word too long

    @property
    def header_height(self) -> float:
        lines = max(cell.count("\n") + 1 for cell in self.header)
        return lines * HEADER_FONT * 1.3 * POINT + 0.1

    @property
    def height(self) -> float:
        return self.header_height + ROW_IN * len(self.rows)

    def rows_in(self, room: float) -> int:
        return max(0, int((room - self.header_height) // ROW_IN))


@dataclass(frozen=True)
class Image:
    """A chart across the page (shrunk if need be) with its caption under it."""

    picture: Picture
    caption: tuple[str, ...]
    scale: float = 1.0  # of the page width

    @property
    def aspect(self) -> float:
        width, height = struct.unpack(">II", self.picture.png[16:24])  # the PNG's IHDR
        return height / width

    @property
    def image_height(self) -> float:
        return WIDTH_IN * self.scale * self.aspect

    @property
    def height(self) -> float:
        return self.image_height + len(self.caption) * 9 * 1.3 * POINT + 0.05


Block = Text | Table | Image


def build_pdf(
    dataset: Dataset,
    pictures: Sequence[Picture],
    made_at: datetime,
    questions: QuestionStats | None = None,
    extra: Sequence[Block] = (),
) -> bytes:
    """The whole report as PDF bytes; `made_at` is printed on the first page; `extra`
    sections (the plan of events) follow the monitoring, and `questions`, when given, adds
    the members' questions section at the end."""
    buffer = io.BytesIO()
    campaign = latest(dataset)
    pages = plan(dataset, pictures, made_at, extra)
    if questions is not None:
        pages += paginate(questions_section(questions))
    with (
        charts.RENDER_LOCK,
        matplotlib.rc_context(charts.STYLE),
        PdfPages(buffer, metadata=_metadata(campaign)) as pdf,
    ):
        for page in pages:
            pdf.savefig(_draw(page))
    return buffer.getvalue()


def plan(
    dataset: Dataset,
    pictures: Sequence[Picture],
    made_at: datetime,
    extra: Sequence[Block] = (),
) -> list[list[Block]]:
    """The report's pages, each the blocks drawn on it from the top."""
    return paginate([*blocks(dataset, pictures, made_at), *extra])


def blocks(dataset: Dataset, pictures: Sequence[Picture], made_at: datetime) -> list[Block]:
    """The report as one flow of blocks, before it is cut into pages."""
    campaign = latest(dataset)
    if campaign is None:
        return [_heading(texts.PDF_TITLE.format(quarter="")), _text(texts.PDF_NO_CAMPAIGN, 11)]
    lines = rating.summary(dataset, campaign.id)
    flow = _summary(campaign, lines, made_at)
    flow += [_image(picture) for picture in pictures]
    flow += _rating(dataset, campaign, lines)
    flow += _best_practice(dataset, campaign)
    return flow


def questions_section(stats: QuestionStats) -> list[Block]:
    """Members' questions (/ask): the headline figures and the questions per category."""
    return [
        _heading(tq.REPORT_PDF_TITLE),
        _table(
            tq.REPORT_PDF_TITLE,
            [tq.REPORT_PDF_FIGURE, tq.REPORT_PDF_VALUE],
            summary_lines(stats),
            [0.7, 0.3],
        ),
        _table(
            tq.REPORT_SHEET_CATEGORIES,
            [tq.REPORT_CATEGORY, tq.REPORT_ASKED, tq.REPORT_ANSWERED],
            [(row.title, str(row.asked), str(row.answered)) for row in stats.by_category],
            [0.6, 0.2, 0.2],
        ),
    ]


def _metadata(campaign: CampaignInfo | None) -> dict[str, str | None]:
    quarter = campaign.label if campaign else ""
    # No creation date: the same data gives the same file.
    return {"Title": texts.PDF_TITLE.format(quarter=quarter), "CreationDate": None}


# --- the blocks --------------------------------------------------------------------------------


def _heading(text: str) -> Text:
    return Text(tuple(textwrap.wrap(text, 70)), size=13, spacing=1.3, heading=True)


def _text(text: str, size: float = 9.0, *, indent: str = "") -> Text:
    width = TEXT_WIDTH if size <= 9 else INTRO_WIDTH
    return Text(tuple(textwrap.wrap(text, width, subsequent_indent=indent)) or ("",), size=size)


def _summary(campaign: CampaignInfo, lines: Sequence[Summary], made_at: datetime) -> list[Block]:
    indicators = rating.key_indicators(campaign.questionnaire.questions)
    groups, total = lines[:-1], lines[-1]
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
        for line in [*(line for line in groups if line.submitted), total]
    ]
    title = texts.PDF_TITLE.format(quarter=campaign.label)
    flow: list[Block] = [
        _heading(title),
        Text(tuple(facts), size=10, spacing=1.5),
        _table(title, header, rows, summary_widths(len(indicators))),
    ]
    silent = silent_line(groups)
    if silent:
        flow.append(_text(silent))
    return flow


def summary_widths(indicators: int) -> list[float]:
    rest = 0.74 / (indicators + 3)
    return [0.26, *([rest] * (indicators + 3))]


def _image(picture: Picture) -> Image:
    caption = picture.caption if picture.report_caption is None else picture.report_caption
    return Image(picture, tuple(textwrap.wrap(caption, TEXT_WIDTH)))


def _rating(dataset: Dataset, campaign: CampaignInfo, lines: Sequence[Summary]) -> list[Block]:
    """The rating of territories; within one territory's report, of its organisations."""
    if dataset.territory_id is not None:
        title = texts.PDF_ORG_RATING_TITLE.format(quarter=campaign.label)
        organisations = [
            [str(item.rank), item.row.org.name, _number(item.score)]
            for item in rating.org_rating(dataset, campaign.id)
        ]
        return [
            _heading(title),
            _table(title, texts.PDF_ORG_RATING_HEADER, organisations, [0.08, 0.77, 0.15])
            if organisations
            else _text(texts.PDF_EMPTY, 10),
        ]
    title = texts.PDF_RATING_TITLE.format(quarter=campaign.label)
    territories = [
        [
            str(item.rank),
            charts.short_name(item.group.name, width=60),
            _number(item.average),
            f"{item.submitted} / {item.total}",
        ]
        for item in rating.territory_rating(dataset, campaign.id)
        if item.rank is not None  # the unranked sent nothing: named in one line below
    ]
    flow: list[Block] = [
        _heading(title),
        _table(title, texts.PDF_RATING_HEADER, territories, [0.08, 0.57, 0.15, 0.2])
        if territories
        else _text(texts.PDF_EMPTY, 10),
    ]
    silent = sum(1 for line in lines[:-1] if not line.submitted)
    if silent and territories:
        flow.append(_text(texts.PDF_RATING_SILENT.format(count=silent)))
    return flow


def _best_practice(dataset: Dataset, campaign: CampaignInfo) -> list[Block]:
    """The top organisations as a numbered list: full names and links do not fit table cells."""
    flow: list[Block] = [
        _heading(texts.PDF_BEST_TITLE.format(quarter=campaign.label)),
        _text(texts.PDF_BEST_INTRO),
    ]
    practices = rating.best_practice(dataset, campaign.id)
    for practice in practices:
        row = practice.rated.row
        heading = texts.PDF_BEST_ITEM.format(
            rank=practice.rated.rank,
            name=row.org.name,
            group=charts.short_name(row.org.group.name, width=60),
            score=_number(practice.rated.score),
        )
        links = [
            texts.PDF_BEST_LINK.format(name=indicator_name(question), url=url)
            for question, url in practice.links
        ] or [texts.PDF_BEST_NO_LINKS]
        item = textwrap.wrap(heading, TEXT_WIDTH, subsequent_indent="    ")
        flow.append(Text((*item, *links)))
    if not practices:
        flow.append(_text(texts.PDF_EMPTY))
    return flow


PLAN_WIDTHS: Final = (0.05, 0.4, 0.2, 0.12, 0.11, 0.12)


def plan_of_events(
    year: int, rows: Sequence[Sequence[str]], done: int, overdue: int
) -> list[Block]:
    """The section «Выполнение плана мероприятий»: one row per item and due period
    (number, item, responsible, due, state, done on), from services.plan.report."""
    from texts import plan as plan_texts

    title = plan_texts.PDF_PLAN_TITLE.format(year=year)
    flow: list[Block] = [_heading(title)]
    if not rows:
        return [*flow, _text(plan_texts.PDF_PLAN_EMPTY)]
    flow.append(
        _text(plan_texts.PDF_PLAN_INTRO.format(done=done, total=len(rows), overdue=overdue))
    )
    flow.append(_table(title, plan_texts.PDF_PLAN_HEADER, rows, PLAN_WIDTHS))
    return flow


def _table(
    title: str, header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]
) -> Table:
    """Cells cut to their column (with «…»): matplotlib tables do not wrap, and a long
    territory name running into the next cell would hide the figures. Headers wrap between
    words only; a word too long for its column gets a smaller font rather than a break."""
    chars = [max(4, int(width * TABLE_WIDTH_CHARS)) for width in widths]
    header_chars = [int(limit * TABLE_FONT / HEADER_FONT) for limit in chars]
    wrapped = [
        charts.short_name(text, width=limit, lines=HEADER_LINES, whole_words=True)
        for text, limit in zip(header, header_chars, strict=True)
    ]
    sizes = [
        HEADER_FONT * min(1.0, limit / max(len(line) for line in cell.split("\n")))
        for cell, limit in zip(wrapped, header_chars, strict=True)
    ]
    return Table(
        header=tuple(wrapped),
        rows=tuple(
            tuple(_fit(cell, limit) for cell, limit in zip(row, chars, strict=True))
            for row in rows
        ),
        widths=tuple(widths),
        continued=f"{title} {texts.PDF_CONTINUED}",
        header_sizes=tuple(sizes),
    )


def header_lines(text: str, limit: int) -> list[str]:
    """A header cell as `_table` wraps it: for tests of «no word broken»."""
    return charts.short_name(text, width=limit, lines=HEADER_LINES, whole_words=True).split("\n")


# --- pages -------------------------------------------------------------------------------------


def paginate(flow: Sequence[Block], height: float = HEIGHT_IN) -> list[list[Block]]:
    """The blocks on pages of `height` inches: each where it fits, a table split with its
    header repeated under a «(продолжение)» heading, a picture shrunk a little rather than
    moved (or to fit one page), a heading kept with what follows it."""
    pages: list[list[Block]] = [[]]
    room = height
    queue = list(flow)

    def new_page() -> None:
        nonlocal room
        pages.append([])
        room = height

    while queue:
        block = queue.pop(0)
        gap = GAP_IN if pages[-1] else 0.0
        if isinstance(block, Text) and block.heading and queue:
            following = _first_part(queue[0])
            if pages[-1] and block.height + GAP_IN + following > room - gap:
                new_page()
                gap = 0.0
        elif isinstance(block, Table):
            fits = block.rows_in(room - gap)
            if 0 < len(block.rows) - fits < MIN_ROWS:  # nor a few rows alone on the next
                fits = len(block.rows) - MIN_ROWS
            if fits >= len(block.rows):
                pass
            elif fits >= min(MIN_ROWS, len(block.rows)) and fits > 0:
                queue.insert(0, replace(block, rows=block.rows[fits:]))
                queue.insert(0, _heading(block.continued))
                block = replace(block, rows=block.rows[:fits])
            elif pages[-1]:
                new_page()
                queue.insert(0, block)
                continue
        elif isinstance(block, Image) and block.height > room - gap:
            if not pages[-1]:  # taller than a page: as big as one page allows
                block = _shrunk(block, room, smallest=0.0)
            elif _shrunk(block, room - gap).height <= room - gap:
                block = _shrunk(block, room - gap)
            else:
                new_page()
                queue.insert(0, block)
                continue
        elif block.height > room - gap and pages[-1]:
            new_page()
            gap = 0.0
        pages[-1].append(block)
        room -= gap + block.height
    return [page for page in pages if page]


def _first_part(block: Block) -> float:
    """The least of a block that must share the page with the heading over it."""
    if isinstance(block, Table):
        return block.header_height + ROW_IN * min(MIN_ROWS, len(block.rows))
    if isinstance(block, Image):
        return replace(block, scale=block.scale * SMALLEST_PICTURE).height
    return block.height


def _shrunk(block: Image, room: float, smallest: float = SMALLEST_PICTURE) -> Image:
    """The picture scaled down to fit `room`, if it need not shrink below `smallest`."""
    captions = block.height - block.image_height
    scale = (room - captions) / (WIDTH_IN * block.aspect)
    if scale >= 1.0 or scale < smallest:
        return block
    return replace(block, scale=scale)


def _draw(blocks_on_page: Sequence[Block]) -> Figure:
    page = Figure(figsize=A4)
    top = TOP_IN
    for number, block in enumerate(blocks_on_page):
        if number:
            top += GAP_IN
        if isinstance(block, Text):
            _draw_text(page, top, block)
        elif isinstance(block, Table):
            _draw_table(page, top, block)
        else:
            _draw_image(page, top, block)
        top += block.height
    return page


def _box(
    top: float, height: float, left: float = SIDE_IN, width: float = WIDTH_IN
) -> tuple[float, float, float, float]:
    """A region given in inches from the page's top left, in figure fractions."""
    return (left / A4[0], 1 - (top + height) / A4[1], width / A4[0], height / A4[1])


def _draw_text(page: Figure, top: float, block: Text) -> None:
    page.text(
        SIDE_IN / A4[0],
        1 - top / A4[1],
        "\n".join(block.lines),
        va="top",
        fontsize=block.size,
        linespacing=block.spacing,
        fontweight="bold" if block.heading else "normal",
    )


def _draw_image(page: Figure, top: float, block: Image) -> None:
    width = WIDTH_IN * block.scale
    axes = page.add_axes(_box(top, block.image_height, SIDE_IN + (WIDTH_IN - width) / 2, width))
    axes.imshow(imread(io.BytesIO(block.picture.png), format="png"))
    axes.set_axis_off()
    if block.caption:
        page.text(
            SIDE_IN / A4[0],
            1 - (top + block.image_height + 0.05) / A4[1],
            "\n".join(block.caption),
            va="top",
            fontsize=9,
            linespacing=1.3,
        )


def _draw_table(page: Figure, top: float, block: Table) -> None:
    axes = page.add_axes(_box(top, block.height))
    axes.set_axis_off()
    table = axes.table(
        cellText=[list(row) for row in block.rows],
        colLabels=list(block.header),
        colWidths=list(block.widths),
        cellLoc="left",
        bbox=Bbox.from_bounds(0, 0, 1, 1),
    )
    table.auto_set_font_size(False)
    table.set_fontsize(TABLE_FONT)
    for (row, column), cell in table.get_celld().items():
        cell.set_edgecolor(charts.MUTED)
        cell.set_linewidth(0.3)
        # Relative heights: the bounding box scales them to the block's.
        cell.set_height(block.header_height if row == 0 else ROW_IN)
        if row == 0:
            cell.set_text_props(
                fontweight="bold", ha="center", fontsize=block.header_sizes[column]
            )
            cell.set_facecolor("#EEF3F8")


def _fit(text: str, limit: int) -> str:
    """A cell's text cut to its column; a long name first loses the words every name has."""
    return charts.short_name(text, width=limit) if len(text) > limit else text


def _percent(value: float | None) -> str:
    return charts.percent(value) if value is not None else chart_texts.NOT_AVAILABLE


def _number(value: float | None) -> str:
    return charts.number(value, 1) if value is not None else "—"


def events_section(report: events_report.EventsReport) -> list[Block]:
    """Seminars and trainings: events per quarter, and trained activists per territory."""
    flow: list[Block] = [_heading(events_texts.PDF_SECTION)]
    if not report.quarters:
        return [*flow, _text(events_texts.PDF_NONE)]
    for title, header, rows in events_report.tables(report):
        if not rows:
            continue
        widths = [0.4] + [0.6 / max(1, len(header) - 1)] * (len(header) - 1)
        flow.append(_text(title, 10))
        flow.append(_table(title, header, [[str(cell) for cell in row] for row in rows], widths))
    return flow
