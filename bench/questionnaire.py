"""Questionnaire benchmark: N officers answering the quarterly questionnaire at once.

    python -m bench.questionnaire                      # 700 officers, no pause between answers
    python -m bench.questionnaire --time-limit 300     # the same, stopped after 5 minutes
    python -m bench.questionnaire --officers 1         # the cost of one answer, unloaded
    python -m bench.questionnaire --think 60           # people who take ~60 s per answer
    python -m bench.questionnaire --profile            # cProfile top 25 to stderr

A fresh SQLite database (migrated with bot.migrate) gets the sample Kursk directory, N
registered officers, each of a distinct territorial or primary organisation (398 of them: past
that, two officers share an organisation and so one submission), and an open campaign. The
real `Application` is built against the in-repo fake Bot API, which runs in a process of its
own (`python -m fakeapi`, no added latency) as Telegram does: its work is not the bot's. Nothing
polls: every officer's updates are made here, parsed into aiogram's `Update` as polling
parses them, and fed to the dispatcher directly (`dispatcher.feed_update`, the way polling
hands them over: at most UPDATE_CONCURRENCY at once, the others wait for a slot), and each
call is timed. What each officer's chat shows is read from the bot's own Bot API calls (every
message it sends or edits, as the fake answers them). One more
officer, of the regional organisation, goes through the whole questionnaire first, untimed, so
that first-use costs (pydantic schemas, SQL compilation) are not measured.

All officers then run at once, each sending its next update when the previous one is handled
(plus `--think`, a pause before every update, /anketa included). Each conversation is driven
by what the officer's chat shows: /anketa, then 22 updates (23 for a territorial organisation):
buttons for «Далее», yes/no, «Пропустить» and the multiple choices (two presses each), typed
text, url, date, percent and integers, then «Отправить». Like a person, an officer whose
update got the bot's error message sends it again (the screen has not changed).

The JSON line: officers, answers (timed updates: everything after /anketa, repeats included),
seconds, answers_per_sec, latency percentiles of the handling (p50_ms…) and of the handling
plus the wait for a slot (with_wait_…), peak RSS, CPU per update (the process; the event
loop's thread; the garbage collector), `calibration_s` (bench.machine), errors (updates that raised
or reached the bot's error handler) by exception type, and per update what the database saw: SQL
statements, commits and pool checkouts (sessions that touched the database). Unless stopped by
--time-limit (whose cancelled updates are not timed), every submission must then hold exactly
the scripted answers and be submitted; `verified` says so, and the exit status is 1 if not.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import itertools
import json
import logging
import math
import pstats
import random
import re
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Coroutine
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import InlineKeyboardMarkup, Message, Update
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.machine import calibration
from bot import migrate
from bot.app import Application, settle_heap
from bot.config import Settings
from bot.scheduler import schedule_of
from handlers.callbacks import QCB, QAction
from models import (
    Answer,
    Organization,
    OrgLevel,
    Role,
    RoleKind,
    Submission,
    SubmissionStatus,
    utcnow,
)
from services import orgs, people
from services.monitoring import campaigns, versions
from services.monitoring.questionnaire import Questionnaire
from texts import ru

TOKEN = "123456:BENCH"
ROOT = Path(__file__).resolve().parent.parent
SAMPLE_ORGS = ROOT / "samples" / "kursk_orgs.csv"
FIRST_TELEGRAM_ID = 20_000_000
# One more officer, of the regional organisation, answers first and untimed: the first use of
# every handler, model and query (pydantic schemas, SQL compilation) is not what is measured.
WARM_UP_ID = FIRST_TELEGRAM_ID - 1
MAX_STEPS = 60  # per officer: far more than a conversation needs, so a loop cannot hang
ON = ru.TOPIC_ON.format(title="")

# What every officer answers, by question id. The typed answers are valid, so each one is
# stored; the follow-ups of «has_social_group: Нет» are hidden and never asked.
TYPED = {
    "info_officer": "Иванова Анна Сергеевна, председатель первичной организации",
    "site_url": "school-46.ru/profsoyuz",
    "primary_with_pages": "12",
    "social_url": "https://vk.com/club46",
    "ais_register_share": "85,5",
    "public_report_url": "https://school-46.ru/profsoyuz/otchet-2025",
    "pr_events_count": "4",
    "technologies_other": "Квесты для молодых педагогов",
    "comment": "Всё по плану; нужна помощь с обновлением сайта.",
}
DATES = ("site_updated", "social_updated")  # typed as a date a few days ago
YES_NO = {"has_site": True, "has_social_group": False, "public_report": True}
SKIPPED = ("ais_officer", "periodicals")
SELECTED = {
    "pr_events": ("actions", "contests"),
    "technologies": ("other",),
    "inform_ways": ("stand", "messengers"),
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; the defaults are the 700-officer run of the README."""
    parser = argparse.ArgumentParser(prog="python -m bench.questionnaire", description=__doc__)
    parser.add_argument("--officers", type=int, default=700)
    parser.add_argument("--seed", type=int, default=0, help="officer → organisation shuffle")
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="mean pause before each update, /anketa included (uniform 0.5–1.5 × this)",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="stop the officers still answering after this long (0: wait for all)",
    )
    parser.add_argument("--db", type=Path, default=None, help="SQLite file to keep (new)")
    parser.add_argument("--profile", action="store_true", help="cProfile top 25 to stderr")
    parser.add_argument(
        "--breakdown", action="store_true", help="time inside the usual suspects (see Breakdown)"
    )
    return parser.parse_args(argv)


