"""End to end: forged buttons, floods, failures inside handlers, menus, secrets in logs."""

from __future__ import annotations

import logging

import pytest

from fakeapi import FakeTelegram, FakeUser
from handlers.member.help import help_text
from models import Person
from services import orgs, topics
from services.people import Roles
from tests.conftest import ADMIN_ID, TOKEN, RunningBot
from tests.helpers import count, org_code_of, person_of, screen
from texts import ru

pytestmark = pytest.mark.usefixtures("directory")


async def register(fake: FakeTelegram, user: FakeUser) -> None:
    await fake.send_message(user, "/start")
    await fake.click(user, "✅ Согласен(на)")


@pytest.mark.parametrize(
    "data",
    [
        "garbage",
        "org:x:o:1:0",  # unknown action
        "org:p:z:1:0",  # unknown flow
        "org:p:o:abc:0",  # not a number
        "topic:t:p:999999",  # a topic that does not exist
        "consent:maybe:",
        "forget:perhaps",
    ],
)
async def test_forged_callbacks_get_a_polite_answer(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser, data: str
) -> None:
    await register(fake, member)
    await fake.send_callback(member, data)
    answer = fake.callback_answers[-1]
    assert answer["text"] == ru.STALE_BUTTON
    assert await person_of(running_bot.sessions, member.id) is not None



def plain_help(running_bot: RunningBot) -> str:
    """/help as a person with no roles sees it."""
    return help_text(Roles(), running_bot.settings)

async def test_a_forged_organisation_id_is_refused_and_nothing_changes(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser
) -> None:
    await register(fake, member)
    await fake.send_callback(member, "org:p:o:987654:0")
    assert fake.callback_answers[-1]["text"] == ru.ORG_GONE
    assert await org_code_of(running_bot.sessions, member.id) is None


async def test_buttons_from_someone_unregistered_create_nothing(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser
) -> None:
    await fake.send_callback(member, "topic:t:p:1")
    await fake.send_callback(member, "org:p:o:1:0")
    assert [a["text"] for a in fake.callback_answers] == [ru.STALE_BUTTON] * 2
    assert await count(running_bot.sessions, Person) == 0


async def test_a_flood_from_one_user_is_cut_and_said_once(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser
) -> None:
    other = FakeUser(id=100002, first_name="Пётр")
    for _ in range(running_bot.settings.throttle_rate + 20):
        await fake.send_message(member, "/help")
    texts = [m.text for m in fake.messages(member.id)]
    assert texts.count(ru.THROTTLED) == 1
    assert texts.count(plain_help(running_bot)) == running_bot.settings.throttle_rate
    # Someone else is not affected by the first person's flood.
    await fake.send_message(other, "/help")
    assert screen(fake, other.id).text == plain_help(running_bot)


async def test_a_failing_handler_is_logged_and_the_bot_keeps_running(
    fake: FakeTelegram,
    running_bot: RunningBot,
    member: FakeUser,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await register(fake, member)

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(orgs, "search", broken)
    caplog.set_level(logging.INFO)
    update = await fake.send_message(member, "Секретная школа Ивановой")
    assert screen(fake, member.id).text == ru.ERROR
    assert f"Update {update['update_id']} failed" in caplog.text
    assert "Секретная школа" not in caplog.text  # people's words stay out of the log
    monkeypatch.setattr(topics, "list_topics", broken)
    await fake.send_message(member, "/topics")
    assert screen(fake, member.id).text == ru.ERROR
    monkeypatch.undo()
    await fake.send_message(member, "/help")
    assert screen(fake, member.id).text == plain_help(running_bot)


async def test_command_menus_are_registered_at_start(
    fake: FakeTelegram, running_bot: RunningBot
) -> None:
    calls = fake.calls_of("setMyCommands")
    scopes = {str(call.params["scope"]["type"]): call.params for call in calls}
    members = [c["command"] for c in scopes["all_private_chats"]["commands"]]
    assert members == [
        "start",
        "topics",
        "profile",
        "stop",
        "forget",
        "news",
        "materials",  # the library of methodological materials
        "privacy",
        *("ask", "myquestions", "faq"),  # questions to the committee
        "events",  # seminars and trainings
        "help",
    ]
    admin_menu = scopes["chat"]
    assert admin_menu["scope"]["chat_id"] == ADMIN_ID
    assert {"orgs", "anketa", "ais"} <= {c["command"] for c in admin_menu["commands"]}


async def test_the_token_never_reaches_the_log(
    fake: FakeTelegram,
    running_bot: RunningBot,
    member: FakeUser,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.fail_next("sendMessage", status=500, description="Internal Server Error")
    await fake.send_message(member, "/help")
    await register(fake, member)
    assert TOKEN not in caplog.text
    assert TOKEN.split(":")[1] not in caplog.text
