"""`python -m bot broadcast`: validation of the text, topics and organisation; the queueing."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

import bot.__main__ as cli_main
from bot.db import create_engine, create_session_factory
from models import Audience, Broadcast, BroadcastKind, BroadcastStatus, Delivery
from services.broadcasts import outbox
from tests.test_cli import ROOT, run_cli
from tests.test_delivery import Sessions, add_people

GOOD_HTML = (
    "<b>Жирный</b> <strong>s</strong> <i>к</i> <em>e</em> <u>п</u> <ins>i</ins> <s>з</s> "
    '<strike>s</strike> <del>d</del> <span class="tg-spoiler">с</span> <tg-spoiler>t</tg-spoiler>'
    ' <a href="https://eseur.ru">ссылка</a> <code>x</code> '
    '<pre><code class="language-python">print(1)</code></pre> <blockquote>ц</blockquote> '
    "<blockquote expandable>длинная цитата</blockquote> "
    '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji> &lt;&gt;&amp;&quot;&#128512; a > b'
)


def broadcasts_in(url: str) -> tuple[int, int]:
    """(broadcasts, deliveries) in the database."""

    async def count() -> tuple[int, int]:
        engine = create_engine(url)
        try:
            async with create_session_factory(engine)() as session:
                broadcasts = await session.scalar(select(func.count(Broadcast.id)))
                rows = await session.scalar(select(func.count(Delivery.id)))
                return int(broadcasts or 0), int(rows or 0)
        finally:
            await engine.dispose()

    return asyncio.run(count())


@pytest.fixture
def run(migrated_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """In-process `python -m bot` (the real argument parsing and exit codes, but fast)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", migrated_url)
    monkeypatch.setattr(cli_main, "setup_logging", lambda *args: None)
    return tmp_path, migrated_url


# --- the text alone ------------------------------------------------------------------------


def test_every_telegram_tag_and_entity_is_accepted() -> None:
    assert outbox.text_problems(GOOD_HTML) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "Текст рассылки пустой."),
        ("  \n <b> </b>", "Текст рассылки пустой."),
        ("<b>жирный", "Тег <b> не закрыт."),
        ("жирный</b>", "Лишний закрывающий тег </b>."),
        ("<b><i>x</b></i>", "Закрывающий тег </b> стоит раньше, чем </i>."),
        ("<div>x</div>", "Тег <div> Telegram не поддерживает"),
        ("строка<br/>строка", "Тег <br/> Telegram не поддерживает."),
        ("<span>x</span>", 'Тег <span> допустим только как <span class="tg-spoiler">.'),
        ("<a>ссылка</a>", "У тега <a> нет атрибута href."),
        ("1 < 2", "Знак «<» вне тега: запишите его как &lt;."),
        ("<!-- черновик -->x", "Комментарии <!-- … --> Telegram не поддерживает."),
        ("я" * 4097, "Текст длиннее 4096 символов: 4097 без учёта разметки."),
    ],
)
def test_text_problems(text: str, expected: str) -> None:
    problems = outbox.text_problems(text)
    assert any(p.startswith(expected) for p in problems), problems


def test_length_is_counted_after_the_markup() -> None:
    assert outbox.text_problems("<b>" + "я" * 4096 + "</b>") == []
    assert outbox.text_problems("&amp;" * 4096) == []
    assert outbox.text_problems("&amp;" * 4097) != []


# --- validation and mapping in the service -------------------------------------------------


@pytest.mark.parametrize(
    ("org_code", "audience"),
    [
        (None, Audience.ALL),
        ("46", Audience.ALL),
        ("46-01", Audience.TERRITORY),
        ("46-01-001", Audience.ORG),
    ],
)
async def test_the_organisation_code_sets_the_audience(
    session_factory: Sessions, directory: None, org_code: str | None, audience: Audience
) -> None:
    await add_people(session_factory, [1], org_code="46-01-001")
    await add_people(session_factory, [2], org_code="46-02-001")
    async with session_factory() as session:
        broadcast = await outbox.create_text_broadcast(
            session, text="Текст", topic_slugs=["news"], org_code=org_code, alert=True
        )
    assert broadcast.audience is audience
    assert broadcast.kind is BroadcastKind.ALERT and broadcast.status is BroadcastStatus.SENDING
    assert broadcast.total == (2 if audience is Audience.ALL else 1)