# --- data ------------------------------------------------------------------------------------


async def seed(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, count: int, rng: random.Random
) -> dict[int, int]:
    """Directory, `count` registered officers and the warm-up one, an open campaign;
    telegram id → org id."""
    async with sessions() as session:
        await orgs.import_directory(session, SAMPLE_ORGS.name, SAMPLE_ORGS.read_bytes())
        org_ids = list(
            await session.scalars(
                select(Organization.id)
                .where(Organization.level != OrgLevel.REGIONAL)
                .order_by(Organization.code)
            )
        )
        rng.shuffle(org_ids)
        regional = await session.scalar(
            select(Organization.id).where(Organization.level == OrgLevel.REGIONAL)
        )
        assert regional is not None
        officers = {}
        for n in range(-1, count):
            telegram_id = FIRST_TELEGRAM_ID + n
            person = await people.register(
                session, people.TelegramProfile(telegram_id=telegram_id, first_name=f"О{n}")
            )
            org_id = regional if n < 0 else org_ids[n % len(org_ids)]
            session.add(Role(person_id=person.id, kind=RoleKind.OFFICER, org_id=org_id))
            officers[telegram_id] = org_id
        await session.commit()
        now = utcnow()
        local = now.astimezone(settings.tz)
        await campaigns.open_campaign(
            session,
            schedule_of(settings),
            year=local.year,
            quarter=campaigns.quarter_of(local.month),
            opens_at=now - timedelta(hours=1),
            deadline=now + timedelta(days=10),
        )
    return officers


async def questionnaire_of(sessions: async_sessionmaker[AsyncSession]) -> Questionnaire:
    async with sessions() as session:
        return versions.definition(await versions.current(session))


def expected_answers(questionnaire: Questionnaire, level: OrgLevel) -> set[str]:
    """The question ids a submission of that level holds after the script."""
    hidden = {"social_url", "social_updated"}
    if level is not OrgLevel.TERRITORIAL:
        hidden.add("primary_with_pages")
    return {q.id for q in questionnaire.questions if q.answerable and q.id not in hidden}


# --- the officer's side ----------------------------------------------------------------------


