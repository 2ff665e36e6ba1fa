"""The questionnaire engine: the file format and its validation, answer parsing, relevance,
navigation, display, the information-work index and the definition hash. Pure, no database."""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from services.monitoring.questionnaire import (
    DEFAULT_QUESTIONNAIRE_PATH,
    SKIPPED_TEXT,
    AnswerError,
    Question,
    Questionnaire,
    QuestionnaireError,
    can_skip,
    choose,
    definition_hash,
    effective_answers,
    format_answer,
    is_relevant,
    load_default,
    load_questionnaire,
    missing_required,
    next_question,
    parse_answer,
    position,
    previous_question,
    relevant_questions,
    review,
    score,
    validate_selection,
)

TODAY = date(2024, 6, 15)


def load(text: str) -> Questionnaire:
    return load_questionnaire(textwrap.dedent(text))


def problems(text: str | bytes) -> list[str]:
    with pytest.raises(QuestionnaireError) as caught:
        load_questionnaire(textwrap.dedent(text) if isinstance(text, str) else text)
    return caught.value.problems


def make(kind: str, **fields: Any) -> Question:
    """A standalone question (a select gets three inline choices unless given its own)."""
    if kind.startswith("select") and "choices" not in fields:
        fields["choices"] = [
            {"id": "site", "label": "Сайт"},
            {"id": "vk", "label": "ВКонтакте"},
            {"id": "tg", "label": "Телеграм"},
        ]
    return Question.model_validate({"id": "q", "type": kind, "text": "Вопрос?", **fields})


def ids(questions: list[Question]) -> list[str]:
    return [question.id for question in questions]


# A small questionnaire for relevance, navigation and the index; weights are hand-picked so the
# expected scores below can be checked on paper.
SMALL = load(
    """
    id: small
    title: Малая анкета
    choices:
      channels:
        - {id: site, label: Сайт, weight: 1}
        - {id: vk, label: ВКонтакте, weight: 2}
        - {id: tg, label: Телеграм}
    questions:
      - {id: intro, type: note, text: Начнём.}
      - {id: has_site, type: yes_no, text: "Есть сайт?", weight: 2}
      - id: site_url
        type: url
        text: Ссылка на сайт?
        weight: 1
        relevant: [{question: has_site, eq: true}]
      - id: site_updated
        type: date
        text: Когда обновлялся?
        relevant: [{question: site_url, answered: true}]
      - {id: channels, type: select_multiple, text: "Каналы?", choices: channels}
      - id: vk_url
        type: url
        text: Ссылка на группу?
        required: false
        relevant: [{question: channels, selected: vk}]
      - id: members
        type: integer
        text: Сколько первичных организаций?
        weight: 1
        relevant: [{level: [territorial]}]
      - {id: share, type: percent, text: "Доля в реестре?", weight: 4, required: false}
      - id: kind
        type: select_one
        text: Вид организации?
        choices:
          - {id: school, label: Школа, weight: 1.5}
          - {id: kindergarten, label: Детский сад}
      - id: comment
        type: text
        text: Комментарий?
        required: false
        relevant: [{question: kind, in: [school]}]
    """
)


# ---------------------------------------------------------------------------------------------
# The default questionnaire


def test_default_questionnaire_loads_clean() -> None:
    q = load_default()
    assert q.id == "quarterly"
    assert q == load_questionnaire(DEFAULT_QUESTIONNAIRE_PATH.read_text(encoding="utf-8"))
    assert q.questions[0].type == "note"
    answerable = [question for question in q.questions if question.answerable]
    assert 14 <= len(answerable) <= 20
    assert len(set(ids(q.questions))) == len(q.questions)
    for question in q.questions:
        if question.type.startswith("select"):
            assert question.options, question.id


def test_default_questionnaire_covers_the_programme_criteria() -> None:
    q = load_default()
    expected = {
        "info_officer": "text",
        "ais_officer": "text",
        "has_site": "yes_no",
        "site_url": "url",
        "site_updated": "date",
        "primary_with_pages": "integer",
        "has_social_group": "yes_no",
        "social_url": "url",
        "social_updated": "date",
        "ais_register_share": "percent",
        "public_report": "yes_no",
        "public_report_url": "url",
        "pr_events": "select_multiple",
        "pr_events_count": "integer",
        "periodicals": "select_multiple",
        "technologies": "select_multiple",
        "technologies_other": "text",
        "inform_ways": "select_multiple",
        "comment": "text",
    }
    assert {question.id: question.type for question in q.questions if question.answerable} == (
        expected
    )
    assert [choice.label for choice in q.question("periodicals").options] == [
        "«Мой Профсоюз»",
        "«Наш взгляд»",
    ]
    assert q.question("technologies").choice("other") is not None
    assert q.question("inform_ways").validation.min_selected is not None


def test_default_questionnaire_round_trips_through_json() -> None:
    q = load_default()
    stored = json.loads(json.dumps(q.model_dump(mode="json"), ensure_ascii=False))
    again = Questionnaire.model_validate(stored)
    assert again == q
    assert definition_hash(again) == definition_hash(q)
    # Shared choice lists are resolved again after the trip.
    assert again.question("inform_ways").options == q.question("inform_ways").options
    condition = stored["questions"][q.index("site_url")]["relevant"]
    assert condition == [{"question": "has_site", "eq": True}]


