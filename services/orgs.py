"""The organisation directory: CSV/XLSX import and export, plus read helpers for the chat UI.

The tree is regional → territorial → primary; a primary organisation may also sit directly
under the regional one («областного подчинения»). The `code` column is the identity of an
organisation across imports.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Final

import openpyxl
from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models.audit import AuditKind
from models.org import Organization, OrgLevel
from services import audit, spreadsheet

SUPPORTED_SUFFIXES: Final = (".csv", ".xlsx")
COLUMNS: Final = ("code", "parent_code", "level", "name")
CODE_MAX_LENGTH: Final = 32  # Organization.code is String(32)
NAME_MAX_LENGTH: Final = 300  # Organization.name is String(300)
# The code travels in a deep link (`org_<code>`) and in callback data: keep it URL-safe.
CODE_PATTERN: Final = re.compile(rf"[A-Za-z0-9_-]{{1,{CODE_MAX_LENGTH}}}")
# Longer offending values are shortened in messages so one bad cell cannot flood the chat.
QUOTE_MAX_LENGTH: Final = 40

LEVEL_NAMES: Final[dict[str, OrgLevel]] = {
    **{level.value: level for level in OrgLevel},
    "областная": OrgLevel.REGIONAL,
    "территориальная": OrgLevel.TERRITORIAL,
    "первичная": OrgLevel.PRIMARY,
}
# Which levels an organisation of a given level may be subordinate to.
ALLOWED_PARENTS: Final[dict[OrgLevel, frozenset[OrgLevel]]] = {
    OrgLevel.REGIONAL: frozenset(),
    OrgLevel.TERRITORIAL: frozenset({OrgLevel.REGIONAL}),
    OrgLevel.PRIMARY: frozenset({OrgLevel.REGIONAL, OrgLevel.TERRITORIAL}),
}
LEVEL_NOMINATIVE: Final = {
    OrgLevel.REGIONAL: "областная",
    OrgLevel.TERRITORIAL: "территориальная",
    OrgLevel.PRIMARY: "первичная",
}
LEVEL_INSTRUMENTAL: Final = {
    OrgLevel.REGIONAL: "областной",
    OrgLevel.TERRITORIAL: "территориальной",
    OrgLevel.PRIMARY: "первичной",
}
ALLOWED_PARENTS_TEXT: Final = {
    OrgLevel.TERRITORIAL: "областную",
    OrgLevel.PRIMARY: "территориальную или областную",
}
# Export order among siblings: territorial organisations (with their subtrees) come before
# the primaries that report directly to the same parent.
LEVEL_RANK: Final = {OrgLevel.REGIONAL: 0, OrgLevel.TERRITORIAL: 1, OrgLevel.PRIMARY: 2}


@dataclass(frozen=True)
class OrgRow:
    """One valid data row of a directory file; `line` is the row number as Excel shows it."""

    line: int
    code: str
    parent_code: str | None
    level: OrgLevel
    name: str


@dataclass(frozen=True)
class Problem:
    """One reason a directory file was rejected; `line` is None for whole-file problems."""

    line: int | None
    message: str

    def __str__(self) -> str:
        return self.message if self.line is None else f"Строка {self.line}: {self.message}"


class DirectoryError(Exception):
    """A directory file was rejected; `problems` lists every reason, in line order."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = sorted(problems, key=lambda problem: problem.line or 0)
        super().__init__("\n".join(str(problem) for problem in self.problems))


@dataclass(frozen=True)
class ImportResult:
    """What an import did, counted in organisations."""

    created: int
    updated: int
    unchanged: int

    @property
    def total(self) -> int:
        """Number of organisations in the file."""
        return self.created + self.updated + self.unchanged


# ---------------------------------------------------------------------------------------------
# Reading files into rows of strings


def _quote(value: str) -> str:
    """`value` in «» for a message, shortened if long."""
    if len(value) > QUOTE_MAX_LENGTH:
        value = value[: QUOTE_MAX_LENGTH - 1] + "…"
    return f"«{value}»"


