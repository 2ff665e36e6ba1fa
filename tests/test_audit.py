"""End to end: the audit trail of admin actions: what is recorded, /audit in the chat, the
`python -m bot audit` CSV, and /forget of an admin."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fakeapi import FakeTelegram, FakeUser
from models import AuditEntry, AuditKind, AuditVia, Broadcast, Person
from models.clock import FakeClock
from services import audit
from tests.conftest import SAMPLE_ORGS, TEST_NOW, RunningBot
from tests.helpers import add_member, button_texts, eventually, grant, person_of, screen
from tests.test_cli import run_cli
from texts import ru

LINK = re.compile(r"https://t\.me/profinform_test_bot\?start=(inv_[A-Za-z0-9_-]+)")
NEWS_TEXT = "Профсоюз добился индексации зарплат"
LATER_TEXT = "Собрание профактива в пятницу"
CHAIR = FakeUser(id=600009, first_name="Председатель")
SUBSCRIBER = 200001


async def stored(sessions: async_sessionmaker[AsyncSession]) -> list[AuditEntry]:
    async with sessions() as session:
        return list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def at_minute(clock: FakeClock, minute: int) -> None:
    """Each action of the day a minute after the previous one, from 12:00 Moscow time."""
    clock.set(TEST_NOW + timedelta(minutes=minute))


def entry_lines(text: str) -> list[str]:
    """The journal's entries as «date time · who» lines (the description follows each)."""
    return [
        line for line in text.splitlines() if re.match(r"\d\d\.\d\d\.\d{4} \d\d:\d\d · ", line)
    ]


async def a_day_of_an_admin(
    fake: FakeTelegram,
    running_bot: RunningBot,
    admin: FakeUser,
    member: FakeUser,
    clock: FakeClock,
) -> None:
    """Directory, a broadcast sent, one scheduled and cancelled, invites created, revoked and
    used, a campaign opened, reminded, extended and closed, a report exported."""
    await add_member(running_bot.sessions, admin.id, None, topics=())

    at_minute(clock, 1)
    await fake.send_document(admin, SAMPLE_ORGS.name, SAMPLE_ORGS.read_bytes())
    assert "Справочник обновлён" in screen(fake, admin.id).text
    await add_member(running_bot.sessions, SUBSCRIBER, "46-01-001")

    at_minute(clock, 2)
    await fake.send_message(admin, "/broadcast")
    await fake.send_message(admin, NEWS_TEXT)
    await fake.click(admin, ru.BC_KIND_NEWS)
    await fake.click(admin, ru.BC_NEXT)
    await fake.click(admin, ru.BC_AUDIENCE_ALL)
    await fake.click(admin, ru.BC_SEND_NOW)
    await eventually(lambda: any(NEWS_TEXT in (m.text or "") for m in fake.messages(SUBSCRIBER)))

    at_minute(clock, 3)
    await fake.send_message(admin, "/broadcast")
    await fake.send_message(admin, LATER_TEXT)
    await fake.click(admin, ru.BC_KIND_NEWS)
    await fake.click(admin, ru.BC_NEXT)
    await fake.click(admin, ru.BC_AUDIENCE_ALL)
    await fake.click(admin, ru.BC_SCHEDULE)
    await fake.send_message(admin, "15.05.2026 10:00")
    card = screen(fake, admin.id)
    assert "запланирована на 15.05.2026 10:00" in card.text

    at_minute(clock, 4)
    await fake.click(admin, ru.BC_STOP, message_id=card.message_id)
    assert fake.callback_answers[-1]["text"] == ru.BC_CANCELLED

    at_minute(clock, 5)
    await fake.send_message(admin, "/invite 46-01-001")
    assert LINK.search(screen(fake, admin.id).text)
    at_minute(clock, 6)
    await fake.click(admin, ru.INVITE_REVOKE)
    assert screen(fake, admin.id).text == ru.INVITE_REVOKED
    at_minute(clock, 7)
    await fake.send_message(admin, "/invite 46-01-002")
    found = LINK.search(screen(fake, admin.id).text)
    assert found
    at_minute(clock, 8)
    await fake.send_message(member, f"/start {found.group(1)}")
    await fake.click(member, ru.CONSENT_YES)
    assert "назначены ответственным" in screen(fake, member.id).text

    at_minute(clock, 9)
    await fake.send_message(admin, "/monitoring")
    await fake.click(admin, ru.MON_OPEN_NOW)
    at_minute(clock, 10)
    await fake.click(admin, ru.MON_REMIND)
    at_minute(clock, 11)
    await fake.click(admin, ru.MON_EXTEND)
    at_minute(clock, 12)
    await fake.click(admin, ru.MON_CLOSE)
    assert "Приём ответов закрыт" in screen(fake, admin.id).text

    at_minute(clock, 13)
    await fake.send_message(admin, "/reports")
    await fake.click(admin, ru.REP_CSV)
    await eventually(lambda: any(m.text == ru.REP_DONE for m in fake.messages(admin.id)))
    at_minute(clock, 14)


