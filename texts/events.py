"""Russian texts of seminars and trainings (/events)."""

from __future__ import annotations

from models.event import EventAudience, EventKind, RegistrationStatus

KIND_TITLES = {
    EventKind.SEMINAR: "Семинар",
    EventKind.WEBINAR: "Вебинар",
    EventKind.LESSON: "Занятие",
    EventKind.MEETING: "Совещание",
    EventKind.CONTEST: "Конкурс",
}
AUDIENCE_TITLES = {
    EventAudience.OFFICERS: "Ответственные за информработу",
    EventAudience.AIS_OFFICERS: "Ответственные за АИС",
    EventAudience.TERRITORIAL_CHAIRS: "Председатели территориальных организаций",
    EventAudience.PRIMARY_CHAIRS: "Председатели первичных организаций",
    EventAudience.TOPIC: "Подписчики темы",
}
STATUS_TITLES = {
    RegistrationStatus.REGISTERED: "записан(а)",
    RegistrationStatus.WAITING: "в листе ожидания",
    RegistrationStatus.CANCELLED: "отменил(а) запись",
}
YES, NO = "да", "нет"

BACK = "« Назад"
CANCEL = "Отмена"
CAPACITY = "Мест: {n}"
NO_LIMIT = "Без ограничения числа мест"

# --- creating (admins) ---------------------------------------------------------------------
ASK_TITLE = "<b>Новое мероприятие</b>\n\nШаг 1. Напишите название."
ASK_DESCRIPTION = "Шаг 2. Напишите описание: о чём мероприятие, для кого."
ASK_KIND = "Шаг 3. Выберите вид мероприятия."
ASK_START = "Шаг 4. Когда начало? Напишите дату и время ({tz}) в виде <code>{example}</code>."
ASK_END = (
    "Шаг 5. Когда окончание? Напишите дату и время ({tz}) в виде <code>{example}</code> "
    "или только время, например <code>12:00</code>."
)
ASK_PLACE = "Шаг 6. Где проходит? Напишите адрес или ссылку на онлайн-трансляцию."
ASK_AUDIENCE = "Шаг 7. Для кого мероприятие?{where}"
WHERE_TERRITORY = "\nОбъявление получат только в вашей территории."
WHERE_EVERYWHERE = "\nОбъявление получат во всей области."
ASK_TOPIC = "Выберите тему: объявление получат её подписчики."
WHERE_CHOOSE = "\nТерриторию выберете на следующем шаге."
ASK_TERRITORY = "В какой из ваших территорий мероприятие? Объявление получат только в ней."
CONFIRM_TERRITORY = "Территория: {name}"
ASK_CAPACITY = "Шаг 8. Сколько мест? Напишите число или нажмите «Без ограничения»."
NO_LIMIT_BUTTON = "Без ограничения"
CONFIRM = "<b>Проверьте мероприятие</b>\n\n{card}\n\nАудитория: {audience}\n\nОбъявить?"
ANNOUNCE = "📣 Объявить"
CREATE_CANCELLED = "Создание мероприятия отменено."
STALE_DRAFT = "Это создание мероприятия уже закончено. Начните заново: /newevent"

BAD_TITLE = "Название — от 3 до 200 символов. Напишите ещё раз."
BAD_DESCRIPTION = "Описание — не больше 3000 символов. Напишите короче."
BAD_TIME = "Не понимаю дату. Напишите в виде <code>{example}</code>, например 15.10.2026 10:00."
PAST_TIME = "Это время уже прошло. Напишите будущую дату и время."
END_BEFORE_START = "Окончание должно быть позже начала ({start}). Напишите ещё раз."
BAD_PLACE = "Место — от 3 до 500 символов. Напишите адрес или ссылку."
BAD_CAPACITY = "Количество мест — целое число от 1 до 100000. Напишите ещё раз."

ANNOUNCEMENT = "📅 <b>{kind}: {title}</b>\n\n{description}\n\n🕒 {when}\n📍 {place}\n👥 {capacity}"
JOIN = "✅ Записаться"
LEAVE = "Отменить запись"
ANNOUNCED = "Мероприятие №{id} объявлено. Ход рассылки объявления — ниже."

# --- registering (members) -----------------------------------------------------------------
REGISTERED = "Вы записаны: <b>{title}</b>\n🕒 {when}\n📍 {place}\n\nФайл для календаря — ниже."
WAITING = (
    "Мест нет — вы в листе ожидания на «{title}». Если место освободится, вы будете записаны "
    "автоматически, и бот сообщит."
)
ALREADY = "Вы уже записаны на это мероприятие."
CLOSED = "Запись на это мероприятие закрыта: оно уже началось, прошло или отменено."
OUTSIDE = "Это мероприятие не для вас: оно для другой территории или другого круга участников."
LEFT = "Запись на «{title}» отменена."
NOTHING_TO_CANCEL = "Вы не записаны на это мероприятие."
PROMOTED = (
    "Освободилось место — вы записаны: <b>{title}</b>\n🕒 {when}\n📍 {place}\n\n"
    "Файл для календаря — ниже."
)
# A promotion by someone's /forget: through the outbox, which sends text only.
PROMOTED_NOTICE = (
    "Освободилось место — вы записаны: <b>{title}</b>\n🕒 {when}\n📍 {place}\n\n"
    "Отменить запись можно в /events."
)
ICS_NAME = "event-{id}.ics"

