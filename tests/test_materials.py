"""End to end: admins add materials to the library (a document, a forwarded one, a link, a file
over 20 MB), announce, edit, hide and delete them; members browse, search and open them."""

from __future__ import annotations

import asyncio
import io
import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import Settings
from fakeapi import FakeTelegram, FakeUser, UploadedFile
from models import AuditEntry, Broadcast, Delivery, Material, MaterialAudience
from models.clock import FakeClock
from services import orgs
from tests.conftest import ADMIN_ID, TEST_NOW, TOKEN, RunningBot
from tests.helpers import add_member, button_texts, eventually, grant, screen
from texts import materials as t

pytestmark = pytest.mark.usefixtures("directory")

BELOVSKY_SCHOOL = "46-01-001"  # a primary organisation of the Беловский district (46-01)
BELOVSKY = "46-01"
KURSK_SCHOOL = "46-29-004"
PDF = b"%PDF-1.4 fake memo about membership"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    """The bot keeps its copies of the files in the test's own folder."""
    return settings.model_copy(update={"files_dir": tmp_path / "files"})


async def only_material(running_bot: RunningBot) -> Material:
    async with running_bot.sessions() as session:
        found = list(await session.scalars(select(Material)))
    assert len(found) == 1
    return found[0]


async def add_document(
    fake: FakeTelegram,
    admin: FakeUser,
    title: str,
    category: str = "Мотивация профчленства",
    audience: str = t.AUDIENCE_ALL,
    *,
    content: bytes = PDF,
    caption: str | None = "Памятка о мотивации профсоюзного членства",
    forwarded_from: FakeUser | None = None,
) -> None:
    await fake.send_message(admin, "/material_add")
    assert "Новый материал" in screen(fake, admin.id).text
    await fake.send_document(
        admin, "memo.pdf", content, caption=caption, forwarded_from=forwarded_from
    )
    assert t.ASK_TITLE in screen(fake, admin.id).text
    await fake.send_message(admin, title)
    await fake.click(admin, category)
    await fake.click(admin, audience)


async def test_document_added_announced_searched_opened(
    fake: FakeTelegram,
    running_bot: RunningBot,
    admin: FakeUser,
    member: FakeUser,
    settings: Settings,
) -> None:
    sessions = running_bot.sessions
    await add_member(sessions, member.id, BELOVSKY_SCHOOL, topics={"education"})
    await add_member(sessions, 200002, KURSK_SCHOOL, topics={"news"})  # not subscribed

    await add_document(fake, admin, "Мотивация профчленства: памятка")
    card = screen(fake, admin.id)
    assert "Копия файла сохранена у бота" in card.text
    assert t.ANNOUNCE in button_texts(card)
    material = await only_material(running_bot)
    assert material.title == "Мотивация профчленства: памятка"
    assert material.audience is MaterialAudience.ALL
    assert material.territory_id is None  # a regional admin's material is regional
    assert material.description == "Памятка о мотивации профсоюзного членства"
    assert material.stored_path is not None
    assert (settings.files_dir / material.stored_path).read_bytes() == PDF
    assert fake.calls_of("getFile", file_id=material.file_id)

    await fake.click(admin, t.ANNOUNCE)
    assert "Обучение и семинары" in screen(fake, admin.id).text
    running_bot.wake_worker()
    announcement = await eventually(lambda: fake.last_message(member.id))
    assert "Мотивация профчленства: памятка" in (announcement.text or "")
    assert button_texts(announcement) == [t.OPEN]
    assert not fake.messages(200002)
    async with sessions() as session:
        broadcast = await session.scalar(select(Broadcast))
        assert broadcast is not None and broadcast.total == 1
        assert await session.scalar(select(Delivery.person_id)) is not None

    uploads_before = len(fake.calls_of("sendDocument"))
    await fake.click(member, t.OPEN)
    sent = screen(fake, member.id)
    assert sent.kind == "document"
    assert "Мотивация профчленства: памятка" in (sent.caption or "")
    sends = fake.calls_of("sendDocument", chat_id=member.id)
    assert len(fake.calls_of("sendDocument")) == uploads_before + 1
    assert sends[-1].params["document"] == material.file_id  # by file_id: no re-upload
    assert (await only_material(running_bot)).opens == 1

    await fake.send_message(member, "/materials")
    assert "Мотивация профчленства (1)" in button_texts(screen(fake, member.id))
    await fake.send_message(member, "МОТИВАЦИЯ памятка")
    found = screen(fake, member.id)
    assert "найдено: 1" in found.text
    assert "Мотивация профчленства: памятка" in button_texts(found)
    await fake.send_message(member, "ЧЛЕНСТВА")  # from the description
    assert "найдено: 1" in screen(fake, member.id).text
    await fake.send_message(member, "охрана")
    assert "ничего не найдено" in screen(fake, member.id).text

    await fake.send_message(member, "/materials")
    await fake.click(member, "Мотивация профчленства (1)")
    await fake.click(member, "Мотивация профчленства: памятка")
    assert screen(fake, member.id).kind == "document"
    assert (await only_material(running_bot)).opens == 2