ANSWERS = {
    "info_officer": "Иванова Анна Петровна, учитель",
    "ais_officer": "Петров Иван Сергеевич, заместитель директора",
    "has_site": "да",
    "site_url": "school12.ru/profsoyuz",
    "site_updated": "01.06.2024",
    "primary_with_pages": "12",
    "has_social_group": "нет",
    "ais_register_share": "92,5%",
    "public_report": "Да",
    "public_report_url": None,  # skipped
    "pr_events": ["actions", "contests"],
    "pr_events_count": "3",
    "periodicals": ["moy_profsoyuz"],
    "technologies": ["video", "other"],
    "technologies_other": "Подкаст профкома",
    "inform_ways": ["stand", "messengers"],
    "comment": None,
}


def answer(question: Question, given: Any) -> Any:
    if given is None:
        assert can_skip(question), question.id
        return None
    if isinstance(given, list):
        return validate_selection(question, given)
    return parse_answer(question, given, today=TODAY)


def walk(q: Questionnaire, level: str) -> tuple[list[str], dict[str, Any]]:
    """Answer as the chat would, checking at every step that a restart resumes in place."""
    answers: dict[str, Any] = {}
    shown: list[str] = []
    current: str | None = None
    while (item := next_question(q, answers, level, after=current)) is not None:
        if current is not None and q.question(current).answerable:
            assert next_question(q, answers, level) == item  # derived from answers alone
        shown.append(item.id)
        if item.answerable:
            answers[item.id] = answer(item, ANSWERS[item.id])
        current = item.id
    return shown, answers


PRIMARY_PATH = [
    "intro",
    "info_officer",
    "ais_officer",
    "has_site",
    "site_url",
    "site_updated",
    "has_social_group",
    "ais_register_share",
    "public_report",
    "public_report_url",
    "pr_events",
    "pr_events_count",
    "periodicals",
    "technologies",
    "technologies_other",
    "inform_ways",
    "comment",
]


def test_default_questionnaire_walk_for_a_primary_organisation() -> None:
    q = load_default()
    shown, answers = walk(q, "primary")
    assert shown == PRIMARY_PATH
    assert answers["site_url"] == "https://school12.ru/profsoyuz"
    assert answers["ais_register_share"] == 92.5
    assert answers["site_updated"] == "2024-06-01"
    assert missing_required(q, answers, "primary") == []
    assert position(q, answers, "primary", "has_site") == (3, 16)
    # 1 + 1 (officers) + 2 + 1 (site, its date) + 3 × 0.925 (register) + 2 (report)
    # + 1 + 1 (actions, contests) + 1 (subscription) + 0.5 + 0.5 (technologies)
    # + 0.5 + 0.5 (ways of informing)
    assert score(q, answers, "primary") == pytest.approx(14.775)


def test_default_questionnaire_walk_for_a_territorial_organisation() -> None:
    q = load_default()
    shown, answers = walk(q, "territorial")
    assert shown == [*PRIMARY_PATH[:6], "primary_with_pages", *PRIMARY_PATH[6:]]
    assert answers["primary_with_pages"] == 12
    assert score(q, answers, "territorial") == pytest.approx(15.775)


# ---------------------------------------------------------------------------------------------
# Validation of the file: every problem at once, in Russian, with its location

BROKEN = """
    id: broken
    title: Сломанная анкета
    choices:
      channels:
        - {id: site, label: Сайт}
        - {id: site, label: Снова сайт}
    questions:
      - {id: intro, type: note, text: Пояснение}
      - {id: has_site, type: yesno, text: "Есть ли сайт?"}
      - {id: has_group, type: yes_no, text: "Есть ли группа?"}
      - id: site_url
        type: url
        text: Ссылка на сайт
        relevant: [{question: foo, eq: true}]
      - {id: has_group, type: yes_no, text: Повтор}
      - {id: ways, type: select_multiple, text: Способы, choices: nope}
      - {id: kind, type: select_one, text: Вид}
      - id: count
        type: integer
        text: Сколько?
        validation:
          min: {value: 10, message: Мало}
          max: {value: 5, message: Много}
      - id: name
        type: text
        text: Имя
        validation:
          regex: {pattern: '([a-z', message: Плохо}
      - id: after_intro
        type: text
        text: После пояснения
        relevant: [{question: intro, answered: true}]
      - id: group_url
        type: url
        text: Ссылка на группу
        relevant: [{question: has_group, selected: vk}]
      - id: pick
        type: select_one
        text: Выбор
        choices: [{id: a, label: А}, {id: a, label: Снова А}]
"""


def test_broken_file_reports_every_problem() -> None:
    found = problems(BROKEN)
    regex = [p for p in found if p.startswith("вопрос name, поле «validation.regex.pattern»: ")]
    assert len(regex) == 1
    assert "некорректное регулярное выражение «([a-z»" in regex[0]
    assert sorted(p for p in found if p not in regex) == sorted(
        [
            "вопрос has_site: неизвестный тип «yesno»",
            "список вариантов channels: вариант «site» повторяется",
            "вопрос site_url: условие ссылается на вопрос «foo», которого нет или который идёт"
            " позже",
            "вопрос has_group: такой идентификатор уже есть у вопроса выше",
            "вопрос ways: неизвестный список вариантов «nope»",
            "вопрос kind: для типа select_one нужны варианты ответа (choices)",
            "вопрос count: min (10) больше max (5)",
            "вопрос after_intro: условие ссылается на пояснение «intro», а на пояснения не"
            " отвечают",
            "вопрос group_url: оператор selected не подходит к вопросу «has_group» типа yes_no",
            "вопрос pick: вариант «a» повторяется",
        ]
    )


