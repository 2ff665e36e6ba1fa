"""End to end: /monitoring for regional and territorial admins."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fakeapi import FakeTelegram, FakeUser
from models import (
    Campaign,
    CampaignStatus,
    Questionnaire,
)
from services import orgs
from services.monitoring.questionnaire import DEFAULT_QUESTIONNAIRE_PATH
from tests.conftest import RunningBot
from tests.helpers import add_member, button_texts, eventually, grant, screen, submit_for
from texts import ru

pytestmark = pytest.mark.usefixtures("directory")

OFFICER_DONE = FakeUser(id=600001, first_name="Отправила")
OFFICER_LATE = FakeUser(id=600002, first_name="Не отправил")
CHAIR = FakeUser(id=600009, first_name="Председатель")


@pytest.fixture
async def staff(running_bot: RunningBot) -> None:
    for user, org in ((OFFICER_DONE, "46-01-001"), (OFFICER_LATE, "46-01-002")):
        await add_member(running_bot.sessions, user.id, org, topics=())
        await grant(running_bot.sessions, user.id, "officer", org)
    await add_member(running_bot.sessions, CHAIR.id, None, topics=())
    await grant(running_bot.sessions, CHAIR.id, "territorial_admin", "46-01")


def texts(fake: FakeTelegram, user_id: int) -> list[str]:
    return [m.text or "" for m in fake.messages(user_id)]


async def test_regional_admin_opens_follows_reminds_extends_and_closes(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser, staff: None
) -> None:
    await fake.send_message(admin, "/monitoring")
    assert screen(fake, admin.id).text == ru.MON_NONE
    await fake.click(admin, ru.MON_OPEN_NOW)
    table = screen(fake, admin.id).text
    assert "Всего: 0 из 398 (0%)" in table
    await eventually(lambda: any("Открыт приём" in t for t in texts(fake, OFFICER_LATE.id)))

    await submit_for(running_bot.sessions, "46-01-001")
    await fake.send_message(admin, "/monitoring")
    table = screen(fake, admin.id).text
    assert "Беловская районная организация Профсоюза: 1 из 9 (11%)" in table
    assert "Организации областного подчинения: 0 из 10 (0%)" in table
    await fake.click(admin, "Беловская районная организация Профсоюза: 8")
    missing = screen(fake, admin.id).text
    assert "МКОУ «Белицкая основная общеобразовательная школа» Беловского района" in missing
    assert "Беловская средняя" not in missing  # it submitted
    assert ru.MON_NO_OFFICER.strip() in missing

    await fake.click(admin, ru.MON_REMIND)
    assert fake.callback_answers[-1]["text"] == ru.mon_reminded(1)
    await eventually(lambda: any("Напоминание" in t for t in texts(fake, OFFICER_LATE.id)))
    assert not any("Напоминание" in t for t in texts(fake, OFFICER_DONE.id))

    await fake.click(admin, ru.BACK)
    await fake.click(admin, ru.MON_EXTEND)
    assert fake.callback_answers[-1]["text"].startswith("Срок продлён до")
    await fake.click(admin, ru.MON_CLOSE)
    async with running_bot.sessions() as session:
        campaign = await session.scalar(select(Campaign))
        assert campaign is not None and campaign.status is CampaignStatus.CLOSED
    assert "Приём ответов закрыт" in screen(fake, admin.id).text


async def test_territorial_admin_sees_and_reminds_only_the_territory(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser, member: FakeUser, staff: None
) -> None:
    await fake.send_message(CHAIR, "/monitoring")
    assert screen(fake, CHAIR.id).text == ru.MON_NONE
    assert screen(fake, CHAIR.id).buttons == []  # opening is for regional admins
    await fake.send_message(admin, "/monitoring")
    await fake.click(admin, ru.MON_OPEN_NOW)
    await fake.send_message(CHAIR, "/monitoring")
    table = screen(fake, CHAIR.id)
    assert "Беловская районная организация Профсоюза: 0 из 9" in table.text
    assert "Курская городская" not in table.text
    assert ru.MON_EXTEND not in button_texts(table) and ru.MON_CLOSE not in button_texts(table)
    async with running_bot.sessions() as session:
        campaign = await session.scalar(select(Campaign))
        kursk = await orgs.get_by_code(session, "46-29")
        assert campaign is not None and kursk is not None
    await fake.send_callback(CHAIR, f"mon:d:{campaign.id}:{kursk.id}")
    assert fake.callback_answers[-1]["text"] == ru.BC_ORG_OUTSIDE
    await fake.send_callback(CHAIR, f"mon:x:{campaign.id}:0")
    assert fake.callback_answers[-1]["text"] == ru.MON_FORBIDDEN
    await fake.send_message(member, "/monitoring")
    assert screen(fake, member.id).text == ru.ADMIN_ONLY


async def test_a_new_questionnaire_file_makes_a_version_and_a_broken_one_changes_nothing(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser
) -> None:
    original = DEFAULT_QUESTIONNAIRE_PATH.read_bytes().decode("utf-8")
    await fake.send_document(admin, "quarterly.yaml", original.encode())
    assert "версия 1" in screen(fake, admin.id).text
    await fake.send_document(admin, "quarterly.yaml", original.encode())
    assert "не изменилась" in screen(fake, admin.id).text
    changed = original.replace("Комментарий к мониторингу", "Ваш комментарий к мониторингу")
    await fake.send_document(admin, "quarterly.yml", changed.encode())
    assert "версия 2" in screen(fake, admin.id).text

    broken = (
        "id: quarterly\ntitle: Анкета\nquestions:\n  - id: a\n    type: yesno\n    text: Вопрос?\n"
    )
    await fake.send_document(admin, "broken.yaml", broken.encode())
    answer = screen(fake, admin.id).text
    assert "не принята, ничего не изменено" in answer and "yesno" in answer
    async with running_bot.sessions() as session:
        versions = list(await session.scalars(select(Questionnaire.version)))
    assert sorted(versions) == [1, 2]


async def test_a_questionnaire_with_two_equal_short_names_is_refused(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser
) -> None:
    """Short names head export columns and chart series: two equal ones would merge there."""
    original = DEFAULT_QUESTIONNAIRE_PATH.read_bytes().decode("utf-8")
    doubled = original.replace("short: Группа в соцсетях", "short: сайт", 1)
    assert doubled != original
    await fake.send_document(admin, "quarterly.yaml", doubled.encode())
    answer = screen(fake, admin.id).text or ""
    assert "не принята, ничего не изменено" in answer
    assert "краткое название «сайт» уже есть у вопроса site_url" in answer
    async with running_bot.sessions() as session:
        assert list(await session.scalars(select(Questionnaire.version))) == []


async def test_an_admin_of_two_territories_follows_and_reminds_both(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser, staff: None
) -> None:
    other = FakeUser(id=600003, first_name="Большесолдатский")
    await add_member(running_bot.sessions, other.id, "46-02-001", topics=())
    await grant(running_bot.sessions, other.id, "officer", "46-02-001")
    await grant(running_bot.sessions, CHAIR.id, "territorial_admin", "46-02")
    await fake.send_message(admin, "/monitoring")
    await fake.click(admin, ru.MON_OPEN_NOW)
    await submit_for(running_bot.sessions, "46-01-001")

    await fake.send_message(CHAIR, "/monitoring")
    table = screen(fake, CHAIR.id)
    assert "Всего: 1 из 17 (6%)" in (table.text or "")
    assert "Беловская районная организация Профсоюза: 1 из 9" in (table.text or "")
    assert "Большесолдатская районная организация Профсоюза: 0 из 8" in (table.text or "")
    assert "Курская городская" not in (table.text or "")

    await fake.click(CHAIR, "Большесолдатская районная организация Профсоюза: 8")
    assert "Большесолдатская средняя" in (screen(fake, CHAIR.id).text or "")
    await fake.click(CHAIR, ru.BACK)
    await fake.click(CHAIR, ru.MON_REMIND)  # from the table: both territories
    assert fake.callback_answers[-1]["text"] == ru.mon_reminded(2)
    for officer in (OFFICER_LATE, other):
        await eventually(lambda o=officer: any("Напоминание" in t for t in texts(fake, o.id)))
    assert not any("Напоминание" in t for t in texts(fake, OFFICER_DONE.id))


async def test_monitoring_notices_stay_out_of_the_broadcast_list(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser, staff: None
) -> None:
    await fake.send_message(admin, "/monitoring")
    await fake.click(admin, ru.MON_OPEN_NOW)
    await eventually(lambda: any("Открыт приём" in t for t in texts(fake, OFFICER_LATE.id)))
    await fake.send_message(admin, "/broadcasts")
    assert screen(fake, admin.id).text == ru.BC_LIST_EMPTY  # the prompt is the bot's own