def _fail(message: str, line: int | None = None) -> DirectoryError:
    """A DirectoryError with a single problem."""
    return DirectoryError([Problem(line, message)])


def _suffix(filename: str) -> str:
    """The lower-cased extension of `filename`, if it is one we read and write."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise _fail(f"Формат файла {_quote(filename)} не поддерживается: нужен .csv или .xlsx")
    return suffix


def _decode(content: bytes) -> str:
    """Text of a CSV file: UTF-8 (with or without BOM), else Windows-1251 from Russian Excel."""
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _fail("Не удалось прочитать файл: сохраните его в кодировке UTF-8 или Windows-1251")


def _delimiter(text: str) -> str:
    """`,`, `;` or tab, whichever the header line uses most (ties go to `,`)."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {delimiter: header.count(delimiter) for delimiter in (",", ";", "\t")}
    return max(counts, key=counts.__getitem__)


def _read_csv(content: bytes) -> list[list[str]]:
    """All records of a CSV file; record i is row i + 1 as Excel would number it. The
    apostrophe our export puts before a formula-like value («'=…») goes again."""
    text = _decode(content)
    records: list[list[str]] = []
    try:
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)):
            records.append([spreadsheet.from_csv(cell) for cell in record])
    except csv.Error as error:
        raise _fail(f"не удалось разобрать CSV ({error})", len(records) + 1) from error
    return records


def _cell_text(value: object) -> str:
    """A cell as text; Excel stores a code typed as 101 as the number 101.0."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(content: bytes) -> list[list[str]]:
    """All rows of the first sheet; row i is Excel's row i + 1 (read-only mode fills gaps)."""
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            # Some generators write a wrong <dimension>; read-only mode would trust it and
            # silently cut columns off.
            sheet.reset_dimensions()
            rows = sheet.iter_rows(values_only=True)
            return [[_cell_text(value) for value in row] for row in rows]
        finally:
            workbook.close()
    # openpyxl reports a corrupt or foreign file through many exception types (BadZipFile,
    # KeyError, XML parse errors…); for the user they all mean the same thing.
    except Exception as error:
        raise _fail("Не удалось открыть файл Excel: он повреждён или это не .xlsx") from error


def _read_records(filename: str, content: bytes) -> list[list[str]]:
    """Rows of strings from a CSV or XLSX file, chosen by the file name extension."""
    return _read_xlsx(content) if _suffix(filename) == ".xlsx" else _read_csv(content)


# ---------------------------------------------------------------------------------------------
# Parsing rows