SEMANTIC_ONLY = """
    id: semantic
    title: Только смысловые ошибки
    questions:
      - {id: intro, type: note, text: Пояснение, weight: 1}
      - id: has_site
        type: yes_no
        text: Сайт?
        validation: {min: {value: 1, message: м}}
      - id: ways
        type: select_multiple
        text: Способы?
        weight: 2
        choices: [{id: site, label: Сайт}]
        validation:
          min_selected: {value: 2, message: м}
          max_selected: {value: 1, message: м}
      - {id: kind, type: select_one, text: "Вид?", choices: [{id: school, label: Школа}]}
      - {id: count, type: integer, text: "Сколько?", choices: [{id: x, label: X}]}
      - id: follow
        type: text
        text: Дальше?
        relevant:
          - {question: ways, eq: site}
          - {question: has_site, eq: да}
          - {question: kind, in: [school, college]}
          - {question: count, eq: 2.5}
          - {question: follow, answered: true}
          - {question: later, answered: true}
      - {id: later, type: text, text: "Потом?"}
"""


def test_consistency_problems_of_a_well_formed_file() -> None:
    assert sorted(problems(SEMANTIC_ONLY)) == sorted(
        [
            "вопрос intro: у пояснения (note) не бывает веса: на него не отвечают",
            "вопрос has_site: правило min не подходит к типу yes_no",
            "вопрос ways: min_selected (2) больше max_selected (1)",
            "вопрос ways: min_selected (2) больше числа вариантов (1)",
            "вопрос ways: у вопроса с выбором вес задаётся у вариантов (weight в choices)",
            "вопрос count: варианты (choices) бывают только у вопросов select_one и"
            " select_multiple",
            "вопрос follow: оператор eq не подходит к вопросу «ways» типа select_multiple:"
            " используйте selected",
            "вопрос follow: значение «да» в условии не подходит к вопросу «has_site» типа"
            " yes_no: нужно true или false",
            "вопрос follow: в условии указан вариант «college», которого нет у вопроса «kind»",
            "вопрос follow: значение «2.5» в условии не подходит к вопросу «count» типа"
            " integer: нужно целое число",
            "вопрос follow: условие ссылается на вопрос «follow», которого нет или который идёт"
            " позже",
            "вопрос follow: условие ссылается на вопрос «later», которого нет или который идёт"
            " позже",
        ]
    )


def test_model_validate_refuses_an_inconsistent_definition() -> None:
    """The database copy is validated as strictly as the file."""
    stored = load_default().model_dump(mode="json")
    stored["questions"].append(stored["questions"][1])
    with pytest.raises(ValidationError, match="такой идентификатор уже есть"):
        Questionnaire.model_validate(stored)


CONDITION_FILE = """
    id: conditions
    title: Условия
    questions:
      - {{id: a, type: yes_no, text: "А?"}}
      - {{id: b, type: text, text: "Б?", relevant: [{condition}]}}
"""


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (
            "{question: a, eq: true, ne: false}",
            "вопрос b, условие №1: нужен ровно один оператор: eq, ne, in, selected или answered",
        ),
        (
            "{question: a}",
            "вопрос b, условие №1: нужен ровно один оператор: eq, ne, in, selected или answered",
        ),
        ("{question: a, gt: 1}", "вопрос b, условие №1: неизвестное поле «gt»"),
        ("{question: a, in: true}", "вопрос b, условие №1: для in нужен непустой список значений"),
        ("{question: a, in: []}", "вопрос b, условие №1: для in нужен непустой список значений"),
        (
            "{question: a, eq: [true]}",
            "вопрос b, условие №1: для eq нужно одно значение, а не список",
        ),
        ("{question: a, answered: да}", "вопрос b, условие №1: для answered нужно true или false"),
        (
            "{question: a, selected: 1}",
            "вопрос b, условие №1: для selected нужен идентификатор варианта",
        ),
        (
            "{question: a, eq: null}",
            "вопрос b, условие №1, поле «value»: значение условия: число, текст или true/false"
            " (даты — в кавычках)",
        ),
        (
            "{level: [district]}",
            "вопрос b, условие №1, уровень №1: неизвестный уровень организации «district»"
            " (бывают regional, territorial, primary)",
        ),
        ("{level: []}", "вопрос b, условие №1, поле «level»: не может быть пустым"),
        ("{level: [primary], question: a}", "вопрос b, условие №1: неизвестное поле «question»"),
        (
            "{question: Bad}",
            "вопрос b, условие №1: нужен ровно один оператор: eq, ne, in, selected или answered",
        ),
    ],
)
def test_malformed_conditions(condition: str, message: str) -> None:
    assert problems(CONDITION_FILE.format(condition=condition)) == [message]