@dataclass
class Figures:
    """What the run measured and found."""

    latencies: list[float] = field(default_factory=list)  # seconds, one per timed update
    # The same updates from the moment they arrived: the handling plus the wait for one of
    # UPDATE_CONCURRENCY slots, which is what the officer feels.
    totals: list[float] = field(default_factory=list)
    errors: int = 0
    error_kinds: Counter[str] = field(default_factory=Counter)
    stuck: list[str] = field(default_factory=list)  # officers whose script went wrong
    verified: bool = False
    unfinished: int = 0  # officers stopped by --time-limit
    cpu_seconds: float = 0.0  # the process's, every thread, while the officers answered
    loop_cpu_seconds: float = 0.0  # the event loop's thread alone (not aiosqlite's threads)
    gc_seconds: float = 0.0  # in the cyclic garbage collector, any thread
    gc_longest_s: float = 0.0  # its longest single collection
    gc_full: int = 0  # its collections of the oldest generation
    calibration_s: float = 0.0  # bench.machine.calibration() just before: the machine's pace


class ErrorCounter(logging.Handler):
    """Counts the bot's error handler reports (handlers.errors logs each failed update)."""

    def __init__(self, figures: Figures) -> None:
        super().__init__(logging.ERROR)
        self.figures = figures
        self.first: dict[str, logging.LogRecord] = {}  # one failure of each kind, to show

    def emit(self, record: logging.LogRecord) -> None:
        self.figures.errors += 1
        kind = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else "?"
        self.figures.error_kinds[kind] += 1
        self.first.setdefault(kind, record)


@dataclass(frozen=True)
class Officer:
    """A Telegram user as updates carry them."""

    id: int
    first_name: str

    @property
    def user(self) -> dict[str, Any]:
        return {"id": self.id, "is_bot": False, "first_name": self.first_name}

    @property
    def chat(self) -> dict[str, Any]:
        return {"id": self.id, "type": "private", "first_name": self.first_name}


Buttons = tuple[tuple[tuple[str, str | None], ...], ...]  # rows of (text, callback data)


@dataclass(frozen=True)
class Shown:
    """A bot message as the officer sees it."""

    message_id: int
    date: int
    text: str | None
    buttons: Buttons

    @property
    def questionnaire_buttons(self) -> list[QCB]:
        return [
            QCB.unpack(data)
            for row in self.buttons
            for _, data in row
            if data is not None and data.startswith(f"{QCB.__prefix__}:")
        ]


class Screens(BaseRequestMiddleware):
    """What each chat shows, from every message the bot sends or edits, as the Bot API
    returned it: the fake runs in another process, so the officers read their screens here.

    Only what the script reads is kept, as plain tuples: the newest message with questionnaire
    buttons, and later versions of it. Holding every aiogram `Message` of 700 chats would give
    the garbage collector half a million objects to walk that the bot itself does not have.
    """

    def __init__(self) -> None:
        self.chats: dict[int, dict[int, Shown]] = {}

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        result = await make_request(bot, method)
        if isinstance(result, Message):
            self._record(result)
        return result

    def _record(self, message: Message) -> None:
        markup = message.reply_markup
        buttons: Buttons = ()
        if isinstance(markup, InlineKeyboardMarkup):
            buttons = tuple(
                tuple((b.text, b.callback_data) for b in row) for row in markup.inline_keyboard
            )
        shown = Shown(message.message_id, int(message.date.timestamp()), message.text, buttons)
        chat = self.chats.setdefault(message.chat.id, {})
        if shown.message_id in chat:
            chat[shown.message_id] = shown  # an edit
        elif shown.questionnaire_buttons:  # a new screen: the older ones are history
            chat.clear()
            chat[shown.message_id] = shown

    def message(self, chat_id: int, message_id: int) -> Shown | None:
        return self.chats.get(chat_id, {}).get(message_id)

    def screen(self, chat_id: int) -> tuple[Shown, list[QCB]] | None:
        """The newest bot message with questionnaire buttons, and those buttons unpacked."""
        for shown in self.chats.get(chat_id, {}).values():
            buttons = shown.questionnaire_buttons
            if buttons:
                return shown, buttons
        return None