@dataclass
class _Parsed:
    """Valid rows, problems found, and codes of bad rows (their children are not re-blamed)."""

    rows: list[OrgRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    broken_codes: set[str] = field(default_factory=set)


def _is_blank(record: Sequence[str]) -> bool:
    return not any(cell.strip() for cell in record)


def _header_columns(header: Sequence[str], line: int) -> dict[str, int]:
    """Position of each required column; extra columns are ignored."""
    positions: dict[str, int] = {}
    for index, title in enumerate(header):
        positions.setdefault(title.strip().lower(), index)
    missing = [column for column in COLUMNS if column not in positions]
    if missing:
        listed = ", ".join(_quote(column) for column in missing)
        raise _fail(
            f"в заголовке не хватает столбцов: {listed} (нужны {', '.join(COLUMNS)})", line
        )
    return {column: positions[column] for column in COLUMNS}


def _code_problem(code: str, what: str) -> str | None:
    """Why `code` cannot be an organisation code, or None if it can."""
    if CODE_PATTERN.fullmatch(code):
        return None
    return (
        f"недопустимый {what} {_quote(code)}: нужно от 1 до {CODE_MAX_LENGTH} символов "
        "из латинских букв, цифр, «_» и «-»"
    )


def _check_code(code: str) -> list[str]:
    if not code:
        return ["не указан код"]
    problem = _code_problem(code, "код")
    return [problem] if problem else []


def _check_parent_code(parent_code: str) -> list[str]:
    problem = _code_problem(parent_code, "код родительской организации") if parent_code else None
    return [problem] if problem else []


def _check_level(level: str) -> list[str]:
    if not level:
        return ["не указан уровень"]
    if level.casefold() in LEVEL_NAMES:
        return []
    return [
        f"неизвестный уровень {_quote(level)}: нужен regional, territorial или primary "
        "(областная, территориальная, первичная)"
    ]


def _check_name(name: str) -> list[str]:
    if not name:
        return ["не указано название"]
    if len(name) > NAME_MAX_LENGTH:
        return [f"название длиннее {NAME_MAX_LENGTH} символов ({len(name)})"]
    return []


def _parse_record(line: int, cells: dict[str, str]) -> OrgRow | list[str]:
    """A valid row, or the list of what is wrong with it."""
    # Collapsed whitespace: a line break inside an Excel cell would break one-line buttons.
    name = " ".join(cells["name"].split())
    messages = [
        *_check_code(cells["code"]),
        *_check_parent_code(cells["parent_code"]),
        *_check_level(cells["level"]),
        *_check_name(name),
    ]
    if messages:
        return messages
    return OrgRow(
        line=line,
        code=cells["code"],
        parent_code=cells["parent_code"] or None,
        level=LEVEL_NAMES[cells["level"].casefold()],
        name=name,
    )


def _parse(filename: str, content: bytes) -> _Parsed:
    """Row-level validation; whole-file problems (format, header, no data) raise at once."""
    numbered = [
        (index, record)
        for index, record in enumerate(_read_records(filename, content), start=1)
        if not _is_blank(record)
    ]
    if not numbered:
        raise _fail("Файл пуст")
    (header_line, header), *data = numbered
    columns = _header_columns(header, header_line)
    if not data:
        raise _fail("В файле нет ни одной организации: есть только заголовок")

    parsed = _Parsed()
    first_line: dict[str, int] = {}
    for line, record in data:
        cells = {
            column: record[index].strip() if index < len(record) else ""
            for column, index in columns.items()
        }
        result = _parse_record(line, cells)
        messages = [] if isinstance(result, OrgRow) else result
        code = cells["code"]
        if code in first_line:
            messages.append(f"код {_quote(code)} уже встречался в строке {first_line[code]}")
        elif code:
            first_line[code] = line
        if isinstance(result, OrgRow) and not messages:
            parsed.rows.append(result)
        else:
            parsed.problems.extend(Problem(line, message) for message in messages)
            parsed.broken_codes.add(code)
    return parsed


def parse_directory(filename: str, content: bytes) -> list[OrgRow]:
    """Decode and parse; raise DirectoryError listing EVERY bad line (not just the first)."""
    parsed = _parse(filename, content)
    if parsed.problems:
        raise DirectoryError(parsed.problems)
    return parsed.rows


# ---------------------------------------------------------------------------------------------
# Validating the tree: the file laid over the database


@dataclass(frozen=True)
class _Node:
    """An organisation in the merged view; `line` is set when it comes from the file."""

    level: OrgLevel
    parent_code: str | None
    line: int | None


def _parent_codes(orgs: Sequence[Organization]) -> dict[str, str | None]:
    """Code of each organisation's parent, by the organisation's code."""
    code_by_id = {org.id: org.code for org in orgs}
    return {org.code: None if org.parent_id is None else code_by_id[org.parent_id] for org in orgs}


def _merged_view(orgs: Sequence[Organization], rows: Iterable[OrgRow]) -> dict[str, _Node]:
    """The directory as it would be after the import: database rows overridden by the file."""
    parent_codes = _parent_codes(orgs)
    nodes = {org.code: _Node(org.level, parent_codes[org.code], None) for org in orgs}
    for row in rows:
        nodes[row.code] = _Node(row.level, row.parent_code, row.line)
    return nodes


def _parent_problem(row: OrgRow, nodes: dict[str, _Node], broken_codes: set[str]) -> str | None:
    """A parent where none is allowed, a missing one where it is required, an unknown one.

    A parent whose own line is bad is not "unknown": that line has already been reported.
    """
    if row.parent_code is None:
        return None if row.level is OrgLevel.REGIONAL else "не указана родительская организация"
    if row.level is OrgLevel.REGIONAL:
        return f"у областной организации не может быть родительской ({_quote(row.parent_code)})"
    if row.parent_code not in nodes and row.parent_code not in broken_codes:
        return f"неизвестная родительская организация {_quote(row.parent_code)}"
    return None


def _level_problems(nodes: dict[str, _Node], broken_codes: set[str]) -> list[Problem]:
    """Every parent link touched by the file must respect ALLOWED_PARENTS.

    A link is touched when the child is in the file (blame the child's line) or when only the
    parent is, e.g. a territorial organisation turned primary while it still has members in
    the database (blame the parent's line).
    """
    problems = []
    for code, node in nodes.items():
        # Regional-with-parent and unknown parents are reported by _parent_problem, and a
        # parent whose own line is bad has already been reported by the parser.
        if (
            node.parent_code is None
            or node.parent_code not in nodes
            or node.parent_code in broken_codes
            or node.level is OrgLevel.REGIONAL
        ):
            continue
        parent = nodes[node.parent_code]
        if parent.level in ALLOWED_PARENTS[node.level]:
            continue
        if node.line is not None:
            message = (
                f"{LEVEL_NOMINATIVE[node.level]} организация должна входить в "
                f"{ALLOWED_PARENTS_TEXT[node.level]}, а {_quote(node.parent_code)} — "
                f"{LEVEL_NOMINATIVE[parent.level]}"
            )
            problems.append(Problem(node.line, message))
        elif parent.line is not None:
            message = (
                f"{_quote(node.parent_code)} не может стать {LEVEL_INSTRUMENTAL[parent.level]}: "
                f"в неё входит {LEVEL_NOMINATIVE[node.level]} организация {_quote(code)}"
            )
            problems.append(Problem(parent.line, message))
    return problems


def _regional_problems(nodes: dict[str, _Node]) -> list[Problem]:
    """There is one regional organisation; any other one coming from the file is an error."""
    # Dict order puts database organisations first, so an existing regional one wins.
    codes = [code for code, node in nodes.items() if node.level is OrgLevel.REGIONAL]
    if len(codes) < 2:
        return []
    message = f"областная организация может быть только одна, уже есть {_quote(codes[0])}"
    return [
        Problem(nodes[code].line, message) for code in codes[1:] if nodes[code].line is not None
    ]


def _cycle_problems(rows: Iterable[OrgRow], nodes: dict[str, _Node]) -> list[Problem]:
    """Cycles in the parent chains, found generically in case the level rules ever loosen.

    The database alone is acyclic, so every cycle passes through a file row and a walk from
    each file row finds them all; each cycle is reported once, at its first line in the file.
    """
    problems = []
    finished: set[str] = set()
    for row in rows:
        chain: list[str] = []
        code: str | None = row.code
        while code is not None and code in nodes and code not in finished:
            if code in chain:
                cycle = [*chain[chain.index(code) :], code]
                lines = [line for c in cycle if (line := nodes[c].line) is not None]
                arrows = " → ".join(_quote(c) for c in cycle)
                # A cycle made only of database rows cannot arise from imports; if the
                # database was edited by hand, blame the row that leads into it.
                problems.append(
                    Problem(min(lines, default=row.line), f"цикл подчинения: {arrows}")
                )
                break
            chain.append(code)
            code = nodes[code].parent_code
        finished.update(chain)
    return problems


def _tree_problems(parsed: _Parsed, nodes: dict[str, _Node]) -> list[Problem]:
    return [
        *(
            Problem(row.line, message)
            for row in parsed.rows
            if (message := _parent_problem(row, nodes, parsed.broken_codes))
        ),
        *_level_problems(nodes, parsed.broken_codes),
        *_regional_problems(nodes),
        *_cycle_problems(parsed.rows, nodes),
    ]


# ---------------------------------------------------------------------------------------------
# Writing


def _depth(code: str, nodes: dict[str, _Node]) -> int:
    """Number of ancestors of `code` (the tree is validated: known parents, no cycles)."""
    depth = 0
    parent = nodes[code].parent_code
    while parent is not None:
        depth += 1
        parent = nodes[parent].parent_code
    return depth


async def _apply(
    session: AsyncSession,
    rows: Sequence[OrgRow],
    nodes: dict[str, _Node],
    by_code: dict[str, Organization],
) -> ImportResult:
    """Insert and update level by level, flushing so that children can see their parents' ids."""
    by_depth: dict[int, list[OrgRow]] = {}
    for row in rows:
        by_depth.setdefault(_depth(row.code, nodes), []).append(row)
    created = updated = 0
    for depth in sorted(by_depth):
        for row in by_depth[depth]:
            parent_id = by_code[row.parent_code].id if row.parent_code else None
            org = by_code.get(row.code)
            if org is None:
                org = Organization(
                    code=row.code, parent_id=parent_id, level=row.level, name=row.name
                )
                session.add(org)
                by_code[row.code] = org
                created += 1
            elif (org.parent_id, org.level, org.name) != (parent_id, row.level, row.name):
                org.parent_id, org.level, org.name = parent_id, row.level, row.name
                updated += 1
        await session.flush()
    return ImportResult(created=created, updated=updated, unchanged=len(rows) - created - updated)


async def import_directory(
    session: AsyncSession, filename: str, content: bytes, actor: audit.Actor | None = None
) -> ImportResult:
    """Validate against the file and the database together; write all or nothing; commit.

    The code is the identity: new codes are inserted, known ones updated in place when their
    name, level or parent changed, identical ones left untouched. Organisations missing from
    the file are kept, so a partial file (say, one district's schools) is a valid upload.
    Raises DirectoryError with every problem found; the database is then unchanged.
    """
    parsed = _parse(filename, content)
    try:
        orgs = list((await session.scalars(select(Organization))).all())
        nodes = _merged_view(orgs, parsed.rows)
        problems = [*parsed.problems, *_tree_problems(parsed, nodes)]
        if problems:
            raise DirectoryError(problems)
        result = await _apply(session, parsed.rows, nodes, {org.code: org for org in orgs})
        audit.record(
            session,
            actor,
            AuditKind.ORGS_IMPORTED,
            file=filename,
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
        )
        await session.commit()
    except IntegrityError as error:
        # Only a concurrent import can get here: validation saw a consistent database.
        await session.rollback()
        raise _fail("Справочник изменился во время загрузки, загрузите файл ещё раз") from error
    except Exception:
        await session.rollback()
        raise
    return result


def group_members(group_id: int) -> Select[int]:
    """Ids of the organisations of a group, the one unit of monitoring and of every report
    (`--territory`): a territorial organisation and its primaries, or, for the regional
    organisation, the primaries directly under it («областного подчинения»)."""
    return select(Organization.id).where(
        or_(
            and_(Organization.id == group_id, Organization.level == OrgLevel.TERRITORIAL),
            and_(Organization.parent_id == group_id, Organization.level == OrgLevel.PRIMARY),
        )
    )


# ---------------------------------------------------------------------------------------------
# Export


def _natural_key(code: str) -> tuple[str | int, ...]:
    """Sort key that puts `46-9` before `46-10`."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", code))


def _export_order(orgs: Sequence[Organization]) -> list[Organization]:
    """Depth-first from the root: each territorial organisation followed by its primaries,
    then the primaries reporting directly to the regional organisation."""
    children: dict[int | None, list[Organization]] = {}
    for org in sorted(orgs, key=lambda o: (LEVEL_RANK[o.level], _natural_key(o.code))):
        children.setdefault(org.parent_id, []).append(org)
    ordered: list[Organization] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        org = stack.pop()
        ordered.append(org)
        stack.extend(reversed(children.get(org.id, [])))
    return ordered


def _write_csv(rows: Iterable[Sequence[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    # A name like «=HYPERLINK(…)» must open as text, not run (CSV injection).
    csv.writer(buffer).writerows([spreadsheet.csv_text(cell) for cell in row] for row in rows)
    # The BOM makes Excel recognise UTF-8 instead of assuming the ANSI code page.
    return buffer.getvalue().encode("utf-8-sig")


def _write_xlsx(rows: Iterable[Sequence[str]]) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Организации")
    for letter, width in zip("ABCD", (14, 14, 12, 90), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in rows:
        sheet.append(spreadsheet.openpyxl_row(sheet, row))  # text cells, never formulas
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def export_directory(session: AsyncSession, filename: str) -> bytes:
    """The whole directory in the import format, CSV (UTF-8 with BOM, `,`) or XLSX by suffix.

    Rows go regional, then each territorial organisation followed by its primaries, then the
    primaries directly under the regional one; importing the result changes nothing.
    """
    suffix = _suffix(filename)
    orgs = list((await session.scalars(select(Organization))).all())
    parent_codes = _parent_codes(orgs)
    rows = [list(COLUMNS)] + [
        [org.code, parent_codes[org.code] or "", org.level.value, org.name]
        for org in _export_order(orgs)
    ]
    return _write_xlsx(rows) if suffix == ".xlsx" else _write_csv(rows)


# ---------------------------------------------------------------------------------------------
# Read helpers for the chat UI


async def get_by_code(session: AsyncSession, code: str) -> Organization | None:
    """The organisation with this code (as it comes from a deep link), if any."""
    return await session.scalar(select(Organization).where(Organization.code == code))


async def get_by_id(session: AsyncSession, org_id: int) -> Organization | None:
    """The organisation with this id, if any."""
    return await session.get(Organization, org_id)


async def by_ids(session: AsyncSession, org_ids: Iterable[int]) -> list[Organization]:
    """These organisations, by name (an admin's territories for a choice)."""
    found = await session.scalars(
        select(Organization).where(Organization.id.in_(list(org_ids))).order_by(Organization.name)
    )
    return list(found)


async def regional(session: AsyncSession) -> Organization | None:
    """The regional organisation, the root of the tree."""
    query = select(Organization).where(Organization.level == OrgLevel.REGIONAL)
    return await session.scalar(query.order_by(Organization.id).limit(1))


async def count_by_level(session: AsyncSession) -> dict[OrgLevel, int]:
    """How many organisations there are of each level (every level present, zeros included)."""
    rows = await session.execute(
        select(Organization.level, func.count()).group_by(Organization.level)
    )
    counts = dict.fromkeys(OrgLevel, 0)
    counts.update({level: count for level, count in rows})
    return counts


async def list_children(
    session: AsyncSession,
    parent_id: int | None,
    level: OrgLevel | None = None,
    *,
    offset: int = 0,
    limit: int = 8,
) -> tuple[list[Organization], int]:
    """One page of the children of `parent_id` (roots when None), by name, and their count.

    Sorted in Python rather than by ORDER BY: natural order («№ 2» before «№ 10») and the
    same on SQLite and PostgreSQL, whose collations differ; a parent has at most a few
    hundred children.
    """
    conditions: list[ColumnElement[bool]] = [
        Organization.parent_id.is_(None)
        if parent_id is None
        else Organization.parent_id == parent_id
    ]
    if level is not None:
        conditions.append(Organization.level == level)
    children = await session.scalars(select(Organization).where(*conditions))
    ordered = sorted(children, key=lambda org: (_name_key(org.name), org.id))
    return ordered[offset : offset + limit], len(ordered)


def _folded(text: str) -> str:
    """Case- and ё-insensitive form: people type «Конышевка» for «Конышёвка»."""
    return " ".join(text.split()).casefold().replace("ё", "е")


def _name_key(name: str) -> tuple[str | int, ...]:
    """Sort key for names as people expect them: case-insensitive, «№ 2» before «№ 10»."""
    return _natural_key(_folded(name))


# How people write a school: «сош №5», «МБОУ СОШ № 5», «школа 5». Abbreviations stand for
# the words of the full name; the legal form (МБОУ, МКОУ, …) is left out of the match, since
# people rarely know which one their school is.
_ABBREVIATIONS: Final = {
    "сош": ("средняя", "общеобразовательная", "школа"),
    "оош": ("основная", "общеобразовательная", "школа"),
    "нош": ("начальная", "общеобразовательная", "школа"),
    "дс": ("детский", "сад"),
    "ппо": ("первичная", "профсоюзная", "организация"),
}
_LEGAL_FORM_WORDS: Final = (
    "моу мбоу мкоу маоу гоу гбоу гкоу обоу окоу опоу обпоу мдоу мбдоу мкдоу мадоу "
    "му мбу мку мау оку обу гбу гку фгбоу мудо мбудо мкудо моудо мбоудо"
)
_LEGAL_FORMS: Final = frozenset(_LEGAL_FORM_WORDS.split())
_TOKEN = re.compile(r"\d+|[^\W\d_]+")


def _tokens(text: str) -> list[str]:
    """Words and numbers, folded: «№5» and «№ 5» are both the number 5."""
    return _TOKEN.findall(_folded(text))


def _query_terms(query: str) -> list[str]:
    terms = [word for token in _tokens(query) for word in _ABBREVIATIONS.get(token, (token,))]
    meaningful = [term for term in terms if term not in _LEGAL_FORMS]
    return meaningful or terms


def _matches(terms: Sequence[str], name_tokens: Sequence[str]) -> bool:
    """Every term is in the name: a number as that very number (5 is not 50), a word as the
    beginning of one of its words (курск → Курска, Курский)."""
    return all(
        (term in name_tokens)
        if term.isdigit()
        else any(token.startswith(term) for token in name_tokens)
        for term in terms
    )


def looks_like_code(text: str) -> bool:
    """A directory code as typed («46-01-001»): digits and dashes, no words."""
    return bool(re.fullmatch(r"[0-9][0-9A-Za-z_-]*", text.strip())) and any(
        ch.isdigit() for ch in text
    )


async def search(
    session: AsyncSession, query: str, *, limit: int = 8, offset: int = 0
) -> tuple[list[Organization], int]:
    """Territorial and primary organisations matching `query` (see `_matches`), those whose
    name starts with it first, then by name; one page of them and how many there are.

    SQLite's lower()/LIKE fold ASCII only, so Cyrillic cannot be matched case-insensitively in
    portable SQL; with about a thousand organisations it is cheap to fetch (id, name) and
    filter in Python.
    """
    terms = _query_terms(query)
    if not terms or limit <= 0:
        return [], 0
    start = " ".join(terms)
    candidates = await session.execute(
        select(Organization.id, Organization.name).where(
            Organization.level.in_([OrgLevel.TERRITORIAL, OrgLevel.PRIMARY])
        )
    )
    ranked = sorted(
        (not " ".join(_tokens(name)).startswith(start), _name_key(name), org_id)
        for org_id, name in candidates
        if _matches(terms, _tokens(name))
    )
    ids = [org_id for *_, org_id in ranked[offset : offset + limit]]
    page = await session.scalars(select(Organization).where(Organization.id.in_(ids)))
    by_id = {org.id: org for org in page}
    return [by_id[org_id] for org_id in ids], len(ranked)


async def path(session: AsyncSession, org: Organization) -> list[Organization]:
    """The chain from the root down to `org`, for breadcrumbs «Областная › Городская › Школа»."""
    chain = [org]
    seen = {org.id}
    while chain[-1].parent_id is not None and chain[-1].parent_id not in seen:
        parent = await session.get(Organization, chain[-1].parent_id)
        if parent is None:
            break
        chain.append(parent)
        seen.add(parent.id)
    return chain[::-1]