@pytest.mark.parametrize(
    ("question", "message"),
    [
        (
            "{type: text, text: Без id}",
            "вопрос №1: не указано обязательное поле «id»",
        ),
        (
            "{id: Has-Site, type: text, text: Т}",
            "вопрос Has-Site: некорректный идентификатор «Has-Site»: латинские строчные буквы,"
            " цифры и «_», первая — буква, не длиннее 40 символов",
        ),
        ("{id: a, type: text, text: Т, extra: 1}", "вопрос a: неизвестное поле «extra»"),
        ("{id: a, type: text, text: '  '}", "вопрос a, поле «text»: не может быть пустым"),
        (
            "{id: a, type: text, text: Т, weight: -1}",
            "вопрос a, поле «weight»: должно быть не меньше 0",
        ),
        (
            "{id: a, type: text, text: Т, required: может}",
            "вопрос a, поле «required»: ожидается true или false, а указано «может»",
        ),
        (
            "{id: a, type: select_one, text: Т, choices: [{id: no, label: Нет}]}",
            "вопрос a, вариант №1, поле «id»: ожидается текст, а указано «false» (YAML читает"
            " yes/no/on/off как true/false — возьмите в кавычки)",
        ),
        (
            "{id: a, type: select_one, text: Т, choices: []}",
            "вопрос a, поле «choices»: не может быть пустым",
        ),
        (
            "{id: a, type: integer, text: Т, validation: {min: {value: 1}}}",
            "вопрос a, поле «validation.min»: не указано обязательное поле «message»",
        ),
        (
            "{id: a, type: integer, text: Т, validation: {min: {value: мало, message: м}}}",
            "вопрос a, поле «validation.min.value»: ожидается число, а указано «мало»",
        ),
    ],
)
def test_malformed_questions(question: str, message: str) -> None:
    text = f"id: x\ntitle: Т\nquestions:\n  - {question}\n  - {{id: ok, type: text, text: Т}}\n"
    assert problems(text) == [message]


def test_top_level_problems() -> None:
    assert problems("title: Т\nquestions: []\nversion: 2\n") == [
        "анкета: не указано обязательное поле «id»",
        "анкета: неизвестное поле «version»",
        "анкета: нет ни одного вопроса",
    ]
    shared = "id: x\ntitle: Т\nchoices:\n  yn: [{id: yes, label: Да}]\nquestions: []\n"
    assert problems(shared)[0] == (
        "список вариантов yn, вариант №1, поле «id»: ожидается текст, а указано «true» (YAML"
        " читает yes/no/on/off как true/false — возьмите в кавычки)"
    )


@pytest.mark.parametrize(
    "text",
    [
        "id: x\ntitle: Т\nquestions: []\n",
        "id: x\ntitle: Т\nquestions:\n  - {id: n, type: note, text: Только пояснение}\n",
    ],
)
def test_empty_questionnaire(text: str) -> None:
    assert problems(text) == ["анкета: нет ни одного вопроса"]


def test_empty_and_non_mapping_files() -> None:
    assert problems("") == ["анкета: файл пуст, нет ни одного вопроса"]
    assert problems("- a\n- b\n") == ["анкета: ожидается описание с полями id, title и questions"]
    assert problems("id: x\ntitle: Т\n".encode("cp1251")) == [
        "анкета: файл должен быть в кодировке UTF-8"
    ]


def test_yaml_syntax_error_reports_the_line() -> None:
    text = "id: x\ntitle: Т\nquestions:\n  - id: a\n    type: text\n    text: Ссылка: на сайт\n"
    assert problems(text) == [
        "ошибка YAML в строке 6, столбец 17: двоеточие с пробелом внутри значения — возьмите"
        " значение в кавычки (mapping values are not allowed here)"
    ]
    unclosed = "id: x\ntitle: Т\nquestions:\n  - {id: a, type: text, text: Т\n"
    assert problems(unclosed) == [
        "ошибка YAML в строке 5, столбец 1: не закрыта скобка или запятая внутри значения —"
        " возьмите значение в кавычки (expected ',' or '}', but got '<stream end>')"
    ]
    question_mark = "id: x\ntitle: Т\nquestions:\n  - {id: a, type: text, text: Как дела?}\n"
    assert problems(question_mark) == [
        "ошибка YAML в строке 4, столбец 39: знак вопроса внутри {…} — возьмите значение в"
        " кавычки (expected ',' or '}', but got '?')"
    ]


def test_repeated_yaml_key_is_an_error_not_a_silent_overwrite() -> None:
    text = "id: x\ntitle: Т\nquestions:\n  - id: a\n    type: text\n    text: А\n    text: Б\n"
    assert problems(text) == ["ошибка YAML в строке 7, столбец 5: ключ «text» повторяется"]


def test_bytes_with_a_bom_load() -> None:
    text = "id: x\ntitle: Т\nquestions:\n  - {id: a, type: text, text: А}\n"
    assert load_questionnaire(b"\xef\xbb\xbf" + text.encode()) == load_questionnaire(text)


