"""Russian texts of the presidium report and of the subscriber statistics files."""

from __future__ import annotations

from typing import Final

PDF_TITLE: Final = "Информационная работа: итоги мониторинга, {quarter}"
PDF_NO_CAMPAIGN: Final = "Мониторинг ещё не проводился: в отчёте пока нечего показать."
PDF_MADE_AT: Final = "Отчёт подготовлен {when:%d.%m.%Y в %H:%M} по данным бота «Профинформ»."
PDF_SUBMITTED: Final = "Анкеты сдали: {submitted} из {total} организаций ({percent})."
PDF_INDICATOR: Final = "{name}: {value}."
PDF_AVERAGE_INDEX: Final = "Средний индекс информационной работы: {value}."
PDF_COL_GROUP: Final = "Территориальная организация"
PDF_COL_SUBMITTED: Final = "Сдали / всего"
PDF_COL_SHARE: Final = "Доля сдавших"
PDF_COL_INDEX: Final = "Средний индекс"
PDF_TOTAL: Final = "Итого"
PDF_CONTINUED: Final = "(продолжение)"
PDF_EMPTY: Final = "Нет данных."
PDF_RATING_TITLE: Final = "Рейтинг территорий, {quarter}"
PDF_RATING_HEADER: Final = (
    "Место",
    "Территориальная организация",
    "Средний индекс",
    "Сдали / всего",
)
# Under the rating of territories, instead of unranked rows: they are named under the summary.
PDF_RATING_SILENT: Final = (
    "Без места — территории, не отправившие ни одной анкеты ({count}): они перечислены "
    "под сводной таблицей."
)
PDF_ORG_RATING_TITLE: Final = "Рейтинг организаций, {quarter}"
PDF_ORG_RATING_HEADER: Final = ("Место", "Организация", "Индекс")
PDF_BEST_TITLE: Final = "Лучшая практика, {quarter}"
PDF_BEST_INTRO: Final = (
    "Организации с наибольшим индексом информационной работы и их ссылки — для обобщения опыта."
)

# The subscriber statistics (services/reports/build.py), in the chat and from the CLI.
SUBSCRIBERS_TITLE: Final = "Участники и подписки"
SUBSCRIBERS_CAPTION: Final = (
    "Участников: {members}, получают рассылки: {active}, заблокировали бота: {blocked}. "
    "Таблицы по темам, территориям и неделям — в файле."
)

# `python -m bot report` (services/reports/cli.py).
CLI_NO_TERRITORY: Final = (
    "Нет территориальной организации с кодом «{code}» (коды — в выгрузке справочника)."
)
CLI_SUBSCRIBERS_ARE_TODAY: Final = (
    "Статистика подписчиков всегда на сегодня: --year и --quarter к ней не относятся, "
    "уберите их."
)
CLI_QUARTER_NEEDS_YEAR: Final = "Укажите и год: --year 2026 --quarter 4."
CLI_YEAR_NEEDS_QUARTER: Final = "Укажите и квартал: --year 2026 --quarter 4."
CLI_NO_SUCH_CAMPAIGN: Final = "Мониторинг за {quarter} квартал {year} г. не проводился."
CLI_NO_CAMPAIGN: Final = "Мониторинг ещё не проводился: отчёта по анкетам пока нет."
CLI_CANNOT_WRITE: Final = "Не удалось записать файлы в {path}: {reason}"
PDF_BEST_ITEM: Final = "{rank}. {name} ({group}) — индекс {score}"
PDF_BEST_LINK: Final = "    {name}: {url}"
PDF_BEST_NO_LINKS: Final = "    ссылок не указано"
