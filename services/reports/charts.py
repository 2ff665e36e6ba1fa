"""Report charts: plain data in, PNG bytes out.

Pure functions — no database, no files, no pyplot. Each chart is its own
`matplotlib.figure.Figure` drawn by the Agg canvas into memory, so nothing depends on
pyplot's global "current figure". The style (DejaVu Sans, bundled with matplotlib, which has
Cyrillic) is applied with `rc_context`, and rcParams are global to the process; matplotlib is
not thread-safe either, so rendering holds a module lock. A chart takes a few hundred
milliseconds: from asyncio call it through `asyncio.to_thread`.

The charts are meant for a Telegram photo read on a phone and for printing: 1280 px wide,
fonts sized for that width, a white background, the colour-blind-safe Okabe–Ito colours,
and series told apart by markers too, so a grey printout still reads. With nothing to draw,
every chart is an image saying so rather than an exception.
"""

from __future__ import annotations

import io
import math
import re
import textwrap
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Final, Literal

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator
from matplotlib.transforms import offset_copy

from texts import charts as texts

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

    from services.reports.subscribers import SubscriberStats, TopicCount, WeekGrowth

FONT: Final = "DejaVu Sans"
DPI: Final = 160
WIDTH_IN: Final = 8.0  # 1280 px: the width Telegram keeps for a photo
# Fixed parts of a figure's height (title, axis, legend), in inches; rows add to them.
TITLE_IN: Final = 0.9
# Trend series drawn side by side, this many points apart, so equal values (two indicators
# at 100 %) show every marker instead of the last one drawn hiding the others.
TREND_DODGE_PT: Final = 7.0
MIN_HEIGHT_IN: Final = 3.5

STYLE: Final[dict[RcKeyType, Any]] = {
    "font.family": FONT,
    "font.size": 12,
    "figure.titlesize": 15,
    "figure.titleweight": "bold",
    "axes.titlesize": 13,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 12,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 11,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#6E6E6E",
    "axes.axisbelow": True,
    "grid.color": "#D9D9D9",
    "grid.linewidth": 0.8,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "axes.unicode_minus": True,
}
# Okabe–Ito: distinguishable with every common colour-vision deficiency.
PALETTE: Final = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000")
MARKERS: Final = ("o", "s", "^", "D", "v", "P", "X")
MAIN: Final = PALETTE[0]
DONE: Final = PALETTE[2]  # a territory where every organisation has submitted
TRACK: Final = "#E6E6E6"  # the unfilled part of a bar
MUTED: Final = "#6E6E6E"
BLOCKED: Final = "#B0B0B0"
HEATMAP: Final = "YlGnBu"
NO_DATA_CELL: Final = "#F2F2F2"

# Characters per line of a wrapped label, and how many lines it may take.
TITLE_WIDTH: Final = 50
ROW_LABEL_WIDTH: Final = 34
TWO_LINE_LABEL_WIDTH: Final = 30
COLUMN_LABEL_WIDTH: Final = 13  # four indicator columns side by side
LEGEND_WIDTH: Final = 60

RENDER_LOCK = threading.Lock()  # rcParams are global and matplotlib is not thread-safe


@dataclass(frozen=True)
class CompletionRow:
    """How many organisations of a territory have submitted the questionnaire."""

    name: str
    submitted: int
    total: int

    @property
    def percent(self) -> float | None:
        """Share submitted; None for a territory without organisations."""
        return 100 * self.submitted / self.total if self.total else None


# ---------------------------------------------------------------------------------------------
# Numbers and labels