# ---------------------------------------------------------------------------------------------
# Answer parsing


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("yes_no", "да", True),
        ("yes_no", " Нет ", False),
        ("yes_no", "YES", True),
        ("yes_no", "no", False),
        ("yes_no", "Да.", True),
        ("integer", "12", 12),
        ("integer", " 0 ", 0),
        ("integer", "1 200", 1200),
        ("integer", "1\u00a0200\u00a0000", 1200000),
        ("integer", "-3", -3),
        ("decimal", "12,5", 12.5),
        ("decimal", "12.5", 12.5),
        ("decimal", "1 234,75", 1234.75),
        ("decimal", "7", 7.0),
        ("percent", "85", 85.0),
        ("percent", "85%", 85.0),
        ("percent", "85 %", 85.0),
        ("percent", "85,5", 85.5),
        ("percent", "0", 0.0),
        ("percent", "100", 100.0),
        ("url", "https://vk.com/club1", "https://vk.com/club1"),
        ("url", "vk.com/club1", "https://vk.com/club1"),
        ("url", "HTTP://School12.RU/Prof", "http://school12.ru/Prof"),
        ("url", "профсоюз46.рф/news", "https://профсоюз46.рф/news"),
        ("url", "https://site.ru:8080/a?b=c#d", "https://site.ru:8080/a?b=c#d"),
        ("url", "xn--46-jlcxa.xn--p1ai", "https://xn--46-jlcxa.xn--p1ai"),
        ("date", "01.03.2024", "2024-03-01"),
        ("date", "1.3.2024", "2024-03-01"),
        ("date", "15.06.2024", "2024-06-15"),
        ("date", "29.02.2024", "2024-02-29"),
        ("text", "  Иванова И. И.  ", "Иванова И. И."),
        ("select_one", "vk", "vk"),
        ("select_one", "вконтакте", "vk"),
        ("select_multiple", "tg, Сайт", ["site", "tg"]),
    ],
)
def test_parse_good_answers(kind: str, raw: str, expected: Any) -> None:
    value = parse_answer(make(kind), raw, today=TODAY)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("kind", "raw", "message"),
    [
        ("yes_no", "может быть", "Ответьте «Да» или «Нет»."),
        ("yes_no", "", "Ответьте «Да» или «Нет»."),
        ("integer", "12 шт", "Введите целое число цифрами, например 12."),
        ("integer", "12,5", "Введите целое число цифрами, например 12."),
        ("integer", "1 00", "Введите целое число цифрами, например 12."),
        ("integer", "двенадцать", "Введите целое число цифрами, например 12."),
        ("integer", "", "Введите целое число цифрами, например 12."),
        ("decimal", "12,5,3", "Введите число цифрами, например 12 или 12,5."),
        ("decimal", "1e5", "Введите число цифрами, например 12 или 12,5."),
        ("decimal", "nan", "Введите число цифрами, например 12 или 12,5."),
        ("decimal", "12.", "Введите число цифрами, например 12 или 12,5."),
        ("percent", "101", "Процент должен быть от 0 до 100."),
        ("percent", "-1", "Процент должен быть от 0 до 100."),
        ("percent", "85 процентов", "Введите процент числом от 0 до 100, например 85 или 85,5."),
        ("url", " ", "Пришлите ссылку, например https://vk.com/club12345."),
        (
            "url",
            "vk.com/my group",
            "В ссылке не должно быть пробелов. Пришлите одну ссылку, например"
            " https://vk.com/club12345.",
        ),
        *(
            (
                "url",
                raw,
                "Это не похоже на адрес сайта. Пришлите ссылку, например https://vk.com/club12345.",
            )
            for raw in [
                "ftp://files.ru",
                "localhost",
                "https://",
                "vk",
                "user:pass@vk.com",
                "https://1.2.3.4/",
                "mailto:a@b.ru",
                "javascript:alert(1)",
                "https://vk.com:port",
                "vk.c",
            ]
        ),
        ("date", "2024-03-01", "Введите дату в виде ДД.ММ.ГГГГ, например 15.06.2024."),
        ("date", "1.3.24", "Введите дату в виде ДД.ММ.ГГГГ, например 15.06.2024."),
        ("date", "31.02.2024", "Такой даты нет: 31.02.2024. Проверьте день и месяц."),
        ("date", "29.02.2023", "Такой даты нет: 29.02.2023. Проверьте день и месяц."),
        ("date", "16.06.2024", "Дата не может быть позже сегодняшней (15.06.2024)."),
        ("text", "   ", "Ответ не может быть пустым."),
        ("text", "я" * 2001, "Слишком длинный ответ: не больше 2000 символов."),
        ("select_one", "ok", "Такого варианта нет. Выберите один из вариантов на кнопках."),
        ("select_multiple", "site, ok", "Варианта «ok» нет. Выберите из предложенных."),
    ],
)
def test_parse_bad_answers(kind: str, raw: str, message: str) -> None:
    with pytest.raises(AnswerError) as caught:
        parse_answer(make(kind), raw, today=TODAY)
    assert caught.value.message == message


def rules(**validation: Any) -> dict[str, Any]:
    return {key: {"value": value, "message": f"{key}!"} for key, value in validation.items()}


@dataclass(frozen=True)
class Rejected:
    message: str


POSTCODE = {"regex": {"pattern": r"^\d{6}$", "message": "Шесть цифр."}}
VK_OR_OK = {"regex": {"pattern": r"//(vk\.com|ok\.ru)/", "message": "Только ВК или ОК."}}