DAY = [
    AuditKind.ORGS_IMPORTED,
    AuditKind.BROADCAST_SENT,
    AuditKind.BROADCAST_SCHEDULED,
    AuditKind.BROADCAST_CANCELLED,
    AuditKind.INVITE_CREATED,
    AuditKind.INVITE_REVOKED,
    AuditKind.INVITE_CREATED,
    AuditKind.ROLE_GRANTED,
    AuditKind.CAMPAIGN_OPENED,
    AuditKind.CAMPAIGN_REMINDED,
    AuditKind.CAMPAIGN_EXTENDED,
    AuditKind.CAMPAIGN_CLOSED,
    AuditKind.REPORT_EXPORTED,
]


async def test_a_day_of_admin_actions_is_recorded_and_shown_latest_first(
    fake: FakeTelegram,
    running_bot: RunningBot,
    admin: FakeUser,
    member: FakeUser,
    clock: FakeClock,
) -> None:
    await a_day_of_an_admin(fake, running_bot, admin, member, clock)

    # What is stored: one row per action, by whom, in the chat, with ids and codes only.
    rows = await stored(running_bot.sessions)
    assert [row.kind for row in rows] == DAY
    admin_person = await person_of(running_bot.sessions, admin.id)
    officer = await person_of(running_bot.sessions, member.id)
    assert admin_person is not None and officer is not None
    assert {row.actor_id for row in rows if row.kind is not AuditKind.ROLE_GRANTED} == {
        admin_person.id
    }
    assert {row.actor_name for row in rows if row.actor_id == admin_person.id} == {"Ольга Петрова"}
    granted = next(row for row in rows if row.kind is AuditKind.ROLE_GRANTED)
    assert (granted.actor_id, granted.details["org"]) == (officer.id, "46-01-002")
    assert {row.via for row in rows} == {AuditVia.CHAT}
    assert [row.at.minute for row in rows] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]
    async with running_bot.sessions() as session:
        sent, later = list(await session.scalars(select(Broadcast.id).order_by(Broadcast.id)))[:2]
    assert rows[1].details == {"broadcast": sent, "recipients": 1}
    assert rows[2].details["broadcast"] == later
    assert rows[3].details == {"broadcast": later}
    assert rows[0].details["created"] > 0
    assert rows[0].details == {
        "file": "kursk_orgs.csv",
        "created": rows[0].details["created"],
        "updated": 0,
        "unchanged": 0,
    }
    assert rows[8].details["quarter"] == 2 and rows[8].details["year"] == 2026
    assert rows[12].details == {
        "report": "csv",
        "year": 2026,
        "quarter": 2,
        "territory": None,
    }
    everything = json.dumps([row.details for row in rows], ensure_ascii=False)
    assert NEWS_TEXT not in everything and LATER_TEXT not in everything  # no message text
    assert "inv_" not in everything  # nor the invite links themselves

    # /audit: latest first, ten to a page, in Moscow time.
    await fake.send_message(admin, "/audit")
    journal = screen(fake, admin.id)
    assert "Записей: 13. Страница 1 из 2." in journal.text
    assert entry_lines(journal.text) == [
        f"14.05.2026 12:{minute:02d} · "
        + ("Мария Иванова (@m_ivanova)" if minute == 8 else "Ольга Петрова")
        for minute in range(13, 3, -1)
    ]
    assert "выгрузил(а) отчёт: CSV за квартал, 2 кв. 2026, вся область" in journal.text
    assert "закрыл(а) приём ответов мониторинга, 2 кв. 2026" in journal.text
    assert "продлил(а) мониторинг, 2 кв. 2026, до 04.06.2026 12:09" in journal.text
    assert "стал(а) ответственным за информработу: 46-01-002" in journal.text
    assert f"отменил(а) рассылку №{later}" in journal.text
    assert ru.AUDIT_NEXT in button_texts(journal) and ru.AUDIT_PREV not in button_texts(journal)

    await fake.click(admin, ru.AUDIT_NEXT)
    second = screen(fake, admin.id)
    assert second.message_id == journal.message_id  # the same message, edited
    assert "Страница 2 из 2." in second.text
    assert [line[:16] for line in entry_lines(second.text)] == [
        "14.05.2026 12:03",
        "14.05.2026 12:02",
        "14.05.2026 12:01",
    ]
    assert f"запланировал(а) рассылку №{later} на 15.05.2026 10:00" in second.text
    assert f"отправил(а) рассылку №{sent}, получателей: 1" in second.text
    assert "загрузил(а) справочник из файла «kursk_orgs.csv»" in second.text
    assert ru.AUDIT_PREV in button_texts(second) and ru.AUDIT_NEXT not in button_texts(second)
    await fake.click(admin, ru.AUDIT_PREV)
    assert "Страница 1 из 2." in screen(fake, admin.id).text

    # By kind: only the kinds the journal holds are offered; «« Назад» returns to the list.
    await fake.click(admin, ru.AUDIT_BY_KIND)
    menu = screen(fake, admin.id)
    assert menu.text == ru.AUDIT_CHOOSE_KIND
    offered = button_texts(menu)
    assert ru.AUDIT_KINDS["invite_created"] in offered
    assert ru.AUDIT_KINDS["broadcast_recalled"] not in offered
    await fake.click(admin, ru.BACK)
    assert "Записей: 13." in screen(fake, admin.id).text
    await fake.click(admin, ru.AUDIT_BY_KIND)
    await fake.click(admin, ru.AUDIT_KINDS["invite_created"])
    filtered = screen(fake, admin.id)
    assert "Действие: Ссылка ответственному" in filtered.text
    assert "Записей: 2. Страница 1 из 1." in filtered.text
    assert [line[:16] for line in entry_lines(filtered.text)] == [
        "14.05.2026 12:07",
        "14.05.2026 12:05",
    ]
    assert "46-01-002" in filtered.text and "46-01-001" in filtered.text
    assert ru.AUDIT_NEXT not in button_texts(filtered)

    # By person, among the people in the journal; the kind filter is kept until reset.
    await fake.click(admin, ru.AUDIT_RESET)
    await fake.click(admin, ru.AUDIT_BY_PERSON)
    people = button_texts(screen(fake, admin.id))
    assert people[:2] == ["Мария Иванова (@m_ivanova)", "Ольга Петрова"]
    await fake.click(admin, "Мария Иванова (@m_ivanova)")
    theirs = screen(fake, admin.id)
    assert "Кто: Мария Иванова (@m_ivanova)" in theirs.text
    assert entry_lines(theirs.text) == ["14.05.2026 12:08 · Мария Иванова (@m_ivanova)"]
    await fake.click(admin, ru.AUDIT_BY_KIND)
    await fake.click(admin, ru.AUDIT_KINDS["broadcast_sent"])
    assert ru.AUDIT_EMPTY in screen(fake, admin.id).text  # she sent none
    await fake.click(admin, ru.AUDIT_RESET)
    assert "Записей: 13." in screen(fake, admin.id).text