LIST_TITLE = "<b>Мероприятия</b>"
LIST_EMPTY = "Ближайших мероприятий для вас нет."
LIST_MINE = "\n<b>Мои записи</b>"
LIST_ITEM = "• {when} — {title} ({status})"
LIST_OPEN = "• {when} — {title}"
OPEN_BUTTON = "{title}"
MANAGE_TITLE = "\n<b>Мои мероприятия (организатор)</b>"

# --- the organiser's card ------------------------------------------------------------------
CARD = (
    "📅 <b>{kind}: {title}</b>\n🕒 {when}\n📍 {place}\n👥 {capacity}\n\n"
    "Записано: {registered}\nВ листе ожидания: {waiting}\nПришли: {attended}\n"
    "Средняя оценка: {rating}\n\nКод для отметки участников: <code>{code}</code>"
)
NO_RATING = "нет оценок"
RATING = "{avg:.1f} ({n})"
ATTENDANCE = "✔ Отметить пришедших"
XLSX = "📄 Участники (XLSX)"
NOT_YOURS = "Это мероприятие другой территории: управлять им нельзя."
CARD_CANCELLED = "❌ <b>Мероприятие отменено.</b>\n\n"
CANCEL_EVENT = "🚫 Отменить мероприятие"
CANCEL_EVENT_ASK = (
    "Отменить «{title}» ({when})?\n\nЗаписавшимся и ожидающим ({n}) придёт сообщение об "
    "отмене, напоминаний и вопроса об отзыве не будет, записаться станет нельзя. "
    "Вернуть мероприятие после отмены нельзя."
)
CANCEL_EVENT_YES = "Да, отменить"
EVENT_CANCELLED_DONE = "Мероприятие «{title}» отменено. Сообщение об отмене получат: {n}."
EVENT_ALREADY_CLOSED = "Это мероприятие уже отменено или прошло: отменять нечего."
EVENT_CANCELLED_NOTICE = (
    "❌ Мероприятие «{title}» ({when}) отменено организатором. Ваша запись снята, "
    "напоминаний не будет."
)
ATTEND_TITLE = "<b>Кто пришёл</b> — нажмите на участника, чтобы отметить или снять отметку."
ATTEND_EMPTY = "Записавшихся нет."
NOT_STARTED = "Отмечать пришедших можно после начала мероприятия."
NOT_REGISTERED = "Этот человек не записан на мероприятие."
XLSX_SHEET = "Участники"
XLSX_HEADER = ["Имя", "Telegram", "Организация", "Статус", "Пришёл", "Оценка", "Комментарий"]
XLSX_CAPTION = "Участники: {title}"

# --- check-in and feedback -----------------------------------------------------------------
CHECKED_IN = "Отметили: вы на мероприятии «{title}». Спасибо!"
REMIND_DAY = "⏰ Завтра: <b>{title}</b>\n🕒 {when}\n📍 {place}"
REMIND_SOON = "⏰ Через {minutes} мин.: <b>{title}</b>\n🕒 {when}\n📍 {place}"
FEEDBACK_ASK = "Как прошло мероприятие «{title}»? Оцените от 1 до 5."
FEEDBACK_THANKS = (
    "Спасибо за оценку! Можете написать комментарий одним сообщением или нажать «Пропустить»."
)
FEEDBACK_SKIP = "Пропустить"
FEEDBACK_DONE = "Спасибо за отзыв!"
FEEDBACK_CLOSED = "Оценить можно только мероприятие, на котором вы отмечены."

# --- reports -------------------------------------------------------------------------------
REPORT_BUTTON = "🎓 Семинары и обучение"
REPORT_TRAINED = "Обученные активисты"
REPORT_EVENTS = "Мероприятия"
REPORT_TERRITORY = "Территория"
REPORT_TOTAL = "Итого по области"
REPORT_NO_TERRITORY = "Без территории"
REPORT_EVENTS_HEADER = (
    "Квартал",
    "Проведено",
    "Записано",
    "Пришли",
    "Явка",
    "Средняя оценка",
)
REPORT_CAPTION = (
    "Семинары и обучение: проведено мероприятий — {held}, обучено активистов — {trained}."
)
REPORT_LINE = "{quarter}: проведено {held}, явка {attendance}, оценка {rating}"
PDF_SECTION = "Семинары и обучение"
PDF_NONE = "Проведённых мероприятий пока нет."

# --- the plan of events ----------------------------------------------------------------------
# The report of execution a held event leaves on the plan item it carries out.
PLAN_REPORT = "Проведено мероприятие «{title}» ({date})."
ASK_PLAN_ITEM = (
    "Какой пункт плана мероприятий выполняет это мероприятие? Когда оно пройдёт, пункт "
    "будет отмечен выполненным. Если никакой — нажмите «Без пункта плана»."
)
NO_PLAN_ITEM_BUTTON = "Без пункта плана"
CONFIRM_PLAN_ITEM = "Пункт плана: № {number}"
