"""Charts: every kind renders a PNG for no data, one quarter and eight; Cyrillic renders without
a missing glyph; the images are sized for a Telegram photo."""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from matplotlib import font_manager
from PIL import Image

from services.reports import charts
from services.reports.charts import CompletionRow
from services.reports.subscribers import SubscriberStats, TopicCount, WeekGrowth
from tests.conftest import SAMPLE_ORGS

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
QUARTERS = [f"{number} кв. {year}" for year in (2025, 2026) for number in ("I", "II", "III", "IV")]
INDICATORS = (
    "Доля организаций со страницей на сайте",
    "Доля организаций с группой в социальной сети",
    "Средняя заполненность реестра членов Профсоюза",
)
TOPICS = (
    "Новости профсоюзных органов",
    "Изменения законодательства",
    "Социальное партнёрство",
    "Программа «Профкардс»",
)


def _directory(level: str) -> list[str]:
    with SAMPLE_ORGS.open(encoding="utf-8") as file:
        return [row["name"] for row in csv.DictReader(file) if row["level"] == level]


# The 33 territorial organisations and the regional-subordination group: 34 rows.
TERRITORIES = [*_directory("territorial"), "Организации областного подчинения"]
PRIMARIES = _directory("primary")


@pytest.fixture(autouse=True)
def strict_warnings() -> Iterator[None]:
    """Any warning fails the test — above all matplotlib's "Glyph … missing from font(s)"."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def _value(index: int) -> float:
    """Deterministic values spread over 0–100."""
    return float(index * 37 % 101)


def _png(data: bytes) -> Image.Image:
    """The PNG decoded, after checking it is one and fits a Telegram photo."""
    assert data.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.format == "PNG"
    assert image.width == 1280
    assert 480 <= image.height <= 4000
    assert image.width + image.height <= 10000  # Telegram's limit for a photo
    return image


# Each chart for a period of `n` quarters (for the charts without quarters: n rows).


def _completion(n: int) -> bytes:
    rows = [CompletionRow(name, index % 16, 15) for index, name in enumerate(TERRITORIES[:n])]
    return charts.completion_chart(rows, "Кто отправил анкету за IV квартал 2026 года")


def _indicators(n: int) -> bytes:
    territories = TERRITORIES[:n]
    values = {
        name: [None if (row + column) % 5 == 0 else _value(row + column) for row in range(n)]
        for column, name in enumerate(INDICATORS)
    }
    return charts.indicators_chart(territories, values, "Ключевые показатели по территориям")


def _trend(n: int) -> bytes:
    quarters = QUARTERS[-n:] if n else []
    series = {name: [_value(q + 3 * k) for q in range(n)] for k, name in enumerate(INDICATORS)}
    return charts.trend_chart(quarters, series, "Динамика ключевых показателей")


def _rating(n: int) -> bytes:
    rows = [(name, _value(index)) for index, name in enumerate(PRIMARIES[:n])]
    return charts.rating_chart(rows, "Рейтинг первичных организаций")


def _stats(weeks: int) -> SubscriberStats:
    topics = tuple(
        TopicCount(f"t{index}", title, 40 - index, index) for index, title in enumerate(TOPICS)
    )
    growth, total = [], 10
    for index in range(weeks):
        new = index % 3 * 4  # 0, 4, 8: zero weeks included
        total += new
        growth.append(WeekGrowth(date(2026, 10, 5) + timedelta(weeks=index), new, total))
    members = total if weeks else 0
    return SubscriberStats(members, 6, topics if weeks else (), (), tuple(growth))


def _subscribers(n: int) -> bytes:
    return charts.subscribers_chart(_stats(n), "Подписчики «Профинформа»")


CHARTS: dict[str, Callable[[int], bytes]] = {
    "completion": _completion,
    "indicators": _indicators,
    "trend": _trend,
    "rating": _rating,
    "subscribers": _subscribers,
}


@pytest.mark.parametrize("n", [1, 8])
@pytest.mark.parametrize("chart", CHARTS)
def test_chart_renders_a_png(chart: str, n: int) -> None:
    _png(CHARTS[chart](n))


@pytest.mark.parametrize("chart", CHARTS)
def test_no_data_is_an_image_saying_so(chart: str) -> None:
    data = CHARTS[chart](0)
    _png(data)
    titles = {
        "completion": "Кто отправил анкету за IV квартал 2026 года",
        "indicators": "Ключевые показатели по территориям",
        "trend": "Динамика ключевых показателей",
        "rating": "Рейтинг первичных организаций",
        "subscribers": "Подписчики «Профинформа»",
    }
    # Rendering is deterministic, so "the no-data image" can be compared byte for byte.
    assert data == charts.no_data_chart(titles[chart])


def test_only_missing_values_is_no_data() -> None:
    title = "Показатели"
    nothing = {name: [None, None] for name in INDICATORS}
    assert charts.indicators_chart(["А", "Б"], nothing, title) == charts.no_data_chart(title)
    assert charts.trend_chart(QUARTERS[:2], nothing, title) == charts.no_data_chart(title)
    assert charts.rating_chart([("А", float("nan"))], title) == charts.no_data_chart(title)


def test_missing_value_is_drawn_unlike_zero() -> None:
    territories = ["Беловская районная организация Профсоюза"]
    missing = charts.indicators_chart(territories, {INDICATORS[0]: [None]}, "Показатели")
    zero = charts.indicators_chart(territories, {INDICATORS[0]: [0.0]}, "Показатели")
    _png(missing)
    assert missing != zero


def test_a_gap_in_a_trend_renders() -> None:
    series = {INDICATORS[0]: [50.0, None, 70.0, None, None, 40.0, 45.0, None]}
    _png(charts.trend_chart(QUARTERS, series, "Динамика"))


def test_thirty_four_territories_get_legible_rows() -> None:
    few, all_ = _png(_completion(8)), _png(_completion(34))
    assert len(TERRITORIES) == 34
    # The figure grows with the rows: each of them at least 40 px high on a 1280 px image.
    assert (all_.height - few.height) / (34 - 8) >= 40
    _png(_indicators(34))
    _png(_rating(34))


def test_series_of_the_wrong_length_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="expected 2"):
        charts.trend_chart(QUARTERS[:2], {INDICATORS[0]: [1.0]}, "Динамика")
    with pytest.raises(ValueError, match="expected 1"):
        charts.indicators_chart(["А"], {INDICATORS[0]: [1.0, 2.0]}, "Показатели")


def test_cyrillic_uses_the_bundled_dejavu_sans() -> None:
    path = font_manager.findfont(
        font_manager.FontProperties(family=charts.FONT), fallback_to_default=False
    )
    assert path.endswith("DejaVuSans.ttf")


def test_a_missing_glyph_would_fail_these_tests() -> None:
    """The control for every test above: a character DejaVu Sans lacks does raise."""
    with pytest.raises(UserWarning, match="missing from font"):
        charts.no_data_chart("Отчёт 报告")


def test_charts_from_several_threads_are_the_same_as_one_by_one() -> None:
    makers = [lambda: _completion(8), lambda: _trend(8), lambda: _rating(8), lambda: _trend(1)]
    expected = [make() for make in makers]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(lambda make: make(), makers * 2)) == expected * 2


def test_numbers_are_written_the_russian_way() -> None:
    assert charts.number(87.54, 1) == "87,5"
    assert charts.number(12.5) == "13"  # half up, not to even
    assert charts.number(87.55, 1) == "87,6"  # though 87.55 is 87.5499… as a float
    assert charts.number(-3.25, 1) == "\N{MINUS SIGN}3,3"
    assert charts.number(-0.04, 1) == "0,0"
    assert charts.percent(80) == "80\N{NO-BREAK SPACE}%"


def test_long_names_are_shortened_for_the_axis() -> None:
    assert charts.short_name("Беловская районная организация Профсоюза") == "Беловская районная"
    assert (
        charts.short_name("МКОУ «Беловская средняя общеобразовательная школа» Беловского района")
        == "МКОУ «Беловская СОШ» Беловского…"
    )
    assert charts.short_name("МБДОУ «Детский сад № 46» г. Курска", 30, 2) == (
        "МБДОУ «Детский сад №\N{NO-BREAK SPACE}46»\nг.\N{NO-BREAK SPACE}Курска"
    )
    long = charts.short_name("Курская областная организация " + "очень длинное имя " * 10, 30, 2)
    first, second = long.split("\n")
    assert len(first) <= 30 and len(second) <= 30 and second.endswith("…")
