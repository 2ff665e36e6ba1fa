"""Russian texts of the library of methodological materials (/materials, /material_add)."""

from __future__ import annotations

from typing import Final

# --- reading ---------------------------------------------------------------------------------
MENU: Final = (
    "📚 <b>Методические материалы</b>\n\n"
    "Выберите раздел или напишите слова для поиска по названиям и описаниям."
)
MENU_EMPTY: Final = "📚 <b>Методические материалы</b>\n\nПока в библиотеке нет материалов."
CATEGORY_BUTTON: Final = "{title} ({count})"
CATEGORY_LIST: Final = "📚 <b>{title}</b>\n\nМатериалы, новые сверху (стр. {page} из {pages}):"
CATEGORY_EMPTY: Final = "📚 <b>{title}</b>\n\nВ этом разделе пока нет материалов."
SEARCH_FOUND: Final = (
    "🔎 По запросу «{query}» найдено: {total} (стр. {page} из {pages}).\n"
    "Можно написать другие слова."
)
SEARCH_NONE: Final = (
    "🔎 По запросу «{query}» ничего не найдено. Попробуйте другие слова или выберите раздел: "
    "/materials"
)
SEARCH_EMPTY: Final = "Напишите хотя бы одно слово для поиска."
HIDDEN_MARK: Final = "🙈 "
TO_CATEGORIES: Final = "« К разделам"
OPEN: Final = "📖 Открыть"
GONE: Final = "Этот материал больше недоступен."
CAPTION: Final = "<b>{title}</b>\n{category}"
LINK_MESSAGE: Final = "<b>{title}</b>\n{category}\n\n{url}"
SEND_FAILED: Final = (
    "Не удалось отправить файл: Telegram его не нашёл. Сообщите администратору, "
    "чтобы он обновил файлы библиотеки."
)

# --- managing (admins) -----------------------------------------------------------------------
CARD: Final = (
    "<b>{title}</b>\n"
    "Раздел: {category}\n"
    "Кому: {audience}\n"
    "Где: {where}\n"
    "Открытий: {opens}\n"
    "{state}{copy}"
)
STATE_HIDDEN: Final = "🙈 Скрыт: участники его не видят.\n"
STATE_SHOWN: Final = ""
COPY_KEPT: Final = "Копия файла сохранена у бота."
COPY_LINK: Final = "Ссылка, файла нет."
COPY_TOO_BIG: Final = (
    "⚠️ Файл больше 20 МБ: Telegram не даёт боту скачать его, поэтому копия не сохранена. "
    "Материал хранится только как ссылка на файл в Telegram: после смены токена бота "
    "его придётся прислать заново."
)
REGIONAL: Final = "вся область"
AUDIENCE_ALL: Final = "Все члены профсоюза"
AUDIENCE_ACTIVISTS: Final = "Только актив (ответственные, консультанты, администраторы)"
EDIT_TITLE: Final = "✏️ Название"
EDIT_CATEGORY: Final = "🗂 Раздел"
HIDE: Final = "🙈 Скрыть"
SHOW: Final = "👁 Показать"
DELETE: Final = "🗑 Удалить"
DELETE_CONFIRM: Final = "Удалить материал «{title}» насовсем? Файл тоже будет удалён."
DELETE_YES: Final = "Да, удалить"
DELETE_NO: Final = "Нет, оставить"
DELETED: Final = "Материал «{title}» удалён."
ANNOUNCE: Final = "📣 Объявить в «Обучение и семинары»"
ANNOUNCE_TEXT: Final = "📚 Новый методический материал: <b>{title}</b>\nРаздел: {category}"
ANNOUNCED: Final = "📣 Объявление отправляется подписчикам темы «Обучение и семинары»: {count}."
ANNOUNCE_ACTIVISTS: Final = (
    "Материал только для актива: объявление всем подписчикам не отправляется."
)
ANNOUNCE_HIDDEN: Final = "Материал скрыт: сначала покажите его, потом объявляйте."
ASK_NEW_TITLE: Final = "Напишите новое название (до 200 знаков)."
CHOOSE_NEW_CATEGORY: Final = "Выберите новый раздел для «{title}»:"
NOT_YOURS: Final = "Этим материалом управляет другой администратор."

# --- adding ----------------------------------------------------------------------------------
ASK_CONTENT: Final = (
    "📚 <b>Новый материал</b>\n\n"
    "Пришлите документ, видео, фото или ссылку — можно переслать сообщение. "
    "Подпись станет описанием материала."
)
BAD_CONTENT: Final = (
    "Это не подходит: пришлите документ, видео, фото или ссылку (адрес, начинающийся с "
    "http:// или https://)."
)
ASK_TITLE: Final = "Напишите название материала (до 200 знаков)."
BAD_TITLE: Final = "Название должно быть от 1 до 200 знаков. Напишите его ещё раз."
CHOOSE_CATEGORY: Final = "Выберите раздел для «{title}»:"
CHOOSE_AUDIENCE: Final = "Кому показывать «{title}»?"
ADDED: Final = "✅ Материал «{title}» добавлен в раздел «{category}»."
ADD_STALE: Final = "Добавление уже закончено или отменено. Начните заново: /material_add"
CANCEL: Final = "Отмена"
CANCELLED: Final = "Добавление материала отменено."
DONE: Final = "Готово"

# --- the command line ------------------------------------------------------------------------
REUPLOAD_NO_CHAT: Final = (
    "Некуда отправлять файлы: укажите --chat или ADMIN_IDS (Telegram принимает файлы только "
    "в чат)."
)
REUPLOAD_DONE: Final = (
    "Файлы библиотеки отправлены заново: {done}; без копии у бота (ссылки или больше 20 МБ, "
    "их нужно прислать заново): {skipped}; ошибок: {failed}."
)
REUPLOAD_MISSING: Final = "Материал {id}: файл {path} не найден."
REUPLOAD_FAILED: Final = "Материал {id}: Telegram не принял файл ({reason})."

# --- reports ---------------------------------------------------------------------------------
REPORT_TOP: Final = "Самые открываемые материалы"
REPORT_BY_CATEGORY: Final = "Открытия по разделам"
REPORT_MATERIAL: Final = "Материал"
REPORT_CATEGORY: Final = "Раздел"
REPORT_MATERIALS: Final = "Материалов"
REPORT_OPENS: Final = "Открытий"
REPORT_CAPTION_TOP: Final = "Чаще всего открывали материалы:"
REPORT_CAPTION_ROW: Final = "• {title} — {opens}"
