"""End to end: a member's question to the committee, the consultant's card, the answer, the
clarification and the rating; anonymity; forged buttons; /forget; the FAQ."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.logs import QUIET_LOGGERS
from fakeapi import FakeTelegram, FakeUser
from models import Person, PostKind, Question, QuestionPost, QuestionStatus
from models.clock import FakeClock
from services.broadcasts import compose
from tests.conftest import RunningBot
from tests.helpers import add_member, button_texts, eventually, grant, screen
from tests.test_cli import run_cli
from tests.test_reports_chat import press_and_wait, uploads
from texts import ru

pytestmark = pytest.mark.usefixtures("directory")

CONSULTANT = FakeUser(id=200001, first_name="Инна", last_name="Правова")
FOREIGN = FakeUser(id=200002, first_name="Олег", last_name="Чужой")


async def _question(sessions: async_sessionmaker[AsyncSession]) -> Question:
    async with sessions() as session:
        found = await session.scalar(select(Question).where(Question.status != "draft"))
        assert found is not None
        return found


async def _posts(sessions: async_sessionmaker[AsyncSession]) -> list[QuestionPost]:
    async with sessions() as session:
        return list(await session.scalars(select(QuestionPost).order_by(QuestionPost.id)))


async def _setup(running_bot: RunningBot, fake: FakeTelegram, member: FakeUser) -> None:
    """A member of a Kurchatov school; a consultant of Kurchatov, one of another territory."""
    await add_member(running_bot.sessions, member.id, "46-31-002")
    for user, territory in ((CONSULTANT, "46-31"), (FOREIGN, "46-01")):
        await add_member(running_bot.sessions, user.id, None)
        await grant(running_bot.sessions, user.id, "consultant", territory)
        await fake.send_message(user, "/questions")  # the answerer's chat exists


async def _ask(fake: FakeTelegram, member: FakeUser, *, anonymous: bool = False) -> None:
    await fake.send_message(member, "/ask")
    assert "Оплата труда" in button_texts(screen(fake, member.id))
    await fake.click(member, "Оплата труда")
    await fake.send_message(member, "Почему мне не доплатили за классное руководство?")
    await fake.send_photo(member, caption="Расчётный листок")
    assert "Добавлено (2)" in screen(fake, member.id).text
    await fake.click(member, "🕶 Отправить анонимно" if anonymous else "✅ Отправить")


def _everything_seen(fake: FakeTelegram, chat_id: int) -> str:
    return "\n".join(
        f"{m.text or ''} {button_texts(m)}" for m in fake.messages(chat_id, include_deleted=True)
    )


async def test_ask_take_answer_clarify_rate(
    fake: FakeTelegram,
    running_bot: RunningBot,
    member: FakeUser,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    for name, floor in QUIET_LOGGERS.items():  # as setup_logging does at LOG_LEVEL=DEBUG
        logger = logging.getLogger(name)
        monkeypatch.setattr(logger, "level", logger.level)  # restored after the test
        logger.setLevel(floor)  # setLevel, not the attribute: it clears logging's cache
    await _setup(running_bot, fake, member)
    await _ask(fake, member)
    question = await _question(running_bot.sessions)
    assert f"Вопрос № {question.id} принят" in screen(fake, member.id).text
    assert question.status is QuestionStatus.OPEN and question.territory_id is not None

    card = screen(fake, CONSULTANT.id)
    assert f"Вопрос № {question.id}" in card.text and "Оплата труда" in card.text
    assert "Мария" not in card.text  # the name only after «Взять»
    assert button_texts(card)[:3] == ["Взять в работу", "Передать в обком", "Закрыть без ответа"]
    assert f"Вопрос № {question.id}" not in _everything_seen(fake, FOREIGN.id)

    await fake.click(CONSULTANT, "Взять в работу", card.message_id)
    taken = fake.message(CONSULTANT.id, card.message_id)
    assert taken is not None and "Мария Иванова" in (taken.text or "")
    copies = [m.kind for m in fake.messages(CONSULTANT.id)]
    assert "photo" in copies  # the photo copied as written

    await fake.send_message(CONSULTANT, "Доплата положена с 1 сентября, обратитесь в бухгалтерию.")
    texts = [m.text for m in fake.messages(member.id)]
    assert "Доплата положена с 1 сентября, обратитесь в бухгалтерию." in texts
    answer_note = screen(fake, member.id)
    assert f"Ответ на ваш вопрос № {question.id}" in answer_note.text
    assert button_texts(answer_note) == ["Уточнить", "👍", "👎"]

    await fake.click(member, "Уточнить")
    await fake.send_message(member, "А за прошлый год?")
    assert "А за прошлый год?" in [m.text for m in fake.messages(CONSULTANT.id)]
    await fake.click(CONSULTANT, "Ответить")
    await fake.send_message(CONSULTANT, "За прошлый год — тоже.")
    assert "За прошлый год — тоже." in [m.text for m in fake.messages(member.id)]
    assert button_texts(screen(fake, member.id)) == ["👍", "👎"]  # one clarification only

    await fake.click(member, "👍")
    await fake.send_message(member, "Спасибо!")
    assert "комментарий сохранён" in screen(fake, member.id).text

    stored = await _question(running_bot.sessions)
    assert stored.status is QuestionStatus.ANSWERED and stored.rating == 1
    assert stored.rating_comment == "Спасибо!" and stored.clarified
    assert stored.taken_at is not None and stored.answered_at is not None
    kinds = [p.kind for p in await _posts(running_bot.sessions)]
    assert kinds == [
        PostKind.QUESTION,
        PostKind.QUESTION,
        PostKind.ANSWER,
        PostKind.CLARIFY,
        PostKind.ANSWER,
    ]

    await fake.send_message(member, "/myquestions")
    assert f"№ {question.id} · Оплата труда · есть ответ" in screen(fake, member.id).text

    # 152-FZ: no question, answer, clarification or name in any log line.
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Question 1 asked" in logged or f"Question {question.id} asked" in logged
    for secret in (
        "классное руководство",
        "Расчётный",
        "Доплата положена",
        "прошлый год",
        "Спасибо!",
        "Мария",
        "Иванова",
    ):
        assert secret not in logged


async def test_anonymous_question_never_shows_the_name(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser
) -> None:
    await _setup(running_bot, fake, member)
    await _ask(fake, member, anonymous=True)
    await fake.click(CONSULTANT, "Взять в работу")
    await fake.send_message(CONSULTANT, "Ответ")
    await fake.send_message(member, "/myquestions")
    await fake.send_message(CONSULTANT, "/questions")
    await fake.click(CONSULTANT, "С ответом")
    await fake.click(CONSULTANT, button_texts(screen(fake, CONSULTANT.id))[0])  # its card
    assert "Вопрос №" in screen(fake, CONSULTANT.id).text
    seen = _everything_seen(fake, CONSULTANT.id)
    assert "анонимно" in seen
    for trace in ("Мария", "Иванова", "m_ivanova"):
        assert trace not in seen
    for message in fake.messages(CONSULTANT.id):
        assert message.forward_origin is None


async def test_forged_and_stale_buttons_change_nothing(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser
) -> None:
    await _setup(running_bot, fake, member)
    await _ask(fake, member)
    question = await _question(running_bot.sessions)
    await fake.send_message(FOREIGN, "/questions")
    await fake.send_callback(FOREIGN, f"qa:t:{question.id}")  # another territory's question
    await fake.send_callback(member, f"qa:t:{question.id}")  # a member on an answerer's button
    assert (await _question(running_bot.sessions)).status is QuestionStatus.OPEN
    alerts = [a.get("text") for a in fake.callback_answers]
    assert "Этот вопрос вам недоступен." in alerts
    assert any(a and "устарела" in a for a in alerts)

    await fake.click(CONSULTANT, "Закрыть без ответа")
    await fake.click(CONSULTANT, "Отмена")  # a way back: nothing changed
    assert "ничего не изменено" in screen(fake, CONSULTANT.id).text
    await fake.send_message(CONSULTANT, "Это не причина, а просто текст")
    assert (await _question(running_bot.sessions)).status is QuestionStatus.OPEN
    await fake.send_message(CONSULTANT, "/questions")
    await fake.click(CONSULTANT, button_texts(screen(fake, CONSULTANT.id))[0])
    await fake.click(CONSULTANT, "Закрыть без ответа")
    await fake.send_message(CONSULTANT, "Вопрос не к профсоюзу")
    assert "закрыт без ответа" in screen(fake, member.id).text
    await fake.send_callback(CONSULTANT, f"qa:t:{question.id}")  # a closed question
    stored = await _question(running_bot.sessions)
    assert stored.status is QuestionStatus.CLOSED and stored.taken_by is None
    assert "Этот вопрос уже взят в работу или закрыт." in [
        a.get("text") for a in fake.callback_answers
    ]


async def test_forget_with_an_open_question_keeps_only_counts(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser
) -> None:
    await _setup(running_bot, fake, member)
    await _ask(fake, member)
    await fake.send_message(member, "/forget")
    await fake.click(member, "Да, удалить")
    stored = await _question(running_bot.sessions)
    assert stored.person_id is None and stored.status is QuestionStatus.CLOSED
    for post in await _posts(running_bot.sessions):
        assert post.text is None and post.chat_id is None and post.message_id is None


async def test_faq_publish_and_search(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser
) -> None:
    await _setup(running_bot, fake, member)
    await _ask(fake, member)
    await fake.click(CONSULTANT, "Взять в работу")
    await fake.send_message(CONSULTANT, "Ответ участнику")
    await fake.click(CONSULTANT, "Опубликовать в FAQ")
    await fake.send_message(CONSULTANT, "Положена ли ДОПЛАТА за классное руководство?")
    await fake.send_message(CONSULTANT, "Да, с 1 сентября 2023 года — 5000 рублей.")
    assert "Опубликовано" in screen(fake, CONSULTANT.id).text

    await fake.send_message(member, "/faq")
    await fake.send_message(member, "доплата классное")
    found = screen(fake, member.id).text
    assert "Положена ли ДОПЛАТА" in found and "5000 рублей" in found
    assert "Мария" not in found
    await fake.send_message(member, "отпуск")
    assert "Ничего не нашлось" in screen(fake, member.id).text
    await fake.send_message(member, "/faq")
    await fake.click(member, "Оплата труда")
    assert "Положена ли ДОПЛАТА" in screen(fake, member.id).text
    assert "« Назад" in button_texts(screen(fake, member.id))


async def _sla_sweep(running_bot: RunningBot) -> None:
    from bot.scheduler import questions_sweep

    assert running_bot.app is not None
    await questions_sweep(running_bot.sessions, running_bot.settings, running_bot.app.worker)


def _count(fake: FakeTelegram, chat_id: int, words: str) -> int:
    return sum(words in (m.text or "") for m in fake.messages(chat_id))


async def test_sla_reminder_and_escalation_once_each_across_a_restart(
    fake: FakeTelegram,
    running_bot: RunningBot,
    member: FakeUser,
    admin: FakeUser,
    clock: FakeClock,
) -> None:
    await _setup(running_bot, fake, member)
    await fake.send_message(admin, "/help")  # a listed admin's person row and chat
    await _ask(fake, member)  # Thursday 14 May 2026, 12:00 Moscow
    question = await _question(running_bot.sessions)

    # Three working days: Friday 15, Monday 18, Tuesday 19 May at 12:00 Moscow.
    clock.set(datetime(2026, 5, 19, 8, 59, tzinfo=UTC))
    await _sla_sweep(running_bot)
    await asyncio.sleep(0.2)
    assert _count(fake, CONSULTANT.id, "⏰ Вопрос №") == 0
    clock.set(datetime(2026, 5, 19, 9, 1, tzinfo=UTC))
    await _sla_sweep(running_bot)
    await eventually(lambda: _count(fake, CONSULTANT.id, f"⏰ Вопрос № {question.id}") == 1)
    await running_bot.restart()  # the start-up sweep runs again
    await _sla_sweep(running_bot)
    await asyncio.sleep(0.3)
    assert _count(fake, CONSULTANT.id, "⏰ Вопрос №") == 1
    assert _count(fake, admin.id, "⚠️ Вопрос №") == 0

    # Six working days: Friday 22 May, to the regional admins.
    clock.set(datetime(2026, 5, 22, 9, 1, tzinfo=UTC))
    await _sla_sweep(running_bot)
    await eventually(lambda: _count(fake, admin.id, f"⚠️ Вопрос № {question.id}") == 1)
    await running_bot.restart()
    await _sla_sweep(running_bot)
    await asyncio.sleep(0.3)
    assert _count(fake, admin.id, "⚠️ Вопрос №") == 1
    assert _count(fake, CONSULTANT.id, "⏰ Вопрос №") == 1
    stored = await _question(running_bot.sessions)
    assert stored.reminded_at is not None and stored.escalated_at is not None
    # The bot's own notices: not among the admins' broadcasts, nor news to read again.
    await fake.send_message(admin, "/broadcasts")
    assert screen(fake, admin.id).text == ru.BC_LIST_EMPTY
    async with running_bot.sessions() as session:
        for telegram_id in (CONSULTANT.id, admin.id):
            person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
            assert person is not None and await compose.news_for(session, person) == []


async def test_regional_admin_grants_a_consultant_and_questions_list_pages(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser, admin: FakeUser
) -> None:
    await add_member(running_bot.sessions, member.id, "46-31-002")
    helper = FakeUser(id=200003, first_name="Юлия", last_name="Юрист", username="yurist")
    await add_member(running_bot.sessions, helper.id, None)
    async with running_bot.sessions() as session:
        from services import people

        person = await people.get_person(session, helper.id)
        assert person is not None
        await people.seen(
            session,
            person,
            people.TelegramProfile(helper.id, "Юлия", "Юрист", "yurist"),
        )
    await fake.send_message(helper, "/questions")
    assert "для консультантов" in screen(fake, helper.id).text  # not an answerer yet
    await fake.send_message(member, "/consultant @yurist 46-31")  # a member may not grant
    assert "только администраторам" in screen(fake, member.id).text
    async with running_bot.sessions() as session:
        from models import Role, RoleKind

        assert await session.scalar(select(Role).where(Role.kind == RoleKind.CONSULTANT)) is None
    await fake.send_message(admin, "/consultant @yurist 46-31")
    assert "консультант" in screen(fake, admin.id).text

    await fake.send_message(member, "/help")
    assert "/ask" in screen(fake, member.id).text
    for _ in range(9):
        await fake.click(member, "❓ Задать вопрос")
        await fake.click(member, "Охрана труда")
        await fake.send_message(member, "Вопрос")
        await fake.click(member, "✅ Отправить")
        await fake.send_message(member, "/help")

    await fake.send_message(helper, "/questions")
    page = screen(fake, helper.id)
    assert "Всего: 9" in page.text
    labels = button_texts(page)
    numbers = [label for label in labels if label.startswith("№ ")]
    assert len(numbers) == 8 and numbers[0].startswith("№ 1 ")  # oldest first
    await fake.click(helper, "▶️")
    assert len([t for t in button_texts(screen(fake, helper.id)) if t.startswith("№ ")]) == 1
    await fake.click(helper, "Тема: все темы ▸")  # → the first category: Оплата труда
    assert "Вопросов нет" in screen(fake, helper.id).text
    await fake.click(helper, "С ответом")
    assert "Вопросов нет" in screen(fake, helper.id).text

    await fake.send_message(helper, "/questions")
    await fake.click(helper, button_texts(screen(fake, helper.id))[0])
    await fake.click(helper, "Передать в обком")
    assert "передан в обком" in screen(fake, helper.id).text
    assert "Взять в работу" in button_texts(screen(fake, admin.id))
    async with running_bot.sessions() as session:
        first = await session.get(Question, 1)
        assert first is not None and first.territory_id is None


async def test_questions_report_in_the_chat_and_the_command_line(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser, admin: FakeUser, tmp_path: Path
) -> None:
    await _setup(running_bot, fake, member)
    await _ask(fake, member)
    await fake.click(CONSULTANT, "Взять в работу")
    await fake.send_message(CONSULTANT, "Ответ")
    await fake.click(member, "👎")
    await _ask(fake, member)  # a second one, still open

    async with running_bot.sessions() as session:
        from services.reports import questions as report

        stats = await report.collect(session, territory_id=None, sla_days=3, tz=UTC)
    assert (stats.asked, stats.answered, stats.within_sla, stats.down) == (2, 1, 1, 1)
    pay = next(row for row in stats.by_category if row.title == "Оплата труда")
    assert (pay.asked, pay.answered) == (2, 1)
    assert stats.median_hours is not None and stats.median_hours < 1

    await fake.send_message(admin, "/reports")
    await press_and_wait(fake, admin, "Вопросы участников")
    (chart,) = uploads(fake, admin.id, "sendPhoto")
    (workbook,) = uploads(fake, admin.id, "sendDocument")
    assert workbook.filename.endswith(".xlsx") and chart.filename.endswith(".png")

    out = tmp_path / "out"
    done = await asyncio.to_thread(
        run_cli,
        "report",
        "questions",
        "--out",
        str(out),
        cwd=tmp_path,
        DATABASE_URL=running_bot.settings.database_url,
    )
    assert done.returncode == 0, done.stderr
    written = sorted(p.name for p in out.iterdir())
    assert [name.rsplit(".", 1)[1] for name in written] == ["png", "xlsx"]
    sheet = load_workbook(out / written[1])["Итоги"]
    values = {row[0]: row[1] for row in sheet.iter_rows(values_only=True)}
    assert str(values["Задано вопросов"]) == "2"
    assert str(values["Получили ответ"]) == "1"


def test_presidium_section_shows_the_figures_and_categories() -> None:
    from services.reports import presidium
    from services.reports.questions import QuestionStats, Row

    stats = QuestionStats(
        asked=3,
        answered=2,
        within_sla=1,
        hours=[2.0, 30.0],
        up=1,
        down=1,
        by_category=[Row("Оплата труда", 2, 1), Row("Охрана труда", 1, 1)],
    )
    section = presidium.questions_section(stats)
    heading, summary, categories = section
    assert "Вопросы членов Профсоюза" in " ".join(heading.lines)  # type: ignore[union-attr]
    figures = dict(summary.rows)  # type: ignore[union-attr]
    assert figures["Задано вопросов"] == "3" and figures["Доля ответов в срок"] == "50\xa0%"
    assert figures["Медиана времени до первого ответа, ч"] == "16,0"
    assert ("Оплата труда", "2", "1") in categories.rows  # type: ignore[union-attr]
    assert len(presidium.paginate(section)) == 1


async def test_a_member_without_an_organisation_asks_the_region(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser, admin: FakeUser
) -> None:
    await _setup(running_bot, fake, member)
    await fake.send_message(admin, "/help")
    async with running_bot.sessions() as session:
        from services import people

        person = await people.get_person(session, member.id)
        assert person is not None
        await people.set_organization(session, person, None)
    await _ask(fake, member)
    stored = await _question(running_bot.sessions)
    assert stored.territory_id is None and stored.org_id is None
    card = screen(fake, admin.id)
    assert f"Вопрос № {stored.id}" in card.text and "Организация: не указана" in card.text
    assert "Передать в обком" not in button_texts(card)  # it is there already
    assert f"Вопрос № {stored.id}" not in _everything_seen(fake, CONSULTANT.id)
    await fake.click(admin, "Взять в работу")
    assert (await _question(running_bot.sessions)).status is QuestionStatus.TAKEN


async def test_a_category_the_territory_has_nobody_for_goes_to_the_region(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser, admin: FakeUser
) -> None:
    await add_member(running_bot.sessions, member.id, "46-31-002")
    helper = FakeUser(id=200004, first_name="Пётр", last_name="Охранов", username="ohrana")
    await fake.send_message(admin, "/help")
    await add_member(running_bot.sessions, helper.id, None)
    async with running_bot.sessions() as session:
        from services import people

        person = await people.get_person(session, helper.id)
        assert person is not None
        await people.seen(
            session, person, people.TelegramProfile(helper.id, "Пётр", None, "ohrana")
        )
    await fake.send_message(helper, "/help")
    await fake.send_message(admin, "/consultant @ohrana 46-31 nonsense")
    assert "Нет таких тем: nonsense" in screen(fake, admin.id).text
    await fake.send_message(admin, "/consultant @ohrana 46-31 safety")
    assert "темы: Охрана труда" in screen(fake, admin.id).text

    await fake.send_message(member, "/ask")
    await fake.click(member, "Оплата труда")
    await fake.send_message(member, "Вопрос об оплате")
    await fake.click(member, "✅ Отправить")
    await fake.send_message(member, "/ask")
    await fake.click(member, "Охрана труда")
    await fake.send_message(member, "Вопрос об охране труда")
    await fake.click(member, "✅ Отправить")
    async with running_bot.sessions() as session:
        pay, safety = list(await session.scalars(select(Question).order_by(Question.id)))
    assert pay.territory_id is None and safety.territory_id is not None
    helper_saw = _everything_seen(fake, helper.id)
    assert f"Вопрос № {safety.id}" in helper_saw and f"Вопрос № {pay.id}" not in helper_saw
    assert f"Вопрос № {pay.id}" in _everything_seen(fake, admin.id)


async def test_the_command_line_report_measures_answers_against_question_sla_days(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser, clock: FakeClock, tmp_path: Path
) -> None:
    await _setup(running_bot, fake, member)
    await _ask(fake, member)  # Thursday 14 May 2026, 12:00 Moscow
    await fake.click(CONSULTANT, "Взять в работу")
    # Answered on Wednesday 20 May: four working days, late for 3, in time for 5.
    clock.set(datetime(2026, 5, 20, 9, 30, tzinfo=UTC))
    await fake.send_message(CONSULTANT, "Ответ")

    def share(out: Path, **env: str) -> str:
        done = run_cli(
            "report",
            "questions",
            "--out",
            str(out),
            cwd=tmp_path,  # no .env there: no token, and none is needed
            DATABASE_URL=running_bot.settings.database_url,
            **env,
        )
        assert done.returncode == 0, done.stderr
        (xlsx,) = out.glob("*.xlsx")
        sheet = load_workbook(xlsx)["Итоги"]
        return str(
            {row[0]: row[1] for row in sheet.iter_rows(values_only=True)}["Доля ответов в срок"]
        )

    assert (await asyncio.to_thread(share, tmp_path / "default")).startswith("0")
    in_time = await asyncio.to_thread(share, tmp_path / "five", QUESTION_SLA_DAYS="5")
    assert in_time.startswith("100")


async def _ask_text(fake: FakeTelegram, member: FakeUser, category: str, text: str) -> None:
    await fake.send_message(member, "/ask")
    await fake.click(member, category)
    await fake.send_message(member, text)
    await fake.click(member, "✅ Отправить")


async def test_myquestions_pages_opens_a_question_within_one_message_and_comes_back(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser
) -> None:
    from handlers.questions_common import MyCB

    await _setup(running_bot, fake, member)
    long_question = "Почему <не> доплатили & когда? " * 130  # ~4000 characters, escaped longer
    await _ask_text(fake, member, "Оплата труда", long_question)
    await fake.click(CONSULTANT, "Взять в работу")
    long_answer = "Обратитесь в бухгалтерию <школы>. " * 115
    await fake.send_message(CONSULTANT, long_answer)
    for number in range(2, 10):
        await _ask_text(fake, member, "Охрана труда", f"Вопрос {number}")

    await fake.send_message(member, "/myquestions")
    first = screen(fake, member.id)
    assert "Всего: 9" in first.text and "Страница 1 из 2" in first.text
    opened = [t for t in button_texts(first) if t.startswith("№ ")]
    assert opened[0] == "№ 9 · ждёт ответа" and len(opened) == 8  # newest first
    assert ru.NEXT in button_texts(first) and ru.PREV not in button_texts(first)
    assert "№ 9 · Охрана труда · ждёт ответа" in first.text

    await fake.click(member, ru.NEXT)
    second = screen(fake, member.id)
    assert second.message_id == first.message_id  # the same screen, edited
    assert [t for t in button_texts(second) if t.startswith("№ ")] == ["№ 1 · есть ответ"]
    assert ru.PREV in button_texts(second) and "Страница 2 из 2" in second.text

    await fake.click(member, "№ 1 · есть ответ")
    card = screen(fake, member.id)
    assert card.message_id == first.message_id
    assert "Вопрос № 1" in card.text and "Тема: Оплата труда" in card.text
    assert "Ваш вопрос" in card.text and "Ответ" in card.text
    assert "Почему &lt;не&gt; доплатили" in card.text  # escaped: the HTML stays valid
    assert "бухгалтерию &lt;школы&gt;" in card.text
    assert len(card.text) <= 4096 and card.text.count("…") == 2  # both cut to fit

    await fake.click(member, "📎 Показать сообщения как есть")
    texts = [m.text for m in fake.messages(member.id)]
    assert texts[-3:-1] == [long_question, long_answer]  # copied as written, whole
    assert "так, как они были написаны" in screen(fake, member.id).text
    await fake.click(member, "« К списку")
    back = screen(fake, member.id)
    assert [t for t in button_texts(back) if t.startswith("№ ")] == ["№ 1 · есть ответ"]

    # Another member's question, a draft, a number nobody has: refused, nothing shown.
    other = FakeUser(id=100002, first_name="Пётр", last_name="Другой")
    await add_member(running_bot.sessions, other.id, "46-31-002")
    await _ask_text(fake, other, "Оплата труда", "Чужой вопрос")
    await fake.send_message(other, "/ask")
    await fake.click(other, "Оплата труда")  # draft № 11
    for forged in (10, 11, 999):
        before = fake.message(member.id, back.message_id)
        await fake.send_callback(member, MyCB(page=1, q=forged).pack())
        assert fake.callback_answers[-1].get("text") == (
            "Этот вопрос не найден среди ваших — ничего не изменено."
        )
        assert fake.message(member.id, back.message_id) == before
    assert "Чужой вопрос" not in "\n".join(m.text or "" for m in fake.messages(member.id))


async def _audited(
    sessions: async_sessionmaker[AsyncSession], kind: str
) -> list[dict[str, object]]:
    from models import AuditEntry

    async with sessions() as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.kind == kind).order_by(AuditEntry.id)
        )
        return [dict(row.details or {}) for row in rows]


async def test_an_answerer_edits_hides_and_restores_a_faq_entry(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser, caplog: pytest.LogCaptureFixture
) -> None:
    from handlers.questions_common import FaqAction, FaqCB, FaqEditCB
    from models import FaqEntry

    await _setup(running_bot, fake, member)
    await _ask(fake, member)
    await fake.click(CONSULTANT, "Взять в работу")
    await fake.send_message(CONSULTANT, "Ответ участнику")
    await fake.click(CONSULTANT, "Опубликовать в FAQ")
    await fake.send_message(CONSULTANT, "Положена ли доплата за классное руководство?")
    await fake.send_message(CONSULTANT, "Да. " * 800)  # 3200 characters: too long for one screen
    assert "Слишком длинно: 3199 знаков, можно до 3000" in screen(fake, CONSULTANT.id).text
    assert "Отмена" in button_texts(screen(fake, CONSULTANT.id))
    await fake.send_message(CONSULTANT, "Да, с 1 сентября 2023 года — 5000 рублей.")
    assert "Опубликовано" in screen(fake, CONSULTANT.id).text
    async with running_bot.sessions() as session:
        (entry,) = list(await session.scalars(select(FaqEntry)))
    question = await _question(running_bot.sessions)
    assert await _audited(running_bot.sessions, "faq_published") == [
        {"entry": entry.id, "question": question.id}
    ]

    # A member reads the entry whole, with no way to change it; a forged button changes nothing.
    await fake.send_message(member, "/faq")
    await fake.click(member, "Оплата труда")
    await fake.click(member, "❓ Положена ли доплата за классное руководство?")
    read = screen(fake, member.id)
    assert "5000 рублей" in read.text and button_texts(read) == ["« Назад"]
    for action in (FaqAction.HIDE_YES, FaqAction.ANSWER):
        await fake.send_callback(member, FaqEditCB(action=action, entry=entry.id).pack())
        assert "устарела" in (fake.callback_answers[-1].get("text") or "")
    async with running_bot.sessions() as session:
        assert (await session.get(FaqEntry, entry.id)).hidden is False  # type: ignore[union-attr]

    # The answerer edits the answer: a photo is refused, «Отмена» keeps the old text.
    await fake.send_message(CONSULTANT, "/faq")
    await fake.click(CONSULTANT, "Оплата труда")
    await fake.click(CONSULTANT, "❓ Положена ли доплата за классное руководство?")
    card = screen(fake, CONSULTANT.id)
    assert "В FAQ: опубликована" in card.text
    assert button_texts(card) == [
        "✏️ Изменить вопрос",
        "✏️ Изменить ответ",
        "🙈 Снять из FAQ",
        "« Назад",
    ]
    await fake.click(CONSULTANT, "✏️ Изменить ответ")
    prompt = screen(fake, CONSULTANT.id)
    assert "Пришлите новый текст ответа" in prompt.text.replace("<b>", "").replace("</b>", "")
    assert "5000 рублей" in prompt.text  # the current text to start from
    assert button_texts(prompt) == ["Отмена"]
    await fake.send_photo(CONSULTANT)
    assert "публикуется текст" in screen(fake, CONSULTANT.id).text
    await fake.send_message(CONSULTANT, "Да, 6000 рублей.")
    assert "Сохранить?" in screen(fake, CONSULTANT.id).text
    await fake.click(CONSULTANT, "Отмена")
    assert "В FAQ: опубликована" in screen(fake, CONSULTANT.id).text
    await fake.send_message(CONSULTANT, "Это уже не правка")  # no longer editing: ignored
    async with running_bot.sessions() as session:
        assert (await session.get(FaqEntry, entry.id)).answer.endswith("5000 рублей.")  # type: ignore[union-attr]

    await fake.click(CONSULTANT, "✏️ Изменить ответ")
    await fake.send_message(CONSULTANT, "Да, 6000 рублей.")
    older = screen(fake, CONSULTANT.id)
    await fake.send_message(CONSULTANT, "Да, 7000 рублей с 1 января.")
    newer = screen(fake, CONSULTANT.id)
    await fake.click(CONSULTANT, "✅ Сохранить", older.message_id)  # not the latest text
    assert "устарела" in (fake.callback_answers[-1].get("text") or "")
    await fake.click(CONSULTANT, "✅ Сохранить", newer.message_id)
    assert fake.callback_answers[-1].get("text") == "Сохранено."
    assert "7000 рублей" in screen(fake, CONSULTANT.id).text
    await fake.send_message(member, "/faq")
    await fake.send_message(member, "7000")
    assert "7000 рублей с 1 января" in screen(fake, member.id).text
    await fake.send_message(member, "5000")
    assert "Ничего не нашлось" in screen(fake, member.id).text

    # Hiding asks first; «Назад» keeps it; «Да, снять» takes it off /faq and the search.
    await fake.click(CONSULTANT, "🙈 Снять из FAQ")
    assert "Снять запись из FAQ?" in screen(fake, CONSULTANT.id).text
    assert button_texts(screen(fake, CONSULTANT.id)) == ["Да, снять", "« Назад"]
    await fake.click(CONSULTANT, "« Назад")
    assert "В FAQ: опубликована" in screen(fake, CONSULTANT.id).text
    await fake.click(CONSULTANT, "🙈 Снять из FAQ")
    await fake.click(CONSULTANT, "Да, снять")
    assert fake.callback_answers[-1].get("text") == "Запись снята из FAQ."
    assert "В FAQ: <b>снята</b>" in screen(fake, CONSULTANT.id).text
    await fake.send_callback(
        CONSULTANT, FaqEditCB(action=FaqAction.HIDE_YES, entry=entry.id).pack()
    )
    assert "уже сделано" in (fake.callback_answers[-1].get("text") or "")

    await fake.send_message(member, "/faq")
    await fake.click(member, "Оплата труда")
    assert "пока нет ответов" in screen(fake, member.id).text
    await fake.send_message(member, "7000")
    assert "Ничего не нашлось" in screen(fake, member.id).text
    await fake.send_callback(member, FaqCB(cat=entry.category_id, entry=entry.id).pack())
    assert fake.callback_answers[-1].get("text") == "Этой записи в FAQ больше нет."

    # The answerer still finds it, marked, and puts it back.
    await fake.send_message(CONSULTANT, "/faq")
    await fake.click(CONSULTANT, "Оплата труда")
    await fake.click(CONSULTANT, "❓ 🙈 Положена ли доплата за классное руководство?")
    await fake.click(CONSULTANT, "👁 Вернуть в FAQ")
    assert fake.callback_answers[-1].get("text") == "Запись снова в FAQ."
    await fake.send_message(member, "/faq")
    await fake.send_message(member, "7000")
    assert "7000 рублей с 1 января" in screen(fake, member.id).text

    changes = [d["change"] for d in await _audited(running_bot.sessions, "faq_changed")]
    assert changes == ["ответ", "снята из FAQ", "возвращена в FAQ"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def _drafts(sessions: async_sessionmaker[AsyncSession]) -> list[Question]:
    async with sessions() as session:
        return list(await session.scalars(select(Question).where(Question.status == "draft")))


async def test_asking_on_a_phone_every_step_has_a_way_back_and_a_clear_refusal(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser, caplog: pytest.LogCaptureFixture
) -> None:
    await _setup(running_bot, fake, member)
    await fake.send_message(member, "/ask")
    choose = screen(fake, member.id)
    assert button_texts(choose)[-1] == "Отмена"
    await fake.click(member, "Оплата труда")
    write = screen(fake, member.id)
    assert write.message_id == choose.message_id
    assert button_texts(write) == ["« Назад", "Отмена"]
    await fake.click(member, "« Назад")  # another category after all: the empty draft goes
    assert "Выберите тему" in screen(fake, member.id).text
    assert await _drafts(running_bot.sessions) == []

    await fake.click(member, "Охрана труда")
    await fake.send_sticker(member)
    refused = screen(fake, member.id)
    assert "голосовые, стикеры" in refused.text and button_texts(refused) == ["Отмена"]
    await fake.send_photo(member)  # a photo with no caption
    assert "Добавлено (1)" in screen(fake, member.id).text
    await fake.click(member, "✅ Отправить")
    assert "хотя бы пару слов текстом" in (fake.callback_answers[-1].get("text") or "")
    (draft,) = await _drafts(running_bot.sessions)  # still being written
    await fake.send_sticker(member)
    assert "✅ Отправить" in button_texts(screen(fake, member.id))  # the way on stays
    for number in range(2, 11):
        await fake.send_message(member, f"Часть {number}")
    assert "Добавлено (10)" in screen(fake, member.id).text
    await fake.send_message(member, "Часть 11")
    too_many = screen(fake, member.id)
    assert "уже 10 сообщений" in too_many.text and "✅ Отправить" in button_texts(too_many)
    await fake.click(member, "✅ Отправить")
    assert f"Вопрос № {draft.id} принят" in screen(fake, member.id).text
    assert len(await _posts(running_bot.sessions)) == 10

    # The clarification: a sticker is refused and the one clarification stays unused.
    await fake.click(CONSULTANT, "Взять в работу")
    await fake.send_message(CONSULTANT, "Ответ")
    await fake.click(member, "Уточнить")
    await fake.send_sticker(member)
    assert "голосовые, стикеры" in screen(fake, member.id).text
    assert not (await _question(running_bot.sessions)).clarified
    await fake.send_message(member, "А подробнее?")
    assert "Уточнение передано" in screen(fake, member.id).text
    await fake.click(CONSULTANT, "Ответить")
    await fake.send_message(CONSULTANT, "Подробнее — в приказе.")
    await fake.click(member, "👍")
    await fake.send_sticker(member)
    assert button_texts(screen(fake, member.id)) == ["Без комментария"]
    await fake.click(member, "Без комментария")
    assert "сохранён" in screen(fake, member.id).text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_long_closing_reason_is_refused_not_cut(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser
) -> None:
    await _setup(running_bot, fake, member)
    await _ask(fake, member)
    await fake.click(CONSULTANT, "Закрыть без ответа")
    await fake.send_message(CONSULTANT, "Не к профсоюзу. " * 40)  # 640 characters
    assert "Слишком длинно" in screen(fake, CONSULTANT.id).text
    assert (await _question(running_bot.sessions)).status is QuestionStatus.OPEN
    await fake.send_message(CONSULTANT, "Вопрос не к профсоюзу")
    assert "Причина: Вопрос не к профсоюзу" in screen(fake, member.id).text
