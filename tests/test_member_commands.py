"""End to end: /topics, /profile, /stop, /forget, /help and what unregistered people see."""

from __future__ import annotations

import pytest

from fakeapi import FakeTelegram, FakeUser
from models import Person, Subscription
from tests.conftest import RunningBot
from tests.helpers import button_texts, count, org_code_of, person_of, screen, topic_slugs

pytestmark = pytest.mark.usefixtures("directory")


async def register(fake: FakeTelegram, user: FakeUser, link: str = "") -> None:
    await fake.send_message(user, f"/start {link}".strip())
    await fake.click(user, "✅ Согласен(на)")
    if link:
        await fake.click(user, "Да, это моя организация")
    else:
        await fake.click(user, "Пропустить")


@pytest.mark.parametrize("command", ["/topics", "/profile"])
async def test_unregistered_people_are_sent_to_start(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser, command: str
) -> None:
    await fake.send_message(member, command)
    assert screen(fake, member.id).text == "Чтобы начать, отправьте /start."


async def test_topics_command_changes_subscriptions(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser
) -> None:
    await register(fake, member)
    await fake.send_message(member, "/topics")
    await fake.click(member, "▫️ Программа «Профкардс»")
    await fake.click(member, "▫️ Молодёжный совет")
    await fake.click(member, "Готово")
    done = screen(fake, member.id)
    assert "Темы сохранены" in done.text
    assert "✅ Программа «Профкардс»" in done.text
    assert await topic_slugs(running_bot.sessions, member.id) == {
        "news",
        "law",
        "profcards",
        "youth",
    }


async def test_profile_shows_data_and_changes_the_organisation(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser
) -> None:
    await register(fake, member, "org_46-31-002")
    await fake.send_message(member, "/profile")
    profile = screen(fake, member.id)
    assert "Мария Иванова" in profile.text
    assert "Курчатовская городская организация Профсоюза" in profile.text
    assert "Новости профсоюзных органов, Изменения законодательства" in profile.text
    assert button_texts(profile) == ["Изменить организацию", "Темы рассылок"]

    await fake.click(member, "Изменить организацию")
    await fake.click(member, "Организации областного подчинения")
    regional = screen(fake, member.id)
    assert "Организации областного подчинения" in regional.text
    university = next(t for t in button_texts(regional) if "Курского государственного" in t)
    await fake.click(member, university)
    back = screen(fake, member.id)
    assert "Ваш профиль" in back.text and "Курского государственного" in back.text
    code = await org_code_of(running_bot.sessions, member.id)
    assert code is not None and code.startswith("46-00-")


async def test_profile_topics_button_opens_the_toggles(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser
) -> None:
    await register(fake, member)
    await fake.send_message(member, "/profile")
    await fake.click(member, "Темы рассылок")
    assert "✅ Новости профсоюзных органов" in button_texts(screen(fake, member.id))


async def test_stop_unsubscribes_from_everything_but_keeps_the_record(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser
) -> None:
    await register(fake, member)
    await fake.send_message(member, "/stop")
    assert "отписались от всех рассылок" in screen(fake, member.id).text
    assert await topic_slugs(running_bot.sessions, member.id) == set()
    assert await person_of(running_bot.sessions, member.id) is not None
    await fake.send_message(member, "/stop")
    assert "и так не подписаны" in screen(fake, member.id).text


async def test_forget_deletes_after_confirmation(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser
) -> None:
    await register(fake, member, "org_46-31-002")
    await fake.send_message(member, "/forget")
    await fake.click(member, "Отмена")
    assert "ничего не удаляем" in screen(fake, member.id).text
    assert await person_of(running_bot.sessions, member.id) is not None

    await fake.send_message(member, "/forget")
    await fake.click(member, "Да, удалить")
    assert "данные удалены" in screen(fake, member.id).text
    assert await count(running_bot.sessions, Person) == 0
    assert await count(running_bot.sessions, Subscription) == 0
    await fake.send_message(member, "/forget")
    assert screen(fake, member.id).text == "О вас ничего не хранится."


async def test_buttons_of_a_forgotten_person_answer_politely(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser
) -> None:
    await register(fake, member)
    await fake.send_message(member, "/topics")
    topics = screen(fake, member.id)
    await fake.send_message(member, "/forget")
    await fake.click(member, "Да, удалить")
    await fake.click(member, "✅ Новости профсоюзных органов", message_id=topics.message_id)
    assert fake.callback_answers[-1]["text"].startswith("Эта кнопка устарела")
    assert await count(running_bot.sessions, Person) == 0


async def test_help_lists_admin_commands_only_for_admins(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser, admin: FakeUser
) -> None:
    await fake.send_message(member, "/help")
    assert "/topics" in screen(fake, member.id).text
    assert "/orgs" not in screen(fake, member.id).text
    await fake.send_message(admin, "/help")
    assert "/orgs" in screen(fake, admin.id).text


async def test_unknown_text_gets_a_hint(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser
) -> None:
    await fake.send_message(member, "привет")
    assert screen(fake, member.id).text == "Чтобы начать, отправьте /start."
    await register(fake, member)
    await fake.send_message(member, "привет")
    assert "Список команд — /help" in screen(fake, member.id).text


async def test_start_after_blocking_clears_the_flag(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser
) -> None:
    await register(fake, member)
    async with running_bot.sessions() as session:
        person = await session.get(Person, 1)
        assert person is not None
        person.blocked = True
        await session.commit()
    await fake.send_message(member, "/start")
    texts = [m.text for m in fake.messages(member.id)]
    assert any("рассылки возобновлены" in text for text in texts)
    stored = await person_of(running_bot.sessions, member.id)
    assert stored is not None and stored.blocked is False


async def test_a_deep_link_for_a_registered_member_offers_to_change_the_organisation(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser
) -> None:
    await register(fake, member)
    await fake.send_message(member, "/start org_46-31-002")
    assert "Вы перешли по ссылке организации" in screen(fake, member.id).text
    await fake.click(member, "Да, это моя организация")
    assert "Ваш профиль" in screen(fake, member.id).text
    assert await org_code_of(running_bot.sessions, member.id) == "46-31-002"
