"""The organisation directory: parsing, validation, import, export and the read helpers."""

from __future__ import annotations

import csv
import io
import runpy
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import Organization, OrgLevel
from services import orgs
from services.orgs import DirectoryError, ImportResult, Problem

SessionFactory = async_sessionmaker[AsyncSession]


SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "kursk_orgs.csv"
HEADER = "code,parent_code,level,name"
# A small tree that most tests start from; line numbers in the file are 2, 3, 4.
BASE = [
    "46,,regional,Курская областная организация",
    "T1,46,territorial,Беловская районная организация",
    "P1,T1,primary,МКОУ «Беловская СОШ»",
]


def csv_file(*lines: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return "\n".join([header, *lines, ""]).encode(encoding)


def xlsx_file(rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def load(
    factory: SessionFactory, content: bytes, filename: str = "orgs.csv"
) -> ImportResult:
    async with factory() as session:
        return await orgs.import_directory(session, filename, content)


async def snapshot(factory: SessionFactory) -> list[tuple[Any, ...]]:
    """Everything an import may change, so "nothing changed" can be asserted exactly."""
    async with factory() as session:
        rows = await session.execute(
            select(
                Organization.id,
                Organization.code,
                Organization.parent_id,
                Organization.level,
                Organization.name,
                Organization.updated_at,
            ).order_by(Organization.code)
        )
        return [tuple(row) for row in rows]


async def rejected(
    factory: SessionFactory, content: bytes, filename: str = "orgs.csv"
) -> list[Problem]:
    """Import a bad file; check it is refused and that the database stayed as it was."""
    before = await snapshot(factory)
    with pytest.raises(DirectoryError) as caught:
        await load(factory, content, filename)
    assert await snapshot(factory) == before
    return caught.value.problems


def lines_of(problems: list[Problem]) -> list[int | None]:
    return [problem.line for problem in problems]


@pytest.fixture
async def base(session_factory: SessionFactory) -> SessionFactory:
    """The database with BASE imported."""
    await load(session_factory, csv_file(*BASE))
    return session_factory


async def by_code(factory: SessionFactory, code: str) -> Organization:
    async with factory() as session:
        org = await orgs.get_by_code(session, code)
    assert org is not None
    return org


# ---------------------------------------------------------------------------------------------
# The sample directory


async def test_sample_imports_with_right_counts(session_factory: SessionFactory) -> None:
    result = await load(session_factory, SAMPLE.read_bytes(), SAMPLE.name)

    data_rows = len(SAMPLE.read_text(encoding="utf-8").splitlines()) - 1
    assert result == ImportResult(created=data_rows, updated=0, unchanged=0)
    async with session_factory() as session:
        counts = await orgs.count_by_level(session)
        region = await orgs.regional(session)
        assert region is not None
        _, direct = await orgs.list_children(session, region.id, OrgLevel.PRIMARY)
        _, territorial = await orgs.list_children(session, region.id, OrgLevel.TERRITORIAL)
    assert counts == {OrgLevel.REGIONAL: 1, OrgLevel.TERRITORIAL: 33, OrgLevel.PRIMARY: 365}
    assert (region.code, territorial, direct) == ("46", 33, 10)


def test_sample_is_what_the_generator_writes() -> None:
    generator = runpy.run_path(str(SAMPLE.with_name("make_kursk_orgs.py")))
    assert generator["render"]() == SAMPLE.read_text(encoding="utf-8")

    rows = orgs.parse_directory(SAMPLE.name, SAMPLE.read_bytes())
    assert 300 <= sum(row.level is OrgLevel.PRIMARY for row in rows) <= 400
    assert all(len(row.name) <= orgs.NAME_MAX_LENGTH for row in rows)
    assert len({row.name for row in rows}) == len(rows)


async def test_reimport_changes_nothing(session_factory: SessionFactory) -> None:
    await load(session_factory, SAMPLE.read_bytes())
    before = await snapshot(session_factory)

    result = await load(session_factory, SAMPLE.read_bytes())

    assert (result.created, result.updated, result.unchanged) == (0, 0, len(before))
    assert await snapshot(session_factory) == before  # updated_at included


# ---------------------------------------------------------------------------------------------
# Updates


async def test_changed_name_and_parent_update_in_place(base: SessionFactory) -> None:
    await load(base, csv_file(*BASE, "T2,46,territorial,Курская городская организация"))
    school, territory = await by_code(base, "P1"), await by_code(base, "T1")
    t2 = await by_code(base, "T2")

    result = await load(base, csv_file(BASE[0], BASE[1], "P1,T2,primary,МБОУ «СОШ № 5»"))

    assert result == ImportResult(created=0, updated=1, unchanged=2)
    moved = await by_code(base, "P1")
    assert (moved.id, moved.parent_id, moved.name) == (school.id, t2.id, "МБОУ «СОШ № 5»")
    assert moved.updated_at > school.updated_at
    assert (await by_code(base, "T1")).updated_at == territory.updated_at


async def test_changed_level_updates_in_place(base: SessionFactory) -> None:
    await load(base, csv_file("P2,46,primary,Колледж"))
    college = await by_code(base, "P2")

    result = await load(base, csv_file("P2,46,territorial,Колледж"))

    assert result == ImportResult(created=0, updated=1, unchanged=0)
    changed = await by_code(base, "P2")
    assert (changed.id, changed.level) == (college.id, OrgLevel.TERRITORIAL)


async def test_partial_file_leaves_other_organisations_alone(base: SessionFactory) -> None:
    before = {row[1]: row for row in await snapshot(base)}

    result = await load(base, csv_file("P2,T1,primary,МКОУ «Белицкая ООШ»"))

    assert result == ImportResult(created=1, updated=0, unchanged=0)
    after = {row[1]: row for row in await snapshot(base)}
    assert {code: after[code] for code in before} == before


async def test_parents_may_come_after_their_children(session_factory: SessionFactory) -> None:
    result = await load(session_factory, csv_file(*reversed(BASE)))

    assert result.created == 3
    school, territory = await by_code(session_factory, "P1"), await by_code(session_factory, "T1")
    assert school.parent_id == territory.id


# ---------------------------------------------------------------------------------------------
# Rejections: each asserts the exact lines and that the database did not change


async def test_missing_columns_are_named(base: SessionFactory) -> None:
    problems = await rejected(base, csv_file("X,Школа", header="code,name"))

    assert lines_of(problems) == [1]
    assert "«parent_code», «level»" in problems[0].message


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        (",T1,primary,Школа", "не указан код"),
        ("46 01,T1,primary,Школа", "недопустимый код «46 01»"),
        ("шк1,T1,primary,Школа", "недопустимый код «шк1»"),
        ("x" * 33 + ",T1,primary,Школа", "недопустимый код"),
        ("P2,T 1,primary,Школа", "недопустимый код родительской организации «T 1»"),
        ("P2,T1,primary,", "не указано название"),
        ("P2,T1,primary," + "я" * 301, "название длиннее 300 символов (301)"),
        ("P2,T1,district,Школа", "неизвестный уровень «district»"),
        ("P2,T1,,Школа", "не указан уровень"),
        ("P2,99,primary,Школа", "неизвестная родительская организация «99»"),
        ("P2,,primary,Школа", "не указана родительская организация"),
        ("T2,T1,territorial,Район", "территориальная организация должна входить в областную"),
        ("P2,P1,primary,Школа", "а «P1» — первичная"),
        ("47,,regional,Вторая", "областная организация может быть только одна, уже есть «46»"),
        ("T1,46,primary,Беловская", "«T1» не может стать первичной: в неё входит первичная"),
    ],
)
async def test_bad_row_is_reported_at_its_line(
    base: SessionFactory, row: str, fragment: str
) -> None:
    problems = await rejected(base, csv_file(BASE[0], row))

    assert lines_of(problems) == [3]
    assert fragment in problems[0].message


