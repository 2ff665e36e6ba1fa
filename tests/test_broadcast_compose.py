"""End to end: admins compose, preview, send, schedule, pause and recall broadcasts in the chat;
members read /news."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from fakeapi import FakeTelegram, FakeUser
from models import Broadcast, BroadcastStatus, Delivery, DeliveryStatus, utcnow
from tests.conftest import RunningBot
from tests.helpers import add_member, button_texts, count, eventually, grant, screen
from texts import ru

pytestmark = pytest.mark.usefixtures("directory")

BELOVSKY_SCHOOL = "46-01-001"  # a primary organisation of the Беловский district (46-01)
KURSK_SCHOOL = "46-29-004"


@pytest.fixture
async def audience(running_bot: RunningBot) -> dict[str, int]:
    """Members in two territories, one not subscribed to news, one officer."""
    sessions = running_bot.sessions
    ids = {"belovo": 200001, "belovo_law_only": 200002, "kursk": 200003, "officer": 200004}
    await add_member(sessions, ids["belovo"], BELOVSKY_SCHOOL)
    await add_member(sessions, ids["belovo_law_only"], BELOVSKY_SCHOOL, topics={"law"})
    await add_member(sessions, ids["kursk"], KURSK_SCHOOL)
    await add_member(sessions, ids["officer"], KURSK_SCHOOL, topics=set())
    await grant(sessions, ids["officer"], "officer", KURSK_SCHOOL)
    return ids


async def compose_until_preview(fake: FakeTelegram, admin: FakeUser, text: str) -> None:
    await fake.send_message(admin, "/broadcast")
    assert "Пришлите сообщение" in screen(fake, admin.id).text
    await fake.send_message(admin, text)
    await fake.click(admin, ru.BC_KIND_NEWS)
    assert "✅ Новости профсоюзных органов" in button_texts(screen(fake, admin.id))
    await fake.click(admin, ru.BC_NEXT)


async def test_regional_admin_sends_news_to_every_subscriber(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser, audience: dict[str, int]
) -> None:
    await compose_until_preview(fake, admin, "Профсоюз добился индексации зарплат")
    await fake.click(admin, ru.BC_AUDIENCE_ALL)
    preview = screen(fake, admin.id)
    assert "Предпросмотр" in preview.text
    assert "Количество получателей: <b>2</b>" in preview.text
    copies = fake.calls_of("copyMessage", chat_id=admin.id)
    assert len(copies) == 1  # the message as members will see it

    await fake.click(admin, ru.BC_SEND_NOW)
    for member in ("belovo", "kursk"):
        await eventually(
            lambda m=member: any(
                "индексации" in t for t in delivered_texts_sync(fake, audience[m])
            )
        )
    assert not fake.messages(audience["belovo_law_only"])
    assert not fake.messages(audience["officer"])
    card = await eventually(lambda: _done_card(fake, admin.id))
    assert "Отправлено: 2 из 2 (100%)" in card.text
    assert ru.BC_RECALL in button_texts(card)


def delivered_texts_sync(fake: FakeTelegram, chat_id: int) -> list[str]:
    return [m.text or "" for m in fake.messages(chat_id)]


def _done_card(fake: FakeTelegram, chat_id: int):  # type: ignore[no-untyped-def]
    for message in reversed(fake.messages(chat_id)):
        if "завершена" in (message.text or ""):
            return message
    return None


async def test_audience_of_one_territory_and_of_officers(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser, audience: dict[str, int]
) -> None:
    await compose_until_preview(fake, admin, "Семинар для Беловского района")
    await fake.click(admin, ru.BC_AUDIENCE_TERRITORY)
    await fake.click(admin, "Беловская районная организация Профсоюза")
    assert "Количество получателей: <b>1</b>" in screen(fake, admin.id).text

    await fake.click(admin, ru.BC_CHANGE)
    await fake.click(admin, ru.BC_KIND_NEWS)
    await fake.click(admin, ru.BC_NEXT)
    await fake.click(admin, ru.BC_AUDIENCE_OFFICERS)
    assert "Количество получателей: <b>1</b>" in screen(fake, admin.id).text
    await fake.click(admin, ru.BC_SEND_NOW)
    await eventually(lambda: delivered_texts_sync(fake, audience["officer"]))
    assert not fake.messages(audience["kursk"])


async def test_territorial_admin_stays_within_the_territory(
    fake: FakeTelegram, running_bot: RunningBot, audience: dict[str, int]
) -> None:
    chair = FakeUser(id=300001, first_name="Председатель")
    await add_member(running_bot.sessions, chair.id, None, topics=set())
    await grant(running_bot.sessions, chair.id, "territorial_admin", "46-01")
    await compose_until_preview(fake, chair, "Новости района")
    options = button_texts(screen(fake, chair.id))
    assert ru.BC_AUDIENCE_ALL_TERRITORY in options
    assert ru.BC_AUDIENCE_ALL not in options and ru.BC_AUDIENCE_TERRITORY not in options
    draft = await _latest(running_bot)
    # A forged button naming a school of another territory is refused.
    other = await _org_id(running_bot, KURSK_SCHOOL)
    await fake.send_callback(chair, f"bc:o:{draft.id}:org:{other}:0")
    assert fake.callback_answers[-1]["text"] == ru.BC_ORG_OUTSIDE
    await fake.click(chair, ru.BC_AUDIENCE_ALL_TERRITORY)
    assert "Количество получателей: <b>1</b>" in screen(fake, chair.id).text
    await fake.click(chair, ru.BC_SEND_NOW)
    await eventually(lambda: delivered_texts_sync(fake, audience["belovo"]))
    assert not fake.messages(audience["kursk"])


async def test_members_cannot_broadcast(
    fake: FakeTelegram, running_bot: RunningBot, member: FakeUser
) -> None:
    await fake.send_message(member, "/broadcast")
    assert screen(fake, member.id).text == ru.ADMIN_ONLY
    await fake.send_message(member, "/broadcasts")
    assert screen(fake, member.id).text == ru.ADMIN_ONLY
    assert await count(running_bot.sessions, Broadcast) == 0


async def test_an_album_is_sent_as_one_album(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser, audience: dict[str, int]
) -> None:
    await fake.send_message(admin, "/broadcast")
    await fake.send_photo(admin, "Фото с конференции", media_group_id="album1")
    await fake.send_photo(admin, None, media_group_id="album1")
    kind_prompts = [m for m in fake.messages(admin.id) if m.text == ru.BC_CHOOSE_KIND]
    assert len(kind_prompts) == 1  # one question for the whole album
    await fake.click(admin, ru.BC_KIND_NEWS)
    await fake.click(admin, ru.BC_NEXT)
    await fake.click(admin, ru.BC_AUDIENCE_ALL)
    await fake.click(admin, ru.BC_SEND_NOW)
    await eventually(lambda: fake.calls_of("copyMessages", chat_id=audience["kursk"]))
    call = fake.calls_of("copyMessages", chat_id=audience["kursk"])[0]
    assert len(call.params["message_ids"]) == 2


async def test_scheduling_validates_the_time_and_sends_when_due(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser, audience: dict[str, int]
) -> None:
    await compose_until_preview(fake, admin, "Завтра собрание")
    await fake.click(admin, ru.BC_AUDIENCE_ALL)
    await fake.click(admin, ru.BC_SCHEDULE)
    assert "Когда отправить?" in screen(fake, admin.id).text
    await fake.send_message(admin, "завтра утром")
    assert "Не понял дату" in screen(fake, admin.id).text
    await fake.send_message(admin, "01.01.2020 10:00")
    assert screen(fake, admin.id).text == ru.BC_PAST_TIME
    tomorrow = (utcnow() + timedelta(days=1)).astimezone(running_bot.settings.tz)
    await fake.send_message(admin, tomorrow.strftime("%d.%m.%Y %H:%M"))
    assert "запланирована на" in screen(fake, admin.id).text
    broadcast = await _latest(running_bot)
    assert broadcast.status is BroadcastStatus.SCHEDULED
    assert not fake.messages(audience["kursk"])
    # Time passes: the worker sends it once it is due.
    async with running_bot.sessions() as session:
        await session.execute(
            update(Broadcast).values(scheduled_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
    running_bot.wake_worker()
    await eventually(lambda: delivered_texts_sync(fake, audience["kursk"]))


async def test_cancelling_a_draft_and_a_stale_button(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser, audience: dict[str, int]
) -> None:
    await compose_until_preview(fake, admin, "Черновик")
    draft = await _latest(running_bot)
    await fake.click(admin, ru.BC_CANCEL)
    assert screen(fake, admin.id).text == ru.BC_CANCELLED_DRAFT
    assert await count(running_bot.sessions, Broadcast) == 0
    # A button of the cancelled draft (from another message, or forged) does nothing.
    await fake.send_callback(admin, f"bc:a:{draft.id}:all:0:0")
    assert fake.callback_answers[-1]["text"] == ru.BC_STALE_DRAFT
    assert not fake.calls_of("copyMessage")


async def test_pause_resume_cancel_and_the_list(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser, audience: dict[str, int]
) -> None:
    fake.set_latency(0.3, 0.3)  # slow sends, so the broadcast is still running when we click
    await compose_until_preview(fake, admin, "Длинная рассылка")
    await fake.click(admin, ru.BC_AUDIENCE_ALL)
    await fake.click(admin, ru.BC_SEND_NOW)
    await fake.click(admin, ru.BC_PAUSE)
    assert (await _latest(running_bot)).status is BroadcastStatus.PAUSED
    assert ru.BC_RESUME in button_texts(screen(fake, admin.id))
    await fake.click(admin, ru.BC_RESUME)
    assert (await _latest(running_bot)).status in (BroadcastStatus.SENDING, BroadcastStatus.DONE)
    fake.set_latency(0, 0)
    await eventually(lambda: _done_card(fake, admin.id))
    await fake.send_message(admin, "/broadcasts")
    listing = screen(fake, admin.id)
    assert "№1" in listing.text and "отправлено 2 из 2" in listing.text
    await fake.click(admin, "№1")
    assert "Рассылка №1" in screen(fake, admin.id).text


async def test_recall_deletes_delivered_messages(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser, audience: dict[str, int]
) -> None:
    await compose_until_preview(fake, admin, "Ошибочная новость")
    await fake.click(admin, ru.BC_AUDIENCE_ALL)
    await fake.click(admin, ru.BC_SEND_NOW)
    card = await eventually(lambda: _done_card(fake, admin.id))
    # A second card of the same broadcast, opened from /broadcasts before the recall.
    await fake.send_message(admin, "/broadcasts")
    listing = screen(fake, admin.id)
    await fake.click(admin, button_texts(listing)[0], message_id=listing.message_id)
    other = screen(fake, admin.id)
    assert ru.BC_RECALL in button_texts(other)
    await fake.click(admin, ru.BC_RECALL, message_id=card.message_id)
    await fake.click(admin, ru.BC_RECALL_YES)
    await eventually(lambda: not fake.messages(audience["kursk"]))

    async def all_recalled() -> bool:
        async with running_bot.sessions() as session:
            return set(await session.scalars(select(Delivery.status))) == {DeliveryStatus.RECALLED}

    await eventually(all_recalled)
    async with running_bot.sessions() as session:
        delivered = len((await session.scalars(select(Delivery.id))).all())
    recalled = await eventually(lambda: _recalled_card(fake, admin.id))
    # Its own state, the sent count kept, Russian plural forms.
    assert "Статус: отозвана" in (recalled.text or "")
    assert f"Отправлено: {delivered} из {delivered} (100%)" in (recalled.text or "")
    people = ru.plural(delivered, "у получателя", "у получателей", "у получателей")
    assert f"Сообщение удалено {people}" in (recalled.text or "")
    assert ru.BC_RECALL not in button_texts(recalled)
    # The other card offered «Отозвать» still: a tap says it was recalled and updates it.
    await fake.click(admin, ru.BC_RECALL, message_id=other.message_id)
    assert fake.callback_answers[-1]["text"] == ru.BC_RECALL_ALREADY
    updated = fake.message(admin.id, other.message_id)
    assert updated is not None and ru.BC_RECALL not in button_texts(updated)
    assert "Статус: отозвана" in (updated.text or "")
    # /broadcasts: the first words, the author, «отозвана».
    await fake.send_message(admin, "/broadcasts")
    listing = screen(fake, admin.id).text or ""
    assert "«Ошибочная новость»" in listing and "Ольга Петрова" in listing
    assert "отозвана" in listing


def test_russian_plural_forms() -> None:
    forms = ("получателя", "получателей", "получателей")
    assert [ru.plural(n, *forms) for n in (1, 2, 5, 11, 21, 22, 112, 1001)] == [
        "1 получателя",
        "2 получателей",
        "5 получателей",
        "11 получателей",
        "21 получателя",
        "22 получателей",
        "112 получателей",
        "1 001 получателя",
    ]
    officers = ("ответственному", "ответственным", "ответственным")
    assert ru.plural(1, *officers) == "1 ответственному"
    assert ru.plural(3, *officers) == "3 ответственным"


async def test_news_shows_what_a_late_member_missed(
    fake: FakeTelegram,
    running_bot: RunningBot,
    admin: FakeUser,
    member: FakeUser,
    audience: dict[str, int],
) -> None:
    await compose_until_preview(fake, admin, "Итоги конкурса «Учитель года»")
    await fake.click(admin, ru.BC_AUDIENCE_ALL)
    await fake.click(admin, ru.BC_SEND_NOW)
    await eventually(lambda: _done_card(fake, admin.id))
    await fake.send_message(member, "/start")
    await fake.click(member, "✅ Согласен(на)")
    await fake.click(member, "Пропустить")
    await fake.send_message(member, "/news")
    texts = delivered_texts_sync(fake, member.id)
    assert ru.NEWS_TITLE in texts
    assert any("Учитель года" in t for t in texts)


def _recalled_card(fake: FakeTelegram, chat_id: int):  # type: ignore[no-untyped-def]
    return next(
        (m for m in fake.messages(chat_id) if "Статус: отозвана" in (m.text or "")), None
    )


async def _latest(running_bot: RunningBot) -> Broadcast:
    async with running_bot.sessions() as session:
        broadcast = await session.scalar(select(Broadcast).order_by(Broadcast.id.desc()))
        assert broadcast is not None
        return broadcast


async def _org_id(running_bot: RunningBot, code: str) -> int:
    from services import orgs

    async with running_bot.sessions() as session:
        org = await orgs.get_by_code(session, code)
        assert org is not None
        return org.id