class Driver:
    """Makes officers' updates as Telegram would send them and feeds them to the dispatcher."""

    def __init__(
        self,
        app: Application,
        screens: Screens,
        figures: Figures,
        breakdown: Breakdown | None = None,
    ) -> None:
        self.app = app
        self.screens = screens
        self.figures = figures
        self.breakdown = breakdown
        self._update_ids = itertools.count(1)
        self._ids = itertools.count(10_000_000)  # officers' message and callback query ids
        # Polling hands the dispatcher at most this many updates at once (bot/app.py); the
        # rest wait for a slot, here as there.
        self._slots = asyncio.Semaphore(app.settings.update_concurrency)

    async def feed(self, body: dict[str, Any], *, timed: bool) -> None:
        # Parsed here as polling parses what getUpdates returns: the bot's cost, not timed.
        update = Update.model_validate(
            {"update_id": next(self._update_ids), **body}, context={"bot": self.app.bot}
        )
        if self.breakdown is not None:
            self.breakdown.timing.set(timed)  # this task's context: only this update's calls
        arrived = time.perf_counter()
        async with self._slots:
            started = time.perf_counter()
            try:
                await self.app.dispatcher.feed_update(self.app.bot, update)
            except Exception as error:  # counted; the run goes on
                self.figures.errors += 1
                self.figures.error_kinds[type(error).__name__] += 1
        if timed:
            finished = time.perf_counter()
            self.figures.latencies.append(finished - started)
            self.figures.totals.append(finished - arrived)

    async def type(self, officer: Officer, text: str, *, timed: bool = True) -> None:
        message: dict[str, Any] = {
            "message_id": next(self._ids),
            "from": officer.user,
            "chat": officer.chat,
            "date": int(time.time()),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        await self.feed({"message": message}, timed=timed)

    async def press(self, officer: Officer, message: Shown, data: str) -> None:
        bot_user = self.app.bot.id
        attached = {
            "message_id": message.message_id,
            "from": {"id": bot_user, "is_bot": True, "first_name": "bot"},
            "chat": officer.chat,
            "date": message.date,
            "text": message.text,
            "reply_markup": {
                "inline_keyboard": [
                    [{"text": text, "callback_data": data} for text, data in row]
                    for row in message.buttons
                ]
            },
        }
        query = {
            "id": str(next(self._ids)),
            "from": officer.user,
            "chat_instance": str(-officer.id),
            "data": data,
            "message": attached,
        }
        await self.feed({"callback_query": query}, timed=True)


def next_move(
    questionnaire: Questionnaire, message: Shown, buttons: list[QCB], today: date
) -> tuple[str, str] | None:
    """("press", callback data) or ("type", text) for the screen; None when finished."""
    actions = {b.action: b for b in buttons}
    if QAction.SUBMIT in actions:
        return "press", actions[QAction.SUBMIT].pack()
    if QAction.EDIT in actions:
        return None  # the review without «Отправить»: a colleague has submitted already
    qi = actions[QAction.EXIT].qi  # «Сохранить и выйти» is on every question screen
    question = questionnaire.questions[qi]
    qid = question.id
    if QAction.NEXT in actions:
        return "press", actions[QAction.NEXT].pack()
    if qid in YES_NO:
        choice = next(b for b in buttons if b.action is QAction.CHOOSE and b.ci == YES_NO[qid])
        return "press", choice.pack()
    if qid in SKIPPED:
        return "press", actions[QAction.SKIP].pack()
    if qid in SELECTED:
        ticked = {
            QCB.unpack(data).ci
            for row in message.buttons
            for text, data in row
            if data is not None and text.startswith(ON)
        }
        for ci, option in enumerate(question.options):
            if option.id in SELECTED[qid] and ci not in ticked:
                toggle = next(b for b in buttons if b.action is QAction.TOGGLE and b.ci == ci)
                return "press", toggle.pack()
        return "press", actions[QAction.DONE].pack()
    if qid in DATES:
        return "type", (today - timedelta(days=5)).strftime("%d.%m.%Y")
    return "type", TYPED[qid]


async def officer(
    driver: Driver,
    questionnaire: Questionnaire,
    person: Officer,
    think: float,
    rng: random.Random,
    today: date,
) -> None:
    """One officer's whole conversation: /anketa, the answers, «Отправить». Like a person,
    the officer repeats what the bot answered with its error message (the screen stays)."""
    for _ in range(MAX_STEPS):
        if think:  # before /anketa too: the officers start spread over the first pause
            await asyncio.sleep(think * rng.uniform(0.5, 1.5))
        found = driver.screens.screen(person.id)
        if found is None:
            await driver.type(person, "/anketa", timed=False)
            continue
        message, buttons = found
        move = next_move(questionnaire, message, buttons, today)
        if move is None:
            return
        kind, payload = move
        if kind == "press":
            await driver.press(person, message, payload)
        else:
            await driver.type(person, payload)
        if payload.startswith(f"{QCB.__prefix__}:{QAction.SUBMIT.value}:"):
            shown = driver.screens.message(person.id, message.message_id)
            if shown is None or not any(
                text == ru.Q_SUBMIT for row in shown.buttons for text, _ in row
            ):
                return  # submitted (else the error left «Отправить» there: press it again)
    driver.figures.stuck.append(f"{person.id}: still answering after {MAX_STEPS} updates")


@contextlib.asynccontextmanager
async def fake_telegram() -> AsyncIterator[str]:
    """`python -m fakeapi` in a process of its own, for as long as the block runs; its URL."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fakeapi",
        "--port",
        "0",
        "--token",
        TOKEN,
        "--any-callback-query",
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        found = re.search(r"(http://\S+)", line)
        if found is None:
            raise SystemExit(f"python -m fakeapi did not start: {line!r}")
        yield found.group(1)
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()


# --- measuring -------------------------------------------------------------------------------


class Breakdown:
    """--breakdown: wall time per timed update spent inside a few suspects, found by profiling.

    The parts overlap: FSM storage calls include their database awaits, Bot API calls include
    rebuilding aiogram's `Response[T]` model. Under load they include waiting for the loop.
    The wrappers replace library functions in this process only.
    """

    def __init__(self) -> None:
        self.seconds: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self.timing: ContextVar[bool] = ContextVar("timing", default=False)

    def install(self) -> None:
        import pydantic._internal._generics as pydantic_generics
        from aiogram.client.session.aiohttp import AiohttpSession
        from sqlalchemy.ext.asyncio import engine, result, session

        from bot.storage import DatabaseStorage

        for module in (session, engine, result):  # every await of the async ORM and Core
            module.greenlet_spawn = self._wrap("db", module.greenlet_spawn)
        for name in ("get_state", "get_data", "set_state", "set_data"):
            method = getattr(DatabaseStorage, name)
            setattr(DatabaseStorage, name, self._wrap("fsm_storage", method))
        versions.definition_of = self._wrap("definition", versions.definition_of)
        AiohttpSession.make_request = self._wrap("bot_api", AiohttpSession.make_request)
        pydantic_generics.create_generic_submodel = self._wrap(
            "response_rebuild", pydantic_generics.create_generic_submodel
        )

    def _wrap(self, name: str, function: Any) -> Any:
        def account(started: float) -> None:
            if self.timing.get():
                self.seconds[name] += time.perf_counter() - started
                self.calls[name] += 1

        if asyncio.iscoroutinefunction(function):

            async def timed_async(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return await function(*args, **kwargs)
                finally:
                    account(started)

            return timed_async

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                account(started)

        return timed

    def figures(self, updates: int) -> dict[str, dict[str, float]]:
        return {
            name: {
                "ms": round(self.seconds[name] * 1000 / updates, 2),
                "calls": round(self.calls[name] / updates, 2),
            }
            for name in ("db", "fsm_storage", "definition", "bot_api", "response_rebuild")
        }


class GcTimer:
    """Time the interpreter spends in cyclic garbage collection (gc.callbacks), by generation."""

    def __init__(self) -> None:
        self.seconds: dict[int, float] = {}
        self.longest = 0.0  # the longest single collection: the event loop stands still
        self.full = 0  # collections of the oldest generation
        self._started = 0.0
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            spent = time.perf_counter() - self._started
            self.seconds[info["generation"]] = self.seconds.get(info["generation"], 0.0) + spent
            self.longest = max(self.longest, spent)
            self.full += info["generation"] == 2

    def stop(self) -> None:
        gc.callbacks.remove(self._on_gc)


class SqlCounter:
    """Statements, commits and pool checkouts of the application's engine."""

    def __init__(self, app: Application) -> None:
        self.counts: Counter[str] = Counter()
        engine = app.engine.sync_engine
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)
        event.listen(engine.pool, "checkout", self._checkout)

    def _statement(self, *_: Any) -> None:
        self.counts["statements"] += 1

    def _commit(self, *_: Any) -> None:
        self.counts["commits"] += 1

    def _checkout(self, *_: Any) -> None:
        self.counts["checkouts"] += 1


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile, in milliseconds."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1] * 1000


