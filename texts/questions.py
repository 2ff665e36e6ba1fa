"""Russian texts of the questions to the committee (/ask, /myquestions, /questions, /faq)."""

from __future__ import annotations

ASK_BUTTON = "❓ Задать вопрос"
ASK_CHOOSE = "<b>Вопрос в обком</b>\n\nВыберите тему вопроса:"
ASK_WRITE = (
    "Тема: <b>{category}</b>\n\n"
    "Напишите вопрос одним или несколькими сообщениями: текст, фото или документ. "
    "Когда закончите — нажмите «Отправить»."
)
ASK_ADDED = "Добавлено ({count}). Можно дописать ещё или отправить вопрос."
ASK_EMPTY = "Сначала напишите вопрос — текст, фото или документ."
ASK_BAD_TYPE = (
    "Такие сообщения (голосовые, стикеры, видео) передать не получится. Напишите текстом; "
    "фото или документ можно приложить."
)
ASK_NEEDS_TEXT = (
    "Добавьте к вопросу хотя бы пару слов текстом: по фото или файлу без подписи не понять, "
    "о чём вопрос."
)
ASK_TOO_MANY = (
    "В вопросе уже {limit} сообщений — больше не добавить. Отправьте вопрос или отмените его."
)
ASK_SEND = "✅ Отправить"
ASK_SEND_ANON = "🕶 Отправить анонимно"
CANCEL = "Отмена"
BACK = "« Назад"
ASK_CANCELLED = "Вопрос не отправлен, ничего не сохранено."
ASK_ACCEPTED = "Вопрос № {number} принят. Ответ придёт сюда, в чат. Ваши вопросы — /myquestions."
ASK_ACCEPTED_ANON = " Отвечающие не увидят ваше имя."
ASK_STALE = "Этот вопрос уже отправлен или отменён. Новый вопрос — /ask."
NO_ANSWERERS = "Сейчас некому принять вопрос. Попробуйте позже или свяжитесь с обкомом."

STATUS = {
    "draft": "черновик",
    "open": "ждёт ответа",
    "taken": "в работе",
    "answered": "есть ответ",
    "closed": "закрыт",
}
MY_TITLE = "<b>Ваши вопросы</b>"
MY_COUNT = "Всего: {total}. Нажмите на вопрос, чтобы открыть его."
MY_LINE = "№ {number} · {category} · {status} · {date}"
MY_BUTTON = "№ {number} · {status}"
MY_NONE = "Вы ещё не задавали вопросов. Задать — /ask."
MY_CARD = "<b>Вопрос № {number}</b>\nТема: {category}\nЗадан: {date}\nСостояние: {status}"
MY_ANONYMOUS = "\nОтправлен анонимно"
# One section of the opened question per kind of message, in the order they were written.
MY_SECTIONS = {
    "question": "\n\n<b>Ваш вопрос</b>\n{text}",
    "answer": "\n\n<b>Ответ</b>\n{text}",
    "clarify": "\n\n<b>Уточнение</b>\n{text}",
}
MY_CLOSED = "\n\n<b>Закрыт без ответа.</b> Причина: {text}"
# A photo or a document without a caption, in the opened question.
MY_MEDIA = {"photo": "[фото]", "document": "[документ]"}
MY_ATTACHMENT = "[вложение]"
MY_COPY = "📎 Показать сообщения как есть"
MY_COPIED = "Выше — сообщения по вопросу № {number} так, как они были написаны."
MY_TO_LIST = "« К списку"
MY_NOT_YOURS = "Этот вопрос не найден среди ваших — ничего не изменено."