async def test_regional_with_a_parent(base: SessionFactory) -> None:
    problems = await rejected(base, csv_file(BASE[0], "47,46,regional,Вторая"))

    assert [str(problem) for problem in problems] == [
        "Строка 3: у областной организации не может быть родительской («46»)",
        "Строка 3: областная организация может быть только одна, уже есть «46»",
    ]


async def test_unknown_parent_in_an_empty_directory(session_factory: SessionFactory) -> None:
    problems = await rejected(session_factory, csv_file("P1,T1,primary,Школа"))

    assert [str(problem) for problem in problems] == [
        "Строка 2: неизвестная родительская организация «T1»"
    ]


async def test_duplicate_code_names_both_lines(base: SessionFactory) -> None:
    problems = await rejected(base, csv_file(BASE[1], "P2,T1,primary,А", "P2,T1,primary,Б"))

    assert [str(problem) for problem in problems] == [
        "Строка 4: код «P2» уже встречался в строке 3"
    ]


async def test_two_regional_organisations_in_one_file(session_factory: SessionFactory) -> None:
    problems = await rejected(session_factory, csv_file(BASE[0], "47,,regional,Другая"))

    assert lines_of(problems) == [3]
    assert "уже есть «46»" in problems[0].message


async def test_cycle_is_detected(session_factory: SessionFactory) -> None:
    problems = await rejected(
        session_factory, csv_file(BASE[0], "A,B,primary,Первая", "B,A,primary,Вторая")
    )

    cycles = [problem for problem in problems if "цикл" in problem.message]
    assert [str(problem) for problem in cycles] == ["Строка 3: цикл подчинения: «A» → «B» → «A»"]
    assert lines_of(problems) == [3, 3, 4]  # plus the level rule each row breaks


