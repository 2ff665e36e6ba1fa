"""Quarterly campaigns: the schedule, opening, notices (prompt, reminders, escalation), closing.

Everything is driven by rows: a campaign and the notices it owes. `sweep(now)` is idempotent
and is what the scheduler calls every minute; a notice's `done_at` is committed in the same
transaction that enqueues its broadcast, so a restart neither skips nor repeats one (a notice
missed while the bot was down goes out once, late).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Audience,
    AuditKind,
    Broadcast,
    BroadcastKind,
    BroadcastStatus,
    Campaign,
    CampaignNotice,
    CampaignStatus,
    NoticeKind,
    Organization,
    OrgLevel,
    Person,
    Role,
    RoleKind,
    Submission,
    SubmissionStatus,
)
from services import audit, orgs
from services.broadcasts import outbox
from services.broadcasts.preview import first_words
from services.monitoring import versions
from services.monitoring.schedule import Schedule, quarter_of
from services.unique import first_writer_wins
from texts import ru
from texts.ru import h


def quarter_label(campaign: Campaign) -> str:
    return ru.MON_QUARTER.format(quarter=campaign.quarter, year=campaign.year)


async def current(session: AsyncSession) -> Campaign | None:
    """The latest campaign (open or closed), the one admins and officers deal with."""
    return await session.scalar(
        select(Campaign).order_by(Campaign.period.desc()).limit(1)
    )


async def open_campaign(
    session: AsyncSession,
    schedule: Schedule,
    *,
    year: int,
    quarter: int,
    opens_at: datetime,
    deadline: datetime,
    actor: audit.Actor | None = None,
) -> Campaign:
    """Open the quarter's campaign with its notices, the prompt due at once.

    Idempotent, also against a concurrent opener (another sweep, an admin's «Открыть»): one
    inserts it, the others get that campaign. Only the one who inserted it is audited.
    """
    query = select(Campaign).where(Campaign.year == year, Campaign.quarter == quarter)
    existing = await session.scalar(query)
    if existing is not None:
        return existing
    questionnaire = await versions.current(session)

    async def insert() -> Campaign:
        campaign = Campaign(
            questionnaire_id=questionnaire.id,
            year=year,
            quarter=quarter,
            opens_at=opens_at,
            deadline=deadline,
            status=CampaignStatus.OPEN,
        )
        session.add(campaign)
        await session.flush()
        session.add(
            CampaignNotice(campaign_id=campaign.id, kind=NoticeKind.PROMPT, due_at=opens_at)
        )
        _plan_deadline_notices(session, campaign, schedule)
        audit.record(
            session,
            actor,
            AuditKind.CAMPAIGN_OPENED,
            campaign=campaign.id,
            year=year,
            quarter=quarter,
            when=deadline.isoformat(),
        )
        await session.commit()
        return campaign

    return await first_writer_wins(session, insert, query)


def _plan_deadline_notices(session: AsyncSession, campaign: Campaign, schedule: Schedule) -> None:
    for days in schedule.reminder_days:
        due = campaign.deadline - timedelta(days=days)
        # A reminder due before the campaign opened would only repeat the prompt.
        if due > campaign.opens_at:
            session.add(
                CampaignNotice(campaign_id=campaign.id, kind=NoticeKind.REMINDER, due_at=due)
            )
    session.add(
        CampaignNotice(
            campaign_id=campaign.id, kind=NoticeKind.ESCALATION, due_at=campaign.deadline
        )
    )


MANUAL_CAMPAIGN_DAYS = 14


async def open_now(
    session: AsyncSession, schedule: Schedule, now: datetime, actor: audit.Actor | None = None
) -> Campaign:
    """Open this quarter's campaign by hand; the deadline is the scheduled one if it is still
    ahead, else two weeks from now."""
    local = now.astimezone(schedule.tz)
    deadline = now + timedelta(days=MANUAL_CAMPAIGN_DAYS)
    if local.month in schedule.months:
        _, scheduled = schedule.window(local.year, local.month)
        if scheduled > now:
            deadline = scheduled
    return await open_campaign(
        session,
        schedule,
        year=local.year,
        quarter=quarter_of(local.month),
        opens_at=now,
        deadline=deadline,
        actor=actor,
    )


async def extend(
    session: AsyncSession,
    campaign: Campaign,
    deadline: datetime,
    schedule: Schedule,
    actor: audit.Actor | None = None,
) -> None:
    """A later deadline: the campaign reopens and its unsent notices are planned anew."""
    await session.execute(
        delete(CampaignNotice).where(
            CampaignNotice.campaign_id == campaign.id,
            CampaignNotice.kind != NoticeKind.PROMPT,
            CampaignNotice.done_at.is_(None),
        )
    )
    campaign.deadline = deadline
    campaign.status = CampaignStatus.OPEN
    campaign.closed_at = None
    await session.flush()
    _plan_deadline_notices(session, campaign, schedule)
    audit.record(
        session,
        actor,
        AuditKind.CAMPAIGN_EXTENDED,
        **_campaign_details(campaign),
        when=deadline.isoformat(),
    )
    await session.commit()


def _campaign_details(campaign: Campaign) -> dict[str, audit.Detail]:
    return {"campaign": campaign.id, "year": campaign.year, "quarter": campaign.quarter}


async def close(
    session: AsyncSession, campaign: Campaign, now: datetime, actor: audit.Actor | None = None
) -> None:
    """Stop accepting answers now; the escalation goes out at the next sweep."""
    campaign.status = CampaignStatus.CLOSED
    campaign.closed_at = now
    await session.execute(
        delete(CampaignNotice).where(
            CampaignNotice.campaign_id == campaign.id,
            CampaignNotice.kind == NoticeKind.REMINDER,
            CampaignNotice.done_at.is_(None),
        )
    )
    pending = await session.scalar(
        select(CampaignNotice).where(
            CampaignNotice.campaign_id == campaign.id,
            CampaignNotice.kind == NoticeKind.ESCALATION,
            CampaignNotice.done_at.is_(None),
        )
    )
    if pending is not None:
        pending.due_at = min(pending.due_at, now)
    audit.record(session, actor, AuditKind.CAMPAIGN_CLOSED, **_campaign_details(campaign))
    await session.commit()


async def remind_now(
    session: AsyncSession,
    campaign: Campaign,
    schedule: Schedule,
    now: datetime,
    territory_id: int | None = None,
    actor: audit.Actor | None = None,
) -> int:
    """An extra reminder, sent at once, to officers who have not submitted (of one territory
    when given); returns how many it goes to."""
    notice = CampaignNotice(campaign_id=campaign.id, kind=NoticeKind.REMINDER, due_at=now)
    broadcast = _officer_notice(campaign, notice, schedule)
    broadcast.territory_id = territory_id
    broadcast.scheduled_at = now
    session.add(broadcast)
    territory = await session.get(Organization, territory_id) if territory_id else None
    await session.commit()
    return await outbox.enqueue(
        session,
        broadcast.id,
        actor,
        audit_as=AuditKind.CAMPAIGN_REMINDED,
        **_campaign_details(campaign),
        territory=territory.code if territory else None,
    )


def is_accepting(campaign: Campaign, now: datetime) -> bool:
    """Answers are taken while the campaign is open and its deadline has not passed."""
    return campaign.status is CampaignStatus.OPEN and now < campaign.deadline


# --- the sweep ---------------------------------------------------------------------------


async def sweep(session: AsyncSession, schedule: Schedule, now: datetime) -> list[int]:
    """Open what is due, turn due notices into broadcasts, close past deadlines.

    Returns the ids of the broadcasts created (due at once; the delivery worker sends them).
    """
    await _open_if_due(session, schedule, now)
    enqueued = []
    due = await session.scalars(
        select(CampaignNotice)
        .where(CampaignNotice.done_at.is_(None), CampaignNotice.due_at <= now)
        .order_by(CampaignNotice.due_at, CampaignNotice.id)
    )
    notices = list(due)
    for index, notice in enumerate(notices):
        superseded = any(
            later.campaign_id == notice.campaign_id and later.kind is notice.kind
            for later in notices[index + 1 :]
        )
        if notice.kind is NoticeKind.REMINDER and superseded:
            # Several reminders fell due while the bot was down: officers get one, not three.
            notice.done_at = now
            await session.commit()
            continue
        enqueued.extend(await _send_notice(session, schedule, notice, now))
    return enqueued


async def _open_if_due(session: AsyncSession, schedule: Schedule, now: datetime) -> None:
    local = now.astimezone(schedule.tz)
    if local.month not in schedule.months:
        return
    opens_at, deadline = schedule.window(local.year, local.month)
    if opens_at <= now < deadline:
        await open_campaign(
            session,
            schedule,
            year=local.year,
            quarter=quarter_of(local.month),
            opens_at=opens_at,
            deadline=deadline,
        )


async def _send_notice(
    session: AsyncSession, schedule: Schedule, notice: CampaignNotice, now: datetime
) -> list[int]:
    campaign = await session.get(Campaign, notice.campaign_id)
    assert campaign is not None
    # Claimed, not just marked: of two sweeps at once (two replicas) only one sends it.
    claimed = await session.execute(
        update(CampaignNotice)
        .where(CampaignNotice.id == notice.id, CampaignNotice.done_at.is_(None))
        .values(done_at=now)
    )
    if claimed.rowcount == 0:  # type: ignore[attr-defined]
        await session.commit()  # nothing was written; ends the transaction
        return []
    if notice.kind is NoticeKind.ESCALATION:
        if campaign.status is CampaignStatus.OPEN:
            campaign.status = CampaignStatus.CLOSED
            campaign.closed_at = now
        broadcasts = await _escalations(session, schedule, campaign)
    elif not is_accepting(campaign, now):
        broadcasts = []  # a reminder after the deadline has nothing left to ask
    else:
        broadcasts = [_officer_notice(campaign, notice, schedule)]
    for broadcast in broadcasts:
        # Due at once: the delivery worker enqueues them. Committing them together with the
        # notice's done_at makes the notice exactly-once, whatever happens next.
        broadcast.scheduled_at = now
        session.add(broadcast)
    await session.flush()
    if broadcasts:
        notice.broadcast_id = broadcasts[0].id
    await session.commit()
    ids = [b.id for b in broadcasts]
    # Fill their outboxes now; should the process die first, the worker's own sweep of due
    # scheduled broadcasts does it.
    for broadcast_id in ids:
        await outbox.enqueue(session, broadcast_id)
    return ids


def _text_broadcast(campaign: Campaign, text: str, audience: Audience) -> Broadcast:
    return Broadcast(
        kind=BroadcastKind.NEWS,
        status=BroadcastStatus.SCHEDULED,
        text=text,
        preview=first_words(text, markup=True),
        source_message_ids=[],
        audience=audience,
        campaign_id=campaign.id,
        total=0,
    )


def prompt_text(campaign: Campaign, schedule: Schedule) -> str:
    """The campaign's invitation to answer, as every officer gets it when it opens."""
    deadline = campaign.deadline.astimezone(schedule.tz).strftime("%d.%m.%Y %H:%M")
    return ru.MON_PROMPT.format(quarter=quarter_label(campaign), deadline=deadline)


async def open_prompt_for(
    session: AsyncSession, schedule: Schedule, org_id: int, now: datetime
) -> str | None:
    """The prompt for an officer who joins while the quarter is open and their organisation
    has not submitted yet (they missed the broadcast); None otherwise."""
    campaign = await current(session)
    if campaign is None or not is_accepting(campaign, now):
        return None
    submitted = await session.scalar(
        select(Submission.id).where(
            Submission.campaign_id == campaign.id,
            Submission.org_id == org_id,
            Submission.status == SubmissionStatus.SUBMITTED,
        )
    )
    return None if submitted is not None else prompt_text(campaign, schedule)


def _officer_notice(campaign: Campaign, notice: CampaignNotice, schedule: Schedule) -> Broadcast:
    deadline = campaign.deadline.astimezone(schedule.tz).strftime("%d.%m.%Y %H:%M")
    if notice.kind is NoticeKind.PROMPT:
        return _text_broadcast(campaign, prompt_text(campaign, schedule), Audience.OFFICERS)
    days = max(0, (campaign.deadline - notice.due_at).days)
    text = ru.MON_REMINDER.format(quarter=quarter_label(campaign), deadline=deadline, days=days)
    return _text_broadcast(campaign, text, Audience.OFFICERS_PENDING)


async def _escalations(
    session: AsyncSession, schedule: Schedule, campaign: Campaign
) -> list[Broadcast]:
    """Each territorial admin: their missing organisations; regional admins: the summary."""
    rows = await completion(session, campaign)
    label = quarter_label(campaign)
    result = []
    for row in rows:
        admins = await _admin_ids(session, row.territory.id)
        if not admins or not row.missing:
            continue
        missing = await missing_orgs(session, campaign, row.territory)
        text = ru.MON_ESCALATION_TERRITORY.format(
            quarter=label,
            territory=h(row.territory.name),
            missing=len(missing),
            total=row.total,
            names="\n".join(f"• {h(o.name)}" for o in missing[:50]),
        )
        broadcast = _text_broadcast(campaign, text, Audience.PEOPLE)
        broadcast.recipient_ids = sorted(admins)
        result.append(broadcast)
    regional = await _regional_admin_ids(session) | schedule.admin_ids
    if regional:
        submitted = sum(r.submitted for r in rows)
        total = sum(r.total for r in rows)
        worst = sorted(rows, key=lambda r: r.share)[:10]
        lines = "\n".join(
            f"• {h(r.territory.name)}: {r.submitted} из {r.total}" for r in worst if r.missing
        )
        text = ru.MON_ESCALATION_SUMMARY.format(
            quarter=label, submitted=submitted, total=total, lines=lines or "—"
        )
        broadcast = _text_broadcast(campaign, text, Audience.PEOPLE)
        broadcast.recipient_ids = sorted(regional)
        result.append(broadcast)
    return result


async def _admin_ids(session: AsyncSession, territory_id: int) -> set[int]:
    rows = await session.scalars(
        select(Person.telegram_id)
        .join(Role, Role.person_id == Person.id)
        .where(Role.kind == RoleKind.TERRITORIAL_ADMIN, Role.org_id == territory_id)
    )
    return set(rows)


async def _regional_admin_ids(session: AsyncSession) -> set[int]:
    rows = await session.scalars(
        select(Person.telegram_id)
        .join(Role, Role.person_id == Person.id)
        .where(Role.kind == RoleKind.REGIONAL_ADMIN)
    )
    return set(rows)


# --- completion ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TerritoryCompletion:
    """How many organisations of one territory (itself and its primaries) have submitted."""

    territory: Organization
    submitted: int
    total: int

    @property
    def missing(self) -> int:
        return self.total - self.submitted

    @property
    def share(self) -> float:
        return self.submitted / self.total if self.total else 1.0


async def completion(
    session: AsyncSession, campaign: Campaign, territory_ids: Collection[int] | None = None
) -> list[TerritoryCompletion]:
    """Submitted / total per territory, ordered by name; only the given territories when
    asked (an admin's own, one or several).

    Primary organisations directly under the regional one make a row of their own, headed by
    the regional organisation.
    """
    groups = select(Organization).where(Organization.level != OrgLevel.PRIMARY)
    if territory_ids is not None:
        groups = groups.where(Organization.id.in_(list(territory_ids)))
    result = []
    for territory in await session.scalars(groups.order_by(Organization.level, Organization.name)):
        members = _members_of(territory)
        if territory.level is OrgLevel.REGIONAL and not await session.scalar(
            select(func.count()).select_from(members.subquery())
        ):
            continue
        total = await session.scalar(select(func.count()).select_from(members.subquery()))
        submitted = await session.scalar(
            select(func.count(Submission.id)).where(
                Submission.campaign_id == campaign.id,
                Submission.status == SubmissionStatus.SUBMITTED,
                Submission.org_id.in_(members),
            )
        )
        result.append(TerritoryCompletion(territory, int(submitted or 0), int(total or 0)))
    return result


def _members_of(group: Organization) -> Select:
    """Who must submit: the group's organisations (see `orgs.group_members`)."""
    return orgs.group_members(group.id)


async def missing_orgs(
    session: AsyncSession, campaign: Campaign, group: Organization
) -> Sequence[Organization]:
    """Organisations of the group (a territory, or the regional one's own) not yet submitted."""
    submitted = select(Submission.org_id).where(
        Submission.campaign_id == campaign.id, Submission.status == SubmissionStatus.SUBMITTED
    )
    rows = await session.scalars(
        select(Organization)
        .where(Organization.id.in_(_members_of(group)), Organization.id.not_in(submitted))
        .order_by(Organization.name)
    )
    return list(rows)
