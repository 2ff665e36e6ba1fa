"""End to end: invite links make officers; used, expired, revoked and forged links are refused."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import func, select, update

from fakeapi import FakeTelegram, FakeUser, UploadedFile
from models import OfficerInvite, Role, RoleKind, utcnow
from models.clock import FakeClock
from services import orgs
from tests.conftest import RunningBot
from tests.helpers import add_member, button_texts, grant, org_code_of, screen, submit_for
from texts import ru

pytestmark = pytest.mark.usefixtures("directory")

LINK = re.compile(r"https://t\.me/profinform_test_bot\?start=(inv_[A-Za-z0-9_-]+)")


async def invite_link(fake: FakeTelegram, admin: FakeUser, code: str) -> str:
    await fake.send_message(admin, f"/invite {code}")
    found = LINK.search(screen(fake, admin.id).text)
    assert found, screen(fake, admin.id).text
    return found.group(1)


async def officer_roles(running_bot: RunningBot) -> list[tuple[int, int | None]]:
    async with running_bot.sessions() as session:
        rows = await session.execute(
            select(Role.person_id, Role.org_id).where(Role.kind == RoleKind.OFFICER)
        )
        return [(p, o) for p, o in rows]


async def test_an_invite_makes_a_new_person_an_officer_during_onboarding(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser, member: FakeUser
) -> None:
    payload = await invite_link(fake, admin, "46-01-001")
    await fake.send_message(member, f"/start {payload}")
    await fake.click(member, "✅ Согласен(на)")
    welcome = screen(fake, member.id).text
    assert "назначены ответственным" in welcome and "Беловская" in welcome
    assert "Выберите темы" in welcome  # the organisation came with the invite
    assert await org_code_of(running_bot.sessions, member.id) == "46-01-001"
    assert len(await officer_roles(running_bot)) == 1

    second = FakeUser(id=100777, first_name="Второй")
    await fake.send_message(second, f"/start {payload}")
    await fake.click(second, "✅ Согласен(на)")
    assert ru.INVITE_REFUSED["used"] in screen(fake, second.id).text
    assert len(await officer_roles(running_bot)) == 1


async def test_expired_revoked_and_forged_links_are_refused(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser, member: FakeUser
) -> None:
    await add_member(running_bot.sessions, member.id, None)
    expired = await invite_link(fake, admin, "46-01-002")
    async with running_bot.sessions() as session:
        await session.execute(update(OfficerInvite).values(expires_at=utcnow() - timedelta(1)))
        await session.commit()
    revoked = await invite_link(fake, admin, "46-01-003")
    await fake.click(admin, ru.INVITE_REVOKE)
    assert screen(fake, admin.id).text == ru.INVITE_REVOKED
    for payload, reason in (
        (expired, "expired"),
        (revoked, "revoked"),
        ("inv_forgedtoken123", "unknown"),
    ):
        await fake.send_message(member, f"/start {payload}")
        assert screen(fake, member.id).text == ru.INVITE_REFUSED[reason]
    assert await officer_roles(running_bot) == []


async def test_a_registered_member_becomes_officer_and_keeps_their_organisation(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser, member: FakeUser
) -> None:
    await add_member(running_bot.sessions, member.id, "46-29-004")
    payload = await invite_link(fake, admin, "46-01-001")
    await fake.send_message(member, f"/start {payload}")
    assert "назначены ответственным" in screen(fake, member.id).text
    assert await org_code_of(running_bot.sessions, member.id) == "46-29-004"
    # Their own menu now has /anketa (the members' menu does not).
    [menu] = [
        call.params
        for call in fake.calls_of("setMyCommands")
        if call.params["scope"].get("chat_id") == member.id
    ]
    assert "anketa" in [command["command"] for command in menu["commands"]]
    await fake.send_message(member, "/profile")
    assert "ответственный за информационную работу" in screen(fake, member.id).text


async def test_a_territorial_admin_invites_within_the_territory_only(
    fake: FakeTelegram, running_bot: RunningBot
) -> None:
    chair = FakeUser(id=300002, first_name="Председатель")
    await add_member(running_bot.sessions, chair.id, None)
    await grant(running_bot.sessions, chair.id, "territorial_admin", "46-01")
    await fake.send_message(chair, "/invite 46-29-004")
    assert screen(fake, chair.id).text == ru.BC_ORG_OUTSIDE
    await fake.send_message(chair, "/invite 46-99-999")
    assert "не найдена" in screen(fake, chair.id).text
    await fake.send_message(chair, "/invite")
    assert screen(fake, chair.id).text == ru.INVITE_USAGE

    await fake.send_message(chair, "/invites 46-01")
    await fake.click(chair, ru.INVITES_XLSX_BUTTON)
    sent = fake.calls_of("sendDocument", chat_id=chair.id)[-1].params["document"]
    assert isinstance(sent, UploadedFile) and sent.filename == "invites_46-01.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(sent.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert rows[0][0] == "46-01"  # the territorial organisation first, then its primaries
    assert len(rows) == 1 + 8
    assert all(LINK.fullmatch(str(row[2])) for row in rows)


async def test_officers_list_and_members_refused(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser, member: FakeUser
) -> None:
    await fake.send_message(admin, "/officers")
    assert screen(fake, admin.id).text == ru.OFFICERS_NONE
    await add_member(running_bot.sessions, member.id, None)
    await grant(running_bot.sessions, member.id, "officer", "46-01-001")
    await fake.send_message(admin, "/officers")
    texts = [m.text or "" for m in fake.messages(admin.id)]
    assert any("Ответственные за информационную работу" in t and "Беловская" in t for t in texts)
    await fake.send_message(member, "/invite 46-01-001")
    assert screen(fake, member.id).text == ru.ADMIN_ONLY


async def test_invites_lists_the_open_ones_with_expiry_and_revokes_them(
    fake: FakeTelegram, running_bot: RunningBot, clock: FakeClock
) -> None:
    chair = FakeUser(id=300003, first_name="Председатель")
    await add_member(running_bot.sessions, chair.id, None)
    await grant(running_bot.sessions, chair.id, "territorial_admin", "46-01")
    await fake.send_message(chair, "/invites")  # their one territory, no code needed
    assert "Открытых приглашений нет" in (screen(fake, chair.id).text or "")

    await fake.click(chair, ru.INVITES_XLSX_BUTTON)  # 9 fresh links, valid for 30 days
    await fake.send_message(chair, "/invite 46-01-002")  # and one more
    await fake.send_message(chair, "/invites")
    listing = screen(fake, chair.id)
    assert "Всего: 10." in (listing.text or "")
    assert "1. Беловская районная организация Профсоюза — до 13.06.2026" in (listing.text or "")
    assert len([t for t in button_texts(listing) if t.startswith("✖")]) == 10
    await fake.click(chair, ru.INVITES_XLSX_BUTTON)
    await fake.send_message(chair, "/invites")
    listing = screen(fake, chair.id)
    assert "Всего: 19." in (listing.text or "")
    assert ru.INVITES_NEXT in button_texts(listing)  # 10 a page
    await fake.click(chair, ru.INVITES_NEXT)
    second = screen(fake, chair.id)
    assert "11. " in (second.text or "") and "1. Беловская" not in (second.text or "")
    await fake.click(chair, ru.INVITES_PREV)

    revoke = next(t for t in button_texts(screen(fake, chair.id)) if t.startswith("✖ 1."))
    await fake.click(chair, revoke)
    assert fake.callback_answers[-1]["text"] == ru.INVITE_REVOKED
    assert "Всего: 18." in (screen(fake, chair.id).text or "")
    async with running_bot.sessions() as session:
        revoked = await session.scalar(
            select(func.count(OfficerInvite.id)).where(OfficerInvite.revoked_at.is_not(None))
        )
    assert revoked == 1

    # Expired ones are no longer open.
    clock.advance(timedelta(days=31))
    await fake.send_message(chair, "/invites")
    assert "Открытых приглашений нет" in (screen(fake, chair.id).text or "")


async def test_invites_of_another_territory_are_refused(
    fake: FakeTelegram, running_bot: RunningBot
) -> None:
    chair = FakeUser(id=300004, first_name="Председатель")
    await add_member(running_bot.sessions, chair.id, None)
    await grant(running_bot.sessions, chair.id, "territorial_admin", "46-01")
    await grant(running_bot.sessions, chair.id, "territorial_admin", "46-02")
    await fake.send_message(chair, "/invites")
    assert screen(fake, chair.id).text == ru.INVITES_CHOOSE
    await fake.click(chair, "Большесолдатская районная организация Профсоюза")
    assert "Открытые приглашения: Большесолдатская" in (screen(fake, chair.id).text or "")
    async with running_bot.sessions() as session:
        kursk = await orgs.get_by_code(session, "46-29")
        assert kursk is not None
    await fake.send_callback(chair, f"invs:l:{kursk.id}:0:")
    assert fake.callback_answers[-1]["text"] == ru.BC_ORG_OUTSIDE
    await fake.send_message(chair, "/invites 46-29")
    assert screen(fake, chair.id).text == ru.BC_ORG_OUTSIDE


async def test_an_officer_joining_an_open_quarter_gets_the_questionnaire_at_once(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser, member: FakeUser
) -> None:
    await fake.send_message(admin, "/monitoring")
    await fake.click(admin, ru.MON_OPEN_NOW)
    await submit_for(running_bot.sessions, "46-01-002")
    payload = await invite_link(fake, admin, "46-01-001")
    await fake.send_message(member, f"/start {payload}")
    await fake.click(member, "✅ Согласен(на)")
    joined = "\n".join(m.text or "" for m in fake.messages(member.id))
    assert "назначены ответственным" in joined
    assert "Открыт приём ответов" in joined and "/anketa" in joined
    assert "Когда откроется" not in joined

    # An organisation that has submitted already needs no prompt.
    colleague = FakeUser(id=100009, first_name="Коллега")
    await add_member(running_bot.sessions, colleague.id, None)
    payload = await invite_link(fake, admin, "46-01-002")
    await fake.send_message(colleague, f"/start {payload}")
    assert "Когда откроется" in (screen(fake, colleague.id).text or "")


async def test_invite_by_part_of_a_name_within_the_admins_organisations(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser
) -> None:
    chair = FakeUser(id=300005, first_name="Председатель")
    await add_member(running_bot.sessions, chair.id, None)
    await grant(running_bot.sessions, chair.id, "territorial_admin", "46-29")
    await fake.send_message(chair, "/invite")
    usage = screen(fake, chair.id).text or ""
    assert "часть её названия" in usage and "/invite 46-01-001" in usage

    await fake.send_message(chair, "/invite гимназия 4")
    choice = screen(fake, chair.id)
    assert button_texts(choice) == ["МБОУ «Гимназия № 4» г. Курска"]
    await fake.click(chair, "МБОУ «Гимназия № 4» г. Курска")
    made = screen(fake, chair.id)
    assert "МБОУ «Гимназия № 4» г. Курска" in (made.text or "")
    assert LINK.search(made.text or "") and ru.INVITE_REVOKE in button_texts(made)

    # Only the admin's own territory is searched; a forged button is refused.
    await fake.send_message(chair, "/invite СОШ № 5")
    assert button_texts(screen(fake, chair.id)) == [
        "МБОУ «Средняя общеобразовательная школа № 5» г. Курска"
    ]
    async with running_bot.sessions() as session:
        elsewhere = await orgs.get_by_code(session, "46-30-005")
        assert elsewhere is not None
    await fake.send_callback(chair, f"invf:{elsewhere.id}")
    assert fake.callback_answers[-1]["text"] == ru.BC_ORG_OUTSIDE
    await fake.send_message(chair, "/invite школа на луне")
    assert "ничего не нашлось" in (screen(fake, chair.id).text or "")


async def test_a_formula_for_a_name_is_text_in_the_officers_workbook(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser
) -> None:
    # A Telegram name is whatever its owner typed; the workbook must not run it.
    sly = FakeUser(id=100888, first_name="=1+1", last_name="-Иванов", username="sly")
    payload = await invite_link(fake, admin, "46-01-001")
    await fake.send_message(sly, f"/start {payload}")
    await fake.click(sly, "✅ Согласен(на)")
    await fake.send_message(admin, "/officers")

    sent = fake.calls_of("sendDocument", chat_id=admin.id)[-1].params["document"]
    assert isinstance(sent, UploadedFile) and sent.filename == "officers.xlsx"
    with zipfile.ZipFile(io.BytesIO(sent.content)) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()
    sheet = openpyxl.load_workbook(io.BytesIO(sent.content)).active
    assert sheet is not None
    name = sheet.cell(2, 3)
    assert (name.value, name.data_type) == ("=1+1 -Иванов", "s")
