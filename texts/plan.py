"""Russian texts of the plan of events (/plan, reminders, reports of execution)."""

from __future__ import annotations

from models.plan import PlanState

STATE_NAMES = {
    PlanState.PLANNED: "запланировано",
    PlanState.IN_PROGRESS: "выполняется",
    PlanState.DONE: "выполнено",
    PlanState.OVERDUE: "просрочено",
    PlanState.CANCELLED: "отменено",
}
STATE_ICONS = {
    PlanState.PLANNED: "⚪",
    PlanState.IN_PROGRESS: "🔵",
    PlanState.DONE: "✅",
    PlanState.OVERDUE: "🔴",
    PlanState.CANCELLED: "✖️",
}

IMPORT_STARTED = "Проверяю файл плана «{name}»…"
IMPORTED = (
    "План на {year} год загружен из «{name}».\n"
    "Добавлено пунктов: {created}, изменено: {updated}, без изменений: {unchanged}."
)
REJECTED = "Файл плана «{name}» не загружен, ничего не изменено:\n{problems}"
TOO_BIG = "Файл плана больше {limit} МБ: так много пунктов в плане не бывает."

NO_PLAN = (
    "Плана мероприятий пока нет.\n\n"
    "Пришлите файл плана (.xlsx или .csv, в имени файла слово «plan» или «план» и год, "
    "например plan_2022.xlsx) со столбцами №, Мероприятия, Ответственные, Сроки."
)
HEADER = "<b>План мероприятий на {year} год</b>{filter}\n"
FILTER_STATE = " — {state}"
FILTER_PERSON = " — ответственный: {name}"
ITEM_LINE = "{icon} <b>{number}.</b> {text}\n    срок: {due}{next}"
NEXT_DUE = "; ближайший — {label}"
NOTHING_FOUND = "\nНи одного пункта."
UNLINKED = "\n⚠️ Не привязаны к людям бота: {names} — напоминания им не дойдут."
UPLOAD_HINT = "\nЧтобы обновить план, пришлите его файл (plan_2022.xlsx) ещё раз."

BTN_BY_STATE = "Фильтр: состояние"
BTN_BY_PERSON = "Фильтр: ответственный"
BTN_ALL = "Все пункты"
BTN_LINK = "Привязать имена ({count})"
BTN_BACK = "« Назад"
BTN_CANCEL = "Отмена"
BTN_MARK = "Отметить выполнение"
BTN_OPEN_ITEM = "Пункт {number}"
BTN_REPORTS = "Отчёты по пункту"
BTN_CANCEL_ITEM = "Отменить пункт"
BTN_YEAR = "{year}"

PICK_STATE = "Какие пункты показать?"
PICK_PERSON = "Пункты какого ответственного показать?"
NO_PEOPLE = "Ни одно имя плана ещё не привязано к человеку бота."

ITEM = (
    "<b>Пункт {number}</b> плана на {year} год — {state}\n\n{text}\n\n"
    "<b>Ответственные:</b> {names}\n<b>Сроки:</b> {due}\n{periods}"
)
PERIOD_LINE = "• {label}: {status}"
PERIOD_DONE = "выполнено {when}"
PERIOD_OPEN = "ждёт отчёта"
PERIOD_NO_DATE = "без срока, отчётов: {count}"
REPORTS_HEADER = "<b>Отчёты по пункту {number}</b>\n"
REPORT_LINE = "• {label}, {when}, {who}: {text}{link}{file}"
REPORT_LINK = " ({link})"
REPORT_FILE = " [вложение]"
NO_REPORTS = "Отчётов пока нет."
ITEM_CANCELLED = "Пункт {number} отменён: напоминаний по нему больше не будет."

LINK_PICK_NAME = "Какое имя привязать к человеку бота?"
LINK_ASK_QUERY = (
    "Имя в плане: <b>{name}</b>.\nНапишите фамилию или имя человека, как он записан в боте."
)
LINK_FOUND = "Кого назначить для «{name}»?"
LINK_NOT_FOUND = "Никого не нашлось по запросу «{query}». Попробуйте иначе."
LINK_DONE = "Готово: «{name}» — это {person}. Напоминания по плану будут приходить ему."

REMIND = (
    "📅 <b>Напоминание по плану мероприятий</b>\n\n"
    "Пункт {number}: {text}\n\n<b>Срок:</b> {label} (до {date}).\n"
    "Когда выполните, нажмите «Отметить выполнение» и коротко напишите, что сделано."
)
OVERDUE = (
    "🔴 <b>Просрочен пункт плана</b>\n\n"
    "Пункт {number}: {text}\n\n<b>Срок:</b> {label} (до {date}), отчёта нет.\n"
    "<b>Ответственные:</b> {names}"
)

REPORT_ASK = (
    "Пункт {number}, срок {label}.\n"
    "Коротко напишите, что сделано. Можно приложить ссылку в тексте, фото или документ "
    "с подписью."
)
REPORT_SAVED = "Спасибо! Пункт {number} за {label} отмечен выполненным."
REPORT_SAVED_OPEN = "Спасибо! Отчёт по пункту {number} сохранён."
REPORT_EMPTY = "Напишите хотя бы пару слов о том, что сделано (или нажмите «Отмена»)."
REPORT_CANCELLED = "Отчёт не отправлен."
REFUSED = {
    "no_item": "Этого пункта плана больше нет.",
    "cancelled": "Этот пункт плана отменён: отчёт по нему не нужен.",
    "not_responsible": "Вы не указаны ответственным за этот пункт плана.",
    "no_period": "У этого пункта нет такого срока.",
    "already_done": "Этот срок пункта уже отмечен выполненным.",
}
STALE = "Эта кнопка устарела."
REGIONAL_ONLY = "Это делает областной комитет."

CLI_NO_PLAN = "Плана мероприятий на {year} год нет: загрузите его (python -m bot plan import)."
REPORT_BUTTON = "Отчёт о выполнении плана"
REPORT_CAPTION = "Отчёт о выполнении плана мероприятий на {year} год"
REPORT_NO_PLAN = "Плана мероприятий пока нет: пришлите файл плана (plan_2022.xlsx)."

PDF_PLAN_TITLE = "Выполнение плана мероприятий на {year} год"
PDF_PLAN_INTRO = "Выполнено сроков: {done} из {total}; просрочено пунктов: {overdue}."
PDF_PLAN_HEADER = ("№", "Мероприятие", "Ответственные", "Срок", "Состояние", "Выполнено")
PDF_PLAN_EMPTY = "Плана мероприятий на этот год в боте нет."