async def test_only_regional_admins_read_the_journal(
    fake: FakeTelegram,
    running_bot: RunningBot,
    admin: FakeUser,
    member: FakeUser,
    directory: None,
) -> None:
    await add_member(running_bot.sessions, CHAIR.id, None, topics=())
    await grant(running_bot.sessions, CHAIR.id, "territorial_admin", "46-01")
    await fake.send_message(CHAIR, "/invite 46-01-003")  # an action of theirs, recorded
    await fake.send_message(CHAIR, "/audit")
    assert screen(fake, CHAIR.id).text == ru.MON_FORBIDDEN
    await fake.send_callback(CHAIR, "aud:p:0::0")  # a forged button
    assert fake.callback_answers[-1]["text"] == ru.MON_FORBIDDEN
    await fake.send_message(member, "/start")
    await fake.click(member, ru.CONSENT_YES)
    await fake.send_message(member, "/audit")
    assert screen(fake, member.id).text == ru.ADMIN_ONLY

    await fake.send_message(admin, "/audit")
    journal = screen(fake, admin.id).text
    assert (
        "Председатель" in journal and "создал(а) ссылку для ответственного: 46-01-003" in journal
    )
    await fake.send_callback(admin, "aud:p:0:no_such_kind:0")
    assert fake.callback_answers[-1]["text"] == ru.STALE_BUTTON
    assert "audit" in ru.ADMIN_COMMANDS
    await fake.send_message(admin, "/help")
    assert "/audit" in screen(fake, admin.id).text