@pytest.mark.parametrize(
    ("kind", "validation", "raw", "outcome"),
    [
        ("integer", rules(min=0, max=100), "0", 0),
        ("integer", rules(min=0, max=100), "100", 100),
        ("integer", rules(min=0, max=100), "-1", Rejected("min!")),
        ("integer", rules(min=0, max=100), "101", Rejected("max!")),
        ("decimal", rules(min=0.5), "0,4", Rejected("min!")),
        ("percent", rules(min=50), "49,9", Rejected("min!")),
        ("percent", rules(max=90), "95", Rejected("max!")),
        ("text", rules(max_length=5), "Пятьь", "Пятьь"),
        ("text", rules(max_length=5), "Шесть!", Rejected("max_length!")),
        ("url", rules(max_length=20), "vk.com/a-very-long-name", Rejected("max_length!")),
        ("text", POSTCODE, "305000", "305000"),
        ("text", POSTCODE, "30500", Rejected("Шесть цифр.")),
        ("url", VK_OR_OK, "ok.ru/g", "https://ok.ru/g"),
        ("url", VK_OR_OK, "t.me/g", Rejected("Только ВК или ОК.")),
    ],
)
def test_question_rules(kind: str, validation: dict[str, Any], raw: str, outcome: Any) -> None:
    question = make(kind, validation=validation)
    if isinstance(outcome, Rejected):
        with pytest.raises(AnswerError) as caught:
            parse_answer(question, raw, today=TODAY)
        assert caught.value.message == outcome.message
    else:
        assert parse_answer(question, raw, today=TODAY) == outcome


def test_choose() -> None:
    question = make("select_one")
    assert choose(question, "tg") == "tg"
    with pytest.raises(AnswerError, match="Такого варианта нет"):
        choose(question, "ok")
    with pytest.raises(ValueError, match="not select_one"):
        choose(make("select_multiple"), "tg")


def test_validate_selection() -> None:
    question = make("select_multiple")
    assert validate_selection(question, ["tg", "site", "tg"]) == ["site", "tg"]  # choice order
    with pytest.raises(AnswerError) as caught:
        validate_selection(question, ["site", "ok"])
    assert caught.value.message == "Варианта «ok» нет. Выберите из предложенных."
    with pytest.raises(AnswerError) as caught:
        validate_selection(question, [])
    assert caught.value.message == "Отметьте хотя бы один вариант."
    with pytest.raises(AnswerError) as caught:
        validate_selection(make("select_multiple", required=False), [])
    assert caught.value.message == (
        "Отметьте хотя бы один вариант. Если ничего не подходит, нажмите «Пропустить»."
    )
    with pytest.raises(ValueError, match="not select_multiple"):
        validate_selection(make("select_one"), ["tg"])


@pytest.mark.parametrize(
    ("chosen", "outcome"),
    [
        (["site"], "Не меньше двух."),
        (["site", "vk"], ["site", "vk"]),
        (["site", "vk", "tg"], "Не больше двух."),
    ],
)
def test_selection_rules(chosen: list[str], outcome: Any) -> None:
    validation = {
        "min_selected": {"value": 2, "message": "Не меньше двух."},
        "max_selected": {"value": 2, "message": "Не больше двух."},
    }
    question = make("select_multiple", validation=validation)
    if isinstance(outcome, str):
        with pytest.raises(AnswerError) as caught:
            validate_selection(question, chosen)
        assert caught.value.message == outcome
    else:
        assert validate_selection(question, chosen) == outcome


def test_notes_take_no_answer_and_optional_questions_can_be_skipped() -> None:
    with pytest.raises(ValueError, match="takes no answer"):
        parse_answer(make("note"), "да", today=TODAY)
    assert not can_skip(make("note", required=False))
    assert not can_skip(make("text"))
    assert can_skip(make("text", required=False))


# ---------------------------------------------------------------------------------------------
# Relevance


@pytest.mark.parametrize(
    ("condition", "answers", "expected"),
    [
        ({"question": "a", "eq": True}, {"a": True}, True),
        ({"question": "a", "eq": True}, {"a": False}, False),
        ({"question": "a", "eq": True}, {}, False),
        ({"question": "a", "eq": True}, {"a": None}, False),
        ({"question": "a", "eq": 1}, {"a": True}, False),  # a yes is not the number 1
        ({"question": "a", "eq": 5}, {"a": 5.0}, True),
        ({"question": "a", "ne": "school"}, {"a": "college"}, True),
        ({"question": "a", "ne": "school"}, {"a": "school"}, False),
        ({"question": "a", "ne": "school"}, {"a": None}, False),  # unknown is not «different»
        ({"question": "a", "in": ["school", "college"]}, {"a": "college"}, True),
        ({"question": "a", "in": ["school", "college"]}, {"a": "kindergarten"}, False),
        ({"question": "a", "in": ["school", "college"]}, {}, False),
        ({"question": "a", "selected": "vk"}, {"a": ["site", "vk"]}, True),
        ({"question": "a", "selected": "vk"}, {"a": ["site"]}, False),
        ({"question": "a", "selected": "vk"}, {"a": None}, False),
        ({"question": "a", "answered": True}, {"a": 0}, True),
        ({"question": "a", "answered": True}, {"a": None}, False),
        ({"question": "a", "answered": True}, {}, False),
        ({"question": "a", "answered": False}, {}, True),
        ({"question": "a", "answered": False}, {"a": None}, True),
        ({"question": "a", "answered": False}, {"a": False}, False),
    ],
)
def test_answer_conditions(
    condition: dict[str, Any], answers: dict[str, Any], expected: bool
) -> None:
    assert is_relevant(make("text", relevant=[condition]), answers, "primary") is expected