async def verify(
    sessions: async_sessionmaker[AsyncSession],
    questionnaire: Questionnaire,
    officers: dict[int, int],
) -> list[str]:
    """Every organisation with an officer: submitted, with exactly the scripted answers."""
    problems = []
    async with sessions() as session:
        levels = dict((await session.execute(select(Organization.id, Organization.level))).all())
        stored: dict[int, set[str]] = {}
        status: dict[int, SubmissionStatus] = {}
        rows = await session.execute(
            select(Submission.org_id, Submission.status, Answer.question_id).outerjoin(
                Answer, Answer.submission_id == Submission.id
            )
        )
        for org_id, submission_status, question_id in rows:
            status[org_id] = submission_status
            if question_id is not None:
                stored.setdefault(org_id, set()).add(question_id)
        submissions = await session.scalar(select(func.count(Submission.id)))
    for org_id in sorted(set(officers.values())):
        wanted = expected_answers(questionnaire, levels[org_id])
        got = stored.get(org_id, set())
        if got != wanted:
            problems.append(
                f"org {org_id}: {len(got)} answers, expected {len(wanted)} "
                f"(missing {sorted(wanted - got)}, extra {sorted(got - wanted)})"
            )
        if status.get(org_id) is not SubmissionStatus.SUBMITTED:
            problems.append(f"org {org_id}: submission is {status.get(org_id)}")
    if submissions != len(set(officers.values())):
        problems.append(f"{submissions} submissions for {len(set(officers.values()))} orgs")
    return problems


