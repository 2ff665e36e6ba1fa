"""End to end: /reports in the admin's chat, and `python -m bot report` on the command line."""

from __future__ import annotations

import asyncio
import io
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image

from fakeapi import FakeTelegram, FakeUser, UploadedFile
from handlers.callbacks import ReportCB
from services.monitoring import campaigns
from tests.conftest import RunningBot
from tests.helpers import add_member, button_texts, eventually, grant, screen
from tests.monitoring_data import open_quarter, store_submission
from tests.test_cli import run_cli
from texts import events as events_texts
from texts import ru
from texts.questions import REPORT_BUTTON

pytestmark = pytest.mark.usefixtures("directory")

CHAIR = FakeUser(id=600019, first_name="Председатель")
GOOD = {
    "has_site": True,
    "site_url": "https://school1.ru/profsoyuz",
    "has_social_group": True,
    "social_url": "https://vk.com/club1",
    "ais_register_share": 90,
    "public_report": True,
}
POOR = {
    "has_site": False,
    "has_social_group": False,
    "ais_register_share": 40,
    "public_report": False,
}


@pytest.fixture
async def two_quarters(running_bot: RunningBot) -> None:
    """2026 Q3 and Q4; in Q4 one school of 46-01 and one of 46-02 submitted."""
    sessions = running_bot.sessions
    q3 = await open_quarter(sessions, 2026, 3)
    await store_submission(sessions, q3, "46-01-001", POOR)
    q4 = await open_quarter(sessions, 2026, 4)
    await store_submission(sessions, q4, "46-01-001", GOOD)
    await store_submission(sessions, q4, "46-02-001", POOR)


def uploads(fake: FakeTelegram, user_id: int, method: str) -> list[UploadedFile]:
    field = "photo" if method == "sendPhoto" else "document"
    found = [call.params[field] for call in fake.calls_of(method, chat_id=user_id)]
    assert all(isinstance(item, UploadedFile) for item in found)
    return found


def finished(fake: FakeTelegram, user: FakeUser) -> int:
    """How many reports the user has got: each ends by turning «Готовлю…» into «Готово»."""
    return sum(message.text == ru.REP_DONE for message in fake.messages(user.id))


async def press_and_wait(fake: FakeTelegram, user: FakeUser, button: str) -> None:
    before = finished(fake, user)
    await fake.click(user, button)
    await eventually(lambda: finished(fake, user) > before)


async def ask_for(fake: FakeTelegram, user: FakeUser, button: str) -> None:
    await fake.send_message(user, "/reports")
    await press_and_wait(fake, user, button)


async def test_regional_admin_gets_the_workbook_csv_charts_and_presidium_pdf(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser, two_quarters: None
) -> None:
    await fake.send_message(admin, "/reports")
    menu = screen(fake, admin.id)
    assert "4 квартал 2026 г." in (menu.text or "") and ru.REP_REGION in (menu.text or "")
    assert ru.REP_OLDER.format(quarter="3 кв. 2026") in button_texts(menu)

    await press_and_wait(fake, admin, ru.REP_XLSX)
    (workbook_file,) = uploads(fake, admin.id, "sendDocument")
    assert workbook_file.filename == "monitoring_2026-4.xlsx"
    workbook = load_workbook(io.BytesIO(workbook_file.content), read_only=True)
    cells = {str(c) for sheet in workbook.worksheets for row in sheet.values for c in row}
    assert "https://school1.ru/profsoyuz" in cells  # the best practice link
    assert "46-02-001" in cells

    await ask_for(fake, admin, ru.REP_CSV)
    csv_file = uploads(fake, admin.id, "sendDocument")[-1]
    assert csv_file.filename == "monitoring_2026-4.csv"
    assert csv_file.content.startswith("\ufeff".encode())

    await ask_for(fake, admin, ru.REP_CHARTS)
    photos = uploads(fake, admin.id, "sendPhoto")
    assert len(photos) == 4
    for photo in photos:
        assert Image.open(io.BytesIO(photo.content)).size[0] == 1280
    captions = "\n".join(call.params["caption"] for call in fake.calls_of("sendPhoto"))
    assert "анкеты сдали 2 из 398 (1\N{NO-BREAK SPACE}%)." in captions
    assert "по кварталам: 3 квартал 2026 г. — 4 квартал 2026 г." in captions, captions

    await ask_for(fake, admin, ru.REP_PRESIDIUM)
    pdf = uploads(fake, admin.id, "sendDocument")[-1]
    assert pdf.filename == "presidium_2026-4.pdf"
    assert pdf.content.startswith(b"%PDF")
    # The summary, four charts, the rating and the best practice of 2 submissions, the
    # territories without one named in a line: a few full pages (tests/test_reports_presidium).
    pages = pdf.content.count(b"/Type /Page\n") + pdf.content.count(b"/Type /Page ")
    assert 2 <= pages <= 4