CARD = "<b>Вопрос № {number}</b>\nТема: {category}\nОрганизация: {org}\nЖдёт: {waiting}"
CARD_STATUS = "\nСостояние: {status}"
CARD_AUTHOR = "\nАвтор: {name}"
CARD_ANONYMOUS = "\nАвтор: анонимно"
NO_ORG = "не указана"
WAIT_DAYS = "{days} раб. дн."
WAIT_TODAY = "с сегодняшнего дня"
TAKE = "Взять в работу"
TO_REGION = "Передать в обком"
CLOSE = "Закрыть без ответа"
ANSWER_AGAIN = "Ответить"
TAKEN = "Вы взяли вопрос № {number}. Вопрос — ниже."
WRITE_ANSWER = (
    "Напишите ответ на вопрос № {number} одним сообщением (текст, фото, документ): "
    "он уйдёт участнику как есть."
)
ALREADY_TAKEN = "Этот вопрос уже взят в работу или закрыт."
NOT_YOURS = "Этот вопрос вам недоступен."
NOT_OPEN = "Этот вопрос уже закрыт — ничего не изменено."
SENT_TO_REGION = "Вопрос № {number} передан в обком."
ASK_CLOSE_REASON = "Напишите причину, по которой вопрос № {number} закрыт без ответа."
CLOSED = "Вопрос № {number} закрыт."
MEMBER_CLOSED = "Ваш вопрос № {number} закрыт без ответа. Причина: {reason}"
ANSWER_SENT = "Ответ на вопрос № {number} отправлен участнику."
ANSWER_FAILED = "Не удалось доставить ответ: участник недоступен. Вопрос остался в работе."
MEMBER_ANSWER = "Ответ на ваш вопрос № {number}."
CLARIFY = "Уточнить"
RATE_UP = "👍"
RATE_DOWN = "👎"
CLARIFY_WRITE = "Напишите уточнение к вопросу № {number} одним сообщением."
CLARIFY_USED = "Уточнить вопрос можно один раз — это уже сделано."
CLARIFY_SENT = "Уточнение передано."
ANSWERER_CLARIFY = "Уточнение по вопросу № {number}:"
RATED = "Спасибо за оценку! Если хотите, напишите комментарий одним сообщением."
RATING_SKIP = "Без комментария"
RATING_SAVED = "Спасибо, комментарий сохранён."
RATING_TEXT_ONLY = "Комментарий напишите текстом — или нажмите «Без комментария»."
RATE_NOT_YET = "Оценить можно только полученный ответ."

NEW_QUESTION = "Новый вопрос от участника:"
LIST_TITLE = "<b>Вопросы участников</b> · {status} · {category}\nВсего: {total}"
LIST_EMPTY = "\n\nВопросов нет."
LIST_LINE = "№ {number} · {category} · {status} · ждёт {waiting}"
ALL_CATEGORIES = "все темы"
OPEN_FILTER = "открытые"
FILTERS = {
    "": "Открытые",
    "answered": "С ответом",
    "closed": "Закрытые",
}
CATEGORY_FILTER = "Тема: {category} ▸"
NOT_ANSWERER = "Эта команда — для консультантов и администраторов Профсоюза."

REMINDER = "⏰ Вопрос № {number} ждёт ответа больше {days} раб. дн. Открыть: /questions"
ESCALATION = "⚠️ Вопрос № {number} остался без ответа больше {days} раб. дн. Открыть: /questions"

TO_FAQ = "Опубликовать в FAQ"
FAQ_WRITE_QUESTION = (
    "Напишите вопрос для FAQ так, как его увидят все: без имён и деталей, по которым "
    "можно узнать автора."
)
FAQ_WRITE_ANSWER = "Теперь напишите ответ для FAQ."
FAQ_TEXT_ONLY = "В FAQ публикуется текст — напишите его сообщением."
CLOSE_REASON_TEXT_ONLY = "Причину напишите текстом — или нажмите «Отмена»."
FAQ_PUBLISHED = "Опубликовано в FAQ."
FAQ_TITLE = "<b>Вопросы и ответы</b>\n\nВыберите тему или напишите слова для поиска."
FAQ_CATEGORY = "<b>{category}</b>"
FAQ_FOUND = "Нашлось по запросу «{query}»:"
FAQ_NOTHING = "Ничего не нашлось по запросу «{query}». Задать свой вопрос — /ask."
FAQ_EMPTY = "\n\nВ этой теме пока нет ответов."
# An entry in a list or on its own screen: the question in bold, the answer under it.
FAQ_ITEM_QUESTION = "\n\n<b>{text}</b>"
FAQ_ITEM_ANSWER = "\n{text}"
FAQ_HIDDEN_MARK = "🙈 "  # before a hidden entry's question, for those who manage the FAQ
FAQ_OPEN = "❓ {question}"
FAQ_OPEN_ENTRY = "Открыть запись"
FAQ_GONE = "Этой записи в FAQ больше нет."
FAQ_TOO_LONG = "Слишком длинно: {length} знаков, можно до {limit}. Сократите и пришлите снова."