def test_cycle_detection_does_not_rely_on_level_rules() -> None:
    rows = [
        orgs.OrgRow(2, "A", "B", OrgLevel.TERRITORIAL, "А"),
        orgs.OrgRow(3, "B", "C", OrgLevel.TERRITORIAL, "Б"),
        orgs.OrgRow(4, "C", "A", OrgLevel.TERRITORIAL, "В"),
        orgs.OrgRow(5, "D", "A", OrgLevel.TERRITORIAL, "Г"),
        orgs.OrgRow(6, "E", "E", OrgLevel.TERRITORIAL, "Д"),
    ]
    nodes = orgs._merged_view([], rows)

    problems = orgs._cycle_problems(rows, nodes)

    assert [str(problem) for problem in problems] == [
        "Строка 2: цикл подчинения: «A» → «B» → «C» → «A»",
        "Строка 6: цикл подчинения: «E» → «E»",
    ]


async def test_every_bad_line_is_reported(base: SessionFactory) -> None:
    content = csv_file(
        "P2,T1,primary,Хорошая школа",
        "P3,T1,школа,Школа",  # 3: bad level
        "P4,T1,primary,Ещё хорошая",
        ",99,primary,",  # 5: no code, no name
        "P6,99,primary,Школа",  # 6: unknown parent
        "P7,P3,primary,Школа",  # 7: its parent's line is bad: not blamed again
    )

    problems = await rejected(base, content)

    assert lines_of(problems) == [3, 5, 5, 6]
    assert str(DirectoryError(problems)).splitlines()[0].startswith("Строка 3: неизвестный")


@pytest.mark.parametrize(
    ("filename", "content", "fragment"),
    [
        ("orgs.csv", b"", "Файл пуст"),
        ("orgs.csv", b"\n ; \n\n", "Файл пуст"),
        ("orgs.csv", csv_file(), "нет ни одной организации"),
        ("orgs.csv", HEADER.encode() + b"\n\x98\x98\n", "кодировке UTF-8 или Windows-1251"),
        ("orgs.xls", csv_file(*BASE), "«orgs.xls» не поддерживается"),
        ("orgs.txt", csv_file(*BASE), "не поддерживается"),
        ("orgs", csv_file(*BASE), "не поддерживается"),
        ("orgs.xlsx", b"PK\x03\x04 not really a zip", "Не удалось открыть файл Excel"),
        ("orgs.xlsx", xlsx_file([]), "Файл пуст"),
        ("orgs.xlsx", csv_file(*BASE), "Не удалось открыть файл Excel"),
    ],
)
async def test_unreadable_file_is_one_problem(
    base: SessionFactory, filename: str, content: bytes, fragment: str
) -> None:
    problems = await rejected(base, content, filename)

    assert lines_of(problems) == [None]
    assert fragment in str(problems[0])


