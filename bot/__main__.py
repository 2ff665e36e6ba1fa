"""Command line: `python -m bot` runs the bot; `migrate`, `orgs import|export`, `broadcast`,
`report`, `audit` do one job."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import backup, migrate
from bot.config import DatabaseSettings, Settings, describe_settings_error
from bot.db import create_engine, create_session_factory
from bot.logs import setup_logging
from services import audit, orgs
from services.broadcasts import cli as broadcast_cli
from texts import ru
from texts import scale as scale_texts

logger = logging.getLogger("bot")

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2
EXIT_SECOND_REPLICA = 3  # another process of the bot runs on this database and there is no Redis
# services.reports.build's ReportKind values; spelled out so `--help` needs no matplotlib import.
REPORT_KINDS: tuple[str, ...] = ("xlsx", "xlsx-all", "csv", "charts", "presidium", "subscribers")
REPORT_KINDS += ("questions", "events")  # members' questions (/ask), seminars (/events)
PLAN_REPORT = "plan"  # the plan of events (services.plan.report), not a monitoring report


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Бот Профинформ")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="применить миграции и запустить бота (по умолчанию)")
    commands.add_parser("migrate", help="только применить миграции базы данных")
    commands.add_parser(
        "deliver",
        help="только доставка рассылок: процесс, который запускает BROADCAST_WORKERS",
    )
    org_cmd = commands.add_parser("orgs", help="справочник организаций")
    org_actions = org_cmd.add_subparsers(dest="action", required=True)
    org_import = org_actions.add_parser("import", help="загрузить справочник из CSV или XLSX")
    org_import.add_argument("file", type=Path)
    org_export = org_actions.add_parser("export", help="выгрузить справочник в CSV или XLSX")
    org_export.add_argument("file", type=Path)
    plan_cmd = commands.add_parser("plan", help="план мероприятий программы")
    plan_actions = plan_cmd.add_subparsers(dest="action", required=True)
    plan_import = plan_actions.add_parser(
        "import",
        help="загрузить план из CSV или XLSX (столбцы №, Мероприятия, Ответственные, Сроки)",
    )
    plan_import.add_argument("file", type=Path)
    plan_import.add_argument("--year", type=int, help="год плана (иначе из имени файла)")
    broadcast = commands.add_parser(
        "broadcast", help="поставить в очередь рассылку HTML-текста подписчикам тем"
    )
    broadcast.add_argument(
        "--topic",
        action="append",
        required=True,
        dest="topics",
        metavar="SLUG",
        help="тема (news, law, …); можно несколько раз",
    )
    broadcast.add_argument("--org", metavar="CODE", help="код территориальной или первичной")
    broadcast.add_argument("--alert", action="store_true", help="срочное: со звуком, закрепить")
    broadcast.add_argument("--text-file", type=Path, required=True, metavar="FILE")
    report = commands.add_parser(
        "report",
        help="отчёт по мониторингу в файлы",
        description=(
            "xlsx — выгрузка за квартал, xlsx-all — за все кварталы, csv — ответы таблицей, "
            "charts — графики PNG, presidium — отчёт для президиума PDF, "
            "subscribers — статистика подписчиков, plan — выполнение плана мероприятий (XLSX, "
            "--year — год плана). Без --year/--quarter — последний квартал."
        ),
    )
    report.add_argument("kind", choices=(*REPORT_KINDS, PLAN_REPORT))
    report.add_argument("--year", type=int, help="год квартала, например 2026")
    report.add_argument("--quarter", type=int, choices=(1, 2, 3, 4), help="квартал (1–4)")
    report.add_argument("--territory", metavar="CODE", help="код территориальной организации")
    report.add_argument(
        "--out", type=Path, default=Path("."), metavar="DIR", help="папка для файлов"
    )
    backup_cmd = commands.add_parser(
        "backup", help="резервная копия базы SQLite (можно при работающем боте)"
    )
    backup_cmd.add_argument("file", type=Path)
    restore_cmd = commands.add_parser("restore", help="восстановить базу SQLite из копии")
    restore_cmd.add_argument("file", type=Path)
    restore_cmd.add_argument(
        "--force", action="store_true", help="заменить базу, в которой уже есть данные"
    )
    audit_cmd = commands.add_parser(
        "audit",
        help="журнал действий администраторов в CSV",
        description="Записи журнала с указанной даты (включительно), по порядку, в CSV (UTF-8).",
    )
    audit_cmd.add_argument(
        "--since", required=True, metavar="DATE", help="дата: 2026-05-01 или 01.05.2026"
    )
    audit_cmd.add_argument(
        "--out", type=Path, metavar="FILE", help="файл CSV; без него — в стандартный вывод"
    )
    materials_cmd = commands.add_parser("materials", help="библиотека методических материалов")
    materials_actions = materials_cmd.add_subparsers(dest="action", required=True)
    reupload = materials_actions.add_parser(
        "reupload",
        help="отправить сохранённые файлы заново и запомнить новые file_id (после смены токена)",
    )
    reupload.add_argument(
        "--chat",
        type=int,
        metavar="ID",
        help="чат, куда отправлять файлы (их сразу удаляют); без него — первый из ADMIN_IDS",
    )
    return parser


async def _reupload_materials(settings: Settings, chat: int | None) -> int:
    """`materials reupload`: the library's kept files sent again under this bot token."""
    from bot.app import create_bot  # aiogram: only for the commands that talk to Telegram
    from services import material_files
    from texts import materials as material_texts

    chat_id = chat if chat is not None else min(settings.admin_ids, default=None)
    if chat_id is None:
        print(material_texts.REUPLOAD_NO_CHAT, file=sys.stderr)
        return EXIT_CONFIG
    await migrate.upgrade_async(settings.database_url)
    engine = create_engine(settings.database_url)
    bot = create_bot(settings)
    problems: list[str] = []
    try:
        async with create_session_factory(engine)() as session:
            result = await material_files.reupload(
                session, bot, chat_id, settings.files_dir, problems
            )
    finally:
        await bot.session.close()
        await engine.dispose()
    for problem in problems:
        print(problem, file=sys.stderr)
    print(
        material_texts.REUPLOAD_DONE.format(
            done=result.done, skipped=result.skipped, failed=result.failed
        )
    )
    return EXIT_FAILED if result.failed else EXIT_OK


