"""The plan of events without the chat: the due-period parser on every «Сроки» phrase of the
source document (both plan tables) and on bad ones; the plan import (cp1251 CSV and XLSX,
every bad line named, all or nothing, idempotent, a changed item updated in place)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import AuditEntry, Plan, PlanAssignee, PlanItem, PlanPeriod
from services.plan import importer, items
from services.plan.due import DueError, parse_due, period_label
from services.plan.people import split_names
from tests.helpers import count

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
SAMPLE_XLSX = SAMPLES / "plan_2022.xlsx"
SAMPLE_CSV = SAMPLES / "plan_2022.csv"

# Every «Сроки» cell of the source document, as it is written there (line breaks included):
# the 2022 plan, then the annual plan «до 2026 года».
DOCUMENT_PHRASES = [
    ("февраль 2022", ("2022-02",)),
    ("март   \n2022", ("2022-03",)),
    ("март, июнь, сентябрь, декабрь\n2022", ("2022-03", "2022-06", "2022-09", "2022-12")),
    ("январь-декабрь 2022", ("2022-12",)),
    ("в течение года", ("2022-12",)),
    ("март \n2022", ("2022-03",)),
    ("апрель, июнь", ("2022-04", "2022-06")),
    ("октябрь 2022", ("2022-10",)),
    ("в течение всего времени", ("open",)),
    ("во время проведения конкурсов", ("open",)),
    ("по плану ЦС", ("open",)),
    ("2023г.\n2026г.", ("2023-12", "2026-12")),
]


@pytest.mark.parametrize(("phrase", "keys"), DOCUMENT_PHRASES)
def test_every_phrase_of_the_document_is_understood(phrase: str, keys: tuple[str, ...]) -> None:
    assert parse_due(phrase, 2022).keys == keys


def test_the_phrases_are_all_the_document_has() -> None:
    """Every «Сроки» cell of both plan tables of the source document is in the list above
    (and parses): the fourth cell after each «N.» cell."""
    seed = Path("/work/shared/seed/000_17bf36e148fda99b.txt")
    if not seed.exists():
        pytest.skip("the source document is not on this machine")
    text = seed.read_text(encoding="utf-8")
    cells = [c.strip() for c in text[text.index("ПЛАН\nреализации") :].split("\n\t")]
    due = [
        cells[i + 3].split("\n\n")[0]
        for i, cell in enumerate(cells)
        if re.fullmatch(r"\d+\.", cell)
    ]
    assert len(due) == 18  # 10 items of 2022 and 8 annual ones
    for phrase in due:
        parse_due(phrase, 2022)
    assert {" ".join(p.split()) for p in due} == {" ".join(p.split()) for p, _ in DOCUMENT_PHRASES}


@pytest.mark.parametrize(
    ("phrase", "message"),
    [
        ("", "не указан срок"),
        ("скоро", "«скоро» — не месяц"),
        ("мартобря 2022", "«мартобря» — не месяц"),
        ("декабрь-март 2022", "конец раньше начала"),
        ("до 15 марта", "не месяц"),
    ],
)
def test_a_phrase_it_cannot_read_is_named_not_guessed(phrase: str, message: str) -> None:
    with pytest.raises(DueError, match=message):
        parse_due(phrase, 2022)


def test_a_month_without_a_year_needs_the_plans_year() -> None:
    with pytest.raises(DueError, match="не указан год"):
        parse_due("апрель, июнь", None)
    assert parse_due("в течение 2024 года", None).keys == ("2024-12",)
    assert period_label("2022-03") == "март 2022"
    assert period_label("open") == "без срока"


def test_names_of_the_responsible_column() -> None:
    assert split_names(" Металиченко С.С.,\nЖилина Е.А.,\nПредседатели ТПО и ППО") == (
        "Металиченко С.С.",
        "Жилина Е.А.",
        "Председатели ТПО и ППО",
    )
    assert split_names("Металиченко С.С.,\n  Жилина Е.А..  ") == (
        "Металиченко С.С.",
        "Жилина Е.А.",
    )
    assert split_names("Корякина И.В.,\nЖилина Е.А.\nпредседатели ТПО и ППО")[2] == (
        "Председатели ТПО и ППО"
    )
    assert split_names("Жилина Е. А. председатели ТПО") == ("Жилина Е.А.", "Председатели ТПО")


def _xlsx(rows: list[tuple[str, ...]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


HEADER = ("№", "Мероприятия", "Ответственные", "Сроки")


async def test_both_samples_import_the_ten_items_and_reimport_changes_nothing(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    assert SAMPLE_CSV.read_bytes().decode("cp1251").startswith("№;Мероприятия")
    async with session_factory() as session:
        first = await importer.import_plan(session, SAMPLE_CSV.name, SAMPLE_CSV.read_bytes())
        assert (first.year, first.created, first.updated, first.unchanged) == (2022, 10, 0, 0)
        again = await importer.import_plan(session, SAMPLE_XLSX.name, SAMPLE_XLSX.read_bytes())
        assert (again.created, again.updated, again.unchanged) == (0, 0, 10)
        plan = await session.scalar(select(Plan))
        assert plan is not None and plan.year == 2022
        views = await items.item_views(session, plan.id)
        assert [v.item.number for v in views] == list(range(1, 11))
        assert [p.key for p in views[2].periods] == ["2022-03", "2022-06", "2022-09", "2022-12"]
        assert views[0].names == ["Металиченко С.С.", "Жилина Е.А.", "Председатели ТПО и ППО"]
        picking = await items.items_for_picking(session, 2022)
        assert [(i.year, i.number, i.text[:8]) for i in picking][:2] == [
            (2022, 1, "Провести"),
            (2022, 2, "Подготов"),
        ]
        assert len(picking) == 10 and await items.items_for_picking(session, 2023) == []
        await items.cancel_item(session, picking[9].id)
        assert len(await items.items_for_picking(session)) == 9  # cancelled ones left out
        assert len(await items.items_for_picking(session, include_cancelled=True)) == 10
    assert await count(session_factory, PlanItem) == 10
    assert await count(session_factory, PlanPeriod) == 14
    assert await count(session_factory, AuditEntry) == 0  # the system's own import: no actor


async def test_a_changed_item_is_updated_in_place(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    rows = [
        HEADER,
        ("1.", "Семинар", "Жилина Е.А.", "март 2022"),
        ("2.", "Сайт", "Жилина Е.А.", "в течение года"),
    ]
    async with session_factory() as session:
        await importer.import_plan(session, "plan_2022.xlsx", _xlsx(rows))
        item_id = await session.scalar(select(PlanItem.id).where(PlanItem.number == 1))
        rows[1] = ("1.", "Семинар по информработе", "Жилина Е.А., Корякина И.В.", "апрель 2022")
        result = await importer.import_plan(session, "plan_2022.xlsx", _xlsx(rows))
        assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
        item = await session.get(PlanItem, item_id)
        assert item is not None and item.text == "Семинар по информработе"
        keys = await session.scalars(select(PlanPeriod.key).where(PlanPeriod.item_id == item_id))
        assert list(keys) == ["2022-04"]
        names = await session.scalars(
            select(PlanAssignee.name).where(PlanAssignee.item_id == item_id)
        )
        assert sorted(names) == ["Жилина Е.А.", "Корякина И.В."]


async def test_a_bad_file_names_every_bad_line_and_writes_nothing(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    content = (
        "№;Мероприятия;Ответственные;Сроки\r\n"
        "1.;Мониторинг;Жилина Е.А.;февраль 2022\r\n"
        "два;Отчёты;Жилина Е.А.;март 2022\r\n"
        "3.;;Жилина Е.А.;скоро\r\n"
        "1.;Повтор;;март 2022\r\n"
    ).encode("cp1251")
    async with session_factory() as session:
        with pytest.raises(importer.PlanFileError) as caught:
            await importer.import_plan(session, "plan_2022.csv", content)
    problems = [str(p) for p in caught.value.problems]
    assert problems == [
        "Строка 3: номер «два» — не число",
        "Строка 4: не указано мероприятие",
        "Строка 4: не удалось понять срок «скоро»: «скоро» — не месяц",
        "Строка 5: номер 1 уже встречался в строке 2",
        "Строка 5: не указаны ответственные",
    ]
    assert await count(session_factory, Plan) == 0
    assert await count(session_factory, PlanItem) == 0


def test_whole_file_problems() -> None:
    with pytest.raises(importer.PlanFileError, match="не хватает столбцов"):
        importer.parse_plan("plan_2022.csv", "№;Мероприятия\n1;x\n".encode())
    with pytest.raises(importer.PlanFileError, match="год плана"):
        importer.parse_plan(
            "plan.csv", "№;Мероприятия;Ответственные;Сроки\n1;x;Я;апрель\n".encode()
        )
    with pytest.raises(importer.PlanFileError, match="не поддерживается"):
        importer.parse_plan("plan.pdf", b"%PDF")


def test_cli_imports_the_plan_and_writes_the_report(tmp_path: Path, migrated_url: str) -> None:
    from tests.test_cli import run_cli

    env = {"DATABASE_URL": migrated_url}
    imported = run_cli("plan", "import", str(SAMPLE_CSV), cwd=tmp_path, **env)
    assert imported.returncode == 0, imported.stderr
    assert "План на 2022 год загружен" in imported.stdout and "добавлено 10" in imported.stdout
    again = run_cli("plan", "import", str(SAMPLE_XLSX), cwd=tmp_path, **env)
    assert "добавлено 0, изменено 0, без изменений 10" in again.stdout
    bad = tmp_path / "plan_2022.csv"
    bad.write_bytes("№;Мероприятия;Ответственные;Сроки\n1;x;Я;когда-нибудь\n".encode("cp1251"))
    rejected = run_cli("plan", "import", str(bad), cwd=tmp_path, **env)
    assert rejected.returncode == 1 and "Строка 2: не удалось понять срок" in rejected.stderr

    report = run_cli("report", "plan", "--out", str(tmp_path / "out"), cwd=tmp_path, **env)
    assert report.returncode == 0, report.stderr
    workbook = openpyxl.load_workbook(tmp_path / "out" / "plan_2022_report.xlsx")
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert rows[0] == importer_header()
    assert len(rows) == 1 + 14  # one line per due period
    assert rows[3][:4] == (3, rows[3][1], "Жилина Е.А.", "март 2022")
    missing = run_cli("report", "plan", "--year", "2030", cwd=tmp_path, **env)
    assert missing.returncode == 1 and "Плана мероприятий на 2030 год нет" in missing.stderr


def importer_header() -> tuple[str, ...]:
    from services.plan.report import HEADER

    return HEADER


async def test_group_phrases_reach_territorial_admins_and_primary_officers(
    session_factory: async_sessionmaker[AsyncSession], directory: None
) -> None:
    from services.plan.people import responsible_people
    from tests.helpers import add_member, grant

    chair = await add_member(session_factory, 810001, None, topics=())
    await grant(session_factory, 810001, "territorial_admin", "46-01")
    officer = await add_member(session_factory, 810002, "46-01-001", topics=())
    await grant(session_factory, 810002, "officer", "46-01-001")
    territorial_officer = await add_member(session_factory, 810003, None, topics=())
    await grant(session_factory, 810003, "officer", "46-01")
    async with session_factory() as session:
        await importer.import_plan(session, SAMPLE_XLSX.name, SAMPLE_XLSX.read_bytes())
        by_number = {i.number: i.id for i in await items.items_for_picking(session, 2022)}
        assert await responsible_people(session, by_number[2]) == {chair}  # председатели ТПО
        both = await responsible_people(session, by_number[1])  # председатели ТПО и ППО
        assert both == {chair, officer} and territorial_officer not in both
        assert await responsible_people(session, by_number[3]) == set()  # a name, unlinked


async def test_the_presidium_pdf_has_a_section_on_the_plan(
    session_factory: async_sessionmaker[AsyncSession], directory: None
) -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from services.plan.report import presidium_section
    from services.reports import build, presidium
    from services.reports.data import load_report
    from tests.monitoring_data import open_quarter

    tz = ZoneInfo("Europe/Moscow")
    campaign_id = await open_quarter(session_factory, 2022, 1)
    async with session_factory() as session:
        assert await presidium_section(session, 2022, tz) == []  # no plan: no section
        await importer.import_plan(session, SAMPLE_XLSX.name, SAMPLE_XLSX.read_bytes())
        section = await presidium_section(session, 2022, tz)
        dataset = await load_report(session, [campaign_id])
        made_at = datetime(2022, 4, 1, 9, 0, tzinfo=UTC)
        pages = presidium.plan(dataset, [], made_at, section)
        files = await build.make(
            session, build.ReportKind.PRESIDIUM, build.Scope(), now=made_at, tz=tz
        )
    texts_shown = [
        line for page in pages for b in page if isinstance(b, presidium.Text) for line in b.lines
    ]
    assert "Выполнение плана мероприятий на 2022 год" in texts_shown
    assert "Выполнено сроков: 0 из 14; просрочено пунктов: 0." in texts_shown
    tables = [b for page in pages for b in page if isinstance(b, presidium.Table)]
    plan_rows = [row for table in tables if table.header[0] == "№" for row in table.rows]
    assert len(plan_rows) == 14 and plan_rows[0][3] == "февраль 2022"
    assert files[0].name.endswith(".pdf") and files[0].content.startswith(b"%PDF")


async def test_the_name_search_is_cyrillic_case_insensitive_on_every_backend(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    from services import people
    from services.plan.people import search_people

    async with session_factory() as session:
        for telegram_id, first, last in (
            (820001, "Елена", "Жилина"),
            (820002, "Ирина", "Корякина"),
            (820003, "Пётр", "ЖИЛИН"),
        ):
            await people.register(session, people.TelegramProfile(telegram_id, first, last))
        assert [p.last_name for p in await search_people(session, "жилина")] == ["Жилина"]
        assert [p.last_name for p in await search_people(session, "ЖИЛИН")] == ["Жилина", "ЖИЛИН"]
        assert [p.first_name for p in await search_people(session, "пётр жилин")] == ["Пётр"]
        assert await search_people(session, "  ") == []


async def test_mark_done_for_another_feature(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """The seminars/events feature marks an item done for a period when a linked event is
    held: by someone the item need not name (`check_responsible=False`), once per period."""
    from datetime import date

    from models import PlanReport, PlanState

    async with session_factory() as session:
        await importer.import_plan(session, SAMPLE_XLSX.name, SAMPLE_XLSX.read_bytes())
        item9 = next(i for i in await items.items_for_picking(session, 2022) if i.number == 9)
        report = await items.mark_done(
            session,
            item9.id,
            "2022-10",
            by_person_id=None,
            report_text="Семинар проведён",
            today=date(2022, 10, 20),
            link="https://example.org/seminar",
            check_responsible=False,
        )
        assert report.id is not None
        item = await session.get(PlanItem, item9.id)
        assert item is not None and item.state is PlanState.DONE
        with pytest.raises(items.MarkError) as again:
            await items.mark_done(
                session,
                item9.id,
                "2022-10",
                by_person_id=None,
                report_text="ещё раз",
                today=date(2022, 10, 21),
                check_responsible=False,
            )
        assert again.value.reason is items.MarkRefusal.ALREADY_DONE
        with pytest.raises(items.MarkError) as nobody:
            await items.mark_done(
                session,
                item9.id,
                "2022-10",
                by_person_id=None,
                report_text="x",
                today=date(2022, 10, 21),
            )
        assert nobody.value.reason is items.MarkRefusal.NOT_RESPONSIBLE
    assert await count(session_factory, PlanReport) == 1
