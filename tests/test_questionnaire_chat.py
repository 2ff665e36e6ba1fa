"""End to end: an officer answers the quarter's questionnaire in the chat, with invalid inputs,
a restart in the middle, review, submission, a change afterwards, and the lock."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.scheduler import schedule_of
from fakeapi import FakeTelegram, FakeUser
from models import Answer, AnswerChange, Campaign, Submission, SubmissionStatus, utcnow
from services.monitoring import campaigns
from tests.conftest import RunningBot
from tests.helpers import add_member, button_texts, eventually, grant, screen
from texts import ru

pytestmark = pytest.mark.usefixtures("directory")

SCHOOL = "46-01-001"
OFFICER = FakeUser(id=500001, first_name="Анна")
COLLEAGUE = FakeUser(id=500002, first_name="Олег")
STRANGER = FakeUser(id=500003, first_name="Чужой")


@pytest.fixture
async def campaign(fake: FakeTelegram, running_bot: RunningBot) -> None:
    officers = ((OFFICER, SCHOOL), (COLLEAGUE, SCHOOL), (STRANGER, "46-29-004"))
    for user, org in officers:
        await add_member(running_bot.sessions, user.id, org, topics=())
        await grant(running_bot.sessions, user.id, "officer", org)
    now = utcnow()
    async with running_bot.sessions() as session:
        await campaigns.open_campaign(
            session,
            schedule_of(running_bot.settings),
            year=2026,
            quarter=2,  # the quarter of the test clock, May 2026
            opens_at=now - timedelta(hours=1),
            deadline=now + timedelta(days=10),
        )
    # The campaign's prompt goes out with the scheduler's next sweep, and a restart sweeps at
    # once: let it arrive now, so that it never lands in the middle of a conversation below.
    await running_bot.sweep()
    prompt = ru.MON_PROMPT.split("{", 1)[0]
    await eventually(
        lambda: all(
            any((m.text or "").startswith(prompt) for m in fake.messages(user.id))
            for user, _ in officers
        )
    )


def text_of(fake: FakeTelegram, user: FakeUser) -> str:
    return screen(fake, user.id).text or ""


async def answers(running_bot: RunningBot) -> dict[str, object]:
    async with running_bot.sessions() as session:
        rows = await session.execute(select(Answer.question_id, Answer.value))
        return {question_id: value for question_id, value in rows}


async def test_a_full_questionnaire_with_every_kind_of_answer(
    fake: FakeTelegram, running_bot: RunningBot, campaign: None
) -> None:
    await fake.send_message(OFFICER, "/anketa")
    intro = screen(fake, OFFICER.id)  # the note that opens the questionnaire
    assert ru.Q_NEXT in button_texts(intro) and "Вопрос" not in (intro.text or "")
    assert "Ответы принимаются до 24.05.2026 12:00" in (intro.text or "")  # now + 10 days
    assert ru.Q_BACK not in button_texts(intro)  # nothing before the first screen
    await fake.click(OFFICER, ru.Q_NEXT)
    assert "Вопрос 1 из" in text_of(fake, OFFICER)
    assert "Ответы принимаются" not in text_of(fake, OFFICER)  # said once, on the intro
    assert ru.Q_BACK not in button_texts(screen(fake, OFFICER.id))  # no question before
    await fake.send_message(OFFICER, "Анна Сергеевна Петрова")  # text
    assert ru.Q_BACK in button_texts(screen(fake, OFFICER.id))
    await fake.click(OFFICER, ru.Q_SKIP)  # the optional AIS question
    await fake.click(OFFICER, ru.Q_YES)  # has_site
    await fake.send_message(OFFICER, "не ссылка")
    assert "Вопрос 4 из" in text_of(fake, OFFICER)  # asked again after the error message
    await fake.send_message(OFFICER, "school1-belaya.ru")  # url, https:// added
    assert any(
        m.text == "Сохранено: https://school1-belaya.ru" for m in fake.messages(OFFICER.id)
    )
    assert text_of(fake, OFFICER).count("ДД.ММ.ГГГГ") == 1  # one instruction, not two
    await fake.send_message(OFFICER, "31.02.2026")  # date, invalid
    await fake.send_message(OFFICER, "01.04.2026")  # before today by the test clock
    await fake.click(OFFICER, ru.Q_NO)  # has_social_group: its follow-ups are hidden
    await fake.send_message(OFFICER, "150")  # percent over 100
    assert "Вопрос" in text_of(fake, OFFICER)
    await fake.send_message(OFFICER, "85,5")
    await fake.click(OFFICER, ru.Q_YES)  # public report
    await fake.click(OFFICER, ru.Q_SKIP)  # its optional link
    await fake.click(OFFICER, "▫️ Профсоюзные акции")
    await fake.click(OFFICER, "▫️ Выставки")
    await fake.click(OFFICER, "✅ Выставки")  # un-toggled again
    await fake.click(OFFICER, ru.Q_DONE)
    await fake.send_message(OFFICER, "12 шт")  # integer, invalid
    await fake.send_message(OFFICER, "3")
    await fake.click(OFFICER, "▫️ «Мой Профсоюз»")
    await fake.click(OFFICER, ru.Q_DONE)
    await fake.click(OFFICER, "▫️ Другое")
    await fake.click(OFFICER, ru.Q_DONE)
    await fake.send_message(OFFICER, "Квесты для молодых педагогов")
    await fake.click(OFFICER, ru.Q_DONE)  # nothing chosen: refused, asked again
    assert "хотя бы один" in fake.callback_answers[-1]["text"]
    await fake.click(OFFICER, "▫️ Профсоюзный стенд")
    await fake.click(OFFICER, ru.Q_DONE)
    await fake.click(OFFICER, ru.Q_SKIP)  # comment
    review = text_of(fake, OFFICER)
    assert "Проверьте ответы" in review
    assert "— пропущено" in review and "— —" not in review
    # «Вопрос N из M»: the total never grew while answers opened follow-up questions.
    totals = [
        int(m.group(1))
        for message in fake.messages(OFFICER.id)
        if (m := re.search(r"Вопрос \d+ из (\d+)", message.text or ""))
    ]
    assert totals and all(later <= earlier for earlier, later in itertools.pairwise(totals))
    assert "https://school1-belaya.ru" in review and "85,5 %" in review
    stored = await answers(running_bot)
    assert stored["has_site"] is True and stored["site_updated"] == "2026-04-01"
    assert stored["ais_register_share"] == 85.5 and stored["pr_events"] == ["actions"]
    assert stored["ais_officer"] is None and "social_url" not in stored

    await fake.click(OFFICER, ru.Q_SUBMIT)
    assert "Анкета отправлена" in text_of(fake, OFFICER)
    async with running_bot.sessions() as session:
        submission = await session.scalar(select(Submission))
        assert submission is not None and submission.status is SubmissionStatus.SUBMITTED

    # A colleague of the same organisation sees the same submission and changes one answer.
    await fake.send_message(COLLEAGUE, "/anketa")
    assert "Анкета отправлена" in text_of(fake, COLLEAGUE)
    await fake.click(COLLEAGUE, "✏️ 7")  # the register share
    await fake.send_message(COLLEAGUE, "90")
    assert "90 %" in text_of(fake, COLLEAGUE)  # back on the review
    async with running_bot.sessions() as session:
        change = await session.scalar(select(AnswerChange))
    assert change is not None
    assert (change.question_id, change.old_value, change.new_value) == (
        "ais_register_share",
        85.5,
        90,
    )


async def test_a_restart_resumes_at_the_same_question(
    fake: FakeTelegram, running_bot: RunningBot, campaign: None
) -> None:
    await fake.send_message(OFFICER, "/anketa")
    await fake.click(OFFICER, ru.Q_NEXT)
    await fake.send_message(OFFICER, "Анна")
    await fake.click(OFFICER, ru.Q_SKIP)
    await fake.click(OFFICER, ru.Q_YES)
    assert "Вопрос 4 из" in text_of(fake, OFFICER)
    await running_bot.restart()
    await fake.send_message(OFFICER, "https://school.example.ru")  # typed into the same question
    assert (await answers(running_bot))["site_url"] == "https://school.example.ru"
    await running_bot.restart()
    await fake.send_message(OFFICER, "/anketa")
    assert "Когда сайт" in text_of(fake, OFFICER)  # the first unanswered question
    await fake.click(OFFICER, ru.Q_BACK)
    assert "ссылку на сайт" in text_of(fake, OFFICER)
    await fake.click(OFFICER, ru.Q_SAVE_EXIT)
    assert text_of(fake, OFFICER) == ru.Q_SAVED_EXIT


async def test_an_officer_cannot_see_or_answer_for_another_organisation(
    fake: FakeTelegram, running_bot: RunningBot, campaign: None
) -> None:
    await fake.send_message(OFFICER, "/anketa")
    async with running_bot.sessions() as session:
        own = await session.scalar(select(Submission.id))
    assert own is not None
    await fake.send_callback(STRANGER, f"q:c:{own}:3:1")  # forged: «Да» in OFFICER's submission
    assert fake.callback_answers[-1]["text"] == ru.Q_FOREIGN
    await fake.send_callback(STRANGER, f"q:g:{own}:-1:-1")  # forged: open another organisation
    assert fake.callback_answers[-1]["text"] == ru.Q_FOREIGN
    assert await answers(running_bot) == {}
    member = FakeUser(id=500009, first_name="Не ответственный")
    await add_member(running_bot.sessions, member.id, SCHOOL)
    await fake.send_message(member, "/anketa")
    assert text_of(fake, member) == ru.Q_NOT_OFFICER


async def test_answers_are_locked_after_the_deadline(
    fake: FakeTelegram, running_bot: RunningBot, campaign: None
) -> None:
    await fake.send_message(OFFICER, "/anketa")
    await fake.click(OFFICER, ru.Q_NEXT)
    async with running_bot.sessions() as session:
        await session.execute(update(Campaign).values(deadline=utcnow() - timedelta(minutes=1)))
        await session.commit()
    await fake.send_message(OFFICER, "Анна")
    assert text_of(fake, OFFICER) == ru.Q_CLOSED
    await fake.send_message(OFFICER, "/anketa")
    assert text_of(fake, OFFICER) == ru.Q_CLOSED
    assert await answers(running_bot) == {}


CUSTOM = """
id: quarterly
title: Проверка всех типов
questions:
  - id: format
    type: select_one
    text: В каком формате ведёте стенд?
    choices:
      - {id: paper, label: Бумажный}
      - {id: digital, label: Электронный}
  - id: budget
    type: decimal
    text: Сколько потратили на информработу, тыс. руб.?
    validation:
      max: {value: 1000, message: Не больше 1000 тыс. руб.}
