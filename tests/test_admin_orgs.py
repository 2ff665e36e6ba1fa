"""End to end: a regional admin loads and exports the directory in the chat; others cannot."""

from __future__ import annotations

from fakeapi import FakeTelegram, FakeUser, UploadedFile
from models import Organization
from tests.conftest import SAMPLE_ORGS, RunningBot
from tests.helpers import count, screen
from texts import ru

BAD_CSV = (
    "code,parent_code,level,name\n"
    "46,,regional,Областная\n"
    "46-01,46,territorial,\n"  # line 3: empty name
    "46-02,99,territorial,Район\n"  # line 4: unknown parent
    "46-03,46,district,Город\n"  # line 5: unknown level
).encode()


async def test_admin_imports_the_directory_by_sending_a_file(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser
) -> None:
    await fake.send_document(admin, "kursk_orgs.csv", SAMPLE_ORGS.read_bytes())
    texts = [m.text for m in fake.messages(admin.id)]
    assert "Проверяю файл «kursk_orgs.csv»" in texts[0]
    assert "Справочник обновлён" in texts[-1]
    assert "Добавлено: 399, изменено: 0, без изменений: 0" in texts[-1]
    assert await count(running_bot.sessions, Organization) == 399

    await fake.send_document(admin, "kursk_orgs.csv", SAMPLE_ORGS.read_bytes())
    assert "Добавлено: 0, изменено: 0, без изменений: 399" in screen(fake, admin.id).text


async def test_a_bad_file_is_rejected_with_every_line_and_nothing_written(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser
) -> None:
    await fake.send_document(admin, "orgs.csv", BAD_CSV)
    answer = screen(fake, admin.id).text
    assert "не загружен, ничего не изменено" in answer
    for line in ("Строка 3", "Строка 4", "Строка 5"):
        assert line in answer
    assert await count(running_bot.sessions, Organization) == 0


async def test_a_file_of_another_kind_is_refused(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser
) -> None:
    await fake.send_document(admin, "orgs.pdf", b"%PDF-1.4")
    assert screen(fake, admin.id).text == ru.ORGS_BAD_TYPE


async def test_a_member_cannot_import(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser
) -> None:
    await fake.send_document(member, "kursk_orgs.csv", SAMPLE_ORGS.read_bytes())
    assert screen(fake, member.id).text == ru.FILES_ADMIN_ONLY
    await fake.send_message(member, "/orgs")
    assert screen(fake, member.id).text == ru.ADMIN_ONLY
    assert await count(running_bot.sessions, Organization) == 0
    assert not fake.calls_of("getFile")


async def test_orgs_command_exports_a_file_that_imports_back_unchanged(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser
) -> None:
    await fake.send_document(admin, "kursk_orgs.csv", SAMPLE_ORGS.read_bytes())
    await fake.send_message(admin, "/orgs")
    info = [m.text for m in fake.messages(admin.id)][-2]
    assert "Областных: 1, территориальных: 33, первичных: 365" in info
    sent = fake.calls_of("sendDocument", chat_id=admin.id)[-1].params
    document = sent["document"]
    assert isinstance(document, UploadedFile) and document.filename == "organizations.xlsx"
    assert sent["caption"] == "Справочник организаций (399 шт.)"

    await fake.send_document(admin, "organizations.xlsx", document.content)
    assert "без изменений: 399" in screen(fake, admin.id).text
