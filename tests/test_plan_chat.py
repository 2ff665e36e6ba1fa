"""End to end: the plan of events through the fake Bot API: a regional admin sends the plan
file, links a name to a person; the sweep reminds the person, who reports «Отметить
выполнение»; an item past due goes to the regional admins once; forged buttons are refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.scheduler import plan_schedule_of, plan_sweep
from fakeapi import FakeTelegram, FakeUser
from handlers.callbacks import PlanAction, PlanCB
from handlers.plan_report import notice_markup
from models import (
    Broadcast,
    BroadcastStatus,
    Delivery,
    DeliveryStatus,
    Person,
    PlanItem,
    PlanNameLink,
    PlanNotice,
    PlanPeriod,
    PlanReport,
    PlanState,
    utcnow,
)
from models.clock import FakeClock
from services import people
from services.broadcasts import compose
from services.plan import reminders
from tests.conftest import RunningBot
from tests.helpers import button_texts, count, eventually, screen
from tests.test_plan import SAMPLE_CSV, SAMPLE_XLSX
from texts import plan as texts
from texts import ru

ZHILINA = FakeUser(id=700001, first_name="Елена", last_name="Жилина")
STRANGER = FakeUser(id=700002, first_name="Пётр", last_name="Сидоров")


async def _register(bot: RunningBot, user: FakeUser) -> None:
    async with bot.sessions() as session:
        await people.register(
            session,
            people.TelegramProfile(user.id, user.first_name, user.last_name),
        )


async def _plan_sweep(bot: RunningBot) -> list[int]:
    """The scheduler's plan sweep, run now; returns once the worker delivered what it queued."""
    assert bot.app is not None
    queued = await plan_sweep(bot.sessions, bot.settings, bot.app.worker)
    await _delivered(bot, queued)
    return queued


async def _delivered(bot: RunningBot, broadcasts: list[int]) -> None:
    async def done() -> bool:
        async with bot.sessions() as session:
            statuses = set(
                await session.scalars(select(Broadcast.status).where(Broadcast.id.in_(broadcasts)))
            )
        return statuses <= {BroadcastStatus.DONE}

    await eventually(done)


def _mark(item_id: int, period: str) -> str:
    return PlanCB(action=PlanAction.MARK, item_id=item_id, period=period).pack()


def _texts(fake: FakeTelegram, user_id: int) -> list[str]:
    return [m.text or "" for m in fake.messages(user_id)]


async def _import_and_link(fake: FakeTelegram, bot: RunningBot, admin: FakeUser) -> None:
    await _register(bot, ZHILINA)
    await _register(bot, STRANGER)
    await fake.send_document(admin, "plan_2022.xlsx", SAMPLE_XLSX.read_bytes())
    assert "План на 2022 год загружен" in screen(fake, admin.id).text
    assert "Добавлено пунктов: 10, изменено: 0, без изменений: 0" in screen(fake, admin.id).text

    await fake.send_message(admin, "/plan")
    listing = screen(fake, admin.id).text
    assert "План мероприятий на 2022 год" in listing
    assert "Не привязаны к людям бота: Жилина Е.А., Корякина И.В., Металиченко С.С." in listing
    assert "ближайший — февраль 2022" in listing
    await fake.click(admin, texts.BTN_LINK.format(count=3))
    await fake.click(admin, "Жилина Е.А.")
    await fake.send_message(admin, "жилина")
    assert button_texts(screen(fake, admin.id)) == ["Жилина Елена", texts.BTN_CANCEL]
    await fake.click(admin, "Жилина Елена")
    assert any("«Жилина Е.А.» — это Жилина Елена" in t for t in _texts(fake, admin.id))
    assert "Не привязаны к людям бота: Корякина И.В., Металиченко С.С." in (
        screen(fake, admin.id).text
    )
    async with bot.sessions() as session:
        link = await session.scalar(select(PlanNameLink))
        assert link is not None and link.name_key == "жилина е.а"