"""


async def test_select_one_and_decimal_from_a_custom_version(
    fake: FakeTelegram, running_bot: RunningBot
) -> None:
    from services.monitoring import versions
    from services.monitoring.questionnaire import load_questionnaire

    await add_member(running_bot.sessions, OFFICER.id, SCHOOL, topics=())
    await grant(running_bot.sessions, OFFICER.id, "officer", SCHOOL)
    async with running_bot.sessions() as session:
        await versions.store(session, load_questionnaire(CUSTOM))
        now = utcnow()
        await campaigns.open_campaign(
            session,
            schedule_of(running_bot.settings),
            year=2026,
            quarter=2,  # the quarter of the test clock, May 2026
            opens_at=now - timedelta(hours=1),
            deadline=now + timedelta(days=10),
        )
    await fake.send_message(OFFICER, "/anketa")
    assert "Вопрос 1 из 2" in text_of(fake, OFFICER)
    await fake.send_callback(OFFICER, "q:c:1:0:7")  # a forged choice index
    assert fake.callback_answers[-1]["text"] == ru.Q_STALE
    await fake.click(OFFICER, "Электронный")
    await fake.send_message(OFFICER, "1500")
    assert any("Не больше 1000" in (m.text or "") for m in fake.messages(OFFICER.id))
    assert "Вопрос 2 из 2" in text_of(fake, OFFICER)  # the same question, asked again
    await fake.send_message(OFFICER, "12,5")
    assert "Проверьте ответы" in text_of(fake, OFFICER)
    assert await answers(running_bot) == {"format": "digital", "budget": 12.5}
