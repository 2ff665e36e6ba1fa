"""Screens of composing and following a broadcast (text + keyboard), and the progress card."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import keyboards
from handlers.callbacks import BcCB, BcControl, BcControlCB, BcStep
from models import (
    Audience,
    Broadcast,
    BroadcastKind,
    BroadcastStatus,
    Organization,
    RecallStatus,
    Topic,
)
from services import orgs
from services.broadcasts import compose
from services.broadcasts.progress import ProgressSnapshot
from texts import ru
from texts.ru import h

Screen = tuple[str, InlineKeyboardMarkup | None]


def _b(text: str, data: BcCB | BcControlCB) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def _cancel(draft_id: int) -> list[InlineKeyboardButton]:
    return [_b(ru.BC_CANCEL, BcCB(step=BcStep.CANCEL, draft=draft_id))]


def ask_message(draft_id: int) -> Screen:
    return ru.BC_SEND_MESSAGE, InlineKeyboardMarkup(inline_keyboard=[_cancel(draft_id)])


def choose_kind(draft_id: int) -> Screen:
    rows = [
        [_b(ru.BC_KIND_NEWS, BcCB(step=BcStep.KIND, draft=draft_id, value=BroadcastKind.NEWS))],
        [_b(ru.BC_KIND_ALERT, BcCB(step=BcStep.KIND, draft=draft_id, value=BroadcastKind.ALERT))],
        [_b(ru.BC_REPLACE_MESSAGE, BcCB(step=BcStep.REPLACE, draft=draft_id)), *_cancel(draft_id)],
    ]
    return ru.BC_CHOOSE_KIND, InlineKeyboardMarkup(inline_keyboard=rows)


def choose_topics(draft_id: int, topics: Sequence[Topic], chosen: set[int]) -> Screen:
    rows = [
        [
            _b(
                (ru.TOPIC_ON if topic.id in chosen else ru.TOPIC_OFF).format(title=topic.title),
                BcCB(step=BcStep.TOPIC, draft=draft_id, value=str(topic.id)),
            )
        ]
        for topic in topics
    ]
    rows.append(
        [_b(ru.BC_NEXT, BcCB(step=BcStep.TOPICS_DONE, draft=draft_id)), *_cancel(draft_id)]
    )
    return ru.BC_CHOOSE_TOPICS, InlineKeyboardMarkup(inline_keyboard=rows)


def choose_audience(draft: Broadcast) -> Screen:
    def option(
        text: str, audience: Audience, step: BcStep = BcStep.AUDIENCE
    ) -> list[InlineKeyboardButton]:
        return [_b(text, BcCB(step=step, draft=draft.id, value=audience))]

    if draft.territory_id is None:
        rows = [
            option(ru.BC_AUDIENCE_ALL, Audience.ALL),
            option(ru.BC_AUDIENCE_TERRITORY, Audience.TERRITORY, BcStep.TERRITORIES),
            option(ru.BC_AUDIENCE_ORG, Audience.ORG, BcStep.TERRITORIES),
        ]
    else:
        rows = [
            option(ru.BC_AUDIENCE_ALL_TERRITORY, Audience.ALL),
            [
                _b(
                    ru.BC_AUDIENCE_ORG,
                    BcCB(step=BcStep.PRIMARIES, draft=draft.id, org_id=draft.territory_id),
                )
            ],
        ]
    rows.append(option(ru.BC_AUDIENCE_OFFICERS, Audience.OFFICERS))
    rows.append([_b(ru.BACK, BcCB(step=BcStep.CHANGE, draft=draft.id)), *_cancel(draft.id)])
    return ru.BC_CHOOSE_AUDIENCE, InlineKeyboardMarkup(inline_keyboard=rows)


def _org_page(
    draft_id: int,
    page_orgs: Sequence[Organization],
    total: int,
    page: int,
    pick: BcStep,
    purpose: str,
    parent_id: int,
    back: BcCB,
    list_step: BcStep,
) -> InlineKeyboardMarkup:
    rows = [
        [
            _b(
                keyboards.short(org.name),
                BcCB(step=pick, draft=draft_id, value=purpose, org_id=org.id),
            )
        ]
        for org in page_orgs
    ]
    pager = []
    if page > 0:
        pager.append(
            _b(
                ru.PREV,
                BcCB(
                    step=list_step, draft=draft_id, value=purpose, org_id=parent_id, page=page - 1
                ),
            )
        )
    if page + 1 < keyboards.pages(total):
        pager.append(
            _b(
                ru.NEXT,
                BcCB(
                    step=list_step, draft=draft_id, value=purpose, org_id=parent_id, page=page + 1
                ),
            )
        )
    if pager:
        rows.append(pager)
    rows.append([_b(ru.BACK, back), *_cancel(draft_id)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def territories(session: AsyncSession, draft: Broadcast, purpose: str, page: int) -> Screen:
    """Territorial organisations: the audience itself, or a step towards a primary one."""
    region = await orgs.regional(session)
    page_orgs, total = (
        await orgs.list_children(
            session,
            region.id,
            orgs.OrgLevel.TERRITORIAL,
            offset=page * keyboards.PAGE_SIZE,
            limit=keyboards.PAGE_SIZE,
        )
        if region
        else ([], 0)
    )
    pick = BcStep.ORG if purpose == Audience.TERRITORY else BcStep.PRIMARIES
    back = BcCB(step=BcStep.TOPICS_DONE, draft=draft.id)
    markup = _org_page(
        draft.id, page_orgs, total, page, pick, purpose, 0, back, BcStep.TERRITORIES
    )
    return ru.BC_PICK_TERRITORY, markup


async def primaries(
    session: AsyncSession, draft: Broadcast, territory: Organization, page: int
) -> Screen:
    page_orgs, total = await orgs.list_children(
        session,
        territory.id,
        orgs.OrgLevel.PRIMARY,
        offset=page * keyboards.PAGE_SIZE,
        limit=keyboards.PAGE_SIZE,
    )
    back = (
        BcCB(step=BcStep.TOPICS_DONE, draft=draft.id)
        if draft.territory_id is not None
        else BcCB(step=BcStep.TERRITORIES, draft=draft.id, value=Audience.ORG)
    )
    markup = _org_page(
        draft.id,
        page_orgs,
        total,
        page,
        BcStep.ORG,
        Audience.ORG,
        territory.id,
        back,
        BcStep.PRIMARIES,
    )
    return f"<b>{h(territory.name)}</b>\n\n{ru.BC_PICK_ORG}", markup


async def audience_line(session: AsyncSession, broadcast: Broadcast) -> str:
    """«Получатели» in words: the audience and, for a territorial admin, its bounds."""
    org = (
        await orgs.get_by_id(session, broadcast.audience_org_id)
        if broadcast.audience_org_id
        else None
    )
    line = ru.BC_AUDIENCE_TITLES[broadcast.audience].format(org=h(org.name) if org else "")
    if broadcast.territory_id is not None and broadcast.audience in (
        Audience.ALL,
        Audience.OFFICERS,
    ):
        territory = await orgs.get_by_id(session, broadcast.territory_id)
        line += ru.BC_WITHIN.format(territory=h(territory.name) if territory else "—")
    return line


async def preview(session: AsyncSession, draft: Broadcast, count: int) -> Screen:
    titles = await compose.topic_titles(session, draft.id)
    text = ru.BC_PREVIEW.format(
        kind=ru.BC_KIND_TITLES[draft.kind],
        topics=h(", ".join(titles)),
        audience=await audience_line(session, draft),
        count=_number(count),
    )
    rows = []
    if count:
        rows.append(
            [
                _b(ru.BC_SEND_NOW, BcCB(step=BcStep.SEND, draft=draft.id)),
                _b(ru.BC_SCHEDULE, BcCB(step=BcStep.SCHEDULE, draft=draft.id)),
            ]
        )
    else:
        text += ru.BC_PREVIEW_EMPTY
    rows.append([_b(ru.BC_CHANGE, BcCB(step=BcStep.CHANGE, draft=draft.id)), *_cancel(draft.id)])
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


# --- progress ----------------------------------------------------------------------------


def _number(value: int) -> str:
    return f"{value:,}".replace(",", " ")


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} ч {minutes} мин"
    if minutes:
        return f"{minutes} мин {secs} с" if minutes < 5 else f"{minutes} мин"
    return f"{secs} с"


def _controls(snapshot: ProgressSnapshot) -> InlineKeyboardMarkup | None:
    def button(text: str, action: BcControl) -> InlineKeyboardButton:
        return _b(text, BcControlCB(action=action, broadcast=snapshot.broadcast_id))

    status = snapshot.status
    if status is BroadcastStatus.SENDING:
        row = [button(ru.BC_PAUSE, BcControl.PAUSE), button(ru.BC_STOP, BcControl.CANCEL)]
    elif status is BroadcastStatus.PAUSED:
        row = [button(ru.BC_RESUME, BcControl.RESUME), button(ru.BC_STOP, BcControl.CANCEL)]
    elif status is BroadcastStatus.SCHEDULED:
        row = [button(ru.BC_STOP, BcControl.CANCEL)]
    elif snapshot.sent and snapshot.recall_status is None:
        row = [button(ru.BC_RECALL, BcControl.RECALL)]
    else:
        return None
    return InlineKeyboardMarkup(inline_keyboard=[row])


def _status(snapshot: ProgressSnapshot, scheduled: str = "") -> str:
    """A recalled broadcast is «отозвана», whatever its sending ended as."""
    if snapshot.recall_status is not None:
        return ru.BC_RECALL_STATUS[snapshot.recall_status]
    return ru.BC_STATUS[snapshot.status].format(when=scheduled).strip()


def _author(snapshot: ProgressSnapshot) -> str:
    if snapshot.automatic:
        return ru.BC_AUTHOR_BOT
    return h(snapshot.author) if snapshot.author else ru.BC_AUTHOR_CLI


def progress_text(snapshot: ProgressSnapshot, scheduled: str = "") -> str:
    # Recalled copies were delivered first: they still count as sent.
    delivered = snapshot.sent + snapshot.recalled
    done = delivered + snapshot.blocked + snapshot.failed
    percent = int(100 * done / snapshot.total) if snapshot.total else 100
    lines = [
        ru.BC_PROGRESS_TITLE.format(
            id=snapshot.broadcast_id, kind=ru.BC_KIND_TITLES[snapshot.kind]
        )
    ]
    if snapshot.preview:
        lines.append(ru.BC_ABOUT.format(preview=h(snapshot.preview), author=_author(snapshot)))
    lines.append(
        ru.BC_PROGRESS_LINES.format(
            status=_status(snapshot, scheduled),
            sent=_number(delivered),
            total=_number(snapshot.total),
            percent=percent,
            blocked=_number(snapshot.blocked),
            failed=_number(snapshot.failed),
        )
    )
    text = "\n".join(lines)
    if snapshot.status is BroadcastStatus.SENDING and snapshot.recall_status is None:
        if snapshot.rate:
            text += ru.BC_PROGRESS_RATE.format(rate=f"{snapshot.rate:.1f}".replace(".", ","))
        if snapshot.eta_seconds is not None:
            text += ru.BC_PROGRESS_ETA.format(eta=_duration(snapshot.eta_seconds))
    if snapshot.recall_status is RecallStatus.RECALLING:
        text += ru.BC_RECALLING.format(
            recalled=_number(snapshot.recalled), sent=_number(delivered)
        )
    elif snapshot.recall_status is RecallStatus.RECALLED:
        people = ru.plural(snapshot.recalled, "у получателя", "у получателей", "у получателей")
        text += ru.BC_RECALLED.format(people=people)
    return text


def render_progress(snapshot: ProgressSnapshot) -> Screen:
    """The progress card; the delivery worker calls this to edit the admin's message."""
    return progress_text(snapshot), _controls(snapshot)