def number(value: float, digits: int = 0) -> str:
    """A number the Russian way: decimal comma, a real minus sign, and rounded as people
    round (12.5 → 13, 87.55 → 87.6), not to even on binary floats as `round` does."""
    exact = Decimal(str(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    if exact.is_zero():
        exact = exact.copy_abs()  # −0,04 rounds to 0,0, not to "−0,0"
    return f"{exact:f}".replace(".", ",").replace("-", "\N{MINUS SIGN}")


def percent(value: float) -> str:
    return texts.PERCENT.format(value=number(value))


def _wrap(text: str, width: int, lines: int, *, whole_words: bool = False) -> str:
    """At most `lines` lines of `width` characters; what does not fit ends in an ellipsis.
    `whole_words`: a word longer than `width` keeps its line whole rather than being cut
    (a table header, where «Заполненност / ь» would read as two words)."""
    # textwrap breaks at ASCII whitespace only: a no-break space holds two words together.
    clean = re.sub(r"[ \t\r\n]+", " ", text).strip()
    wrapped = textwrap.wrap(clean, width, break_long_words=not whole_words) or [""]
    if len(wrapped) > lines:
        last, room = wrapped[lines - 1], width - len(texts.ELLIPSIS)
        while whole_words and len(last) > room and " " in last:
            last = last.rsplit(" ", 1)[0]
        last = last[:room].rstrip()
        wrapped = [*wrapped[: lines - 1], last + texts.ELLIPSIS]
    return "\n".join(wrapped)


def short_name(
    name: str, width: int = ROW_LABEL_WIDTH, lines: int = 1, *, whole_words: bool = False
) -> str:
    """An organisation name fit for an axis: the words every name repeats dropped or
    abbreviated («Беловская районная организация Профсоюза» → «Беловская районная»), then
    wrapped."""
    for long, short in texts.NAME_ABBREVIATIONS:
        name = name.replace(long, short)
    for word in texts.NO_BREAK_AFTER:
        name = re.sub(rf"(?<!\w){re.escape(word)} +", word + "\N{NO-BREAK SPACE}", name)
    return _wrap(name, width, lines, whole_words=whole_words)


def _finite(values: Sequence[float | None]) -> list[float]:
    """The data points of a series; None is "no data", drawn as a gap."""
    return [float(value) for value in values if value is not None and math.isfinite(value)]


def _nan_for_none(values: Sequence[float | None]) -> list[float]:
    """Values for matplotlib, which leaves a gap at NaN (a line breaks, a cell is "bad")."""
    return [math.nan if value is None else float(value) for value in values]


def _check_lengths(expected: int, series: Mapping[str, Sequence[float | None]]) -> None:
    for name, values in series.items():
        if len(values) != expected:
            raise ValueError(f"series {name!r} has {len(values)} values, expected {expected}")


# ---------------------------------------------------------------------------------------------
# Figures


def _render(title: str, height_in: float, draw: Callable[[Figure], None]) -> bytes:
    """A titled figure 1280 px wide, drawn by `draw` and encoded as PNG.

    Constrained layout makes room for long tick labels and legends, so the drawing functions
    never compute margins.
    """
    with RENDER_LOCK, matplotlib.rc_context(STYLE):
        figure = Figure(figsize=(WIDTH_IN, max(height_in, MIN_HEIGHT_IN)), dpi=DPI)
        figure.set_layout_engine("constrained", h_pad=0.1, w_pad=0.1)
        FigureCanvasAgg(figure)
        figure.suptitle(_wrap(title, TITLE_WIDTH, 3))
        draw(figure)
        buffer = io.BytesIO()
        # No "Software" entry: the same data gives the same bytes.
        figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _show_no_data(axes: Axes) -> None:
    """Replace a panel by the notice that there is nothing to show."""
    axes.set_axis_off()
    axes.text(
        0.5,
        0.5,
        texts.NO_DATA,
        transform=axes.transAxes,
        ha="center",
        va="center",
        fontsize=14,
        color=MUTED,
    )


def no_data_chart(title: str) -> bytes:
    """The image every chart gives when it has nothing to draw."""
    return _render(title, MIN_HEIGHT_IN, lambda figure: _show_no_data(figure.add_subplot()))


def _rows_height(rows: int, row_in: float, extra_in: float = 0.6) -> float:
    """Figure height for `rows` bars: grows with the data, so 34 territories stay legible."""
    return TITLE_IN + extra_in + rows * row_in


def _bar_rows(axes: Axes, labels: Sequence[str]) -> list[int]:
    """Horizontal-bar axes with the first row at the top and no frame but the left spine."""
    positions = list(range(len(labels)))
    axes.set_yticks(positions, labels)
    axes.set_ylim(len(labels) - 0.5, -0.5)  # inverted: first row on top
    axes.tick_params(axis="y", length=0)
    axes.spines["bottom"].set_visible(False)
    return positions


def _percent_axis(axes: Axes, which: Literal["x", "y"] = "x") -> None:
    axis = axes.xaxis if which == "x" else axes.yaxis
    axis.set_major_formatter(FuncFormatter(lambda value, _: percent(value)))


# ---------------------------------------------------------------------------------------------
# Completion of a campaign


def completion_chart(rows: Sequence[CompletionRow], title: str) -> bytes:
    """Per territory, the share of organisations that submitted: a bar on a 0–100 % track,
    labelled «12 из 15 (80 %)»; a territory where everyone submitted is green.

    Rows are drawn in the given order, first at the top: the caller decides whether that is
    alphabetical (to find one's territory) or by share (to see who lags).
    """
    if not rows:
        return no_data_chart(title)
    return _render(
        title,
        _rows_height(len(rows), 0.3),
        lambda figure: _draw_completion(figure.add_subplot(), rows),
    )


def _completion_label(row: CompletionRow) -> str:
    if row.percent is None:
        return texts.COMPLETION_NO_ORGANISATIONS
    return texts.COMPLETION_LABEL.format(
        submitted=row.submitted, total=row.total, percent=number(row.percent)
    )


def _draw_completion(axes: Axes, rows: Sequence[CompletionRow]) -> None:
    positions = _bar_rows(axes, [short_name(row.name) for row in rows])
    shares = [row.percent or 0.0 for row in rows]
    axes.barh(positions, [100 if row.total else 0 for row in rows], height=0.7, color=TRACK)
    axes.barh(
        positions,
        shares,
        height=0.7,
        color=[DONE if share >= 100 else MAIN for share in shares],
    )
    for position, row in zip(positions, rows, strict=True):
        # A column right of the track: every label in the same place, none over a bar.
        axes.text(102, position, _completion_label(row), va="center", fontsize=11)
    axes.set_xlim(0, 100)
    axes.set_xticks([0, 25, 50, 75, 100])
    _percent_axis(axes)
    axes.xaxis.tick_top()
    axes.tick_params(axis="x", colors=MUTED)
    axes.spines["left"].set_visible(False)
    axes.spines["top"].set_visible(False)
    axes.grid(axis="x")
    axes.set_xlabel(texts.COMPLETION_AXIS, color=MUTED)


# ---------------------------------------------------------------------------------------------
# Key indicators by territory


def indicators_chart(
    territories: Sequence[str], indicators: Mapping[str, Sequence[float | None]], title: str
) -> bytes:
    """Key indicators (percent, 0–100) by territory as a table coloured by value.

    A heat map rather than grouped bars: 34 territories × 3 indicators as bars would be
    thousands of pixels tall, while a cell with its number stays readable on a phone and exact
    on paper. A value of None is "no data": a pale cell marked «н/д», unlike a real 0 %.
    """
    _check_lengths(len(territories), indicators)
    if not any(_finite(values) for values in indicators.values()):
        return no_data_chart(title)
    return _render(
        title,
        _rows_height(len(territories), 0.3, extra_in=1.6),
        lambda figure: _draw_indicators(figure.add_subplot(), territories, indicators),
    )


def _draw_indicators(
    axes: Axes, territories: Sequence[str], indicators: Mapping[str, Sequence[float | None]]
) -> None:
    names = list(indicators)
    columns = [_nan_for_none(indicators[name]) for name in names]
    cells = [list(row) for row in zip(*columns, strict=True)]  # one row per territory
    colours = matplotlib.colormaps[HEATMAP].with_extremes(bad=NO_DATA_CELL)
    axes.imshow(cells, cmap=colours, vmin=0, vmax=100, aspect="auto", interpolation="nearest")
    for row, values in enumerate(cells):
        for column, value in enumerate(values):
            missing = math.isnan(value)
            axes.text(
                column,
                row,
                texts.NOT_AVAILABLE if missing else percent(value),
                ha="center",
                va="center",
                fontsize=11,
                color=MUTED if missing else ("white" if value >= 60 else "black"),
            )
    axes.set_xticks(range(len(names)), [_wrap(name, COLUMN_LABEL_WIDTH, 4) for name in names])
    axes.xaxis.tick_top()
    axes.set_yticks(range(len(territories)), [short_name(name) for name in territories])
    axes.tick_params(length=0)
    # White lines between the cells.
    axes.set_xticks([index - 0.5 for index in range(len(names) + 1)], minor=True)
    axes.set_yticks([index - 0.5 for index in range(len(territories) + 1)], minor=True)
    axes.tick_params(which="minor", length=0)
    axes.grid(which="minor", color="white", linewidth=2)
    for spine in axes.spines.values():
        spine.set_visible(False)
    if any(math.isnan(value) for values in cells for value in values):
        axes.set_xlabel(texts.INDICATORS_NO_DATA_NOTE, color=MUTED, loc="left")


# ---------------------------------------------------------------------------------------------
# Trend over quarters


def trend_chart(
    quarters: Sequence[str], series: Mapping[str, Sequence[float | None]], title: str
) -> bytes:
    """Each indicator (percent) over the quarters: lines with markers, a gap where a quarter
    has no data; the legend gives each indicator's latest value. The series stand a few
    points apart side by side, so markers of equal values overlap without hiding each other.

    The y axis is always 0–100 % (wider if a value exceeds it), so one quarter, or a flat
    series, never collapses the axis, and quarters are compared on the same scale.
    """
    _check_lengths(len(quarters), series)
    if not any(_finite(values) for values in series.values()):
        return no_data_chart(title)
    legend_lines = sum(
        len(_legend_label(name, values).splitlines()) for name, values in series.items()
    )
    return _render(
        title,
        TITLE_IN + 4.2 + 0.3 * legend_lines,
        lambda figure: _draw_trend(figure, quarters, series),
    )


def _legend_label(name: str, values: Sequence[float | None]) -> str:
    """The indicator's name with its latest known value: the number people ask for first."""
    known = _finite(values)
    label = f"{name} — {percent(known[-1])}" if known else name
    return _wrap(label, LEGEND_WIDTH, 2)


def _quarter_label(quarter: str, quarters: int) -> str:
    """«III кв. 2025» on one line while there is room, else the year on a line of its own."""
    return quarter if quarters <= 4 else "\n".join(quarter.rsplit(" ", 1))


def _draw_trend(
    figure: Figure, quarters: Sequence[str], series: Mapping[str, Sequence[float | None]]
) -> None:
    axes = figure.add_subplot()
    positions = list(range(len(quarters)))
    middle = (len(series) - 1) / 2
    for index, (name, values) in enumerate(series.items()):
        # A fixed shift in points, not in data units: as clear with 2 quarters as with 8.
        shift = (index - middle) * TREND_DODGE_PT
        shifted = offset_copy(axes.transData, figure, x=shift, units="points")
        axes.plot(
            positions,
            _nan_for_none(values),
            label=_legend_label(name, values),
            color=PALETTE[index % len(PALETTE)],
            marker=MARKERS[index % len(MARKERS)],
            markersize=8,
            markeredgecolor="white",
            markeredgewidth=0.8,
            linewidth=2.5,
            transform=shifted,
        )
    axes.set_xticks(positions, [_quarter_label(quarter, len(quarters)) for quarter in quarters])
    axes.set_xlim(-0.5, len(quarters) - 0.5)
    highest = max(value for values in series.values() for value in _finite(values))
    axes.set_ylim(0, max(100.0, highest * 1.05))
    axes.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
    _percent_axis(axes, "y")
    axes.set_ylabel(texts.TREND_AXIS)
    axes.grid(axis="y")
    figure.legend(loc="outside lower center", ncols=1)


# ---------------------------------------------------------------------------------------------
# Rating


def rating_chart(rows: Sequence[tuple[str, float]], title: str, *, top: int = 10) -> bytes:
    """The `top` best by the information-work index (territories or organisations), highest
    first, with their places; rows without a finite value are left out."""
    ranked = sorted(
        ((name, float(value)) for name, value in rows if math.isfinite(value)),
        key=lambda row: row[1],
        reverse=True,
    )[:top]
    if not ranked:
        return no_data_chart(title)
    return _render(
        title,
        _rows_height(len(ranked), 0.5),
        lambda figure: _draw_rating(figure.add_subplot(), ranked),
    )


def _draw_rating(axes: Axes, ranked: Sequence[tuple[str, float]]) -> None:
    labels = [
        texts.RATING_ROW.format(place=place, name=short_name(name, TWO_LINE_LABEL_WIDTH, 2))
        for place, (name, _) in enumerate(ranked, start=1)
    ]
    positions = _bar_rows(axes, labels)
    values = [value for _, value in ranked]
    bars = axes.barh(positions, values, height=0.65, color=MAIN)
    axes.bar_label(bars, [number(value, 1) for value in values], padding=5, fontsize=11)
    axes.set_xlim(0, max(max(values), 1.0) * 1.15)  # room for the value labels
    axes.xaxis.set_visible(False)
    axes.set_title(texts.RATING_AXIS, color=MUTED, fontweight="normal", fontsize=11)


# ---------------------------------------------------------------------------------------------
# Subscribers


def subscribers_chart(stats: SubscriberStats, title: str) -> bytes:
    """Two panels from `subscribers.collect`: subscribers per topic (bars, the part that
    blocked the bot in grey) and the number of members week by week (a line, each week's
    newcomers as «+N»)."""
    if stats.members == 0:
        return no_data_chart(title)
    topics_in = 0.5 * len(stats.topics) + 1.0
    growth_in = 3.6
    return _render(
        title,
        TITLE_IN + topics_in + growth_in,
        lambda figure: _draw_subscribers(figure, stats, [topics_in, growth_in]),
    )


def _draw_subscribers(figure: Figure, stats: SubscriberStats, heights: list[float]) -> None:
    # Subfigures, not one grid: each panel gets the full width instead of both sharing the
    # left margin that the topic names need.
    grid = figure.add_gridspec(2, 1, height_ratios=heights)
    topics_panel, growth_panel = figure.add_subfigure(grid[0]), figure.add_subfigure(grid[1])
    topics_axes, growth_axes = topics_panel.add_subplot(), growth_panel.add_subplot()
    topics_axes.set_title(texts.SUBSCRIBERS_BY_TOPIC)
    growth_axes.set_title(texts.SUBSCRIBERS_GROWTH)
    if stats.topics:
        _draw_topics(topics_axes, stats.topics)
    else:
        _show_no_data(topics_axes)
    if stats.weeks:
        _draw_growth(growth_axes, stats.weeks)
    else:
        _show_no_data(growth_axes)


def _draw_topics(axes: Axes, topics: Sequence[TopicCount]) -> None:
    positions = _bar_rows(axes, [_wrap(topic.title, TWO_LINE_LABEL_WIDTH, 2) for topic in topics])
    active = [topic.active for topic in topics]
    axes.barh(positions, active, height=0.65, color=MAIN, label=texts.SUBSCRIBERS_ACTIVE)
    bars = axes.barh(
        positions,
        [topic.blocked for topic in topics],
        left=active,
        height=0.65,
        color=BLOCKED,
        label=texts.SUBSCRIBERS_BLOCKED,
    )
    axes.bar_label(bars, [str(topic.subscribers) for topic in topics], padding=5, fontsize=11)
    axes.set_xlim(0, max(max(topic.subscribers for topic in topics), 1) * 1.15)
    axes.xaxis.set_visible(False)
    if any(topic.blocked for topic in topics):
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, 0.0), ncols=2)