async def _seed(sessions: async_sessionmaker[AsyncSession], clock: FakeClock) -> int:
    """Three actions on three days by a registered admin; returns the admin's person id."""
    person_id = await add_member(sessions, 700001, None, topics=())
    actor = audit.Actor(person_id, "Анна Смирнова")
    async with sessions() as session:
        for day, kind, details in (
            (10, AuditKind.ORGS_IMPORTED, {"file": "orgs.csv", "created": 3}),
            (14, AuditKind.INVITE_CREATED, {"invite": 1, "org": "46-01-001"}),
            (15, AuditKind.REPORT_EXPORTED, {"report": "xlsx", "territory": None}),
        ):
            clock.set(datetime(2026, 5, day, 6, 30, tzinfo=UTC))
            audit.record(session, actor, kind, **details)
            await session.commit()
    clock.set(TEST_NOW)
    return person_id


async def test_the_command_line_writes_the_rows_since_a_date_as_csv(
    migrated_url: str,
    session_factory: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    await _seed(session_factory, clock)
    out = tmp_path / "audit.csv"
    result = await asyncio.to_thread(
        run_cli,
        "audit",
        "--since",
        "2026-05-14",
        "--out",
        str(out),
        cwd=tmp_path,
        DATABASE_URL=migrated_url,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Журнал выгружен в {out}: записей 2."
    raw = out.read_bytes()
    assert raw.startswith("\ufeff".encode())  # UTF-8 with a BOM, for Russian Excel
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows == [
        ["at", "actor", "kind", "details", "via"],
        [
            "2026-05-14T09:30:00+03:00",
            "Анна Смирнова",
            "invite_created",
            '{"invite": 1, "org": "46-01-001"}',
            "chat",
        ],
        [
            "2026-05-15T09:30:00+03:00",
            "Анна Смирнова",
            "report_exported",
            '{"report": "xlsx", "territory": null}',
            "chat",
        ],
    ]

    # Without --out, to standard output; the day also as 10.05.2026.
    printed = await asyncio.to_thread(
        run_cli, "audit", "--since", "10.05.2026", cwd=tmp_path, DATABASE_URL=migrated_url
    )
    assert printed.returncode == 0, printed.stderr
    table = list(csv.reader(io.StringIO(printed.stdout), delimiter=";"))
    # (The first export's own row is at the machine's time: anywhere, or nowhere, in this.)
    assert [row[2] for row in table if row[2] != "audit_exported"] == [
        "kind",
        "orgs_imported",
        "invite_created",
        "report_exported",
    ]

    # The export itself is in the journal, from the command line.
    async with session_factory() as session:
        exports = list(
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.kind == AuditKind.AUDIT_EXPORTED)
                .order_by(AuditEntry.id)
            )
        )
    assert len(exports) == 2 and {e.via for e in exports} == {AuditVia.CLI}
    assert exports[0].actor_id is None and exports[0].details["rows"] == 2

    bad = await asyncio.to_thread(
        run_cli, "audit", "--since", "14 мая", cwd=tmp_path, DATABASE_URL=migrated_url
    )
    assert bad.returncode == 1
    assert bad.stderr.strip() == ru.AUDIT_CLI_BAD_DATE.format(value="14 мая")
    assert "Traceback" not in bad.stderr