async def test_edit_hide_delete_and_forged_buttons(
    fake: FakeTelegram,
    running_bot: RunningBot,
    admin: FakeUser,
    member: FakeUser,
    settings: Settings,
) -> None:
    sessions = running_bot.sessions
    await add_member(sessions, member.id, BELOVSKY_SCHOOL)
    author = FakeUser(id=300001, first_name="Автор")
    await add_document(fake, admin, "Старое название", forwarded_from=author)
    material = await only_material(running_bot)

    await fake.click(admin, t.EDIT_TITLE)
    await fake.send_message(admin, "   ")
    await fake.send_message(admin, "x" * 201)
    assert t.BAD_TITLE in screen(fake, admin.id).text
    await fake.send_message(admin, "Правовая памятка")
    assert "Правовая памятка" in screen(fake, admin.id).text
    await fake.click(admin, t.EDIT_CATEGORY)
    await fake.click(admin, "Правовая работа")
    assert "Раздел: Правовая работа" in screen(fake, admin.id).text
    edited = await only_material(running_bot)
    assert edited.title == "Правовая памятка"
    assert "правовая" in edited.search_text

    # A member cannot press an admin's buttons: forged callbacks change nothing.
    for action in ("h", "d", "y", "t", "a"):
        await fake.send_callback(member, f"mat:{action}:{material.id}:0:")
    untouched = await only_material(running_bot)
    assert (untouched.hidden, untouched.title) == (False, "Правовая памятка")
    async with sessions() as session:
        assert await session.scalar(select(Broadcast)) is None  # no announcement either

    await fake.click(admin, t.HIDE)
    assert "Скрыт" in screen(fake, admin.id).text
    assert (await only_material(running_bot)).hidden is True
    await fake.send_message(member, "/materials")
    assert not button_texts(screen(fake, member.id))
    await fake.send_callback(member, f"mat:o:{material.id}:0:")
    assert not fake.calls_of("sendDocument", chat_id=member.id)
    assert (await only_material(running_bot)).opens == 0

    await fake.click(admin, t.SHOW)
    await fake.send_message(member, "/materials")
    assert "Правовая работа (1)" in button_texts(screen(fake, member.id))

    assert material.stored_path is not None
    copy = settings.files_dir / material.stored_path
    assert copy.exists()
    await fake.click(admin, t.DELETE)
    await fake.click(admin, t.DELETE_YES)
    assert "удалён" in screen(fake, admin.id).text
    async with sessions() as session:
        assert await session.scalar(select(Material)) is None
    assert not copy.exists()
    async with sessions() as session:
        journal = (await session.execute(select(AuditEntry.kind, AuditEntry.details))).all()
    assert [(kind.value, details.get("change")) for kind, details in journal] == [
        ("material_added", None),
        ("material_changed", "название"),
        ("material_changed", "раздел"),
        ("material_changed", "скрыт"),
        ("material_changed", "показан"),
        ("material_deleted", None),
    ]
    assert {details["material"] for _, details in journal} == {material.id}
    # The member's old button now answers politely, nothing is sent.
    await fake.send_callback(member, f"mat:o:{material.id}:0:")
    assert not fake.calls_of("sendDocument", chat_id=member.id)