async def test_import_link_remind_report_and_overdue_once_across_restart(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser, clock: FakeClock
) -> None:
    await _import_and_link(fake, running_bot, admin)

    # 17 March 2022, 09:00 in Moscow: 14 days to the end of March.
    clock.set(datetime(2022, 3, 17, 6, 0, tzinfo=UTC))
    before = len(fake.messages(ZHILINA.id))
    before_admin = len(fake.messages(admin.id))
    # Items 3 and 7 are due in March, hers; item 1 (February) is overdue: the admin is told.
    # One outbox broadcast per (period, kind).
    assert len(await _plan_sweep(running_bot)) == 3
    told = _texts(fake, admin.id)[before_admin:]
    assert len(told) == 1 and "Просрочен пункт плана" in told[0] and "Пункт 1:" in told[0]
    reminded = fake.messages(ZHILINA.id)[before:]
    assert sorted(m.text.split("\n")[2][:8] for m in reminded if m.text) == [
        "Пункт 3:",
        "Пункт 7:",
    ]
    assert all("до 31.03.2022" in (m.text or "") for m in reminded)
    assert all(button_texts(m) == [texts.BTN_MARK] for m in reminded)
    assert await _plan_sweep(running_bot) == []
    await running_bot.restart()
    assert len(fake.messages(ZHILINA.id)) == before + 2  # the start-up sweep repeated nothing
    assert not fake.messages(STRANGER.id)
    # The bot's own notices: not among the admins' broadcasts, nor news to read again.
    await fake.send_message(admin, "/broadcasts")
    assert screen(fake, admin.id).text == ru.BC_LIST_EMPTY
    async with running_bot.sessions() as session:
        her = await session.scalar(select(Person).where(Person.telegram_id == ZHILINA.id))
        assert her is not None and await compose.news_for(session, her) == []

    # She reports item 3 for March, with a link.
    item3 = next(m for m in reminded if "Пункт 3:" in (m.text or ""))
    await fake.click(ZHILINA, texts.BTN_MARK, item3.message_id)
    assert "Пункт 3, срок март 2022" in screen(fake, ZHILINA.id).text
    await fake.send_message(ZHILINA, "Мониторинг проведён, итоги: https://example.org/mon")
    assert screen(fake, ZHILINA.id).text == texts.REPORT_SAVED.format(number=3, label="март 2022")
    async with running_bot.sessions() as session:
        report = await session.scalar(select(PlanReport))
        assert report is not None and report.link == "https://example.org/mon"
        item = await session.scalar(select(PlanItem).where(PlanItem.number == 3))
        assert item is not None and item.state is PlanState.IN_PROGRESS
        march = await session.scalar(
            select(PlanPeriod).where(PlanPeriod.item_id == item.id, PlanPeriod.key == "2022-03")
        )
        assert march is not None and march.done_at is not None

    # The same button again: the period is done, nothing is written.
    await fake.click(ZHILINA, texts.BTN_MARK, item3.message_id)
    assert fake.callback_answers[-1]["text"] == texts.REFUSED["already_done"]
    assert await count(running_bot.sessions, PlanReport) == 1

    # 3 days before: item 7 again (the 3-day reminder), item 3 is done.
    clock.set(datetime(2022, 3, 28, 6, 0, tzinfo=UTC))
    assert len(await _plan_sweep(running_bot)) == 1
    assert "Пункт 7:" in screen(fake, ZHILINA.id).text

    # 1 April: items 2 and 7 (March) are overdue too, told to the admin once.
    clock.set(datetime(2022, 4, 1, 6, 0, tzinfo=UTC))
    before_admin = len(fake.messages(admin.id))
    assert len(await _plan_sweep(running_bot)) == 2
    overdue = [t for t in _texts(fake, admin.id)[before_admin:] if "Просрочен" in t]
    assert len(overdue) == 2 and any("Пункт 7:" in t for t in overdue)
    await running_bot.restart()
    assert await _plan_sweep(running_bot) == []
    assert len([t for t in _texts(fake, admin.id) if "Просрочен" in t]) == 3
    async with running_bot.sessions() as session:
        item7 = await session.scalar(select(PlanItem).where(PlanItem.number == 7))
        assert item7 is not None and item7.state is PlanState.OVERDUE
    notice = next(
        m
        for m in fake.messages(admin.id)
        if "Просрочен" in (m.text or "") and "Пункт 7:" in m.text
    )
    await fake.click(admin, texts.BTN_OPEN_ITEM.format(number=7), notice.message_id)
    opened = fake.message(admin.id, notice.message_id)
    assert opened is not None and "Пункт 7</b> плана на 2022 год — просрочено" in (
        opened.text or ""
    )