async def test_the_quarter_arrows_switch_the_report_to_an_earlier_quarter(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser, two_quarters: None
) -> None:
    await fake.send_message(admin, "/reports")
    await fake.click(admin, ru.REP_OLDER.format(quarter="3 кв. 2026"))
    menu = screen(fake, admin.id)
    assert "3 квартал 2026 г." in (menu.text or "")
    assert ru.REP_NEWER.format(quarter="4 кв. 2026") in button_texts(menu)
    await press_and_wait(fake, admin, ru.REP_XLSX)
    (workbook_file,) = uploads(fake, admin.id, "sendDocument")
    assert workbook_file.filename == "monitoring_2026-3.xlsx"


async def test_a_territorial_admin_gets_their_territory_only(
    fake: FakeTelegram, running_bot: RunningBot, two_quarters: None
) -> None:
    await add_member(running_bot.sessions, CHAIR.id, None, topics=())
    await grant(running_bot.sessions, CHAIR.id, "territorial_admin", "46-01")
    await fake.send_message(CHAIR, "/reports")
    assert "Беловская районная организация Профсоюза" in (screen(fake, CHAIR.id).text or "")
    await press_and_wait(fake, CHAIR, ru.REP_XLSX_ALL)
    (workbook_file,) = uploads(fake, CHAIR.id, "sendDocument")
    assert workbook_file.filename == "monitoring_all_46-01.xlsx"
    workbook = load_workbook(io.BytesIO(workbook_file.content), read_only=True)
    codes = {str(c) for sheet in workbook.worksheets for row in sheet.values for c in row}
    assert "46-01-001" in codes
    assert not any(code.startswith("46-02") for code in codes)

    await ask_for(fake, CHAIR, ru.REP_PRESIDIUM)
    pdf = uploads(fake, CHAIR.id, "sendDocument")[-1]
    assert pdf.filename == "presidium_2026-4_46-01.pdf" and pdf.content.startswith(b"%PDF")


async def test_an_admin_of_two_territories_chooses_which_one_the_reports_cover(
    fake: FakeTelegram, running_bot: RunningBot, two_quarters: None
) -> None:
    await add_member(running_bot.sessions, CHAIR.id, None, topics=())
    await grant(running_bot.sessions, CHAIR.id, "territorial_admin", "46-01")
    await grant(running_bot.sessions, CHAIR.id, "territorial_admin", "46-02")
    await fake.send_message(CHAIR, "/reports")
    menu = screen(fake, CHAIR.id)
    assert "Охват: Беловская районная организация Профсоюза" in (menu.text or "")
    assert "✅ Беловская районная организация Профсоюза" in button_texts(menu)
    assert "Большесолдатская районная организация Профсоюза" in button_texts(menu)

    await fake.click(CHAIR, "Большесолдатская районная организация Профсоюза")
    menu = screen(fake, CHAIR.id)
    assert "Охват: Большесолдатская районная организация Профсоюза" in (menu.text or "")
    # The choice holds across the quarter arrows too.
    await fake.click(CHAIR, ru.REP_OLDER.format(quarter="3 кв. 2026"))
    assert "Охват: Большесолдатская" in (screen(fake, CHAIR.id).text or "")
    await fake.click(CHAIR, ru.REP_NEWER.format(quarter="4 кв. 2026"))
    await press_and_wait(fake, CHAIR, ru.REP_XLSX_ALL)
    (workbook_file,) = uploads(fake, CHAIR.id, "sendDocument")
    assert workbook_file.filename == "monitoring_all_46-02.xlsx"
    workbook = load_workbook(io.BytesIO(workbook_file.content), read_only=True)
    codes = {str(c) for sheet in workbook.worksheets for row in sheet.values for c in row}
    assert "46-02-001" in codes
    assert not any(code.startswith("46-01") for code in codes)

    # A forged territory that is not theirs falls back to their own.
    forged = ReportCB(kind="xlsx-all", campaign=0, org=999).pack()
    before = finished(fake, CHAIR)
    await fake.send_callback(CHAIR, forged)
    await eventually(lambda: finished(fake, CHAIR) > before)
    assert uploads(fake, CHAIR.id, "sendDocument")[-1].filename == "monitoring_all_46-01.xlsx"


