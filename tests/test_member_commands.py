"""End to end: /topics, /profile, /stop, /forget, /help and what unregistered people see."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from bot.config import Settings
from fakeapi import FakeTelegram, FakeUser
from models import Person, Subscription
from tests.conftest import RunningBot
from tests.helpers import (
    add_member,
    button_texts,
    count,
    eventually,
    grant,
    org_code_of,
    person_of,
    screen,
    topic_slugs,
)

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


async def test_help_shows_each_person_the_commands_of_their_roles(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser, admin: FakeUser
) -> None:
    chair = FakeUser(id=100077, first_name="Председатель")
    await register(fake, member)
    await add_member(running_bot.sessions, chair.id, None)
    await grant(running_bot.sessions, chair.id, "territorial_admin", "46-01")
    await fake.send_message(member, "/help")
    plain = screen(fake, member.id).text or ""
    assert "/topics" in plain and "/privacy" in plain
    assert "/anketa" not in plain and "/broadcast" not in plain and "/orgs" not in plain
    assert "Связаться с обкомом" in plain  # a way to reach a person, always

    await grant(running_bot.sessions, member.id, "officer", "46-01-001")
    await fake.send_message(member, "/help")
    officer = screen(fake, member.id).text or ""
    assert "/anketa" in officer and "/broadcast" not in officer

    await fake.send_message(chair, "/help")
    territorial = screen(fake, chair.id).text or ""
    assert "/broadcast" in territorial and "/monitoring" in territorial
    assert "/orgs" not in territorial and "/anketa" not in territorial

    await fake.send_message(admin, "/help")
    regional = screen(fake, admin.id).text or ""
    assert "/orgs" in regional and ".yaml" in regional
    assert "questionnaires/" not in regional  # no repository paths


async def test_consent_names_the_operator_and_privacy_has_the_full_text(
    fake: FakeTelegram, settings: Settings, member: FakeUser
) -> None:
    custom = settings.model_copy(
        update={
            "operator_address": "305000, г. Курск, ул. Ленина, д. 1",
            "contacts": "+7 (4712) 00-00-00, obkom@example.org",
        }
    )
    bot = RunningBot(custom)
    await bot.start()
    try:
        await fake.send_message(member, "/start")
        consent = screen(fake, member.id).text or ""
        for part in (
            "Курская областная организация Профсоюза работников народного образования",
            "305000, г. Курск, ул. Ленина, д. 1",
            "Что хранится",
            "Зачем",
            "/forget",
            "/privacy",
        ):
            assert part in consent, part
        await fake.send_message(member, "/privacy")  # before consenting, too
        full = screen(fake, member.id).text or ""
        assert "152-ФЗ" in full and "obkom@example.org" in full and "/forget" in full
        await fake.send_message(member, "/help")
        assert "obkom@example.org" in (screen(fake, member.id).text or "")
    finally:
        await bot.stop()


async def test_a_privacy_url_is_linked_from_the_consent(
    fake: FakeTelegram, settings: Settings, member: FakeUser
) -> None:
    bot = RunningBot(settings.model_copy(update={"privacy_url": "https://eseur.example/pd"}))
    await bot.start()
    try:
        await fake.send_message(member, "/start")
        assert "https://eseur.example/pd" in (screen(fake, member.id).text or "")
    finally:
        await bot.stop()


async def test_unknown_text_gets_a_hint(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser
) -> None:
    await fake.send_message(member, "привет")
    assert screen(fake, member.id).text == "Чтобы начать, отправьте /start."
    await register(fake, member)
    await fake.send_message(member, "привет")
    assert "Список команд — /help" in screen(fake, member.id).text


async def _news(running_bot: RunningBot, text: str) -> None:
    from services.broadcasts import outbox

    async with running_bot.sessions() as session:
        await outbox.create_text_broadcast(
            session, text=text, topic_slugs=["news"], org_code=None, alert=False
        )
    running_bot.wake_worker()


@pytest.mark.parametrize(
    "come_back",
    [
        pytest.param(lambda fake, user: fake.send_message(user, "/start"), id="start"),
        pytest.param(lambda fake, user: fake.send_message(user, "/topics"), id="a command"),
        pytest.param(lambda fake, user: fake.send_message(user, "привет"), id="any text"),
        pytest.param(lambda fake, user: fake.click(user, "Готово"), id="an old button"),
    ],
)
async def test_a_member_who_blocked_the_bot_is_back_with_any_message_or_button(
    fake: FakeTelegram,
    running_bot: RunningBot,
    member: FakeUser,
    come_back: Callable[[FakeTelegram, FakeUser], Awaitable[object]],
) -> None:
    await register(fake, member)
    fake.block(member.id)
    await _news(running_bot, "Первая новость")
    await eventually(lambda: _stored_blocked(running_bot, member.id))
    fake.unblock(member.id)
    await come_back(fake, member)
    texts = [m.text or "" for m in fake.messages(member.id)]
    assert any("рассылки возобновлены" in text for text in texts)
    assert not await _stored_blocked(running_bot, member.id)
    await _news(running_bot, "Вторая новость")
    await eventually(
        lambda: any("Вторая новость" in (m.text or "") for m in fake.messages(member.id))
    )
    # Told once: the next message is handled as usual, with no second welcome.
    await fake.send_message(member, "/help")
    assert sum("рассылки возобновлены" in (m.text or "") for m in fake.messages(member.id)) == 1


async def _stored_blocked(running_bot: RunningBot, telegram_id: int) -> bool:
    stored = await person_of(running_bot.sessions, telegram_id)
    assert stored is not None
    return stored.blocked


async def test_a_deep_link_for_a_registered_member_offers_to_change_the_organisation(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser
) -> None:
    await register(fake, member)
    await fake.send_message(member, "/start org_46-31-002")
    assert "Вы перешли по ссылке организации" in screen(fake, member.id).text
    await fake.click(member, "Да, это моя организация")
    assert "Ваш профиль" in screen(fake, member.id).text
    assert await org_code_of(running_bot.sessions, member.id) == "46-31-002"