def broadcast_list(items: Sequence[tuple[ProgressSnapshot, list[str], str]]) -> Screen:
    if not items:
        return ru.BC_LIST_EMPTY, None
    blocks = [ru.BC_LIST_TITLE]
    buttons = []
    for snapshot, titles, date in items:
        blocks.append(
            ru.BC_LIST_ITEM.format(
                id=snapshot.broadcast_id,
                date=date,
                kind=ru.BC_KIND_TITLES[snapshot.kind],
                status=_status(snapshot),
                author=_author(snapshot),
                preview=f"«{h(snapshot.preview)}»\n" if snapshot.preview else "",
                topics=h(", ".join(titles)),
                sent=_number(snapshot.sent + snapshot.recalled),
                total=_number(snapshot.total),
                blocked=_number(snapshot.blocked),
                failed=_number(snapshot.failed),
            )
        )
        buttons.append(
            _b(
                ru.BC_OPEN.format(id=snapshot.broadcast_id),
                BcControlCB(action=BcControl.OPEN, broadcast=snapshot.broadcast_id),
            )
        )
    rows = [buttons[i : i + 5] for i in range(0, len(buttons), 5)]
    return "\n\n".join(blocks), InlineKeyboardMarkup(inline_keyboard=rows)


def recall_confirm(broadcast_id: int) -> Screen:
    row = [
        _b(ru.BC_RECALL_YES, BcControlCB(action=BcControl.RECALL_YES, broadcast=broadcast_id)),
        _b(ru.BC_RECALL_NO, BcControlCB(action=BcControl.RECALL_NO, broadcast=broadcast_id)),
    ]
    return ru.BC_RECALL_CONFIRM.format(id=broadcast_id), InlineKeyboardMarkup(
        inline_keyboard=[row]
    )