async def test_territory_and_activists_see_their_own(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser
) -> None:
    sessions = running_bot.sessions
    territorial = FakeUser(id=400001, first_name="Тер", last_name="Админ")
    officer = FakeUser(id=400002, first_name="Отв")
    outsider = FakeUser(id=400003, first_name="Курск")
    await add_member(sessions, territorial.id, BELOVSKY_SCHOOL)
    await grant(sessions, territorial.id, "territorial_admin", BELOVSKY)
    await add_member(sessions, member.id, BELOVSKY_SCHOOL, topics={"education"})
    await add_member(sessions, officer.id, BELOVSKY_SCHOOL)
    await grant(sessions, officer.id, "officer", BELOVSKY_SCHOOL)
    await add_member(sessions, outsider.id, KURSK_SCHOOL, topics={"education"})

    await add_document(fake, territorial, "Для всех Беловского района")
    await fake.click(territorial, t.ANNOUNCE)
    running_bot.wake_worker()
    announced = await eventually(lambda: fake.last_message(member.id))
    assert button_texts(announced) == [t.OPEN]
    async with sessions() as session:
        assert await session.scalar(select(Broadcast.total)) == 1  # the territory only
    await add_document(
        fake, territorial, "Только для актива", "Работа в АИС", t.AUDIENCE_ACTIVISTS
    )
    assert t.ANNOUNCE not in button_texts(screen(fake, territorial.id))
    async with sessions() as session:
        rows = list(await session.scalars(select(Material)))
        belovsky = await orgs.get_by_code(session, BELOVSKY)
    assert belovsky is not None
    assert [m.territory_id for m in rows] == [belovsky.id, belovsky.id]

    await fake.send_message(member, "/materials")
    assert button_texts(screen(fake, member.id)) == ["Мотивация профчленства (1)"]
    await fake.send_message(member, "актива")
    assert "ничего не найдено" in screen(fake, member.id).text
    await fake.send_message(officer, "/materials")
    assert set(button_texts(screen(fake, officer.id))) == {
        "Мотивация профчленства (1)",
        "Работа в АИС (1)",
    }
    await fake.send_message(outsider, "/materials")
    assert not button_texts(screen(fake, outsider.id))
    await fake.send_message(outsider, "Беловского")
    assert "ничего не найдено" in screen(fake, outsider.id).text
    for material in rows:
        await fake.send_callback(outsider, f"mat:o:{material.id}:0:")
        await fake.send_callback(member, f"mat:h:{material.id}:0:")
    assert not fake.calls_of("sendDocument", chat_id=outsider.id)
    async with sessions() as session:
        assert all(not m.hidden and m.opens == 0 for m in await session.scalars(select(Material)))


async def test_link_and_too_big_file(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser, member: FakeUser
) -> None:
    await add_member(running_bot.sessions, member.id, BELOVSKY_SCHOOL)
    await fake.send_message(admin, "/material_add")
    await fake.send_message(admin, "просто текст")
    assert t.BAD_CONTENT in screen(fake, admin.id).text
    await fake.send_message(admin, "Вебинар по охране труда https://example.org/webinar")
    await fake.send_message(admin, "Вебинар: охрана труда")
    await fake.click(admin, "Охрана труда")
    await fake.click(admin, t.AUDIENCE_ALL)
    link = await only_material(running_bot)
    assert link.url == "https://example.org/webinar"
    assert link.stored_path is None

    await fake.send_message(member, "/materials")
    await fake.click(member, "Охрана труда (1)")
    await fake.click(member, "Вебинар: охрана труда")
    assert "https://example.org/webinar" in screen(fake, member.id).text

    big = b"0" * (20 * 1024 * 1024 + 1)
    await fake.send_message(admin, "/material_add")
    await fake.send_document(admin, "big.mp4.zip", big, caption=None)
    assert "больше 20 МБ" in screen(fake, admin.id).text
    await fake.send_message(admin, "Большой архив")
    await fake.click(admin, "Молодёжь")
    await fake.click(admin, t.AUDIENCE_ALL)
    assert "больше 20 МБ" in screen(fake, admin.id).text
    async with running_bot.sessions() as session:
        heavy = await session.scalar(select(Material).where(Material.title == "Большой архив"))
    assert heavy is not None and heavy.stored_path is None and heavy.file_id is not None
    assert not fake.calls_of("getFile", file_id=heavy.file_id)


