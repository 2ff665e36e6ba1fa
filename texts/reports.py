"""Russian texts of the monitoring exports (XLSX and CSV): sheet names, headers, labels.

Sheet names are at most 31 characters (an Excel limit). «МСК» in a header says that the time
is Moscow time: Excel has no time zones, so the zone can only be told in words.
"""

from __future__ import annotations

from typing import Final

# --- sheets ------------------------------------------------------------------------------
SHEET_SUMMARY: Final = "Сводка"
SHEET_TERRITORY_RATING: Final = "Рейтинг территорий"
SHEET_ORG_RATING: Final = "Рейтинг организаций"
SHEET_BEST: Final = "Лучшие практики"
SHEET_MISSING: Final = "Не отправили"
SHEET_WIDE: Final = "Ответы"
SHEET_LONG: Final = "Ответы построчно"
SHEET_QUESTIONS: Final = "Вопросы"

# --- common columns --------------------------------------------------------------------------
QUARTER: Final = "Квартал"
TERRITORY: Final = "Территория"
CODE: Final = "Код"
ORGANISATION: Final = "Организация"
STATUS: Final = "Статус"
SUBMITTED_AT: Final = "Отправлено (МСК)"
INDEX: Final = "Индекс"
RANK: Final = "Место"

# --- long answers --------------------------------------------------------------------------
QUESTION_ID: Final = "Код вопроса"
QUESTION: Final = "Вопрос"
ANSWER: Final = "Ответ"
ANSWERED_BY: Final = "Кто ответил"
ANSWERED_AT: Final = "Когда (МСК)"

# --- summary and ratings ---------------------------------------------------------------------
SUBMITTED: Final = "Отправили"
TOTAL: Final = "Всего организаций"
SUBMITTED_SHARE: Final = "Доля отправивших"
AVERAGE_INDEX: Final = "Средний индекс"
SHARE_OF_YES: Final = "Доля «Да»: {question}"
AVERAGE_OF: Final = "Среднее: {question}"
REGION_TOTAL: Final = "Итого"

# --- the questions sheet ---------------------------------------------------------------------
COLUMN: Final = "Столбец на листе «Ответы»"
QUESTION_TYPE: Final = "Тип"
CHOICE: Final = "Вариант"
FULL_TEXT: Final = "Полный текст вопроса"
TYPE_NAMES: Final = {
    "yes_no": "да/нет",
    "select_one": "один вариант",
    "select_multiple": "несколько вариантов (1 — отмечен, 0 — нет)",
    "integer": "целое число",
    "decimal": "число",
    "percent": "процент",
    "text": "текст",
    "url": "ссылка",
    "date": "дата",
}

# --- values ------------------------------------------------------------------------------------
STATUS_SUBMITTED: Final = "отправлена"
STATUS_DRAFT: Final = "черновик"
STATUS_NOT_STARTED: Final = "не начата"
CHOICE_HEADER: Final = "{question}: {choice}"
UNKNOWN_PERSON: Final = "пользователь {id}"
ELLIPSIS: Final = "…"