def test_parse_directory_raises_with_all_problems() -> None:
    with pytest.raises(DirectoryError) as caught:
        orgs.parse_directory("orgs.csv", csv_file("A,,regional,", "B,A,nope,Б"))

    assert str(caught.value) == (
        "Строка 2: не указано название\n"
        "Строка 3: неизвестный уровень «nope»: нужен regional, territorial или primary "
        "(областная, территориальная, первичная)"
    )


def test_long_values_are_shortened_in_messages() -> None:
    with pytest.raises(DirectoryError) as caught:
        orgs.parse_directory("orgs.csv", csv_file("A,,regional-" + "x" * 100 + ",Имя"))

    assert "«regional-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…»" in str(caught.value)


# ---------------------------------------------------------------------------------------------
# Encodings, delimiters, spreadsheets, header variants


async def test_cp1251_with_semicolons(session_factory: SessionFactory) -> None:
    lines = [line.replace(",", ";") for line in BASE]
    content = csv_file(*lines, header=HEADER.replace(",", ";"), encoding="cp1251")

    assert (await load(session_factory, content)).created == 3
    assert (await by_code(session_factory, "P1")).name == "МКОУ «Беловская СОШ»"


async def test_utf8_with_bom(session_factory: SessionFactory) -> None:
    assert (await load(session_factory, csv_file(*BASE, encoding="utf-8-sig"))).created == 3


async def test_header_in_any_order_case_and_extra_columns(
    session_factory: SessionFactory,
) -> None:
    content = csv_file(
        "Областная,regional,,46,x",
        '"Школа, с запятой",primary,46,P1,y',
        header=" NAME ,Level,Parent_Code,CODE,comment",
    )

    await load(session_factory, content)

    assert (await by_code(session_factory, "P1")).name == "Школа, с запятой"


async def test_russian_level_names(session_factory: SessionFactory) -> None:
    content = csv_file(
        "46,, Областная ,Областная организация",
        "T1,46,ТЕРРИТОРИАЛЬНАЯ,Район",
        "P1,T1,первичная,Школа",
    )

    await load(session_factory, content)

    levels = [(await by_code(session_factory, code)).level for code in ("46", "T1", "P1")]
    assert levels == [OrgLevel.REGIONAL, OrgLevel.TERRITORIAL, OrgLevel.PRIMARY]


async def test_blank_lines_are_skipped_but_counted(base: SessionFactory) -> None:
    problems = await rejected(base, csv_file("P2,T1,primary,Школа", "", " , , ", "P3,T1,,X"))

    assert lines_of(problems) == [5]


async def test_cells_are_trimmed(base: SessionFactory) -> None:
    await load(base, csv_file("  P2 , T1 , primary ,  Школа  № 2 "))

    school = await by_code(base, "P2")
    assert (school.name, school.parent_id) == ("Школа № 2", (await by_code(base, "T1")).id)


async def test_names_collapse_inner_whitespace(session_factory: SessionFactory) -> None:
    await load(session_factory, csv_file('46,,regional,"Курская\n  областная"'))

    assert (await by_code(session_factory, "46")).name == "Курская областная"


async def test_xlsx_with_numeric_codes(session_factory: SessionFactory) -> None:
    content = xlsx_file(
        [
            ["Code", "Parent_code", "Level", "Name"],
            [46, None, "regional", "Областная"],
            [101.0, 46, "territorial", "Район"],
            ["101-1", 101, "первичная", "Школа"],
        ]
    )

    result = await load(session_factory, content, "Справочник.XLSX")

    assert result.created == 3
    school, territory = (
        await by_code(session_factory, "101-1"),
        await by_code(session_factory, "101"),
    )
    assert school.parent_id == territory.id