async def _run_bot(settings: Settings) -> int:
    # Imported here: aiogram takes seconds to import, and the other commands do not need it.
    from bot.app import Application

    await migrate.upgrade_async(settings.database_url)
    app = Application.build(settings)
    other = await app.claim_instance()
    if other is not None:
        logger.error("%s", scale_texts.SECOND_REPLICA_REFUSED.format(holder=other))
        await app.close()
        return EXIT_SECOND_REPLICA
    mode = "webhook" if settings.webhook_url else "long polling"
    logger.info("Bot is starting, %s (database: %s)", mode, app.engine.url.render_as_string())
    try:
        await app.run_until_signal()
    except asyncio.CancelledError:  # SHUTDOWN_TIMEOUT ran out (the signal handler cancelled)
        logger.warning("Bot stopped at SHUTDOWN_TIMEOUT")
    finally:
        await app.close()
    logger.info("Bot stopped")
    return EXIT_OK


async def _with_session(
    settings: DatabaseSettings, job: Callable[[AsyncSession, Path], Awaitable[int]], path: Path
) -> int:
    await migrate.upgrade_async(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        async with create_session_factory(engine)() as session:
            return await job(session, path)
    finally:
        await engine.dispose()


async def _read(path: Path) -> bytes | None:
    """The file's bytes, or None after one line on stderr saying why not."""
    try:
        return await asyncio.to_thread(path.read_bytes)
    except OSError as error:
        print(f"Не удалось прочитать {path}: {error.strerror}", file=sys.stderr)
        return None


async def _import_orgs(session: AsyncSession, path: Path) -> int:
    content = await _read(path)
    if content is None:
        return EXIT_FAILED
    try:
        result = await orgs.import_directory(session, path.name, content, audit.cli_actor())
    except orgs.DirectoryError as error:
        print(f"Файл {path} не загружен, ничего не изменено:", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_FAILED
    print(
        f"Загружено из {path}: добавлено {result.created}, изменено {result.updated}, "
        f"без изменений {result.unchanged}."
    )
    return EXIT_OK


def _plan_job(args: argparse.Namespace) -> Callable[[AsyncSession, Path], Awaitable[int]]:
    async def job(session: AsyncSession, path: Path) -> int:
        from services.plan import importer

        content = await _read(path)
        if content is None:
            return EXIT_FAILED
        try:
            result = await importer.import_plan(
                session, path.name, content, audit.cli_actor(), year=args.year
            )
        except importer.PlanFileError as error:
            print(f"Файл {path} не загружен, ничего не изменено:", file=sys.stderr)
            for problem in error.problems:
                print(f"  {problem}", file=sys.stderr)
            return EXIT_FAILED
        print(
            f"План на {result.year} год загружен из {path}: добавлено {result.created}, "
            f"изменено {result.updated}, без изменений {result.unchanged}."
        )
        return EXIT_OK

    return job


async def _export_orgs(session: AsyncSession, path: Path) -> int:
    if path.suffix.lower() not in orgs.SUPPORTED_SUFFIXES:
        print("Укажите файл с расширением .csv или .xlsx", file=sys.stderr)
        return EXIT_FAILED
    content = await orgs.export_directory(session, path.name)
    await asyncio.to_thread(path.write_bytes, content)
    print(f"Справочник выгружен в {path}.")
    return EXIT_OK


def _broadcast_job(args: argparse.Namespace) -> Callable[[AsyncSession, Path], Awaitable[int]]:
    async def job(session: AsyncSession, path: Path) -> int:
        queued = await broadcast_cli.enqueue_text_file(
            session, path, topic_slugs=args.topics, org_code=args.org, alert=args.alert
        )
        return EXIT_OK if queued else EXIT_FAILED

    return job


def _report_job(
    args: argparse.Namespace, settings: DatabaseSettings
) -> Callable[[AsyncSession, Path], Awaitable[int]]:
    async def job(session: AsyncSession, out: Path) -> int:
        if args.kind == PLAN_REPORT:
            from services.plan import report as plan_report

            done = await plan_report.write_report(session, out, year=args.year, tz=settings.tz)
            return EXIT_OK if done else EXIT_FAILED
        from services.reports import cli as report_cli  # matplotlib: only when reporting

        written = await report_cli.write_report(
            session,
            args.kind,
            out,
            year=args.year,
            quarter=args.quarter,
            territory=args.territory,
            tz=settings.tz,
            question_sla_days=settings.question_sla_days,
        )
        return EXIT_OK if written else EXIT_FAILED

    return job


def parse_day(text: str) -> date | None:
    """A day as 2026-05-01 or 01.05.2026; None when it is neither."""
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    return None


def _audit_job(
    args: argparse.Namespace, settings: DatabaseSettings, day: date
) -> Callable[[AsyncSession, Path], Awaitable[int]]:
    async def job(session: AsyncSession, out: Path) -> int:
        since = datetime.combine(day, datetime.min.time(), tzinfo=settings.tz)
        table, rows = await audit.export_since(session, since, settings.tz, audit.cli_actor())
        if args.out is None:
            sys.stdout.write(table)
            return EXIT_OK
        try:
            # A BOM, so that Russian Excel reads the file as UTF-8.
            await asyncio.to_thread(out.write_text, table, encoding="utf-8-sig", newline="")
        except OSError as error:
            print(
                ru.AUDIT_CLI_CANNOT_WRITE.format(path=out, reason=error.strerror), file=sys.stderr
            )
            return EXIT_FAILED
        print(ru.AUDIT_CLI_WRITTEN.format(path=out, rows=rows))
        return EXIT_OK

    return job


def _backup_or_restore(command: str, args: argparse.Namespace, settings: DatabaseSettings) -> int:
    try:
        if command == "backup":
            copied = backup.backup(settings.database_url, args.file)
            print(f"Резервная копия записана в {copied.path} ({copied.pages} страниц).")
        else:
            copied = backup.restore(settings.database_url, args.file, force=args.force)
            migrate.upgrade(settings.database_url)
            print(f"База {copied.path} восстановлена из {args.file}; миграции применены.")
    except backup.BackupError as error:
        print(error, file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = args.command or "run"
    try:
        settings: DatabaseSettings = (
            Settings() if command in ("run", "materials", "deliver") else DatabaseSettings()
        )
    except ValidationError as error:
        print(describe_settings_error(error), file=sys.stderr)
        return EXIT_CONFIG
    level = settings.log_level_number if isinstance(settings, Settings) else logging.WARNING
    secrets = [settings.bot_token.get_secret_value()] if isinstance(settings, Settings) else []
    log_format = settings.log_format if isinstance(settings, Settings) else "text"
    setup_logging(level, secrets, log_format)
    settings.install_clock()
    if command == "migrate":
        migrate.upgrade(settings.database_url)
        print("Миграции применены.")
        return EXIT_OK
    if command == "orgs":
        job = _import_orgs if args.action == "import" else _export_orgs
        return asyncio.run(_with_session(settings, job, args.file))
    if command == "plan":
        return asyncio.run(_with_session(settings, _plan_job(args), args.file))
    if command == "broadcast":
        return asyncio.run(_with_session(settings, _broadcast_job(args), args.text_file))
    if command == "report":
        return asyncio.run(_with_session(settings, _report_job(args, settings), args.out))
    if command in ("backup", "restore"):
        return _backup_or_restore(command, args, settings)
    if command == "audit":
        day = parse_day(args.since)
        if day is None:
            print(ru.AUDIT_CLI_BAD_DATE.format(value=args.since), file=sys.stderr)
            return EXIT_FAILED
        audit_job = _audit_job(args, settings, day)
        return asyncio.run(_with_session(settings, audit_job, args.out or Path("-")))
    assert isinstance(settings, Settings)
    if command == "materials":
        return asyncio.run(_reupload_materials(settings, args.chat))
    if command == "deliver":
        from bot.workers import run_delivery

        return asyncio.run(run_delivery(settings))
    return asyncio.run(_run_bot(settings))


if __name__ == "__main__":
    sys.exit(main())