async def test_every_problem_is_named_and_nothing_is_written(session_factory: Sessions) -> None:
    async with session_factory() as session:
        with pytest.raises(outbox.BroadcastInputError) as caught:
            await outbox.create_text_broadcast(
                session,
                text="<b>x",
                topic_slugs=["news", "nope", "void"],
                org_code="ZZZ",
                alert=False,
            )
    assert caught.value.problems == [
        "Тег <b> не закрыт.",
        "Неизвестная тема: nope, void (есть: best_practice, collective_actions, contests, "
        "education, law, news, partnership, profcards, youth).",
        "Неизвестная организация: ZZZ.",
    ]
    async with session_factory() as session:
        assert await session.scalar(select(func.count(Broadcast.id))) == 0


# --- the command ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "content", "expected"),
    [
        (["--topic", "nope"], "Текст", "Неизвестная тема: nope"),
        (["--topic", "news", "--org", "ZZZ"], "Текст", "Неизвестная организация: ZZZ."),
        (["--topic", "news"], "   ", "Текст рассылки пустой."),
        (["--topic", "news"], "я" * 5000, "Текст длиннее 4096 символов"),
        (["--topic", "news"], "<b>Важно", "Тег <b> не закрыт."),
        (["--topic", "news"], "<p>Абзац</p>", "Тег <p> Telegram не поддерживает"),
        (["--topic", "news"], None, "не найден."),
        (["--topic", "news"], b"\xff\xfe\x00bad", "не в кодировке UTF-8."),
    ],
)
def test_bad_arguments_exit_1_and_enqueue_nothing(
    run: tuple[Path, str],
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    content: str | bytes | None,
    expected: str,
) -> None:
    folder, url = run
    text_file = folder / "text.html"
    if isinstance(content, str):
        text_file.write_text(content, encoding="utf-8")
    elif content is not None:
        text_file.write_bytes(content)

    code = cli_main.main(["broadcast", *args, "--text-file", str(text_file)])

    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("Рассылка не поставлена в очередь:\n")
    assert expected in err
    assert broadcasts_in(url) == (0, 0)


def test_an_unreadable_file_still_reports_the_other_problems(
    run: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, url = run
    code = cli_main.main(
        ["broadcast", "--topic", "nope", "--org", "ZZZ", "--text-file", str(folder)]
    )
    err = capsys.readouterr().err.splitlines()
    assert code == 1
    assert [line.strip().split(" ")[0] for line in err[1:]] == [
        str(folder),
        "Неизвестная",
        "Неизвестная",
    ]
    assert broadcasts_in(url) == (0, 0)


async def test_a_good_call_enqueues_and_prints_the_count(
    session_factory: Sessions, migrated_url: str, tmp_path: Path
) -> None:
    await add_people(session_factory, [1, 2, 3], topics=("law",))
    await add_people(session_factory, [4], topics=("news",))
    text_file = tmp_path / "law.html"
    text_file.write_text("\ufeff<b>Новый закон</b> о педагогах", encoding="utf-8")

    result = await asyncio.to_thread(
        run_cli,
        "broadcast",
        "--topic",
        "law",
        "--alert",
        "--text-file",
        str(text_file),
        cwd=tmp_path,
        DATABASE_URL=migrated_url,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Рассылка №1 поставлена в очередь: получателей 3."
    async with session_factory() as session:
        broadcast = await session.get(Broadcast, 1)
        assert broadcast is not None
        assert (broadcast.status, broadcast.kind, broadcast.total) == (
            BroadcastStatus.SENDING,
            BroadcastKind.ALERT,
            3,
        )
        assert broadcast.text == "<b>Новый закон</b> о педагогах"


def test_the_command_needs_no_token_and_no_aiogram(run: tuple[Path, str]) -> None:
    folder, url = run
    (folder / "t.html").write_text("Текст", encoding="utf-8")
    probe = (
        "import sys; from bot.__main__ import main; "
        "code = main(['broadcast', '--topic', 'news', '--text-file', 't.html']); "
        "print(code, 'aiogram' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=folder,
        env={"PYTHONPATH": str(ROOT), "DATABASE_URL": url, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.splitlines()[-1] == "0 False", result.stderr