async def test_xlsx_line_numbers_count_empty_rows(base: SessionFactory) -> None:
    content = xlsx_file(
        [
            ["code", "parent_code", "level", "name"],
            ["P2", "T1", "primary", "Школа"],
            [None, None, None, None],
            [],
            ["P3", "T1", "primary", None],
        ]
    )

    problems = await rejected(base, content, "orgs.xlsx")

    assert [str(problem) for problem in problems] == ["Строка 5: не указано название"]


# ---------------------------------------------------------------------------------------------
# Export


async def test_export_orders_territories_with_their_primaries(base: SessionFactory) -> None:
    await load(
        base,
        csv_file(
            "P9,46,primary,ППО университета",
            "T2,46,territorial,Городская",
            "P3,T2,primary,Школа 3",
            "P2,T1,primary,Школа 2",
            "T10,46,territorial,Десятая",
        ),
    )

    async with base() as session:
        content = await orgs.export_directory(session, "orgs.csv")

    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == ["code", "parent_code", "level", "name"]
    assert [row[0] for row in rows[1:]] == ["46", "T1", "P1", "P2", "T2", "P3", "T10", "P9"]
    assert rows[1][1] == "" and rows[-1][1] == "46"


@pytest.mark.parametrize("filename", ["orgs.csv", "orgs.xlsx"])
async def test_export_reimports_unchanged(session_factory: SessionFactory, filename: str) -> None:
    await load(session_factory, SAMPLE.read_bytes())
    before = await snapshot(session_factory)
    async with session_factory() as session:
        content = await orgs.export_directory(session, filename)

    result = await load(session_factory, content, filename)

    assert (result.created, result.updated, result.unchanged) == (0, 0, len(before))
    assert await snapshot(session_factory) == before


async def test_export_of_the_sample_reproduces_it(session_factory: SessionFactory) -> None:
    await load(session_factory, SAMPLE.read_bytes())
    async with session_factory() as session:
        content = await orgs.export_directory(session, "orgs.csv")

    exported = content.decode("utf-8-sig").replace("\r\n", "\n")
    assert exported == SAMPLE.read_text(encoding="utf-8")


EVIL = '=HYPERLINK("http://evil.example","Откройте отчёт")'
# What a spreadsheet would run as a formula, beside names that must stay as they are.
FORMULA_ROWS = [
    ["P2", "T1", "primary", EVIL],
    ["P3", "T1", "primary", "+7 (4712) 00-00-00 школа"],
    ["-4", "T1", "primary", "-Школа-"],
    ["P5", "T1", "primary", "@school_46"],
]


def written_csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows([HEADER.split(","), *rows])
    return buffer.getvalue().encode("utf-8")