async def answer_all(conversations: list[Coroutine[Any, Any, None]], limit: float) -> int:
    """Run every conversation at once; cancel those still going after `limit` seconds (0: no
    limit). Returns how many were cancelled."""
    tasks = [asyncio.create_task(conversation) for conversation in conversations]
    done, pending = await asyncio.wait(tasks, timeout=limit or None)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for task in done:
        task.result()  # a bug in the script itself stops the run
    return len(pending)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Seed, build the bot against the fake, let every officer answer, measure, verify."""
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="bench-questionnaire-") as folder:
        path = args.db or Path(folder) / "bench.db"
        if path.exists():
            raise SystemExit(f"{path} exists: the benchmark needs a new database")
        url = f"sqlite+aiosqlite:///{path}"
        await migrate.upgrade_async(url)
        async with fake_telegram() as api_url:
            return await measure(args, url, api_url, rng)


async def measure(
    args: argparse.Namespace, url: str, api_url: str, rng: random.Random
) -> dict[str, Any]:
    """`run` with the database migrated and the fake Bot API up."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=TOKEN,  # type: ignore[arg-type]
        database_url=url,
        telegram_api_url=api_url,
        throttle_rate=1_000_000,  # the flood guard must not drop benchmark updates
        log_level="WARNING",
    )
    app = Application.build(settings)
    settle_heap()  # as `run_polling` does before the first update
    screens = Screens()
    app.bot.session.middleware(screens)
    sessions = app.session_factory
    figures = Figures()
    errors = ErrorCounter(figures)
    error_log = logging.getLogger("handlers.errors")
    error_log.addHandler(errors)
    error_log.propagate = False  # counted here; one traceback is shown at the end
    try:
        officers = await seed(sessions, settings, args.officers, rng)
        questionnaire = await questionnaire_of(sessions)
        driver = Driver(app, screens, figures)
        today = utcnow().astimezone(settings.tz).date()
        users = [Officer(id=t, first_name=f"О{t - FIRST_TELEGRAM_ID}") for t in officers]
        warm_up = users.pop(0)
        assert warm_up.id == WARM_UP_ID
        await officer(driver, questionnaire, warm_up, 0.0, rng, today)
        figures.latencies.clear()
        figures.totals.clear()
        sql = SqlCounter(app)
        collector = GcTimer()
        if args.breakdown:
            driver.breakdown = Breakdown()
            driver.breakdown.install()
        conversations = [
            officer(driver, questionnaire, user, args.think, random.Random(rng.random()), today)
            for user in users
        ]
        profiler = cProfile.Profile() if args.profile else None
        figures.calibration_s = calibration()
        started, cpu_started = time.perf_counter(), time.process_time()
        loop_cpu_started = time.thread_time()
        if profiler is not None:
            profiler.enable()
        unfinished = await answer_all(conversations, args.time_limit)
        if profiler is not None:
            profiler.disable()
        seconds = time.perf_counter() - started
        figures.cpu_seconds = time.process_time() - cpu_started
        figures.loop_cpu_seconds = time.thread_time() - loop_cpu_started
        collector.stop()
        figures.gc_seconds = sum(collector.seconds.values())
        figures.gc_longest_s, figures.gc_full = collector.longest, collector.full
        counts = Counter(sql.counts)
        figures.unfinished = unfinished
        if unfinished:
            figures.stuck.append(f"{unfinished} officers still answering at the time limit")
            problems = []
        else:
            problems = await verify(sessions, questionnaire, officers)
    finally:
        error_log.removeHandler(errors)
        await app.close()
    if profiler is not None:
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("tottime").print_stats(40)
    for kind, record in errors.first.items():
        print(f"first failed update of {kind}:", file=sys.stderr)
        print(logging.Formatter().format(record), file=sys.stderr)
    for line in [*figures.stuck, *problems][:20]:
        print(line, file=sys.stderr)
    figures.verified = not (problems or figures.stuck)
    return report(args, figures, seconds, counts, len(users), driver.breakdown)


