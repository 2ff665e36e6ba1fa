"""End to end: /ais grants and withdraws the AIS officer role after a confirmation, within
the admin's territory, with the audit trail; forged buttons change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from fakeapi import FakeTelegram, FakeUser
from handlers.callbacks import AisAction, AisCB
from models import AuditEntry, AuditKind, EventAudience, EventKind, Role, RoleKind, utcnow
from services import audit, events, orgs
from services.people import Roles
from tests.conftest import RunningBot
from tests.helpers import add_member, button_texts, grant, person_of, screen
from texts import ru

pytestmark = pytest.mark.usefixtures("directory")

BELOVO_CLERK = 310001  # of a Belovo school
KURSK_CHAIR = 310002  # the territorial admin of Kursk


def _answered(fake: FakeTelegram) -> str:
    return str(fake.calls_of("answerCallbackQuery")[-1].params.get("text") or "")


async def _ais_roles(running_bot: RunningBot) -> list[tuple[int, int | None]]:
    async with running_bot.sessions() as session:
        rows = await session.execute(
            select(Role.person_id, Role.org_id).where(Role.kind == RoleKind.AIS_OFFICER)
        )
        return [(person_id, org_id) for person_id, org_id in rows]


async def _audited(running_bot: RunningBot, kind: AuditKind) -> list[dict[str, object]]:
    async with running_bot.sessions() as session:
        entries = await session.scalars(select(AuditEntry).where(AuditEntry.kind == kind))
        return [dict(entry.details) for entry in entries]


async def test_an_admin_grants_and_withdraws_the_ais_role_after_a_confirmation(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser
) -> None:
    await add_member(running_bot.sessions, BELOVO_CLERK, "46-01-001")
    clerk = await person_of(running_bot.sessions, BELOVO_CLERK)
    assert clerk is not None

    await fake.send_message(admin, "/ais")
    assert screen(fake, admin.id).text == ru.AIS_USAGE
    await fake.send_message(admin, "/ais @nobody_here")
    assert screen(fake, admin.id).text == ru.AIS_NO_PERSON

    await fake.send_message(admin, f"/ais {BELOVO_CLERK}")
    ask = screen(fake, admin.id)
    assert ask.text.startswith("Назначить ") and "ответственным за АИС?" in ask.text
    assert button_texts(ask) == [ru.AIS_GRANT, ru.AIS_CANCEL]
    await fake.click(admin, ru.AIS_CANCEL)  # the way out: nothing changes
    assert screen(fake, admin.id).text == ru.AIS_CANCELLED
    assert await _ais_roles(running_bot) == []

    await fake.send_message(admin, f"/ais {BELOVO_CLERK}")
    await fake.click(admin, ru.AIS_GRANT)
    assert "— ответственный за АИС" in screen(fake, admin.id).text
    assert await _ais_roles(running_bot) == [(clerk.id, clerk.org_id)]
    assert await _audited(running_bot, AuditKind.AIS_GRANTED) == [
        {"person": clerk.id, "org": "46-01-001"}
    ]
    async with running_bot.sessions() as session:
        (entry,) = await session.scalars(
            select(AuditEntry).where(AuditEntry.kind == AuditKind.AIS_GRANTED)
        )
        assert audit.describe(entry, running_bot.settings.tz) == (
            f"назначил(а) ответственного за АИС: человек №{clerk.id}, 46-01-001"
        )
        assert audit.actor_label(entry) == "Ольга Петрова"
    # The confirmation once more (an old message's button): granted already, nothing doubled.
    await fake.send_callback(admin, AisCB(action=AisAction.GRANT, person=clerk.id).pack())
    assert _answered(fake) == ru.AIS_UNCHANGED
    assert await _ais_roles(running_bot) == [(clerk.id, clerk.org_id)]

    # The role puts them in the AIS officers' audience of their territory's events.
    async with running_bot.sessions() as session:
        belovo = await orgs.get_by_code(session, "46-01")
        assert belovo is not None
        now = utcnow()
        draft = events.EventDraft(
            title="АИС: реестр",
            description="",
            kind=EventKind.WEBINAR,
            starts_at=now + timedelta(days=3),
            ends_at=now + timedelta(days=3, hours=1),
            place="онлайн",
            audience=EventAudience.AIS_OFFICERS,
            topic_id=None,
            capacity=None,
        )
        event = await events.create(
            session, draft, admin.id, Roles(territories=frozenset({belovo.id}))
        )
        assert await events.may_join(session, event, clerk)
    clerk_user = FakeUser(id=BELOVO_CLERK, first_name="К")
    await fake.send_message(clerk_user, "/profile")
    assert "ответственный за АИС" in screen(fake, clerk_user.id).text

    await fake.send_message(admin, f"/ais {BELOVO_CLERK}")
    ask = screen(fake, admin.id)
    assert "Снять роль?" in ask.text and button_texts(ask) == [ru.AIS_REVOKE, ru.AIS_CANCEL]
    await fake.click(admin, ru.AIS_REVOKE)
    assert "больше не ответственный за АИС" in screen(fake, admin.id).text
    assert await _ais_roles(running_bot) == []
    assert await _audited(running_bot, AuditKind.AIS_REVOKED) == [{"person": clerk.id}]
    forged = AisCB(action=AisAction.REVOKE, person=clerk.id).pack()
    await fake.send_callback(admin, forged)  # nothing left to withdraw
    assert _answered(fake) == ru.AIS_UNCHANGED
    assert len(await _audited(running_bot, AuditKind.AIS_REVOKED)) == 1


async def test_a_territorial_admin_only_within_the_territory_and_forged_buttons_refused(
    fake: FakeTelegram, running_bot: RunningBot, admin: FakeUser
) -> None:
    await add_member(running_bot.sessions, BELOVO_CLERK, "46-01-001")
    await add_member(running_bot.sessions, KURSK_CHAIR, "46-29-004")
    await grant(running_bot.sessions, KURSK_CHAIR, "territorial_admin", "46-29")
    await add_member(running_bot.sessions, 310003, "46-29-004")  # a Kursk teacher
    clerk = await person_of(running_bot.sessions, BELOVO_CLERK)
    teacher = await person_of(running_bot.sessions, 310003)
    assert clerk is not None and teacher is not None
    chair = FakeUser(id=KURSK_CHAIR, first_name="П")

    await fake.send_message(chair, f"/ais {BELOVO_CLERK}")  # another territory's person
    assert screen(fake, chair.id).text == ru.AIS_OUTSIDE
    await fake.send_callback(chair, AisCB(action=AisAction.GRANT, person=clerk.id).pack())
    assert _answered(fake) == ru.AIS_OUTSIDE
    assert await _ais_roles(running_bot) == []

    await fake.send_message(chair, "/ais 310003")  # their own territory's
    await fake.click(chair, ru.AIS_GRANT)
    assert await _ais_roles(running_bot) == [(teacher.id, teacher.org_id)]

    # A member without an admin role: the button is stale for them, nothing changes.
    member = FakeUser(id=BELOVO_CLERK, first_name="К")
    await fake.send_callback(member, AisCB(action=AisAction.REVOKE, person=teacher.id).pack())
    assert _answered(fake) == ru.STALE_BUTTON
    await fake.send_callback(chair, "ais:x:notanumber")
    await fake.send_callback(chair, AisCB(action=AisAction.GRANT, person=999_999).pack())
    assert _answered(fake) == ru.AIS_NO_PERSON
    assert await _ais_roles(running_bot) == [(teacher.id, teacher.org_id)]
    assert len(await _audited(running_bot, AuditKind.AIS_GRANTED)) == 1