def _thin(labels: Sequence[str], most: int) -> list[str]:
    """Every k-th tick label, counted from the last (the current week), so that at most
    `most` are shown and none overlap."""
    step = math.ceil(len(labels) / most)
    last = len(labels) - 1
    return [label if (last - index) % step == 0 else "" for index, label in enumerate(labels)]


def _draw_growth(axes: Axes, weeks: Sequence[WeekGrowth]) -> None:
    positions = list(range(len(weeks)))
    totals = [week.total for week in weeks]
    axes.plot(positions, totals, color=MAIN, marker="o", markersize=7, linewidth=2.5)
    for position, week in zip(positions, weeks, strict=True):
        if week.new:
            axes.annotate(
                texts.SUBSCRIBERS_NEW.format(count=week.new),
                (position, week.total),
                xytext=(0, 8),
                textcoords="offset points",
                ha="center",
                fontsize=10,
                color=PALETTE[3],
            )
    ticks = [texts.WEEK_TICK.format(start=week.start) for week in weeks]
    axes.set_xticks(positions, _thin(ticks, most=7))
    axes.set_xlabel(texts.SUBSCRIBERS_GROWTH_AXIS, color=MUTED)
    axes.set_xlim(-0.5, len(weeks) - 0.5)
    axes.set_ylim(0, max(max(totals), 1) * 1.2)  # from zero: growth is not exaggerated
    axes.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    axes.set_ylabel(texts.SUBSCRIBERS_TOTAL_AXIS)
    axes.grid(axis="y")
