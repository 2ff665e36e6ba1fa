"""End to end: a member registers through the real dispatcher polling the fake Bot API."""

from __future__ import annotations

import pytest

from fakeapi import FakeTelegram, FakeUser
from models import FsmRecord, Person, Subscription
from tests.conftest import RunningBot
from tests.helpers import button_texts, count, org_code_of, person_of, screen, topic_slugs

pytestmark = pytest.mark.usefixtures("directory")

CONSENT = "✅ Согласен(на)"
SOLNYSHKO = "46-01-006"


async def test_full_onboarding_stores_consent_org_and_topics(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser
) -> None:
    await fake.send_message(member, "/start")
    welcome = screen(fake, member.id)
    assert "Профинформ" in welcome.text
    assert "152-ФЗ" in welcome.text
    assert button_texts(welcome) == [CONSENT, "Не согласен(на)"]
    assert await person_of(running_bot.sessions, member.id) is None

    await fake.click(member, CONSENT)
    picker = screen(fake, member.id)
    assert picker.message_id == welcome.message_id  # the same message, edited
    assert "Согласие получено" in picker.text
    assert "Страница 1 из 5" in picker.text
    assert "Беловская районная организация Профсоюза" in button_texts(picker)
    stored = await person_of(running_bot.sessions, member.id)
    assert stored is not None and stored.consent_at is not None
    assert stored.first_name == "Мария" and stored.username == "m_ivanova"
    assert await topic_slugs(running_bot.sessions, member.id) == {"news", "law"}

    await fake.click(member, "▶️")
    assert "Страница 2 из 5" in screen(fake, member.id).text
    await fake.click(member, "◀️")
    await fake.click(member, "Беловская районная организация Профсоюза")
    primaries = screen(fake, member.id)
    assert "первичную" in primaries.text
    school = "МКДОУ «Детский сад «Солнышко»» Беловского района"
    assert school in button_texts(primaries)
    assert {"« Назад", "Пропустить", "Моей первичной нет в списке"} <= set(button_texts(primaries))

    await fake.click(member, school)
    topics = screen(fake, member.id)
    assert "Выберите темы" in topics.text
    assert await org_code_of(running_bot.sessions, member.id) == SOLNYSHKO
    assert "✅ Новости профсоюзных органов" in button_texts(topics)
    assert "▫️ Социальное партнёрство" in button_texts(topics)

    await fake.click(member, "▫️ Социальное партнёрство")
    await fake.click(member, "✅ Изменения законодательства")
    toggled = button_texts(screen(fake, member.id))
    assert "✅ Социальное партнёрство" in toggled
    assert "▫️ Изменения законодательства" in toggled
    assert await topic_slugs(running_bot.sessions, member.id) == {"news", "partnership"}

    await fake.click(member, "Готово")
    summary = screen(fake, member.id)
    assert "Регистрация завершена" in summary.text
    assert "Беловская районная организация Профсоюза › МКДОУ «Детский" in summary.text
    assert "• Социальное партнёрство" in summary.text
    assert "Изменения законодательства" not in summary.text
    assert summary.buttons == []


async def test_declining_consent_stores_nothing(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser
) -> None:
    await fake.send_message(member, "/start")
    await fake.click(member, "Не согласен(на)")
    assert "ничего не сохранили" in screen(fake, member.id).text
    assert await count(running_bot.sessions, Person) == 0
    assert await count(running_bot.sessions, Subscription) == 0
    assert await count(running_bot.sessions, FsmRecord) == 0


async def test_deep_link_preselects_the_organisation(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser
) -> None:
    await fake.send_message(member, "/start org_46-31-002")
    await fake.click(member, CONSENT)
    confirm = screen(fake, member.id)
    assert "Вы перешли по ссылке организации" in confirm.text
    assert "Курчатовская городская организация Профсоюза › МКОУ «Средняя" in confirm.text
    await fake.click(member, "Да, это моя организация")
    assert "Выберите темы" in screen(fake, member.id).text
    assert await org_code_of(running_bot.sessions, member.id) == "46-31-002"


async def test_unknown_deep_link_is_said_plainly_and_onboarding_goes_on(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser
) -> None:
    await fake.send_message(member, "/start org_NOPE-1")
    texts = [m.text for m in fake.messages(member.id)]
    assert any("«NOPE-1» не найдена" in text for text in texts)
    await fake.click(member, CONSENT)
    assert "территориальную" in screen(fake, member.id).text


async def test_search_by_typing_part_of_a_name(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser
) -> None:
    await fake.send_message(member, "/start")
    await fake.click(member, CONSENT)
    await fake.send_message(member, "г")
    assert "хотя бы 2 буквы" in screen(fake, member.id).text
    await fake.send_message(member, "ГИМНАЗИЯ № 4")
    found = screen(fake, member.id)
    assert "Нашлось" in found.text
    assert "МБОУ «Гимназия № 4» г. Курска" in button_texts(found)
    await fake.click(member, "МБОУ «Гимназия № 4» г. Курска")
    assert await org_code_of(running_bot.sessions, member.id) == "46-29-004"
    await fake.send_message(member, "нет такой школы")
    assert "Выберите темы" not in screen(fake, member.id).text  # search is over after a choice


async def test_nothing_found_offers_the_list_and_skipping(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser
) -> None:
    await fake.send_message(member, "/start")
    await fake.click(member, CONSENT)
    await fake.send_message(member, "Хогвартс")
    nothing = screen(fake, member.id)
    assert "ничего не нашлось" in nothing.text
    assert button_texts(nothing) == ["Показать список", "Пропустить"]
    await fake.click(member, "Пропустить")
    assert "позже в /profile" in screen(fake, member.id).text
    assert await org_code_of(running_bot.sessions, member.id) is None


async def test_a_restart_mid_onboarding_resumes_search_and_buttons(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser
) -> None:
    await fake.send_message(member, "/start")
    await fake.click(member, CONSENT)
    picker = screen(fake, member.id)
    await running_bot.restart()
    await fake.send_message(member, "Гимназия № 25")
    assert "МБОУ «Гимназия № 25» г. Курска" in button_texts(screen(fake, member.id))
    # A button on the message from before the restart still works too.
    await fake.click(
        member, "Беловская районная организация Профсоюза", message_id=picker.message_id
    )
    edited = fake.message(member.id, picker.message_id)
    assert edited is not None and "первичную" in edited.text


async def test_start_again_when_registered_welcomes_back(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser
) -> None:
    await fake.send_message(member, "/start")
    await fake.click(member, CONSENT)
    await fake.send_message(member, "/start")
    assert "С возвращением, Мария" in screen(fake, member.id).text
    assert await count(running_bot.sessions, Person) == 1