async def test_command_line_actions_are_recorded_as_the_command_line(
    migrated_url: str, session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    result = await asyncio.to_thread(
        run_cli, "orgs", "import", str(SAMPLE_ORGS), cwd=tmp_path, DATABASE_URL=migrated_url
    )
    assert result.returncode == 0, result.stderr
    text = tmp_path / "news.html"
    text.write_text("<b>Новость</b> для всех", encoding="utf-8")
    sent = await asyncio.to_thread(
        run_cli,
        "broadcast",
        "--topic",
        "news",
        "--text-file",
        str(text),
        cwd=tmp_path,
        DATABASE_URL=migrated_url,
    )
    assert sent.returncode == 0, sent.stderr
    rows = await stored(session_factory)
    assert [row.kind for row in rows] == [AuditKind.ORGS_IMPORTED, AuditKind.BROADCAST_SENT]
    assert {row.via for row in rows} == {AuditVia.CLI}
    assert rows[0].details["file"] == "kursk_orgs.csv"
    assert rows[1].details["recipients"] == 0
    assert "Новость" not in json.dumps(rows[1].details, ensure_ascii=False)


async def test_forget_of_an_admin_keeps_their_actions_anonymised(
    fake: FakeTelegram,
    running_bot: RunningBot,
    admin: FakeUser,
    directory: None,
) -> None:
    await fake.send_message(admin, "/help")  # a listed admin is a person from their first word
    person = await person_of(running_bot.sessions, admin.id)
    assert person is not None
    await fake.send_message(admin, "/invite 46-01-001")
    await fake.click(admin, ru.INVITE_REVOKE)
    await add_member(running_bot.sessions, CHAIR.id, None, topics=())
    await grant(running_bot.sessions, CHAIR.id, "territorial_admin", "46-01")
    await fake.send_message(CHAIR, "/invite 46-01-002")
    chair = await person_of(running_bot.sessions, CHAIR.id)
    assert chair is not None
    assert [(r.actor_id, r.kind) for r in await stored(running_bot.sessions)] == [
        (person.id, AuditKind.INVITE_CREATED),
        (person.id, AuditKind.INVITE_REVOKED),
        (chair.id, AuditKind.INVITE_CREATED),
    ]

    await fake.send_message(admin, "/forget")
    await fake.click(admin, ru.FORGET_YES)
    assert screen(fake, admin.id).text == ru.FORGOTTEN
    assert await person_of(running_bot.sessions, admin.id) is None
    rows = await stored(running_bot.sessions)
    assert [(r.actor_id, r.actor_name, r.kind) for r in rows] == [
        (None, "удалён(а)", AuditKind.INVITE_CREATED),
        (None, "удалён(а)", AuditKind.INVITE_REVOKED),
        (chair.id, "Председатель", AuditKind.INVITE_CREATED),
    ]
    assert rows[0].details == {"invite": rows[0].details["invite"], "org": "46-01-001"}
    async with running_bot.sessions() as session:
        assert await session.get(Person, person.id) is None

    # Still a regional admin by ADMIN_IDS: the journal names nobody where they were.
    await fake.send_message(admin, "/audit")
    journal = screen(fake, admin.id).text
    assert entry_lines(journal)[1:] == [
        "14.05.2026 12:00 · удалён(а)",
        "14.05.2026 12:00 · удалён(а)",
    ]
    assert "Ольга" not in journal
    await fake.click(admin, ru.AUDIT_BY_PERSON)
    assert button_texts(screen(fake, admin.id))[0] == "Председатель"
    assert "Ольга Петрова" not in button_texts(screen(fake, admin.id))


@pytest.mark.parametrize("value", ["2026-13-01", "31.02.2026", ""])
def test_bad_days_are_refused(value: str) -> None:
    from bot.__main__ import parse_day

    assert parse_day(value) is None


async def test_a_recall_and_a_new_questionnaire_version_are_recorded_and_no_ops_are_not(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser, directory: None
) -> None:
    from services.monitoring.questionnaire import DEFAULT_QUESTIONNAIRE_PATH

    await add_member(running_bot.sessions, SUBSCRIBER, "46-01-001")
    await fake.send_message(admin, "/broadcast")
    await fake.send_message(admin, NEWS_TEXT)
    await fake.click(admin, ru.BC_KIND_NEWS)
    await fake.click(admin, ru.BC_NEXT)
    await fake.click(admin, ru.BC_AUDIENCE_ALL)
    await fake.click(admin, ru.BC_SEND_NOW)
    await eventually(lambda: any(ru.BC_RECALL in button_texts(m) for m in fake.messages(admin.id)))
    await fake.click(admin, ru.BC_RECALL)
    await fake.click(admin, ru.BC_RECALL_YES)
    await eventually(lambda: not fake.messages(SUBSCRIBER))  # the copy is deleted

    original = DEFAULT_QUESTIONNAIRE_PATH.read_text(encoding="utf-8")
    await fake.send_document(admin, "quarterly.yaml", original.encode())  # as stored: no-op
    assert "не изменилась" in screen(fake, admin.id).text
    changed = original.replace("Комментарий к мониторингу", "Ваш комментарий к мониторингу")
    await fake.send_document(admin, "quarterly-v2.yaml", changed.encode())
    assert "версия 2" in screen(fake, admin.id).text
    await fake.send_document(admin, "broken.csv", b"code;name\n")  # rejected: nothing changed
    assert "не загружен" in screen(fake, admin.id).text

    rows = await stored(running_bot.sessions)
    assert [row.kind for row in rows] == [
        AuditKind.BROADCAST_SENT,
        AuditKind.BROADCAST_RECALLED,
        AuditKind.QUESTIONNAIRE_UPLOADED,
    ]
    assert rows[2].details == {"code": "quarterly", "version": 2, "file": "quarterly-v2.yaml"}
    await fake.send_message(admin, "/audit")
    journal = screen(fake, admin.id).text
    assert "загрузил(а) анкету «quarterly», версия 2, файл «quarterly-v2.yaml»" in journal
    assert f"отозвал(а) рассылку №{rows[1].details['broadcast']}" in journal
    assert "Ольга Петрова" in journal  # an admin by ADMIN_IDS, never registered: still named
