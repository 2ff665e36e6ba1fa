"""End to end: seminars and trainings (/events) through the fake Bot API and the migrated DB:
creating in the chat, the announcement broadcast, registration with a waiting list and the
.ics confirmation, reminders across a restart, check-in, attendance, feedback, the card and
the participants' spreadsheet, forged callbacks."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.scheduler import events_sweep
from fakeapi import FakeTelegram, FakeUser
from fakeapi.server import UploadedFile
from handlers.callbacks import EvAction, EvCB, EvNewCB, EvNewStep
from models import (
    Audience,
    Event,
    EventAudience,
    EventKind,
    EventRegistration,
    EventStatus,
    RegistrationStatus,
)
from models.clock import FakeClock
from services import events, orgs
from services.broadcasts import compose
from services.people import Roles
from tests.conftest import RunningBot
from tests.helpers import add_member, button_texts, eventually, grant, person_of, screen
from tests.test_cli import run_cli
from texts import events as texts

pytestmark = pytest.mark.usefixtures("directory")

BELOVSKY_SCHOOL = "46-01-001"
KURSK_SCHOOL = "46-29-004"
OFFICERS = [300001, 300002, 300003]
# 15.10.2026 10:00 in Moscow
START = datetime(2026, 10, 15, 7, 0, tzinfo=UTC)
DAY = timedelta(days=1)
PLAN_SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "plan_2022.csv"
PLAN_SAMPLE_BYTES = PLAN_SAMPLE.read_bytes()


def documents(fake: FakeTelegram, chat_id: int) -> list[UploadedFile]:
    return [call.params["document"] for call in fake.calls_of("sendDocument", chat_id=chat_id)]


def captions(fake: FakeTelegram, chat_id: int) -> list[str]:
    return [
        str(call.params.get("caption", ""))
        for call in fake.calls_of("sendDocument", chat_id=chat_id)
    ]


def texts_of(fake: FakeTelegram, chat_id: int) -> list[str]:
    return [m.text or "" for m in fake.messages(chat_id)]


@pytest.fixture
async def officers(running_bot: RunningBot) -> list[int]:
    for telegram_id, code in zip(
        OFFICERS, [BELOVSKY_SCHOOL, KURSK_SCHOOL, KURSK_SCHOOL], strict=True
    ):
        await add_member(running_bot.sessions, telegram_id, code, topics=set())
        await grant(running_bot.sessions, telegram_id, "officer", code)
    await add_member(running_bot.sessions, 300009, KURSK_SCHOOL)  # a member, not an officer
    return OFFICERS


async def test_admin_creates_announces_and_officers_register_with_a_waiting_list(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser, officers: list[int]
) -> None:
    await fake.send_message(admin, "/newevent")
    assert "Напишите название" in screen(fake, admin.id).text
    assert texts.BACK not in button_texts(screen(fake, admin.id))
    await fake.send_message(admin, "Ох")  # too short
    assert screen(fake, admin.id).text == texts.BAD_TITLE
    await fake.send_message(admin, "Информационная работа в профсоюзе")
    await fake.send_message(admin, "Как вести страницу первичной организации")
    assert texts.ASK_KIND in screen(fake, admin.id).text
    await fake.click(admin, texts.BACK)  # a way back: the description again
    assert screen(fake, admin.id).text == texts.ASK_DESCRIPTION
    await fake.send_message(admin, "Как вести страницу первичной организации")
    await fake.click(admin, "Семинар")
    await fake.send_message(admin, "завтра утром")
    assert "Не понимаю дату" in screen(fake, admin.id).text
    await fake.send_message(admin, "01.01.2020 10:00")
    assert screen(fake, admin.id).text == texts.PAST_TIME
    await fake.send_message(admin, "15.10.2026 10:00")
    await fake.send_message(admin, "09:00")
    assert "Окончание должно быть позже начала (15.10.2026 10:00)" in screen(fake, admin.id).text
    await fake.send_message(admin, "12:00")
    await fake.send_message(admin, "Курск, ул. Ленина, 2, актовый зал")
    await fake.click(admin, "Ответственные за информработу")
    await fake.send_message(admin, "ноль")
    assert screen(fake, admin.id).text == texts.BAD_CAPACITY
    await fake.send_message(admin, "2")
    confirm = screen(fake, admin.id)
    assert "Проверьте мероприятие" in confirm.text
    assert "15.10.2026 10:00–12:00" in confirm.text
    assert {texts.ANNOUNCE, texts.BACK, texts.CANCEL} <= set(button_texts(confirm))
    await fake.click(admin, texts.ANNOUNCE)
    assert "объявлено" in screen(fake, admin.id).text
    running_bot.wake_worker()

    async with running_bot.sessions() as session:
        event = await session.scalar(select(Event))
        assert event is not None
        assert (event.kind, event.capacity, event.starts_at) == (EventKind.SEMINAR, 2, START)
        assert event.ends_at == START + timedelta(hours=2)
        assert event.territory_id is None and event.plan_item_id is None
    for officer in officers:
        await eventually(
            lambda o=officer: any("Информационная работа" in t for t in texts_of(fake, o))
        )
        assert texts.JOIN in button_texts(screen(fake, officer))
    assert not fake.messages(300009)  # not an officer
    card = await eventually(lambda: any("завершена" in t for t in texts_of(fake, admin.id)))
    assert card

    first, second, third = (FakeUser(id=i, first_name=f"М{i}") for i in officers)
    await fake.click(first, texts.JOIN)
    await fake.click(first, texts.JOIN)  # a second tap on the announcement: nothing doubled
    await fake.click(second, texts.JOIN)
    await fake.click(third, texts.JOIN)
    # The confirmations follow the answered taps (handed on, handlers/later.py).
    await eventually(
        lambda: documents(fake, first.id)
        and documents(fake, second.id)
        and "листе ожидания" in screen(fake, third.id).text
    )
    ics_file = documents(fake, first.id)[-1]
    calendar = icalendar.Calendar.from_ical(ics_file.content)
    (entry,) = calendar.walk("VEVENT")
    assert entry.decoded("dtstart") == START
    assert str(entry.get("summary")) == "Информационная работа в профсоюзе"
    assert str(entry.get("location")) == "Курск, ул. Ленина, 2, актовый зал"
    assert len(documents(fake, first.id)) == 1
    assert "листе ожидания" in screen(fake, third.id).text
    assert not documents(fake, third.id)

    await fake.click(first, texts.LEAVE)
    assert "отменена" in screen(fake, first.id).text
    await eventually(lambda: captions(fake, third.id))
    assert "Освободилось место" in captions(fake, third.id)[-1]
    async with running_bot.sessions() as session:
        rows = dict(
            (
                await session.execute(
                    select(EventRegistration.person_id, EventRegistration.status)
                )
            ).all()
        )
        event = await session.scalar(select(Event).execution_options(populate_existing=True))
        assert event is not None and event.registered == 2
    statuses = sorted(rows.values())
    assert statuses == sorted(
        [
            RegistrationStatus.CANCELLED,
            RegistrationStatus.REGISTERED,
            RegistrationStatus.REGISTERED,
        ]
    )

    await fake.send_message(admin, "/events")
    await fake.click(admin, "⚙ Информационная работа в профсоюзе")
    card_text = screen(fake, admin.id).text
    assert "Записано: 2" in card_text and "В листе ожидания: 0" in card_text


async def _event(
    running_bot: RunningBot, capacity: int | None = None, territory: str | None = None
) -> int:
    """An announced event for officers (the chat flow is tested above)."""
    from services import orgs

    async with running_bot.sessions() as session:
        roles = Roles(regional_admin=True)
        if territory:
            org = await orgs.get_by_code(session, territory)
            assert org is not None
            roles = Roles(territories=frozenset({org.id}))
        draft = events.EventDraft(
            title="Вебинар по АИС",
            description="",
            kind=EventKind.WEBINAR,
            starts_at=START,
            ends_at=START + timedelta(hours=1),
            place="https://meet.example.org/ais",
            audience=EventAudience.OFFICERS,
            topic_id=None,
            capacity=capacity,
        )
        event = await events.create(session, draft, 900001, roles)
        return event.id


async def test_reminders_once_checkin_attendance_feedback_card_and_xlsx(
    fake: FakeTelegram,
    running_bot: RunningBot,
    admin: FakeUser,
    officers: list[int],
    clock: FakeClock,
) -> None:
    event_id = await _event(running_bot)
    join = EvCB(action=EvAction.JOIN, event=event_id).pack()
    first, second, third = (FakeUser(id=i, first_name=f"М{i}") for i in officers)
    await fake.send_message(first, "/events")
    assert "Вебинар по АИС" in screen(fake, first.id).text
    for user in (first, second, third):
        await fake.send_callback(user, join)
    await eventually(lambda: documents(fake, third.id))
    await fake.click(third, texts.LEAVE)  # not registered any more: no reminders

    app = running_bot.app
    assert app is not None
    clock.set(START - timedelta(hours=20))
    await events_sweep(running_bot.sessions, running_bot.settings, app.worker)
    for user in (first, second):
        await eventually(
            lambda u=user: any(t.startswith("⏰ Завтра") for t in texts_of(fake, u.id))
        )
    await running_bot.restart()
    app = running_bot.app
    assert app is not None
    assert await events_sweep(running_bot.sessions, running_bot.settings, app.worker) == []
    clock.set(START - timedelta(minutes=59))
    await events_sweep(running_bot.sessions, running_bot.settings, app.worker)
    for user in (first, second):
        await eventually(
            lambda u=user: any(
                "Через 60 мин." in t and "meet.example.org" in t for t in texts_of(fake, u.id)
            )
        )
    assert await events_sweep(running_bot.sessions, running_bot.settings, app.worker) == []
    for user in (first, second):
        assert sum(t.startswith("⏰") for t in texts_of(fake, user.id)) == 2
    assert not any(t.startswith("⏰") for t in texts_of(fake, third.id))

    clock.set(START + timedelta(minutes=10))
    async with running_bot.sessions() as session:
        event = await session.get(Event, event_id)
        assert event is not None
        code = event.checkin_code
    await fake.send_message(first, code)
    assert "Отметили" in screen(fake, first.id).text
    await fake.send_message(third, code)  # not registered: the code means nothing to them
    assert "Отметили" not in (screen(fake, third.id).text or "")

    # The organiser marks the second participant from the list.
    await fake.send_callback(admin, EvCB(action=EvAction.CARD, event=event_id).pack())
    await fake.click(admin, texts.ATTENDANCE)
    second_person = await person_of(running_bot.sessions, second.id)
    assert second_person is not None
    buttons = button_texts(screen(fake, admin.id))
    assert "✅ М300001" in buttons and "▫️ М300002" in buttons
    await fake.click(admin, "▫️ М300002")
    assert "✅ М300002" in button_texts(screen(fake, admin.id))
    await fake.click(admin, "✅ М300002")  # and back, and again
    await fake.click(admin, "▫️ М300002")

    clock.set(START + timedelta(hours=2))
    await events_sweep(running_bot.sessions, running_bot.settings, app.worker)
    for user in (first, second):
        await eventually(
            lambda u=user: any("Оцените от 1 до 5" in t for t in texts_of(fake, u.id))
        )
    assert await events_sweep(running_bot.sessions, running_bot.settings, app.worker) == []
    await fake.click(first, "4")
    await fake.send_message(first, "Полезно, спасибо")
    assert screen(fake, first.id).text == texts.FEEDBACK_DONE
    await fake.click(second, "5")
    await fake.click(second, texts.FEEDBACK_SKIP)
    forged = EvCB(action=EvAction.RATE, event=event_id, value=1).pack()
    await fake.send_callback(third, forged)  # did not attend
    assert fake.calls_of("answerCallbackQuery")[-1].params.get("text") == texts.FEEDBACK_CLOSED

    await fake.send_callback(admin, EvCB(action=EvAction.CARD, event=event_id).pack())
    card = screen(fake, admin.id).text
    assert "Записано: 2" in card and "Пришли: 2" in card and "Средняя оценка: 4.5 (2)" in card
    await fake.click(admin, texts.XLSX)
    workbook = load_workbook(io.BytesIO(documents(fake, admin.id)[-1].content), read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("Имя", "Telegram", "Организация")
    assert len(rows) == 3
    assert {row[0] for row in rows[1:]} == {"М300001", "М300002"}
    assert all(row[2] for row in rows[1:])  # their organisations
    assert {row[5] for row in rows[1:]} == {4, 5}
    async with running_bot.sessions() as session:
        event = await session.get(Event, event_id)
        assert event is not None and event.held_at is not None
        # Reminders and the feedback question are the bot's own notices, no news to read again.
        person = await person_of(running_bot.sessions, first.id)
        assert person is not None
        news = await compose.news_for(session, person)
        assert not [b.id for b in news if b.audience is Audience.PEOPLE]


async def test_forged_callbacks_are_refused_with_nothing_changed(
    fake: FakeTelegram, running_bot: RunningBot, officers: list[int], clock: FakeClock
) -> None:
    belovo_event = await _event(running_bot, territory="46-01")
    kursk_officer = FakeUser(id=officers[1], first_name="О")
    await fake.send_message(kursk_officer, "/events")
    assert "Вебинар по АИС" not in screen(fake, kursk_officer.id).text
    await fake.send_callback(kursk_officer, EvCB(action=EvAction.JOIN, event=belovo_event).pack())
    assert fake.calls_of("answerCallbackQuery")[-1].params.get("text") == texts.OUTSIDE
    # Marking attendance, the card, the spreadsheet: not without the role.
    for action in (EvAction.MARK, EvAction.CARD, EvAction.XLSX):
        data = EvCB(action=action, event=belovo_event, value=1).pack()
        await fake.send_callback(kursk_officer, data)
        assert fake.calls_of("answerCallbackQuery")[-1].params.get("text") == texts.NOT_YOURS
    # A territorial admin of Kursk: another territory's event.
    await grant(running_bot.sessions, officers[2], "territorial_admin", "46-29")
    kursk_admin = FakeUser(id=officers[2], first_name="А")
    await fake.send_callback(kursk_admin, EvCB(action=EvAction.CARD, event=belovo_event).pack())
    assert fake.calls_of("answerCallbackQuery")[-1].params.get("text") == texts.NOT_YOURS

    # A member who is no officer: the officers' event is not listed nor open to them.
    regional = await _event(running_bot)
    member = FakeUser(id=300009, first_name="М300009")
    await fake.send_message(member, "/events")
    assert "Вебинар по АИС" not in screen(fake, member.id).text
    await fake.send_callback(member, EvCB(action=EvAction.JOIN, event=regional).pack())
    assert fake.calls_of("answerCallbackQuery")[-1].params.get("text") == texts.OUTSIDE

    cancelled = await _event(running_bot)
    async with running_bot.sessions() as session:
        event = await session.get(Event, cancelled)
        assert event is not None
        event.status = EventStatus.CANCELLED
        await session.commit()
    past = await _event(running_bot)
    await fake.send_callback(kursk_officer, EvCB(action=EvAction.JOIN, event=cancelled).pack())
    assert fake.calls_of("answerCallbackQuery")[-1].params.get("text") == texts.CLOSED
    clock.set(START + timedelta(minutes=1))
    await fake.send_callback(kursk_officer, EvCB(action=EvAction.JOIN, event=past).pack())
    assert fake.calls_of("answerCallbackQuery")[-1].params.get("text") == texts.CLOSED
    await fake.send_callback(kursk_officer, "ev:j:notanumber:0")
    async with running_bot.sessions() as session:
        assert list(await session.scalars(select(EventRegistration))) == []
        counts = list(await session.scalars(select(Event.registered)))
        assert counts == [0, 0, 0, 0]


async def test_reports_in_the_chat_the_command_line_and_the_presidium_section(
    fake: FakeTelegram,
    running_bot: RunningBot,
    admin: FakeUser,
    officers: list[int],
    clock: FakeClock,
    migrated_url: str,
    tmp_path: Path,
) -> None:
    event_id = await _event(running_bot)
    join = EvCB(action=EvAction.JOIN, event=event_id).pack()
    users = [FakeUser(id=i, first_name=f"М{i}") for i in officers]
    for user in users:
        await fake.send_callback(user, join)
    clock.set(START + timedelta(minutes=5))
    async with running_bot.sessions() as session:
        event = await session.get(Event, event_id)
        assert event is not None
        for telegram_id in officers[:2]:  # the Belovo one and one of Kursk came
            person = await person_of(running_bot.sessions, telegram_id)
            assert person is not None
            assert await events.toggle_attended(session, event, person.id) is True
    clock.set(START + timedelta(hours=3))
    app = running_bot.app
    assert app is not None
    await events_sweep(running_bot.sessions, running_bot.settings, app.worker)
    for user in users[:2]:
        await eventually(lambda u=user: any("Оцените" in t for t in texts_of(fake, u.id)))
    await fake.click(users[0], "5")
    await fake.click(users[1], "3")

    await fake.send_message(admin, "/reports")
    await fake.click(admin, texts.REPORT_BUTTON)
    await eventually(lambda: documents(fake, admin.id))
    (xlsx,) = documents(fake, admin.id)
    book = load_workbook(io.BytesIO(xlsx.content), read_only=True)
    trained = list(book[texts.REPORT_TRAINED].iter_rows(values_only=True))
    assert trained[0] == (texts.REPORT_TERRITORY, "2026-Q4")
    assert ("Беловская районная организация Профсоюза", 1) in trained
    assert ("Курская городская организация Профсоюза", 1) in trained
    assert (texts.REPORT_TOTAL, 2) in trained
    held = list(book[texts.REPORT_EVENTS].iter_rows(values_only=True))
    assert held[1] == ("2026-Q4", 1, 3, 2, "67%", "4.0")
    assert "обучено активистов — 2" in captions(fake, admin.id)[-1]

    out = tmp_path / "reports"
    result = await asyncio.to_thread(
        run_cli, "report", "events", "--out", str(out), cwd=tmp_path, DATABASE_URL=migrated_url
    )
    assert result.returncode == 0, result.stderr
    (written,) = out.iterdir()
    assert written.name.startswith("events_") and written.suffix == ".xlsx"

    from services.reports import events as events_report
    from services.reports import presidium
    from services.reports.data import load_report

    async with running_bot.sessions() as session:
        report = await events_report.collect(
            session, territory_id=None, tz=running_bot.settings.tz, now=START + timedelta(hours=3)
        )
        dataset = await load_report(session, [], None)
    section = presidium.events_section(report)
    assert isinstance(section[0], presidium.Text) and texts.PDF_SECTION in section[0].lines
    tables = [block for block in section if isinstance(block, presidium.Table)]
    assert any(row[0] == texts.REPORT_TOTAL and row[1] == "2" for row in tables[0].rows)
    pdf = presidium.build_pdf(dataset, [], START, extra=section)
    assert pdf.startswith(b"%PDF")


async def test_an_event_carries_out_a_plan_item_which_is_marked_done_once_held(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser, clock: FakeClock
) -> None:
    from models import PlanItem, PlanPeriod, PlanReport
    from services.plan import importer

    async with running_bot.sessions() as session:
        await importer.import_plan(session, PLAN_SAMPLE.name, PLAN_SAMPLE_BYTES, year=2026)
        # An item due «в течение года»: its one period is December of the plan's year.
        item_id, number = (
            await session.execute(
                select(PlanItem.id, PlanItem.number)
                .join(PlanPeriod, PlanPeriod.item_id == PlanItem.id)
                .where(PlanPeriod.key == "2026-12")
                .order_by(PlanItem.number)
                .limit(1)
            )
        ).one()

    await fake.send_message(admin, "/newevent")
    await fake.send_message(admin, "Семинар по информационной работе")
    await fake.send_message(admin, "Для председателей ППО")
    await fake.click(admin, "Семинар")
    await fake.send_message(admin, "15.10.2026 10:00")
    await fake.send_message(admin, "12:00")
    await fake.send_message(admin, "Курск, Дом союзов")
    await fake.click(admin, "Ответственные за информработу")
    await fake.click(admin, texts.NO_LIMIT_BUTTON)
    step = screen(fake, admin.id)
    assert step.text == texts.ASK_PLAN_ITEM
    assert texts.NO_PLAN_ITEM_BUTTON in button_texts(step) and texts.BACK in button_texts(step)
    await fake.click(admin, texts.BACK)  # the way back: the capacity again
    assert screen(fake, admin.id).text == texts.ASK_CAPACITY
    await fake.click(admin, texts.NO_LIMIT_BUTTON)
    label = next(b for b in button_texts(screen(fake, admin.id)) if b.startswith(f"№ {number}."))
    await fake.click(admin, label)
    assert texts.CONFIRM_PLAN_ITEM.format(number=number) in screen(fake, admin.id).text
    await fake.click(admin, texts.ANNOUNCE)
    async with running_bot.sessions() as session:
        event = await session.scalar(select(Event))
        assert event is not None and event.plan_item_id == item_id

    app = running_bot.app
    assert app is not None
    clock.set(START + timedelta(hours=3))  # over: held
    for _ in range(2):  # a second sweep marks nothing twice
        await events_sweep(running_bot.sessions, running_bot.settings, app.worker)
    async with running_bot.sessions() as session:
        period = await session.scalar(
            select(PlanPeriod).where(PlanPeriod.item_id == item_id, PlanPeriod.key == "2026-12")
        )
        reports = list(await session.scalars(select(PlanReport.text)))
    assert period is not None and period.done_at is not None
    assert reports == ["Проведено мероприятие «Семинар по информационной работе» (15.10.2026)."]


def _answered(fake: FakeTelegram) -> str:
    return str(fake.calls_of("answerCallbackQuery")[-1].params.get("text") or "")


async def test_the_organiser_cancels_an_event_and_everyone_registered_or_waiting_is_told(
    fake: FakeTelegram,
    running_bot: RunningBot,
    admin: FakeUser,
    officers: list[int],
    clock: FakeClock,
) -> None:
    event_id = await _event(running_bot, capacity=1)
    first, second, third = (FakeUser(id=i, first_name=f"М{i}") for i in officers)
    join = EvCB(action=EvAction.JOIN, event=event_id).pack()
    await fake.send_callback(first, join)  # the seat
    await fake.send_callback(second, join)  # the waiting list
    await eventually(lambda: documents(fake, first.id) and texts_of(fake, second.id))
    cancel = EvCB(action=EvAction.CANCEL_DO, event=event_id).pack()

    # Not the organiser's role: an officer, a territorial admin of another territory.
    await fake.send_callback(third, cancel)
    assert _answered(fake) == texts.NOT_YOURS
    await grant(running_bot.sessions, third.id, "territorial_admin", "46-29")
    await fake.send_callback(third, cancel)
    assert _answered(fake) == texts.NOT_YOURS
    async with running_bot.sessions() as session:
        event = await session.get(Event, event_id)
        assert event is not None and event.status is EventStatus.ANNOUNCED

    await fake.send_message(admin, "/events")
    await fake.click(admin, "⚙ Вебинар по АИС")
    await fake.click(admin, texts.CANCEL_EVENT)
    ask = screen(fake, admin.id)
    assert "Отменить «Вебинар по АИС» (15.10.2026 10:00–11:00)?" in ask.text
    assert "ожидающим (2)" in ask.text
    assert button_texts(ask) == [texts.CANCEL_EVENT_YES, texts.BACK]
    await fake.click(admin, texts.BACK)  # the way back: the card, nothing changed
    assert "Записано: 1" in screen(fake, admin.id).text
    await fake.click(admin, texts.CANCEL_EVENT)
    await fake.click(admin, texts.CANCEL_EVENT_YES)
    done = screen(fake, admin.id)
    assert "Сообщение об отмене получат: 2." in done.text
    assert texts.CARD_CANCELLED.strip() in done.text
    assert texts.CANCEL_EVENT not in button_texts(done)

    running_bot.wake_worker()
    for user in (first, second):
        await eventually(
            lambda u=user: any("отменено организатором" in t for t in texts_of(fake, u.id))
        )
    assert not any("отменено" in t for t in texts_of(fake, third.id))
    async with running_bot.sessions() as session:
        event = await session.get(Event, event_id)
        assert event is not None and event.status is EventStatus.CANCELLED
        from models import AuditEntry, AuditKind

        (entry,) = await session.scalars(
            select(AuditEntry).where(AuditEntry.kind == AuditKind.EVENT_CANCELLED)
        )
        assert entry.details == {"event": event_id, "recipients": 2}

    # Twice: nothing more to cancel; registering afterwards: refused, nothing stored.
    await fake.send_callback(admin, cancel)
    assert _answered(fake) == texts.EVENT_ALREADY_CLOSED
    await fake.send_callback(third, join)
    assert _answered(fake) == texts.CLOSED
    await fake.send_message(first, "/events")
    assert "Вебинар по АИС" not in screen(fake, first.id).text  # not among theirs any more
    # No reminders, no feedback question for it.
    app = running_bot.app
    assert app is not None
    for moment in (START - timedelta(hours=20), START - timedelta(minutes=30), START + DAY):
        clock.set(moment)
        assert await events_sweep(running_bot.sessions, running_bot.settings, app.worker) == []
    async with running_bot.sessions() as session:
        rows = list(await session.scalars(select(EventRegistration)))
        assert len(rows) == 2 and all(r.day_reminder_at is None for r in rows)
        assert all(r.feedback_asked_at is None for r in rows)


async def test_the_attendance_list_pages_beyond_one_screen(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser, clock: FakeClock
) -> None:
    from handlers.admin.events import ATTENDANCE_PAGE
    from texts import ru

    people = [310_100 + n for n in range(ATTENDANCE_PAGE + 5)]
    for telegram_id in people:
        await add_member(running_bot.sessions, telegram_id, KURSK_SCHOOL, topics=set())
        await grant(running_bot.sessions, telegram_id, "officer", KURSK_SCHOOL)
    event_id = await _event(running_bot)
    join = EvCB(action=EvAction.JOIN, event=event_id).pack()
    for n, telegram_id in enumerate(people):
        await fake.send_callback(FakeUser(id=telegram_id, first_name=f"Участник{n:02d}"), join)
    clock.set(START + timedelta(minutes=5))

    await fake.send_message(admin, "/events")
    await fake.click(admin, "⚙ Вебинар по АИС")
    await fake.click(admin, texts.ATTENDANCE)
    first_page = screen(fake, admin.id)
    assert "Страница 1 из 2." in first_page.text
    names = [b for b in button_texts(first_page) if b.startswith("▫️")]
    assert names[0] == "▫️ Участник00" and len(names) == ATTENDANCE_PAGE
    assert ru.NEXT in button_texts(first_page) and ru.PREV not in button_texts(first_page)
    assert texts.BACK in button_texts(first_page)

    await fake.click(admin, ru.NEXT)
    second_page = screen(fake, admin.id)
    assert "Страница 2 из 2." in second_page.text
    names = [b for b in button_texts(second_page) if b.startswith("▫️")]
    assert names == [f"▫️ Участник{n:02d}" for n in range(ATTENDANCE_PAGE, len(people))]
    assert ru.PREV in button_texts(second_page) and ru.NEXT not in button_texts(second_page)

    await fake.click(admin, f"▫️ Участник{ATTENDANCE_PAGE + 2:02d}")  # marked: stays on page 2
    marked = screen(fake, admin.id)
    assert "Страница 2 из 2." in marked.text
    assert f"✅ Участник{ATTENDANCE_PAGE + 2:02d}" in button_texts(marked)
    async with running_bot.sessions() as session:
        person = await person_of(running_bot.sessions, people[ATTENDANCE_PAGE + 2])
        assert person is not None
        attended = await session.scalar(
            select(EventRegistration.attended).where(EventRegistration.person_id == person.id)
        )
        assert attended is True
    await fake.click(admin, ru.PREV)
    assert "Страница 1 из 2." in screen(fake, admin.id).text
    # A forged page number past the end shows the last page, not an error.
    await fake.send_callback(
        admin, EvCB(action=EvAction.ATTENDANCE, event=event_id, value=99).pack()
    )
    assert "Страница 2 из 2." in screen(fake, admin.id).text


async def test_someone_moved_up_by_another_persons_forget_is_told(
    fake: FakeTelegram, running_bot: RunningBot, officers: list[int]
) -> None:
    from texts import ru

    event_id = await _event(running_bot, capacity=1)
    first, second = (FakeUser(id=i, first_name=f"М{i}") for i in officers[:2])
    join = EvCB(action=EvAction.JOIN, event=event_id).pack()
    await fake.send_callback(first, join)
    await fake.send_callback(second, join)
    await eventually(lambda: "листе ожидания" in screen(fake, second.id).text)

    await fake.send_message(first, "/forget")
    await fake.click(first, ru.FORGET_YES)
    await eventually(
        lambda: any(t.startswith("Освободилось место") for t in texts_of(fake, second.id))
    )
    told = next(t for t in texts_of(fake, second.id) if t.startswith("Освободилось место"))
    assert "Вебинар по АИС" in told and "15.10.2026 10:00–11:00" in told
    async with running_bot.sessions() as session:
        second_person = await person_of(running_bot.sessions, second.id)
        assert second_person is not None
        status = await session.scalar(
            select(EventRegistration.status).where(
                EventRegistration.person_id == second_person.id
            )
        )
        seats = await session.scalar(select(Event.registered).where(Event.id == event_id))
    assert status is RegistrationStatus.REGISTERED and seats == 1


async def test_a_failed_confirmation_never_costs_the_seat(
    fake: FakeTelegram, running_bot: RunningBot, officers: list[int]
) -> None:
    event_id = await _event(running_bot, capacity=5)
    join = EvCB(action=EvAction.JOIN, event=event_id).pack()
    app = running_bot.app
    assert app is not None
    first, second = (FakeUser(id=i, first_name=f"М{i}") for i in officers[:2])
    blocked = "Forbidden: bot was blocked by the user"
    fake.fail_next("sendDocument", status=403, description=blocked)
    await fake.send_callback(first, join)
    await app.later.drain()
    fake.fail_next("sendDocument", status=400, description="Bad Request: something odd")
    await fake.send_callback(second, join)
    await app.later.drain()
    assert app.later.failed == 1  # the blocked chat is no failure of ours; the 400 is counted
    assert fake.calls_of("answerCallbackQuery")[-1].params.get("text") is None  # answered
    async with running_bot.sessions() as session:
        statuses = list(await session.scalars(select(EventRegistration.status)))
        seats = await session.scalar(select(Event.registered).where(Event.id == event_id))
    assert statuses == [RegistrationStatus.REGISTERED] * 2 and seats == 2


async def test_an_admin_of_two_territories_chooses_the_events_territory(
    fake: FakeTelegram, running_bot: RunningBot, officers: list[int]
) -> None:
    chair = FakeUser(id=300020, first_name="Председатель")
    await add_member(running_bot.sessions, chair.id, BELOVSKY_SCHOOL)
    await grant(running_bot.sessions, chair.id, "territorial_admin", "46-01")
    await grant(running_bot.sessions, chair.id, "territorial_admin", "46-29")
    await fake.send_message(chair, "/newevent")
    for typed in ("Семинар в Курске", "Для ответственных за информработу"):
        await fake.send_message(chair, typed)
    await fake.click(chair, "Семинар")
    for typed in ("15.10.2026 10:00", "12:00", "Курск, ул. Ленина, 2"):
        await fake.send_message(chair, typed)
    assert texts.WHERE_CHOOSE.strip() in screen(fake, chair.id).text
    await fake.click(chair, "Ответственные за информработу")
    choice = screen(fake, chair.id)
    assert choice.text == texts.ASK_TERRITORY
    names = [name for name in button_texts(choice) if name not in (texts.BACK, texts.CANCEL)]
    assert len(names) == 2
    # A forged button for a territory that is not hers: refused, the choice still open.
    async with running_bot.sessions() as session:
        other = await orgs.get_by_code(session, "46-02")
        kursk = await orgs.get_by_code(session, "46-29")
        assert other is not None and kursk is not None
    await fake.send_callback(chair, EvNewCB(step=EvNewStep.TERRITORY, value=str(other.id)).pack())
    assert fake.calls_of("answerCallbackQuery")[-1].params.get("text") == texts.STALE_DRAFT
    assert screen(fake, chair.id).text == texts.ASK_TERRITORY
    await fake.click(chair, next(name for name in names if "Курск" in name))
    await fake.click(chair, texts.NO_LIMIT_BUTTON)
    confirm = screen(fake, chair.id)
    assert texts.CONFIRM_TERRITORY.format(name=kursk.name) in confirm.text
    await fake.click(chair, texts.ANNOUNCE)
    running_bot.wake_worker()
    async with running_bot.sessions() as session:
        event = await session.scalar(select(Event))
        assert event is not None and event.territory_id == kursk.id
    # Kursk's officers get it, Belovo's does not.
    await eventually(lambda: any("Семинар в Курске" in t for t in texts_of(fake, officers[1])))
    await asyncio.sleep(0.3)
    assert not any("Семинар в Курске" in t for t in texts_of(fake, officers[0]))