async def test_without_a_campaign_only_subscriber_statistics_are_offered(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser, member: FakeUser
) -> None:
    await add_member(running_bot.sessions, member.id, "46-01-001", topics=("news",))
    await fake.send_message(admin, "/reports")
    menu = screen(fake, admin.id)
    # questions and seminars need no campaign either
    assert button_texts(menu) == [ru.REP_SUBSCRIBERS, REPORT_BUTTON, events_texts.REPORT_BUTTON]
    await press_and_wait(fake, admin, ru.REP_SUBSCRIBERS)
    (photo,) = uploads(fake, admin.id, "sendPhoto")
    assert photo.content.startswith(b"\x89PNG")
    caption = fake.calls_of("sendPhoto", chat_id=admin.id)[0].params["caption"]
    # The member, and the listed admin, recorded as a person by their first message.
    assert caption.startswith("Участников: 2, получают рассылки: 2, заблокировали бота: 0.")
    (workbook_file,) = uploads(fake, admin.id, "sendDocument")
    workbook = load_workbook(io.BytesIO(workbook_file.content), read_only=True)
    topics = {row[0]: row[1] for row in workbook.worksheets[0].values}
    assert topics["Новости профсоюзных органов"] == 1


async def test_a_forged_report_button_is_refused_and_members_have_no_reports(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser, member: FakeUser
) -> None:
    await fake.send_message(admin, "/reports")
    await fake.send_callback(admin, ReportCB(kind="everything", campaign=0).pack())
    assert fake.callback_answers[-1]["text"] == ru.REP_STALE
    assert not fake.calls_of("sendDocument")

    await fake.send_callback(admin, ReportCB(kind="xlsx", campaign=987654).pack())
    await eventually(lambda: finished_with(fake, admin, ru.REP_STALE))  # a campaign gone
    assert not fake.calls_of("sendDocument")

    await add_member(running_bot.sessions, member.id, "46-01-001")
    await fake.send_message(member, "/reports")
    reply = fake.last_message(member.id)
    assert reply.buttons == [] and "Отчёты" not in (reply.text or "")
    await fake.send_callback(member, ReportCB(kind="xlsx", campaign=0).pack())
    assert not fake.calls_of("sendDocument") and not fake.calls_of("sendPhoto")


def finished_with(fake: FakeTelegram, user: FakeUser, text: str) -> bool:
    return any(message.text == text for message in fake.messages(user.id))


# --- the command line (the real `python -m bot report`, in a subprocess) ------------------


def report(url: str, *args: str, out: Path) -> subprocess.CompletedProcess[str]:
    return run_cli("report", *args, "--out", str(out), cwd=out.parent, DATABASE_URL=url)