@pytest.mark.parametrize(
    ("level", "expected"),
    [("regional", False), ("territorial", True), ("primary", True)],
)
def test_level_condition(level: str, expected: bool) -> None:
    question = make("text", relevant=[{"level": ["territorial", "primary"]}])
    assert is_relevant(question, {}, level) is expected


def test_all_conditions_must_hold() -> None:
    question = make("text", relevant=[{"level": ["primary"]}, {"question": "a", "eq": True}])
    assert is_relevant(question, {"a": True}, "primary")
    assert not is_relevant(question, {"a": True}, "territorial")
    assert not is_relevant(question, {"a": False}, "primary")


def test_relevance_by_level_and_earlier_answers() -> None:
    base = ["intro", "has_site", "channels", "share", "kind"]
    assert ids(relevant_questions(SMALL, {}, "primary")) == base
    assert ids(relevant_questions(SMALL, {}, "territorial")) == [*base[:3], "members", *base[3:]]
    answers = {"has_site": True, "site_url": "https://a.ru", "channels": ["vk"], "kind": "school"}
    assert ids(relevant_questions(SMALL, answers, "primary")) == [
        "intro",
        "has_site",
        "site_url",
        "site_updated",
        "channels",
        "vk_url",
        "share",
        "kind",
        "comment",
    ]


def test_a_changed_answer_hides_the_whole_chain_but_keeps_storage() -> None:
    answers = {
        "has_site": True,
        "site_url": "https://a.ru",
        "site_updated": "2024-06-01",
        "channels": ["site"],
    }
    assert "site_updated" in ids(relevant_questions(SMALL, answers, "primary"))
    answers["has_site"] = False
    shown = ids(relevant_questions(SMALL, answers, "primary"))
    # site_url is hidden, so its stored answer no longer counts and site_updated goes too.
    assert "site_url" not in shown
    assert "site_updated" not in shown
    assert effective_answers(SMALL, answers, "primary") == {
        "has_site": False,
        "channels": ["site"],
    }
    assert answers["site_url"] == "https://a.ru"  # nothing is deleted
    assert [q.id for q, _ in review(SMALL, answers, "primary")] == [
        "has_site",
        "channels",
        "share",
        "kind",
    ]


# ---------------------------------------------------------------------------------------------
# Navigation


def next_id(answers: dict[str, Any], level: str, after: str | None = None) -> str | None:
    item = next_question(SMALL, answers, level, after=after)
    return None if item is None else item.id


def previous_id(answers: dict[str, Any], level: str, current: str | None = None) -> str | None:
    item = previous_question(SMALL, answers, level, current)
    return None if item is None else item.id


def test_next_question_from_the_start_shows_the_note_first() -> None:
    assert next_id({}, "primary") == "intro"
    assert next_id({}, "primary", after="intro") == "has_site"


def test_next_question_follows_answers() -> None:
    answers: dict[str, Any] = {"has_site": True}
    assert next_id(answers, "primary", after="has_site") == "site_url"
    answers["site_url"] = "https://a.ru"
    assert next_id(answers, "primary", after="site_url") == "site_updated"
    answers["has_site"] = False  # changed back: the chain disappears
    assert next_id(answers, "primary", after="has_site") == "channels"


def test_resume_after_a_restart_skips_passed_notes() -> None:
    answers = {"has_site": False}
    assert next_id(answers, "primary") == "channels"


def test_skip_stores_none_and_counts_as_answered() -> None:
    answers: dict[str, Any] = {"has_site": False, "channels": ["vk"]}
    assert next_id(answers, "primary", after="channels") == "vk_url"
    answers["vk_url"] = None
    assert next_id(answers, "primary", after="vk_url") == "share"


def test_next_question_wraps_round_to_unanswered_earlier_questions() -> None:
    answers = {"channels": ["site"], "share": 50.0, "kind": "kindergarten"}
    # The note leads to has_site, which is unanswered, so it is shown again on the way.
    assert next_id(answers, "primary", after="kind") == "intro"
    assert next_id(answers, "primary", after="intro") == "has_site"


def test_next_question_is_none_when_everything_shown_is_answered() -> None:
    answers = {"has_site": False, "channels": ["tg"], "share": None, "kind": "kindergarten"}
    assert next_question(SMALL, answers, "primary", after="kind") is None
    assert next_question(SMALL, answers, "primary") is None
    assert missing_required(SMALL, answers, "primary") == []
    # A territorial organisation has one more question to answer.
    assert next_id(answers, "territorial") == "members"


def test_previous_question_passes_over_notes() -> None:
    answers = {"has_site": True, "site_url": "https://a.ru", "channels": ["site"]}
    assert previous_id(answers, "primary", "channels") == "site_updated"
    assert previous_id(answers, "primary", "site_url") == "has_site"
    assert previous_question(SMALL, answers, "primary", "has_site") is None
    assert previous_id(answers, "primary") == "kind"  # from the review screen
    answers["has_site"] = False
    assert previous_id(answers, "primary", "channels") == "has_site"


