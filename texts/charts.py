"""Russian texts of the report charts and of the subscriber statistics.

Chart titles come from the caller; everything else a person reads on a chart or in a
statistics table (axis labels, legends, the no-data notice, column headers) lives here.
"""

from __future__ import annotations

from typing import Final

# --- every chart -------------------------------------------------------------------------------
NO_DATA: Final = "Нет данных за выбранный период"
# A value with its unit: Russian puts a space before %, a no-break one keeps them together.
PERCENT: Final = "{value}\N{NO-BREAK SPACE}%"
# A cell / point of a chart whose value is unknown (not zero).
NOT_AVAILABLE: Final = "н/д"
ELLIPSIS: Final = "…"

# Organisation names are long and repeat the same words; charts show them shortened.
# Applied in order, so longer phrases come before their parts.
NAME_ABBREVIATIONS: Final[tuple[tuple[str, str], ...]] = (
    (" организация Профсоюза", ""),
    ("Первичная профсоюзная организация", "ППО"),
    ("средняя общеобразовательная школа", "СОШ"),
    ("Средняя общеобразовательная школа", "СОШ"),
    ("основная общеобразовательная школа", "ООШ"),
    ("Основная общеобразовательная школа", "ООШ"),
    ("начальная общеобразовательная школа", "НОШ"),
    ("Начальная общеобразовательная школа", "НОШ"),
)
# Words that must not end a line of a wrapped name: «г. Курска», «№ 10» stay together.
NO_BREAK_AFTER: Final = ("г.", "№")

# --- completion of a campaign ------------------------------------------------------------------
COMPLETION_LABEL: Final = "{submitted} из {total} ({percent}\N{NO-BREAK SPACE}%)"
COMPLETION_NO_ORGANISATIONS: Final = "нет организаций"
COMPLETION_AXIS: Final = "Доля организаций, отправивших анкету"

# --- key indicators and their trend ---------------------------------------------------------
INDICATORS_NO_DATA_NOTE: Final = "н/д — нет данных"
TREND_AXIS: Final = "Значение, %"

# --- rating ------------------------------------------------------------------------------------
RATING_AXIS: Final = "Индекс информационной работы"
RATING_ROW: Final = "{place}. {name}"

# --- subscribers -------------------------------------------------------------------------------
SUBSCRIBERS_BY_TOPIC: Final = "Подписчики по темам"
SUBSCRIBERS_GROWTH: Final = "Участники по неделям"
SUBSCRIBERS_GROWTH_AXIS: Final = "Неделя (с понедельника); +N — новые участники за неделю"
SUBSCRIBERS_ACTIVE: Final = "получают рассылки"
SUBSCRIBERS_BLOCKED: Final = "заблокировали бота"
SUBSCRIBERS_TOTAL_AXIS: Final = "Всего участников"
SUBSCRIBERS_NEW: Final = "+{count}"
WEEK_TICK: Final = "{start:%d.%m}"

# --- subscriber statistics tables (XLSX / CSV / chat) -----------------------------------------
NO_TERRITORY: Final = "Не указана"
TOTAL_ROW: Final = "Итого"
# A week as a row label: Monday to Sunday, year once.
WEEK_RANGE: Final = "{start:%d.%m}–{end:%d.%m.%Y}"

TABLE_TOPICS: Final = "По темам"
TABLE_TOPICS_HEADER: Final = ("Тема", "Подписчиков", "Получают рассылки", "Заблокировали бота")
TABLE_TERRITORIES: Final = "По территориям"
TABLE_TERRITORIES_HEADER: Final = (
    "Территориальная организация",
    "Участников",
    "Получают рассылки",
    "Заблокировали бота",
)
TABLE_WEEKS: Final = "По неделям"
TABLE_WEEKS_HEADER: Final = ("Неделя", "Новых участников", "Всего участников")

# --- the report's chart set (services/reports/visuals.py): titles and photo captions ----------
TITLE_NO_CAMPAIGN: Final = "Мониторинг ещё не проводился"
TITLE_COMPLETION: Final = "Сдача анкет по территориям, {quarter}"
CAPTION_COMPLETION: Final = (
    "Мониторинг за {quarter}: анкеты сдали {submitted} из {total} ({percent})."
)
# Territories that sent nothing, in one line instead of rows of zeros (charts and the PDF).
NO_SUBMISSION_LINE: Final = "Не отправили ни одной анкеты (территорий: {count}): {names}."
NO_SUBMISSION_MORE: Final = "{names} и ещё {count}"
TITLE_INDICATORS: Final = "Ключевые показатели по территориям, {quarter}"
CAPTION_INDICATORS: Final = (
    "Ключевые показатели за {quarter}: доли организаций, ответивших «Да», "
    "и средняя заполненность реестра. Считаются только сданные анкеты."
)
INDICATORS_HIDDEN: Final = " Территории, не отправившие ни одной анкеты, не показаны ({count})."
TITLE_TREND: Final = "Динамика ключевых показателей"
# Instead of a trend of one point: said after the indicators' caption.
TREND_ONE_QUARTER: Final = (
    " Динамики по кварталам пока нет: показатели есть только за {quarter}; график появится "
    "после мониторинга следующего квартала."
)
CAPTION_TREND: Final = "Ключевые показатели по кварталам: {first} — {last}."
TITLE_RATING_TERRITORIES: Final = "Рейтинг территорий по индексу информационной работы, {quarter}"
TITLE_RATING_ORGS: Final = "Рейтинг организаций по индексу информационной работы, {quarter}"
CAPTION_RATING: Final = (
    "Индекс — взвешенная сумма ответов анкеты (веса заданы в анкете); у территории — "
    "среднее по сдавшим организациям."
)