async def test_cli_writes_the_report_files(
    running_bot: RunningBot, two_quarters: None, migrated_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "reports"
    result = await asyncio.to_thread(report, migrated_url, "presidium", out=out)
    assert result.returncode == 0, result.stderr
    assert (out / "presidium_2026-4.pdf").read_bytes().startswith(b"%PDF")
    args = ("xlsx", "--year", "2026", "--quarter", "3", "--territory", "46-01")
    result = await asyncio.to_thread(report, migrated_url, *args, out=out)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [str(out / "monitoring_2026-3_46-01.xlsx")]
    workbook = load_workbook(out / "monitoring_2026-3_46-01.xlsx", read_only=True)
    codes = {str(c) for sheet in workbook.worksheets for row in sheet.values for c in row}
    assert "46-01-001" in codes and not any(code.startswith("46-02") for code in codes)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("xlsx", "--quarter", "2"), "Укажите и год"),
        (("xlsx", "--year", "2026"), "Укажите и квартал"),
        (("xlsx", "--year", "2025", "--quarter", "1"), "за 1 квартал 2025 г. не проводился"),
        (("csv", "--territory", "46-99"), "Нет территориальной организации с кодом «46-99»"),
        (("csv", "--territory", "46-01-001"), "Нет территориальной организации"),
        (("subscribers", "--year", "2026", "--quarter", "4"), "всегда на сегодня"),
        (("subscribers", "--quarter", "4"), "всегда на сегодня"),
        (("pdf",), "invalid choice: 'pdf'"),
        (("xlsx", "--quarter", "5"), "invalid choice: 5"),
    ],
)
async def test_cli_says_what_is_wrong_with_bad_arguments(
    running_bot: RunningBot,
    two_quarters: None,
    migrated_url: str,
    tmp_path: Path,
    args: tuple[str, ...],
    message: str,
) -> None:
    out = tmp_path / "reports"
    result = await asyncio.to_thread(report, migrated_url, *args, out=out)
    assert result.returncode in (1, 2)  # 2: argparse's own usage error
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


async def test_cli_territory_is_the_same_subtree_for_monitoring_and_subscribers(
    running_bot: RunningBot, two_quarters: None, migrated_url: str, tmp_path: Path
) -> None:
    """`--territory 46` (the regional organisation) is its directly subordinate primaries in
    the monitoring export and in the subscriber statistics alike; 46-01 its district."""
    members = {700001: "46-01-001", 700002: "46-00-001", 700003: "46-29-004", 700004: "46-01"}
    for telegram_id, org in members.items():
        await add_member(running_bot.sessions, telegram_id, org, topics=("news",))
    async with running_bot.sessions() as session:
        q4 = await campaigns.current(session)
        assert q4 is not None and q4.quarter == 4
    await store_submission(running_bot.sessions, q4.id, "46-00-001", GOOD)
    out = tmp_path / "reports"
    for code, inside, outside, subscribers in (
        ("46", "46-00-", "46-01-", 1),  # 46-00-001's member; not 46-01's own
        ("46-01", "46-01-", "46-00-", 2),  # 46-01-001's member and 46-01's own
    ):
        result = await asyncio.to_thread(
            report, migrated_url, "xlsx", "--territory", code, out=out
        )
        assert result.returncode == 0, result.stderr
        workbook = load_workbook(out / f"monitoring_2026-4_{code}.xlsx", read_only=True)
        codes = {str(c) for sheet in workbook.worksheets for row in sheet.values for c in row}
        assert any(c.startswith(inside) for c in codes)
        assert not any(c.startswith((outside, "46-29-")) for c in codes)

        result = await asyncio.to_thread(
            report, migrated_url, "subscribers", "--territory", code, out=out
        )
        assert result.returncode == 0, result.stderr
        [xlsx] = [Path(line) for line in result.stdout.splitlines() if line.endswith(".xlsx")]
        assert xlsx.name == f"subscribers_2026-05-14_{code}.xlsx"  # the tests' clock
        topics = {row[0]: row[1] for row in load_workbook(xlsx).worksheets[0].values}
        assert topics["Новости профсоюзных органов"] == subscribers


async def test_cli_without_any_campaign(migrated_url: str, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    result = await asyncio.to_thread(report, migrated_url, "xlsx", out=out)
    assert result.returncode == 1
    assert "Мониторинг ещё не проводился" in result.stderr


def test_the_cli_offers_every_report_kind() -> None:
    """bot/__main__.py spells the kinds out (so --help imports no matplotlib): keep them equal."""
    from bot.__main__ import REPORT_KINDS
    from services.reports.build import ReportKind

    assert set(REPORT_KINDS) == {kind.value for kind in ReportKind}