def test_position_counts_without_notes_and_the_total_never_grows() -> None:
    # Before any answer, the follow-ups that may open count: 8, not the 4 shown right now.
    assert position(SMALL, {}, "primary", "has_site") == (1, 8)
    assert position(SMALL, {}, "territorial", "members") == (3, 9)
    answers: dict[str, Any] = {"has_site": True, "site_url": "https://a.ru"}
    assert position(SMALL, answers, "primary", "channels") == (4, 8)  # opened: still 8
    assert position(SMALL, {"has_site": False}, "primary", "channels") == (2, 6)  # closed
    answers = {"has_site": False, "channels": ["tg"]}
    assert position(SMALL, answers, "primary", "share") == (3, 5)  # no VK link asked
    with pytest.raises(ValueError, match="not asked"):
        position(SMALL, {}, "primary", "intro")
    with pytest.raises(ValueError, match="not asked"):
        position(SMALL, {}, "primary", "site_url")
    with pytest.raises(ValueError, match="not asked"):
        position(SMALL, {}, "primary", "nope")


def test_missing_required() -> None:
    assert ids(missing_required(SMALL, {}, "primary")) == ["has_site", "channels", "kind"]
    answers = {"has_site": True, "channels": None, "kind": "school", "share": None}
    # channels was stored as skipped although it is required: still missing; share is optional.
    assert ids(missing_required(SMALL, answers, "primary")) == ["site_url", "channels"]
    answers["has_site"] = False
    assert ids(missing_required(SMALL, answers, "primary")) == ["channels"]
    assert ids(missing_required(SMALL, answers, "territorial")) == ["channels", "members"]


def test_review_lists_shown_questions_with_answers() -> None:
    answers = {"has_site": True, "site_url": "https://a.ru", "channels": ["vk"], "vk_url": None}
    assert [(q.id, value) for q, value in review(SMALL, answers, "primary")] == [
        ("has_site", True),
        ("site_url", "https://a.ru"),
        ("site_updated", None),
        ("channels", ["vk"]),
        ("vk_url", None),
        ("share", None),
        ("kind", None),
    ]


# ---------------------------------------------------------------------------------------------
# Display


@pytest.mark.parametrize(
    ("question_id", "value", "text"),
    [
        ("has_site", True, "Да"),
        ("has_site", False, "Нет"),
        ("has_site", None, SKIPPED_TEXT),
        ("channels", ["site", "vk"], "Сайт, ВКонтакте"),
        ("channels", ["gone"], "gone"),
        ("kind", "school", "Школа"),
        ("members", 1200, "1 200"),
        ("members", 7, "7"),
        ("share", 85.0, "85 %"),
        ("share", 85.5, "85,5 %"),
        ("site_updated", "2024-03-01", "01.03.2024"),
        ("site_url", "https://a.ru", "https://a.ru"),
        ("comment", "Всё хорошо", "Всё хорошо"),
        ("intro", None, SKIPPED_TEXT),
    ],
)
def test_format_answer(question_id: str, value: Any, text: str) -> None:
    assert format_answer(SMALL.question(question_id), value) == text


@pytest.mark.parametrize(("value", "text"), [(12.5, "12,5"), (7.0, "7"), (1234.75, "1 234,75")])
def test_format_decimal(value: float, text: str) -> None:
    assert format_answer(make("decimal"), value) == text


# ---------------------------------------------------------------------------------------------
# The information-work index, computed by hand

FULL = {
    "has_site": True,  # 2
    "site_url": "https://a.ru",  # 1
    "site_updated": "2024-06-01",  # weight 0
    "channels": ["site", "vk"],  # 1 + 2
    "vk_url": None,  # skipped: 0
    "share": 50.0,  # 4 × 50 / 100 = 2
    "kind": "school",  # 1.5
    "comment": "Всё хорошо",  # weight 0
}


@pytest.mark.parametrize(
    ("answers", "level", "expected"),
    [
        ({}, "primary", 0.0),
        (FULL, "primary", 9.5),
        ({**FULL, "members": 10}, "territorial", 10.5),
        ({**FULL, "members": 0}, "territorial", 9.5),  # nothing done gives nothing
        ({**FULL, "members": 10}, "primary", 9.5),  # hidden for a primary organisation
        ({**FULL, "has_site": False}, "primary", 6.5),  # site_url stored but hidden now
        ({**FULL, "share": None, "channels": ["tg"]}, "primary", 4.5),
        ({**FULL, "kind": "kindergarten", "share": 100.0}, "primary", 10.0),
    ],
)
def test_score(answers: dict[str, Any], level: str, expected: float) -> None:
    assert score(SMALL, answers, level) == pytest.approx(expected)


# ---------------------------------------------------------------------------------------------
# Versions: the definition hash

PLAIN = """
    id: v
    title: Версия
    questions:
      - id: a
        type: yes_no
        text: Вопрос?
        weight: 1
"""
SAME_CONTENT = """
    # comments, key order, flow style and a spelled-out default change nothing
    questions: [{weight: 1.0, text: "Вопрос?", required: true, type: yes_no, id: a}]
    title: Версия
    id: v
"""


def test_definition_hash_ignores_form() -> None:
    assert definition_hash(load(PLAIN)) == definition_hash(load(SAME_CONTENT))
    assert len(definition_hash(load(PLAIN))) == 64


@pytest.mark.parametrize(
    ("old", "new"),
    [("text: Вопрос?", "text: Вопрос изменён?"), ("weight: 1", "weight: 2"), ("id: a", "id: b")],
)
def test_definition_hash_changes_with_content(old: str, new: str) -> None:
    assert definition_hash(load(PLAIN)) != definition_hash(load(PLAIN.replace(old, new)))


def test_definition_hash_of_the_default_is_stable() -> None:
    assert definition_hash(load_default()) == definition_hash(load_default())