# Managing the FAQ (whoever answers questions and so may publish).
FAQ_STATE_SHOWN = "\nВ FAQ: опубликована"
FAQ_STATE_HIDDEN = "\nВ FAQ: <b>снята</b> — участники её не видят"
FAQ_EDIT_QUESTION = "✏️ Изменить вопрос"
FAQ_EDIT_ANSWER = "✏️ Изменить ответ"
FAQ_HIDE = "🙈 Снять из FAQ"
FAQ_SHOW = "👁 Вернуть в FAQ"
FAQ_HIDE_CONFIRM = (
    "<b>Снять запись из FAQ?</b>\nУчастники перестанут видеть её в /faq и в поиске. Текст "
    "сохранится — запись можно вернуть."
)
FAQ_HIDE_YES = "Да, снять"
FAQ_HIDDEN_DONE = "Запись снята из FAQ."
FAQ_SHOWN_DONE = "Запись снова в FAQ."
FAQ_ALREADY = "Это уже сделано — ничего не изменено."
FAQ_EDIT_QUESTION_PROMPT = "Пришлите новый текст <b>вопроса</b> (до {limit} знаков). Сейчас:"
FAQ_EDIT_ANSWER_PROMPT = "Пришлите новый текст <b>ответа</b> (до {limit} знаков). Сейчас:"
FAQ_CURRENT = "\n\n{text}"
FAQ_EDIT_PREVIEW = "<b>Так запись будет выглядеть.</b> Сохранить?"
FAQ_SAVE = "✅ Сохранить"
FAQ_SAVED = "Сохранено."
FAQ_EDIT_STALE = (
    "Эта кнопка устарела: сохранить можно последний присланный текст — кнопкой под ним."
)
AUDIT_FAQ_QUESTION = "вопрос"
AUDIT_FAQ_ANSWER = "ответ"
AUDIT_FAQ_HIDDEN = "снята из FAQ"
AUDIT_FAQ_SHOWN = "возвращена в FAQ"

FORGET_NOTE = "Ваши вопросы: тексты удалены, открытые вопросы закрыты."

CONSULTANT_USAGE = (
    "Назначить консультанта: <code>/consultant @имя</code> (на всю область) или "
    "<code>/consultant @имя код_территории</code>; только по некоторым темам — добавьте их "
    "через запятую: <code>/consultant @имя 46-31 pay,safety</code>. "
    "Снять: <code>/consultant - @имя</code>."
)
CONSULTANT_NO_PERSON = "Не нашёл такого участника: он должен сначала зарегистрироваться в боте."
CONSULTANT_NO_TERRITORY = "Территориальная организация с кодом «{code}» не найдена."
CONSULTANT_GRANTED = "{name} — консультант: {scope}."
CONSULTANT_REVOKED = "{name} больше не консультант."
CONSULTANT_REGION = "вся область"
ROLE_CONSULTANT = "Роль: консультант (правовой инспектор, специалист) — {org}"

HELP_MEMBER = (
    "\n\n<b>Вопросы в обком</b>\n"
    "/ask — задать вопрос\n"
    "/myquestions — мои вопросы и ответы\n"
    "/faq — вопросы и ответы"
)
HELP_ANSWERER = "\n/questions — вопросы участников: ответить, передать, закрыть"
HELP_CONSULTANT_GRANT = "\n/consultant — назначить консультанта"

MEMBER_COMMANDS = {
    "ask": "Задать вопрос в обком",
    "myquestions": "Мои вопросы",
    "faq": "Вопросы и ответы",
}
ANSWERER_COMMANDS = {"questions": "Вопросы участников"}

REPORT_REGION = "Обком (областного подчинения, без организации)"
REPORT_ASKED = "Задано вопросов"
REPORT_ANSWERED = "Получили ответ"
REPORT_MEDIAN = "Медиана времени до первого ответа, ч"
REPORT_P90 = "90-й процентиль времени до первого ответа, ч"
REPORT_SLA_SHARE = "Доля ответов в срок"
REPORT_UP = "Положительные оценки"  # words, not 👍: the PDF font has no emoji
REPORT_DOWN = "Отрицательные оценки"
REPORT_SHEET_SUMMARY = "Итоги"
REPORT_SHEET_CATEGORIES = "По темам"
REPORT_SHEET_TERRITORIES = "По территориям"
REPORT_CATEGORY = "Тема"
REPORT_TERRITORY = "Территория"
REPORT_CHART_TITLE = "Вопросы участников по темам"
REPORT_CAPTION = "Вопросы участников: задано {asked}, с ответом {answered}, медиана {median} ч"
REPORT_BUTTON = "Вопросы участников"
REPORT_PDF_TITLE = "Вопросы членов Профсоюза"
REPORT_PDF_FIGURE = "Показатель"
REPORT_PDF_VALUE = "Значение"
STEP_CANCELLED = "Хорошо, отменено — ничего не изменено."
CONSULTANT_NO_CATEGORY = (
    "Нет таких тем: {slugs}. Темы: pay, contract, hours, safety, attestation, pension, "
    "social, other."
)
CONSULTANT_CATEGORIES = " (темы: {titles})"