async def test_formula_like_names_export_as_text(base: SessionFactory) -> None:
    await load(base, written_csv(FORMULA_ROWS))
    # An apostrophe of its own (from XLSX, which needs no escaping) survives the CSV trip.
    await load(
        base, xlsx_file([HEADER.split(","), ["P6", "T1", "primary", "'=свой апостроф"]]), "o.xlsx"
    )
    before = await snapshot(base)
    async with base() as session:
        as_csv = await orgs.export_directory(session, "orgs.csv")
        as_xlsx = await orgs.export_directory(session, "orgs.xlsx")

    # CSV: an apostrophe before whatever Excel would run; other cells untouched.
    rows = {row[3]: row for row in csv.reader(io.StringIO(as_csv.decode("utf-8-sig")))}
    assert "'" + EVIL in rows and EVIL not in rows
    assert "'+7 (4712) 00-00-00 школа" in rows and "'@school_46" in rows
    assert rows["'-Школа-"][0] == "'-4"  # a code is text too
    assert "''=свой апостроф" in rows  # one more, so that the import gives back one
    assert rows["МКОУ «Беловская СОШ»"] == ["P1", "T1", "primary", "МКОУ «Беловская СОШ»"]

    # XLSX: string cells, no formula anywhere in the sheet.
    with zipfile.ZipFile(io.BytesIO(as_xlsx)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    sheet = openpyxl.load_workbook(io.BytesIO(as_xlsx)).worksheets[0]
    names = {row[3].value: row[3] for row in sheet.iter_rows(min_row=2)}
    assert names[EVIL].data_type == "s"
    assert all(c.data_type == "s" for row in sheet.iter_rows() for c in row if c.value is not None)

    async with base() as session:
        assert (await by_code(base, "P6")).name == "'=свой апостроф"
        assert (await by_code(base, "P2")).name == EVIL
    # Both import back unchanged.
    for filename, content in (("orgs.csv", as_csv), ("orgs.xlsx", as_xlsx)):
        result = await load(base, content, filename)
        assert (result.created, result.updated) == (0, 0), filename
        assert await snapshot(base) == before, filename


async def test_export_rejects_unknown_suffix(base: SessionFactory) -> None:
    async with base() as session:
        with pytest.raises(DirectoryError):
            await orgs.export_directory(session, "orgs.ods")


# ---------------------------------------------------------------------------------------------
# Read helpers


async def test_search_ranks_prefix_first_and_ignores_case(session_factory: SessionFactory) -> None:
    await load(
        session_factory,
        csv_file(
            BASE[0],
            "T1,46,territorial,Курская городская организация",
            "T2,46,territorial,Конышёвская районная организация",
            "P1,T1,primary,МБОУ «Гимназия № 4» г. Курска",
            "P2,T1,primary,МБДОУ «Детский сад № 12» г. Курска",
            "P3,T1,primary,Курский лицей",
        ),
    )

    async with session_factory() as session:
        found, total = await orgs.search(session, "  КУРСК ")
        limited, same_total = await orgs.search(session, "курск", limit=2)
        yo, _ = await orgs.search(session, "конышев")
        nothing = await orgs.search(session, "   ")

    # The regional organisation is not offered: it is the root, not a choice.
    assert [org.code for org in found] == ["T1", "P3", "P2", "P1"]
    assert [org.code for org in limited] == ["T1", "P3"] and total == same_total == 4
    assert [org.code for org in yo] == ["T2"]
    assert nothing == ([], 0)


async def test_list_children_pages_by_name(session_factory: SessionFactory) -> None:
    schools = [f"S{n},T1,primary,Школа № {n}" for n in range(1, 20)]  # № 2 before № 10
    await load(session_factory, csv_file(*BASE[:2], *reversed(schools), "P0,46,primary,ППО"))
    territory = await by_code(session_factory, "T1")

    async with session_factory() as session:
        first, total = await orgs.list_children(session, territory.id)
        last, _ = await orgs.list_children(session, territory.id, offset=16, limit=8)
        roots, root_total = await orgs.list_children(session, None)
        region = await orgs.regional(session)
        assert region is not None
        direct, direct_total = await orgs.list_children(session, region.id, OrgLevel.PRIMARY)

    assert total == 19
    assert [org.code for org in first] == [f"S{n}" for n in range(1, 9)]
    assert [org.code for org in last] == ["S17", "S18", "S19"]
    assert ([org.code for org in roots], root_total) == (["46"], 1)
    assert ([org.code for org in direct], direct_total) == (["P0"], 1)


async def test_path_and_lookups(base: SessionFactory) -> None:
    async with base() as session:
        school = await orgs.get_by_code(session, "P1")
        assert school is not None
        chain = await orgs.path(session, school)
        same = await orgs.get_by_id(session, school.id)
        missing = (await orgs.get_by_code(session, "nope"), await orgs.get_by_id(session, 10**6))

    assert [org.code for org in chain] == ["46", "T1", "P1"]
    assert same is school
    assert missing == (None, None)


async def test_empty_directory_helpers(session_factory: SessionFactory) -> None:
    async with session_factory() as session:
        assert await orgs.regional(session) is None
        assert await orgs.search(session, "школа") == ([], 0)
        assert await orgs.count_by_level(session) == dict.fromkeys(OrgLevel, 0)
        assert await orgs.list_children(session, None) == ([], 0)
