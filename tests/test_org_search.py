"""Organisation search as people type it, and the organisation step's buttons after the step."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fakeapi import FakeTelegram, FakeUser
from services import orgs
from tests.conftest import RunningBot
from tests.helpers import org_code_of, screen
from texts import ru

pytestmark = pytest.mark.usefixtures("directory")

CONSENT = "✅ Согласен(на)"
SCHOOLS_NO_5 = ["46-29-005", "46-30-005", "46-31-005"]  # Курск, Железногорск, Курчатов


@pytest.mark.parametrize(
    "query",
    ["школа 5", "СОШ №5", "школа №5", "школа № 5", "сош 5", "МБОУ СОШ № 5", "ШКОЛА  5"],
)
async def test_a_school_is_found_however_its_number_and_kind_are_written(
    session_factory: async_sessionmaker[AsyncSession], query: str
) -> None:
    async with session_factory() as session:
        found, total = await orgs.search(session, query)
    assert sorted(org.code for org in found) == SCHOOLS_NO_5
    assert total == 3  # № 50–59 are other numbers


async def test_letters_e_and_yo_and_case_are_one(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session:
        plain, _ = await orgs.search(session, "КОНЫШЕВ")
        with_yo, _ = await orgs.search(session, "конышёв")
        kindergarten, _ = await orgs.search(session, "дс № 5")
    assert plain and [o.id for o in plain] == [o.id for o in with_yo]
    assert {o.code for o in kindergarten} == {"46-30-015", "46-31-009"}


async def register_until_picker(fake: FakeTelegram, member: FakeUser) -> None:
    await fake.send_message(member, "/start")
    await fake.click(member, CONSENT)


async def test_results_name_the_territory_and_page_on(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser
) -> None:
    await register_until_picker(fake, member)
    await fake.send_message(member, "СОШ №5")
    found = screen(fake, member.id).text or ""
    assert "МБОУ «Средняя общеобразовательная школа № 5» г. Курска — Курская городская" in found
    assert "г. Железногорска — Железногорская городская организация Профсоюза" in found
    assert "г. Курчатова — Курчатовская городская организация Профсоюза" in found
    assert "№ 50" not in found

    await fake.send_message(member, "школа")
    page = screen(fake, member.id)
    async with running_bot.sessions() as session:
        _, total = await orgs.search(session, "школа")
    assert total > 16
    assert ru.SEARCH_SHOWN.format(first=1, last=8, total=total) in (page.text or "")
    await fake.click(member, ru.NEXT)
    second = screen(fake, member.id)
    assert second.message_id == page.message_id  # the same message, edited
    assert ru.SEARCH_SHOWN.format(first=9, last=16, total=total) in (second.text or "")
    await fake.click(member, ru.PREV)
    assert ru.SEARCH_SHOWN.format(first=1, last=8, total=total) in (
        screen(fake, member.id).text or ""
    )


async def test_old_search_buttons_change_nothing_after_the_step(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser
) -> None:
    await register_until_picker(fake, member)
    await fake.send_message(member, "гимназия 4")
    first_results = screen(fake, member.id)
    old_button = first_results.buttons[0][0][1]  # «МБОУ «Гимназия № 4»», as it was sent
    await fake.send_message(member, "СОШ № 5")
    second_results = screen(fake, member.id)
    # The earlier results gave way: only the latest message keeps buttons.
    assert fake.message(member.id, first_results.message_id).buttons == []  # type: ignore[union-attr]
    await fake.click(member, "МБОУ «Средняя общеобразовательная школа № 5» г. Курска")
    assert "Выберите темы" in (screen(fake, member.id).text or "")
    assert await org_code_of(running_bot.sessions, member.id) == "46-29-005"

    # An old keyboard still on screen (a message from before a restart, a forwarded copy…):
    # a tap is refused and the organisation stays.
    await fake.send_callback(member, old_button, first_results.message_id)
    assert fake.callback_answers[-1]["text"] == ru.STEP_DONE
    assert await org_code_of(running_bot.sessions, member.id) == "46-29-005"
    # The tapped message itself became the topic step; nothing else was sent.
    assert screen(fake, member.id).message_id == second_results.message_id


async def test_a_very_long_query_is_echoed_shortened(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser
) -> None:
    await register_until_picker(fake, member)
    await fake.send_message(member, "школа " * 850)  # 5,100 characters
    reply = screen(fake, member.id).text or ""
    assert "Что-то пошло не так" not in reply
    assert len(reply) < 4096 and "…»" in reply