async def run_cli_async(*args: str, **env: str) -> tuple[int, str, str]:
    """`python -m bot …` in a subprocess while the fake API keeps serving on this loop."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k.upper() not in {f.upper() for f in Settings.model_fields}
    }
    clean["PYTHONPATH"] = str(ROOT)
    clean["CLOCK_NOW"] = TEST_NOW.isoformat()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=str(ROOT),
        env={**clean, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    return int(process.returncode or 0), out.decode(), err.decode()


async def test_reupload_refreshes_file_ids(
    fake: FakeTelegram,
    running_bot: RunningBot,
    admin: FakeUser,
    member: FakeUser,
    settings: Settings,
) -> None:
    await add_member(running_bot.sessions, member.id, BELOVSKY_SCHOOL)
    await add_document(fake, admin, "Памятка для переноса")
    await fake.send_message(admin, "/material_add")
    await fake.send_document(admin, "big.zip", b"0" * (20 * 1024 * 1024 + 1))
    await fake.send_message(admin, "Большой файл")
    await fake.click(admin, "Молодёжь")
    await fake.click(admin, t.AUDIENCE_ALL)
    async with running_bot.sessions() as session:
        before = await session.scalar(select(Material).where(Material.stored_path.is_not(None)))
    assert before is not None
    old_id = before.file_id

    code, out, err = await run_cli_async(
        "materials",
        "reupload",
        BOT_TOKEN=TOKEN,
        DATABASE_URL=settings.database_url,
        TELEGRAM_API_URL=fake.base_url,
        ADMIN_IDS=str(ADMIN_ID),
        FILES_DIR=str(settings.files_dir),
    )
    assert code == 0, err
    assert "отправлены заново: 1" in out
    assert "больше 20 МБ, их нужно прислать заново): 1" in out
    async with running_bot.sessions() as session:
        after = await session.get(Material, before.id)
    assert after is not None and after.file_id != old_id
    uploaded = fake.world.files[after.file_id]
    assert uploaded.content == PDF  # the bot's own copy went up, not the old id
    assert isinstance(
        fake.calls_of("sendDocument", chat_id=ADMIN_ID)[-1].params["document"], UploadedFile
    )
    assert fake.calls_of("deleteMessage", chat_id=ADMIN_ID)

    await fake.send_message(member, "/materials")
    await fake.click(member, "Мотивация профчленства (1)")
    await fake.click(member, "Памятка для переноса")
    assert fake.calls_of("sendDocument", chat_id=member.id)[-1].params["document"] == after.file_id


async def test_subscriber_statistics_show_the_most_opened_materials(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser, member: FakeUser
) -> None:
    from openpyxl import load_workbook

    from tests.test_reports_chat import press_and_wait, uploads
    from texts import ru

    await add_member(running_bot.sessions, member.id, BELOVSKY_SCHOOL)
    await add_document(fake, admin, "Памятка <для> профгрупоргов")
    await add_document(fake, admin, "Охрана труда в школе", "Охрана труда")
    await add_document(fake, admin, "Никто не открывал", "Молодёжь")
    await fake.send_message(member, "/materials")
    await fake.click(member, "Охрана труда (1)")
    for _ in range(2):
        await fake.click(member, "Охрана труда в школе")
        assert screen(fake, member.id).kind == "document"
        await fake.click(member, ru.BACK)
        assert "Охрана труда</b>" in screen(fake, member.id).text  # the list again, below
    await fake.send_message(member, "памятка")
    await fake.click(member, "Памятка <для> профгрупоргов")

    await fake.send_message(admin, "/reports")
    await press_and_wait(fake, admin, ru.REP_SUBSCRIBERS)
    caption = fake.calls_of("sendPhoto", chat_id=admin.id)[-1].params["caption"]
    assert "Чаще всего открывали материалы:\n• Охрана труда в школе — 2\n" in caption
    assert "• Памятка &lt;для&gt; профгрупоргов — 1" in caption
    assert "Никто не открывал" not in caption
    workbook_file = uploads(fake, admin.id, "sendDocument")[-1]
    book = load_workbook(io.BytesIO(workbook_file.content), read_only=True)
    top = [row for row in book[t.REPORT_TOP].values]
    assert top == [
        ("Материал", "Раздел", "Открытий"),
        ("Охрана труда в школе", "Охрана труда", 2),
        ("Памятка <для> профгрупоргов", "Мотивация профчленства", 1),
    ]
    per_category = {row[0]: row[1:] for row in book[t.REPORT_BY_CATEGORY].values}
    assert per_category["Охрана труда"] == (1, 2)
    assert per_category["Молодёжь"] == (1, 0)
    assert per_category["Правовая работа"] == (0, 0)


async def test_forget_keeps_the_material_not_its_author(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser
) -> None:
    from texts import ru

    territorial = FakeUser(id=400001, first_name="Тер", last_name="Админ")
    await add_member(running_bot.sessions, territorial.id, BELOVSKY_SCHOOL)
    await grant(running_bot.sessions, territorial.id, "territorial_admin", BELOVSKY)
    await add_document(fake, territorial, "Останется после автора")
    assert (await only_material(running_bot)).author_telegram_id == territorial.id
    await fake.send_message(territorial, "/forget")
    await fake.click(territorial, ru.FORGET_YES)
    kept = await only_material(running_bot)
    assert kept.title == "Останется после автора" and kept.author_telegram_id is None


async def test_pages_newest_first_search_pages_photo_and_stale_buttons(
    fake: FakeTelegram,
    running_bot: RunningBot,
    admin: FakeUser,
    member: FakeUser,
    clock: FakeClock,
) -> None:
    from datetime import timedelta

    from texts import ru

    await add_member(running_bot.sessions, member.id, BELOVSKY_SCHOOL)
    for number in range(1, 11):
        await add_document(fake, admin, f"Семинар молодёжи №{number}", "Молодёжь")
        clock.advance(timedelta(minutes=1))
    await fake.send_message(member, "/materials")
    await fake.click(member, "Молодёжь (10)")
    first = screen(fake, member.id)
    assert "стр. 1 из 2" in first.text
    titles = [text for text in button_texts(first) if text.startswith("Семинар")]
    assert titles == [f"Семинар молодёжи №{n}" for n in range(10, 2, -1)]  # newest first
    await fake.click(member, ru.NEXT)
    second = screen(fake, member.id)
    assert [x for x in button_texts(second) if x.startswith("Семинар")] == [
        "Семинар молодёжи №2",
        "Семинар молодёжи №1",
    ]
    await fake.click(member, ru.PREV)
    assert "стр. 1 из 2" in screen(fake, member.id).text

    await fake.send_message(member, "СЕМИНАР Молодежи")  # ё typed as е
    found = screen(fake, member.id)
    assert "найдено: 10 (стр. 1 из 2)" in found.text
    await fake.click(member, ru.NEXT)
    assert "стр. 2 из 2" in screen(fake, member.id).text
    await fake.click(member, t.TO_CATEGORIES)
    assert t.MENU in screen(fake, member.id).text

    await fake.send_message(admin, "/material_add")
    await fake.send_photo(admin, caption="Плакат к акции")
    await fake.send_message(admin, "Плакат")
    await fake.click(admin, "Информационная работа и PR")
    await fake.click(admin, t.AUDIENCE_ALL)
    # The audience buttons again, on the screen that is already done: nothing more is added.
    await fake.send_callback(admin, f"mat:u:0:0:{MaterialAudience.ALL.value}")
    await fake.send_callback(admin, "mat:k:0:0:1")
    answers = [str(a.get("text", "")) for a in fake.api.callback_answers[-2:]]
    assert answers == [t.ADD_STALE, t.ADD_STALE]
    async with running_bot.sessions() as session:
        posters = list(await session.scalars(select(Material).where(Material.title == "Плакат")))
    assert len(posters) == 1 and posters[0].stored_path is not None
    await fake.send_message(member, "плакат")
    await fake.click(member, "Плакат")
    assert screen(fake, member.id).kind == "photo"
    assert fake.calls_of("sendPhoto", chat_id=member.id)[-1].params["photo"] == posters[0].file_id


def test_the_benchmark_still_runs() -> None:
    """Not a timing test (the figures are in the README): the script keeps working."""
    import json
    import subprocess

    done = subprocess.run(
        [sys.executable, "-m", "bench.materials", "--materials", "300", "--rounds", "5"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode in (0, 1), done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["materials"] == 300
    assert {"menu_p95_ms", "page_p95_ms", "search_p95_ms"} <= set(figures)