async def test_forged_marks_are_refused(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser
) -> None:
    await _import_and_link(fake, running_bot, admin)
    # In May 2026 every dated item of 2022 is past due: /plan says so before any sweep.
    await fake.send_message(admin, "/plan")
    listing = screen(fake, admin.id).text
    assert "🔴 <b>1.</b>" in listing and "🔴 <b>10.</b>" in listing
    async with running_bot.sessions() as session:
        item3 = await session.scalar(select(PlanItem).where(PlanItem.number == 3))
        item9 = await session.scalar(select(PlanItem).where(PlanItem.number == 9))
        assert item3 is not None and item9 is not None
    # Someone the item does not name.
    await fake.send_callback(STRANGER, _mark(item3.id, "2022-03"))
    assert fake.callback_answers[-1]["text"] == texts.REFUSED["not_responsible"]
    # A period the item does not have.
    await fake.send_callback(ZHILINA, _mark(item3.id, "2022-04"))
    assert fake.callback_answers[-1]["text"] == texts.REFUSED["no_period"]
    # A cancelled item.
    await fake.click(admin, texts.BTN_OPEN_ITEM.format(number=9))
    await fake.click(admin, texts.BTN_CANCEL_ITEM)
    assert "отменено" in screen(fake, admin.id).text
    await fake.send_callback(ZHILINA, _mark(item9.id, "2022-10"))
    assert fake.callback_answers[-1]["text"] == texts.REFUSED["cancelled"]
    assert await count(running_bot.sessions, PlanReport) == 0
    assert await count(running_bot.sessions, PlanNotice) == 0


async def test_report_with_a_photo_and_the_cancel_button(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser
) -> None:
    await _import_and_link(fake, running_bot, admin)
    async with running_bot.sessions() as session:
        item8 = await session.scalar(select(PlanItem).where(PlanItem.number == 8))
        assert item8 is not None
    await fake.send_callback(ZHILINA, _mark(item8.id, "2022-04"))
    await fake.click(ZHILINA, texts.BTN_CANCEL)
    assert screen(fake, ZHILINA.id).text == texts.REPORT_CANCELLED
    await fake.send_message(ZHILINA, "просто текст")  # no longer a report
    assert await count(running_bot.sessions, PlanReport) == 0

    await fake.send_callback(ZHILINA, _mark(item8.id, "2022-04"))
    await fake.send_photo(ZHILINA, caption="Заседание президиума")
    assert screen(fake, ZHILINA.id).text == texts.REPORT_SAVED.format(
        number=8, label="апрель 2022"
    )
    async with running_bot.sessions() as session:
        report = await session.scalar(select(PlanReport))
        assert report is not None and report.file_kind == "photo"
        assert report.text == "Заседание президиума"
    await fake.send_message(admin, "/plan")
    await fake.click(admin, texts.BTN_OPEN_ITEM.format(number=8))
    await fake.click(admin, texts.BTN_REPORTS)
    assert "Заседание президиума [вложение]" in screen(fake, admin.id).text


async def test_a_member_cannot_import_a_plan(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser
) -> None:
    await _register(running_bot, STRANGER)
    await fake.send_document(STRANGER, "plan_2022.csv", SAMPLE_CSV.read_bytes())
    assert await count(running_bot.sessions, PlanItem) == 0
    await fake.send_message(STRANGER, "/plan")
    assert "План мероприятий" not in screen(fake, STRANGER.id).text


async def test_filters_and_the_report_button_in_reports(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser, clock: FakeClock
) -> None:
    clock.set(datetime(2022, 4, 10, 9, 0, tzinfo=UTC))  # item 8 is due in April and June
    await _import_and_link(fake, running_bot, admin)
    async with running_bot.sessions() as session:
        item8 = await session.scalar(select(PlanItem).where(PlanItem.number == 8))
        assert item8 is not None
    await fake.send_callback(ZHILINA, _mark(item8.id, "2022-04"))
    await fake.send_message(ZHILINA, "Рассмотрено на президиуме")

    await fake.send_message(admin, "/plan")
    await fake.click(admin, texts.BTN_BY_STATE)
    await fake.click(admin, texts.STATE_NAMES[PlanState.IN_PROGRESS])
    shown = screen(fake, admin.id).text
    assert "— выполняется" in shown and "<b>8.</b>" in shown and "<b>1.</b>" not in shown
    await fake.click(admin, texts.BTN_ALL)
    await fake.click(admin, texts.BTN_BY_PERSON)
    await fake.click(admin, "Жилина Елена")
    shown = screen(fake, admin.id).text
    assert "ответственный: Жилина Елена" in shown
    assert "<b>3.</b>" in shown and "<b>2.</b>" not in shown  # item 2 is not hers

    await fake.send_message(admin, "/reports")
    await fake.click(admin, texts.REPORT_BUTTON)
    document = screen(fake, admin.id)
    assert document.kind == "document"
    assert document.caption == texts.REPORT_CAPTION.format(year=2022)