def report(
    args: argparse.Namespace,
    figures: Figures,
    seconds: float,
    sql: Counter[str],
    officers: int,
    breakdown: Breakdown | None,
) -> dict[str, Any]:
    """The JSON line."""
    latencies = figures.latencies
    updates = len(latencies) + officers  # the timed answers and each officer's /anketa
    extra = {} if breakdown is None else {"breakdown": breakdown.figures(len(latencies))}
    return {
        "officers": officers,
        "answers": len(latencies),
        "seconds": round(seconds, 2),
        "answers_per_sec": round(len(latencies) / seconds, 1),
        "p50_ms": round(percentile(latencies, 0.50), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "max_ms": round(max(latencies) * 1000, 1),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 1),
        "with_wait_p50_ms": round(percentile(figures.totals, 0.50), 1),
        "with_wait_p95_ms": round(percentile(figures.totals, 0.95), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "errors": figures.errors,
        "error_kinds": dict(figures.error_kinds),
        "sql_per_update": round(sql["statements"] / updates, 1),
        "commits_per_update": round(sql["commits"] / updates, 2),
        "checkouts_per_update": round(sql["checkouts"] / updates, 2),
        "cpu_ms_per_update": round(figures.cpu_seconds * 1000 / updates, 1),
        "loop_cpu_ms_per_update": round(figures.loop_cpu_seconds * 1000 / updates, 1),
        "gc_ms_per_update": round(figures.gc_seconds * 1000 / updates, 1),
        "gc_longest_ms": round(figures.gc_longest_s * 1000, 1),
        "gc_full": figures.gc_full,
        "calibration_s": round(figures.calibration_s, 3),
        "verified": figures.verified,
        "unfinished": figures.unfinished,
        "think_s": args.think,
        "seed": args.seed,
        **extra,
    }


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.questionnaire`."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    figures = asyncio.run(run(args))
    print(json.dumps(figures, ensure_ascii=False), flush=True)
    if not figures["verified"]:
        print("verification failed: see the lines above", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