async def test_a_bad_plan_file_in_the_chat_names_every_line_and_writes_nothing(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser
) -> None:
    content = (
        "№;Мероприятия;Ответственные;Сроки\r\n"
        "1.;Мониторинг;Жилина Е.А.;февраль 2022\r\n"
        "2.;Отчёты;Жилина Е.А.;к лету\r\n"
        "3.;;Жилина Е.А.;март 2022\r\n"
    ).encode("cp1251")
    await fake.send_document(admin, "план_2022.csv", content)
    answer = screen(fake, admin.id).text
    assert "Файл плана «план_2022.csv» не загружен, ничего не изменено" in answer
    assert "Строка 3: не удалось понять срок «к лету»" in answer
    assert "Строка 4: не указано мероприятие" in answer
    assert await count(running_bot.sessions, PlanItem) == 0
    await fake.send_message(admin, "/plan")
    assert screen(fake, admin.id).text == texts.NO_PLAN


async def test_queued_before_a_crash_is_delivered_after_the_restart_once(
    fake: FakeTelegram,
    running_bot: RunningBot,
    admin: FakeUser,
    clock: FakeClock,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    clock.set(datetime(2022, 2, 1, 9, 0, tzinfo=UTC))
    await _import_and_link(fake, running_bot, admin)
    await running_bot.stop()
    # The process queued the notices and died before its worker sent any of them.
    clock.set(datetime(2022, 3, 17, 6, 0, tzinfo=UTC))
    before, before_admin = len(fake.messages(ZHILINA.id)), len(fake.messages(admin.id))
    async with session_factory() as session:
        queued = await reminders.sweep(
            session, utcnow(), plan_schedule_of(running_bot.settings), notice_markup
        )
    assert len(queued) == 3
    assert len(fake.messages(ZHILINA.id)) == before

    await running_bot.start()  # its start-up sweep queues nothing again; the worker resumes
    await _delivered(running_bot, queued)
    reminded = fake.messages(ZHILINA.id)[before:]
    assert sorted(m.text.split("\n")[2][:8] for m in reminded if m.text) == [
        "Пункт 3:",
        "Пункт 7:",
    ]
    assert all(button_texts(m) == [texts.BTN_MARK] for m in reminded)
    assert len([t for t in _texts(fake, admin.id)[before_admin:] if "Просрочен" in t]) == 1
    assert await _plan_sweep(running_bot) == []
    async with running_bot.sessions() as session:
        statuses = list(
            await session.scalars(select(Delivery.status).where(Delivery.broadcast_id.in_(queued)))
        )
        assert statuses == [DeliveryStatus.SENT] * 3
        notices = await session.scalars(select(Broadcast.id).where(Broadcast.notice.is_(True)))
        assert sorted(notices) == sorted(queued)


async def test_a_crash_before_the_broadcast_is_queued_leaves_the_notices_unclaimed(
    fake: FakeTelegram,
    running_bot: RunningBot,
    admin: FakeUser,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock.set(datetime(2022, 2, 1, 9, 0, tzinfo=UTC))
    await _import_and_link(fake, running_bot, admin)
    clock.set(datetime(2022, 3, 17, 6, 0, tzinfo=UTC))
    before = len(fake.messages(ZHILINA.id))

    async def dies(*args: object, **kwargs: object) -> int:
        raise ConnectionError("the database went away")

    monkeypatch.setattr(reminders.outbox, "enqueue", dies)
    with pytest.raises(ConnectionError):
        await _plan_sweep(running_bot)
    monkeypatch.undo()
    async with running_bot.sessions() as session:
        claimed = await session.scalars(select(PlanNotice).where(PlanNotice.sent_at.is_not(None)))
        assert list(claimed) == []  # nothing claimed without its broadcast
    async with running_bot.sessions() as session:
        assert list(await session.scalars(select(Broadcast).where(Broadcast.notice))) == []

    assert len(await _plan_sweep(running_bot)) == 3  # the next sweep skips nothing
    reminded = [m for m in fake.messages(ZHILINA.id)[before:] if "Напоминание" in (m.text or "")]
    assert len(reminded) == 2
    assert await _plan_sweep(running_bot) == []


async def test_a_territorial_admin_sees_the_plan_but_not_the_regional_buttons(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser, directory: None
) -> None:
    from tests.helpers import add_member, grant

    chair = FakeUser(id=700009, first_name="Председатель")
    await add_member(running_bot.sessions, chair.id, None, topics=())
    await grant(running_bot.sessions, chair.id, "territorial_admin", "46-01")
    await _import_and_link(fake, running_bot, admin)
    await fake.send_message(chair, "/plan")
    listing = screen(fake, chair.id)
    assert "План мероприятий на 2022 год" in listing.text
    assert texts.BTN_LINK.format(count=2) not in button_texts(listing)
    assert texts.REPORT_BUTTON not in button_texts(listing)
    await fake.click(chair, texts.BTN_OPEN_ITEM.format(number=2))
    assert texts.BTN_CANCEL_ITEM not in button_texts(screen(fake, chair.id))
    async with running_bot.sessions() as session:
        item2 = await session.scalar(select(PlanItem).where(PlanItem.number == 2))
        assert item2 is not None
    forged = PlanCB(action=PlanAction.CANCEL_ITEM, year=2022, item_id=item2.id).pack()
    await fake.send_callback(chair, forged)
    assert fake.callback_answers[-1]["text"] == texts.REGIONAL_ONLY
    async with running_bot.sessions() as session:
        again = await session.get(PlanItem, item2.id)
        assert again is not None and again.state is not PlanState.CANCELLED
    await fake.send_document(chair, "plan_2022.xlsx", SAMPLE_XLSX.read_bytes())
    assert "План на 2022 год загружен" not in screen(fake, chair.id).text


async def test_the_import_and_the_link_are_in_the_audit_trail(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser
) -> None:
    from zoneinfo import ZoneInfo

    from models import AuditEntry, AuditKind
    from services import audit
    from texts import ru

    await _import_and_link(fake, running_bot, admin)
    async with running_bot.sessions() as session:
        entries = list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    kinds = [e.kind for e in entries]
    assert kinds == [AuditKind.PLAN_IMPORTED, AuditKind.PLAN_NAME_LINKED]
    assert audit.describe(entries[0], ZoneInfo("Europe/Moscow")) == (
        "загрузил(а) план мероприятий на 2022 год из файла «plan_2022.xlsx»: добавлено 10, "
        "изменено 0"
    )
    assert set(ru.AUDIT_KINDS) == {kind.value for kind in AuditKind}
    await fake.send_message(admin, "/audit")
    assert "привязал(а) имя плана «жилина е.а»" in screen(fake, admin.id).text
    await fake.click(admin, ru.AUDIT_BY_KIND)  # every kind has its button label
    assert "Загружен план мероприятий" in button_texts(screen(fake, admin.id))


async def test_the_start_up_sweep_sends_what_fell_due_while_the_bot_was_down(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser, clock: FakeClock
) -> None:
    clock.set(datetime(2022, 2, 1, 9, 0, tzinfo=UTC))
    await _import_and_link(fake, running_bot, admin)
    await running_bot.stop()
    clock.set(datetime(2022, 3, 29, 6, 0, tzinfo=UTC))  # 2 days left: the 3-day reminders
    before = len(fake.messages(ZHILINA.id))
    await running_bot.start()  # no explicit sweep: the bot's own start-up sweep
    reminded = await eventually(
        lambda: len(fake.messages(ZHILINA.id)) >= before + 2 and fake.messages(ZHILINA.id)[before:]
    )
    assert sorted((m.text or "").split("\n")[2][:8] for m in reminded) == ["Пункт 3:", "Пункт 7:"]
    async with running_bot.sessions() as session:
        kinds = set(await session.scalars(select(PlanNotice.kind)))
    assert kinds == {"remind3", "overdue"}  # the 14-day one is not sent this late


def test_plan_remind_days_setting() -> None:
    from bot.config import Settings
    from tests.conftest import TOKEN

    base = {"_env_file": None, "bot_token": TOKEN}
    assert Settings(**base).plan_remind_days == (14, 3)  # type: ignore[arg-type]
    assert Settings(**base, plan_remind_days="7, 1").plan_remind_days == (7, 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ожидаются числа"):
        Settings(**base, plan_remind_days="две недели")  # type: ignore[arg-type]
