"""Questionnaires as data: the YAML format and its validation, answer parsing, relevance,
navigation, display and the information-work index.

Pure functions over frozen pydantic models: no database, no Telegram. The chat stores the
answers of one organisation as a mapping question id → value (bool, int, float, str or
list[str]; None means «skipped», which counts as answered) and derives where the officer is
from that mapping alone, so a restart resumes at the same question.

Relevance conditions only look at earlier questions (checked on load), so one forward pass
decides what is shown. The answer to a hidden question is kept in storage but never counted:
a question that depends on it is hidden too, and review, missing_required and score skip it.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Final, Literal, TypeAlias
from urllib.parse import urlsplit, urlunsplit

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    StringConstraints,
    Tag,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from models.org import OrgLevel

DEFAULT_QUESTIONNAIRE_PATH: Final = (
    Path(__file__).resolve().parents[2] / "questionnaires" / "quarterly.yaml"
)
ID_PATTERN: Final = r"^[a-z][a-z0-9_]{0,39}$"
TEXT_MAX_LENGTH: Final = 2000
SKIPPED_TEXT: Final = "пропущено"

# What a stored answer may be (JSON-friendly); None in the answers mapping means «skipped».
Answer: TypeAlias = bool | int | float | str | list[str]


class QuestionType(enum.StrEnum):
    YES_NO = "yes_no"
    SELECT_ONE = "select_one"
    SELECT_MULTIPLE = "select_multiple"
    INTEGER = "integer"
    DECIMAL = "decimal"
    PERCENT = "percent"
    TEXT = "text"
    URL = "url"
    DATE = "date"
    NOTE = "note"  # shown, never answered


SELECT_TYPES: Final = frozenset({QuestionType.SELECT_ONE, QuestionType.SELECT_MULTIPLE})
NUMBER_TYPES: Final = frozenset({QuestionType.INTEGER, QuestionType.DECIMAL, QuestionType.PERCENT})
STRING_TYPES: Final = frozenset({QuestionType.TEXT, QuestionType.URL})
# Which validation rules a question type can use; anything else is a mistake in the file.
RULE_TYPES: Final[dict[str, frozenset[QuestionType]]] = {
    "min": NUMBER_TYPES,
    "max": NUMBER_TYPES,
    "regex": STRING_TYPES,
    "max_length": STRING_TYPES,
    "min_selected": frozenset({QuestionType.SELECT_MULTIPLE}),
    "max_selected": frozenset({QuestionType.SELECT_MULTIPLE}),
}


class QuestionnaireError(Exception):
    """A questionnaire file with problems; `problems` lists every one, in Russian."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class AnswerError(Exception):
    """An answer the chat must not store; `message` (Russian) is shown before asking again."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------------------------------------
# The format

Identifier = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
# Lengths keep a question with its hint inside Telegram's 4096-character message.
QuestionText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2500)
]
Hint = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
# A question's name on a chart or in a summary column, where its full text does not fit.
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Message = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Weight = Annotated[float, Field(ge=0)]
Scalar: TypeAlias = bool | int | float | str


class _Model(BaseModel):
    # Frozen: one loaded definition is shared by every chat at once.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Choice(_Model):
    id: Identifier
    label: Label
    weight: Weight = 0.0


ChoiceList = Annotated[list[Choice], Field(min_length=1)]


class NumberRule(_Model):
    value: float
    message: Message


class CountRule(_Model):
    value: Annotated[int, Field(ge=0)]
    message: Message


class RegexRule(_Model):
    pattern: str
    message: Message

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"некорректное регулярное выражение «{pattern}»: {exc}") from None
        return pattern


class Validation(_Model):
    min: NumberRule | None = None
    max: NumberRule | None = None
    regex: RegexRule | None = None
    min_selected: CountRule | None = None
    max_selected: CountRule | None = None
    max_length: CountRule | None = None

    def rule_names(self) -> list[str]:
        """Names of the rules that are set."""
        return [name for name in RULE_TYPES if getattr(self, name) is not None]


class LevelCondition(_Model):
    """`{level: [territorial, primary]}`: the organisation's level is one of these."""

    level: Annotated[list[OrgLevel], Field(min_length=1)]

    def holds(self, answers: Mapping[str, Any], level: str) -> bool:
        """Whether the condition holds."""
        return level in self.level


Operator = Literal["eq", "ne", "in", "selected", "answered"]
OPERATORS: Final[tuple[Operator, ...]] = ("eq", "ne", "in", "selected", "answered")


class AnswerCondition(_Model):
    """`{question: <earlier id>, <operator>: <value>}`, kept as op/value, dumped in that form."""

    # eq, ne, in and selected are false while the question has no answer (absent, skipped or
    # hidden): «unknown» must not show follow-ups. `answered: true` needs a non-skipped answer.

    question: Identifier
    op: Operator
    value: Any

    @model_validator(mode="before")
    @classmethod
    def _from_file_form(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        unknown = [str(key) for key in data if key not in {"question", *OPERATORS}]
        if unknown:
            raise ValueError(f"неизвестное поле «{unknown[0]}»")
        operators = [key for key in OPERATORS if key in data]
        if len(operators) != 1:
            raise ValueError("нужен ровно один оператор: eq, ne, in, selected или answered")
        converted = {key: value for key, value in data.items() if key == "question"}
        return {**converted, "op": operators[0], "value": data[operators[0]]}

    @field_validator("value")
    @classmethod
    def _plain(cls, value: Any) -> Any:
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(item, Scalar) for item in items):
            # YAML reads an unquoted 2024-03-31 as a date and `null` as None.
            raise ValueError("значение условия: число, текст или true/false (даты — в кавычках)")
        return value

    @model_validator(mode="after")
    def _value_fits_operator(self) -> AnswerCondition:
        if self.op == "in":
            if not isinstance(self.value, list) or not self.value:
                raise ValueError("для in нужен непустой список значений")
        elif isinstance(self.value, list):
            raise ValueError(f"для {self.op} нужно одно значение, а не список")
        elif self.op == "answered" and not isinstance(self.value, bool):
            raise ValueError("для answered нужно true или false")
        elif self.op == "selected" and not isinstance(self.value, str):
            raise ValueError("для selected нужен идентификатор варианта")
        return self

    @model_serializer
    def _to_file_form(self) -> dict[str, Any]:
        return {"question": self.question, self.op: self.value}

    def holds(self, answers: Mapping[str, Any], level: str) -> bool:
        """Whether the condition holds."""
        answer = answers.get(self.question)
        if self.op == "answered":
            return (answer is not None) is self.value
        if answer is None:
            return False
        if self.op == "selected":
            return isinstance(answer, list) and self.value in answer
        if self.op == "in":
            return any(_same(answer, value) for value in self.value)
        return _same(answer, self.value) is (self.op == "eq")


def _same(answer: Any, value: Any) -> bool:
    # In Python True == 1; a yes/no answer must not match the number 1 or vice versa.
    return isinstance(answer, bool) is isinstance(value, bool) and answer == value


# Tags contain «:» so they can never collide with a field or list name in error locations.
_TAGS: Final = frozenset({"condition:level", "condition:answer", "choices:name", "choices:list"})


def _condition_kind(data: Any) -> str:
    if isinstance(data, LevelCondition) or (isinstance(data, dict) and "level" in data):
        return "condition:level"
    return "condition:answer"


def _choices_kind(data: Any) -> str:
    return "choices:name" if isinstance(data, str) else "choices:list"


Condition = Annotated[
    Annotated[LevelCondition, Tag("condition:level")]
    | Annotated[AnswerCondition, Tag("condition:answer")],
    Discriminator(_condition_kind),
]
# A question's choices: the name of a shared list or an inline list.
Choices = Annotated[
    Annotated[Identifier, Tag("choices:name")] | Annotated[ChoiceList, Tag("choices:list")],
    Discriminator(_choices_kind),
]


class Question(_Model):
    id: Identifier
    type: QuestionType
    text: QuestionText
    hint: Hint | None = None
    short: Short | None = None
    required: bool = True
    choices: Choices | None = None
    validation: Validation = Field(default_factory=Validation)
    relevant: list[Condition] = Field(default_factory=list)
    weight: Weight = 0.0
    # A shared list named in `choices`, filled in by the questionnaire that owns the question.
    _shared: list[Choice] = PrivateAttr(default_factory=list)

    @property
    def answerable(self) -> bool:
        """False for a note, which is shown but never answered."""
        return self.type is not QuestionType.NOTE

    @property
    def is_required(self) -> bool:
        """Must be answered (a note never must)."""
        return self.answerable and self.required

    @property
    def options(self) -> list[Choice]:
        """The choices, a shared list resolved."""
        return self.choices if isinstance(self.choices, list) else self._shared

    def choice(self, choice_id: str) -> Choice | None:
        """The choice with that id, if any."""
        return next((choice for choice in self.options if choice.id == choice_id), None)


_PROBLEMS_ERROR: Final = "questionnaire_problems"


class Questionnaire(_Model):
    id: Identifier
    title: Label
    choices: dict[Identifier, ChoiceList] = Field(default_factory=dict)
    questions: list[Question]

    @model_validator(mode="after")
    def _consistent(self) -> Questionnaire:
        problems = _problems(self.choices, self.questions)
        if problems:
            # One error carrying all of them, so load_questionnaire can list each separately.
            raise PydanticCustomError(
                _PROBLEMS_ERROR, "{problems}", {"problems": "\n".join(problems)}
            )
        for question in self.questions:
            if isinstance(question.choices, str):
                question._shared = self.choices[question.choices]
        return self

    def question(self, question_id: str) -> Question:
        """The question with that id; KeyError if there is none."""
        return self.questions[self.index(question_id)]

    def index(self, question_id: str) -> int:
        """Position of the question in the file; KeyError if there is none."""
        for number, question in enumerate(self.questions):
            if question.id == question_id:
                return number
        raise KeyError(f"questionnaire {self.id!r} has no question {question_id!r}")


# ---------------------------------------------------------------------------------------------
# Consistency checks across questions (structure is pydantic's job)


def _problems(
    choice_lists: Mapping[str, Sequence[Choice]],
    questions: Sequence[Question | str],
    *,
    broken_lists: Collection[str] = (),
) -> list[str]:
    """Every cross-reference problem in the file.

    A str among `questions` is the id of a question that failed to parse (see _salvage): it
    still counts for duplicate ids, but conditions that refer to it are not checked further;
    nor are references to the shared lists in `broken_lists`.
    """
    problems = [
        f"список вариантов {name}: {problem}"
        for name, items in choice_lists.items()
        for problem in _duplicate_choices(items)
    ]
    if not any(isinstance(item, str) or item.answerable for item in questions):
        problems.append("анкета: нет ни одного вопроса")
    earlier: dict[str, Question | None] = {}  # None: the question failed to parse
    shorts: dict[str, str] = {}  # short name → id of the question that has it
    for item in questions:
        question_id = item if isinstance(item, str) else item.id
        found = [*_duplicate_id(question_id, earlier)]
        if isinstance(item, Question):
            found += _duplicate_short(item, shorts)
            found += _question_problems(item, earlier, choice_lists, broken_lists)
        problems += [f"вопрос {question_id}: {problem}" for problem in found]
        earlier.setdefault(question_id, None if isinstance(item, str) else item)
    return problems


def _question_problems(
    question: Question,
    earlier: Mapping[str, Question | None],
    choice_lists: Mapping[str, Sequence[Choice]],
    broken_lists: Collection[str],
) -> list[str]:
    return [
        *_choice_problems(question, choice_lists, broken_lists),
        *_rule_problems(question, _options_of(question, choice_lists)),
        *_weight_problems(question),
        *_condition_problems(question, earlier, choice_lists),
    ]


def _options_of(
    question: Question, choice_lists: Mapping[str, Sequence[Choice]]
) -> list[Choice] | None:
    if isinstance(question.choices, str):
        found = choice_lists.get(question.choices)
        return None if found is None else list(found)
    return question.choices


def _duplicate_choices(items: Sequence[Choice]) -> Iterator[str]:
    seen: set[str] = set()
    for choice in items:
        if choice.id in seen:
            yield f"вариант «{choice.id}» повторяется"
        seen.add(choice.id)


def _duplicate_id(question_id: str, earlier: Mapping[str, Question | None]) -> Iterator[str]:
    if question_id in earlier:
        yield "такой идентификатор уже есть у вопроса выше"


def _duplicate_short(question: Question, shorts: dict[str, str]) -> Iterator[str]:
    """Short names label the columns of exports and the series of charts: two questions with
    one name would merge there."""
    if question.short is None:
        return
    key = question.short.strip().casefold()
    if key in shorts:
        yield f"краткое название «{question.short}» уже есть у вопроса {shorts[key]}"
    else:
        shorts[key] = question.id


def _choice_problems(
    question: Question, choice_lists: Mapping[str, Sequence[Choice]], broken_lists: Collection[str]
) -> Iterator[str]:
    if question.type not in SELECT_TYPES:
        if question.choices is not None:
            yield "варианты (choices) бывают только у вопросов select_one и select_multiple"
    elif question.choices is None:
        yield f"для типа {question.type} нужны варианты ответа (choices)"
    elif isinstance(question.choices, str):
        if question.choices not in choice_lists and question.choices not in broken_lists:
            yield f"неизвестный список вариантов «{question.choices}»"
    else:
        yield from _duplicate_choices(question.choices)


def _rule_problems(question: Question, options: Sequence[Choice] | None) -> Iterator[str]:
    rules = question.validation
    for name in rules.rule_names():
        if question.type not in RULE_TYPES[name]:
            yield f"правило {name} не подходит к типу {question.type}"
    if rules.min and rules.max and rules.min.value > rules.max.value:
        yield f"min ({_number(rules.min.value)}) больше max ({_number(rules.max.value)})"
    low, high = rules.min_selected, rules.max_selected
    if low and high and low.value > high.value:
        yield f"min_selected ({low.value}) больше max_selected ({high.value})"
    if low and options is not None and low.value > len(options):
        yield f"min_selected ({low.value}) больше числа вариантов ({len(options)})"


def _weight_problems(question: Question) -> Iterator[str]:
    if question.weight and not question.answerable:
        yield "у пояснения (note) не бывает веса: на него не отвечают"
    elif question.weight and question.type in SELECT_TYPES:
        yield "у вопроса с выбором вес задаётся у вариантов (weight в choices)"


def _condition_problems(
    question: Question,
    earlier: Mapping[str, Question | None],
    choice_lists: Mapping[str, Sequence[Choice]],
) -> Iterator[str]:
    for condition in question.relevant:
        if not isinstance(condition, AnswerCondition):
            continue
        target = earlier.get(condition.question)
        if target is not None or condition.question not in earlier:
            options = None if target is None else _options_of(target, choice_lists)
            yield from _answer_condition_problems(condition, target, options)


def _answer_condition_problems(
    condition: AnswerCondition, target: Question | None, options: Sequence[Choice] | None
) -> Iterator[str]:
    name = condition.question
    if target is None:
        yield f"условие ссылается на вопрос «{name}», которого нет или который идёт позже"
    elif not target.answerable:
        yield f"условие ссылается на пояснение «{name}», а на пояснения не отвечают"
    elif condition.op == "answered":
        return
    elif (condition.op == "selected") is not (target.type is QuestionType.SELECT_MULTIPLE):
        advice = ": используйте selected" if target.type is QuestionType.SELECT_MULTIPLE else ""
        yield (
            f"оператор {condition.op} не подходит к вопросу «{name}» типа {target.type}{advice}"
        )
    else:
        values = condition.value if isinstance(condition.value, list) else [condition.value]
        for value in values:
            yield from _condition_value_problems(target, value, options)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def _is_iso_date(value: Any) -> bool:
    try:
        date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


# What an eq/ne/in/selected value must look like for each type of the question it looks at.
_CONDITION_VALUES: Final[dict[QuestionType, tuple[Callable[[Any], bool], str]]] = {
    QuestionType.YES_NO: (_is_bool, "true или false"),
    QuestionType.SELECT_ONE: (_is_text, "идентификатор варианта"),
    QuestionType.SELECT_MULTIPLE: (_is_text, "идентификатор варианта"),
    QuestionType.INTEGER: (_is_integer, "целое число"),
    QuestionType.DECIMAL: (_is_number, "число"),
    QuestionType.PERCENT: (_is_number, "число"),
    QuestionType.TEXT: (_is_text, "текст"),
    QuestionType.URL: (_is_text, "текст"),
    QuestionType.DATE: (_is_iso_date, "дата в виде 'ГГГГ-ММ-ДД'"),
}


def _condition_value_problems(
    target: Question, value: Any, options: Sequence[Choice] | None
) -> Iterator[str]:
    fits, expected = _CONDITION_VALUES[target.type]
    if not fits(value):
        yield (
            f"значение «{_show(value)}» в условии не подходит к вопросу «{target.id}» "
            f"типа {target.type}: нужно {expected}"
        )
    elif target.type in SELECT_TYPES and value not in {c.id for c in options or ()}:
        yield f"в условии указан вариант «{value}», которого нет у вопроса «{target.id}»"


def _show(value: Any) -> str:
    """A value as the author wrote it in YAML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


# ---------------------------------------------------------------------------------------------
# Loading


def load_questionnaire(text: str | bytes) -> Questionnaire:
    """Parse and validate a questionnaire file; QuestionnaireError lists every problem."""
    raw = _read_yaml(text)
    if raw is None:
        raise QuestionnaireError(["анкета: файл пуст, нет ни одного вопроса"])
    if not isinstance(raw, dict):
        raise QuestionnaireError(["анкета: ожидается описание с полями id, title и questions"])
    try:
        return Questionnaire.model_validate(raw)
    except ValidationError as exc:
        problems = _translate(exc, raw)
        if not any(error["type"] == _PROBLEMS_ERROR for error in exc.errors()):
            # Malformed parts stopped the cross-question checks; run them on what did parse.
            problems += _salvage(raw)
        raise QuestionnaireError(problems) from None


def load_default() -> Questionnaire:
    """The union's quarterly questionnaire shipped with the bot."""
    return load_questionnaire(DEFAULT_QUESTIONNAIRE_PATH.read_bytes())


def definition_hash(q: Questionnaire) -> str:
    """sha256 of the canonical JSON: same content, same hash, whatever the key order."""
    canonical = json.dumps(
        q.model_dump(mode="json"), ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects a repeated key instead of silently keeping the last value."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[str] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if not isinstance(key, str):
            continue  # non-string keys are reported by the model as unknown fields
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"ключ «{key}» повторяется", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _read_yaml(text: str | bytes) -> Any:
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise QuestionnaireError(["анкета: файл должен быть в кодировке UTF-8"]) from None
    try:
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader: no arbitrary objects
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" в строке {mark.line + 1}, столбец {mark.column + 1}" if mark else ""
        problem = _yaml_problem(exc.problem or exc.context or "")
        raise QuestionnaireError([f"ошибка YAML{where}: {problem}"]) from None
    except yaml.YAMLError as exc:
        raise QuestionnaireError([f"ошибка YAML: {exc}"]) from None


# PyYAML's most frequent complaints, said the way the person editing the file understands.
# The first matching start wins, so the specific «?» cases come before the general one.
_QUOTE_IT: Final = "возьмите значение в кавычки"
_YAML_PROBLEMS: Final = (
    ("mapping values are not allowed", f"двоеточие с пробелом внутри значения — {_QUOTE_IT}"),
    ("found character '\\t'", "табуляция — для отступов нужны пробелы"),
    ("could not find expected ':'", "после ключа не хватает двоеточия"),
    ("did not find expected key", "неверный отступ или лишний символ"),
    ("did not find expected '-'", "неверный отступ в списке"),
    # Inside {…} and […] PyYAML refuses «?» in an unquoted value, and every question has one.
    ("expected ',' or '}', but got '?'", f"знак вопроса внутри {{…}} — {_QUOTE_IT}"),
    ("expected ',' or ']', but got '?'", f"знак вопроса внутри […] — {_QUOTE_IT}"),
    ("expected ',' or '", f"не закрыта скобка или запятая внутри значения — {_QUOTE_IT}"),
    ("found unexpected end of stream", "не закрыта кавычка"),
    ("expected the node content", "не хватает значения или не закрыта скобка"),
)


def _yaml_problem(problem: str) -> str:
    for start, russian in _YAML_PROBLEMS:
        if problem.startswith(start):
            return f"{russian} ({problem})"
    return problem


_CHOICE_LIST: Final = TypeAdapter(ChoiceList)


# Granularity is the question: a question with a malformed part is reported by pydantic and
# left out of the cross-question checks, which still run on all the others.
def _salvage(raw: Mapping[str, Any]) -> list[str]:
    """Cross-question problems among the well-formed parts of a partly malformed file."""
    items = raw.get("questions")
    if not isinstance(items, list):
        return []  # already reported; nothing to check against
    questions = [_salvage_question(number, item) for number, item in enumerate(items, 1)]
    lists, broken_lists = _salvage_choice_lists(raw.get("choices", {}), questions)
    return _problems(lists, questions, broken_lists=broken_lists)


def _salvage_question(number: int, item: Any) -> Question | str:
    """The parsed question, or the id of a malformed one (its number if it has no usable id)."""
    try:
        return Question.model_validate(item)
    except ValidationError:
        question_id = item.get("id") if isinstance(item, dict) else None
        return question_id if isinstance(question_id, str) else f"№{number}"


def _salvage_choice_lists(
    value: Any, questions: Sequence[Question | str]
) -> tuple[dict[str, list[Choice]], set[str]]:
    if not isinstance(value, dict):
        # No usable lists at all: do not call every reference to one unknown.
        return {}, {
            q.choices for q in questions if isinstance(q, Question) and isinstance(q.choices, str)
        }
    lists: dict[str, list[Choice]] = {}
    broken: set[str] = set()
    for name, items in value.items():
        try:
            lists[str(name)] = _CHOICE_LIST.validate_python(items)
        except ValidationError:
            broken.add(str(name))
    return lists, broken


# Pydantic's errors in Russian, located by question id rather than by index.

_ITEM_NAMES: Final = {"choices": "вариант", "relevant": "условие", "level": "уровень"}
_EXPECTED: Final = {
    "string_type": "текст",
    "int_type": "целое число",
    "int_parsing": "целое число",
    "int_from_float": "целое число",
    "float_type": "число",
    "float_parsing": "число",
    "bool_type": "true или false",
    "bool_parsing": "true или false",
    "list_type": "список",
    "dict_type": "набор полей «ключ: значение»",
    "model_type": "набор полей «ключ: значение»",
    "model_attributes_type": "набор полей «ключ: значение»",
}
_ENUM_MESSAGES: Final = {
    "type": "неизвестный тип «{value}»",
    "level": "неизвестный уровень организации «{value}» (бывают regional, territorial, primary)",
}
# Errors whose message names the field itself, so the location stops one step short.
_NAMING_ERRORS: Final = frozenset(
    {"missing", "extra_forbidden", "enum", "string_pattern_mismatch"}
)


def _translate(exc: ValidationError, raw: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    for error in exc.errors():
        if error["type"] == _PROBLEMS_ERROR:
            problems += str(error.get("ctx", {})["problems"]).split("\n")
        else:
            problems.append(_describe(error, raw))
    return problems


def _describe(error: ErrorDetails, raw: Mapping[str, Any]) -> str:
    where, rest = _split_location([part for part in error["loc"] if part not in _TAGS], raw)
    field = next((part for part in reversed(rest) if isinstance(part, str)), "")
    if error["type"] in _NAMING_ERRORS and rest and isinstance(rest[-1], str):
        rest = rest[:-1]
    path = _render_path(rest)
    return f"{where}{', ' + path if path else ''}: {_message(error, field)}"


def _split_location(loc: list[int | str], raw: Mapping[str, Any]) -> tuple[str, list[int | str]]:
    if len(loc) >= 2 and loc[0] == "questions" and isinstance(loc[1], int):
        return f"вопрос {_question_name(raw, loc[1])}", loc[2:]
    if len(loc) >= 2 and loc[0] == "choices":
        return f"список вариантов {loc[1]}", ["choices", *loc[2:]]  # items read «вариант №n»
    return "анкета", loc


def _question_name(raw: Mapping[str, Any], index: int) -> str:
    item = raw["questions"][index]
    question_id = item.get("id") if isinstance(item, dict) else None
    return question_id if isinstance(question_id, str) and question_id else f"№{index + 1}"


def _render_path(parts: Sequence[int | str]) -> str:
    """("relevant", 0, "level", 1) → «условие №1, уровень №2»; ("validation", "min") → «поле …»."""
    pieces: list[str] = []
    fields: list[str] = []
    for part in parts:
        if isinstance(part, int):
            container = fields.pop() if fields else ""
            if fields:
                pieces.append(f"поле «{'.'.join(fields)}»")
                fields = []
            pieces.append(f"{_ITEM_NAMES.get(container, 'элемент')} №{part + 1}")
        else:
            fields.append(part)
    if fields:
        pieces.append(f"поле «{'.'.join(fields)}»")
    return ", ".join(pieces)


def _message(error: ErrorDetails, field: str) -> str:
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx", {})
    if kind == "missing":
        return f"не указано обязательное поле «{field}»"
    if kind == "extra_forbidden":
        return f"неизвестное поле «{field}»"
    if kind == "enum":
        return _ENUM_MESSAGES.get(field, "недопустимое значение «{value}»").format(value=value)
    if kind == "string_pattern_mismatch":
        return (
            f"некорректный идентификатор «{value}»: латинские строчные буквы, цифры и «_», "
            "первая — буква, не длиннее 40 символов"
        )
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind in ("string_too_short", "too_short"):
        return "не может быть пустым"
    if kind == "string_too_long":
        return f"слишком длинно: не больше {ctx.get('max_length')} символов"
    if kind == "greater_than_equal":
        return f"должно быть не меньше {_number(ctx.get('ge', 0))}"
    if kind in _EXPECTED:
        # YAML 1.1 turns unquoted yes/no/on/off into booleans: say so, it is a common trap.
        trap = " (YAML читает yes/no/on/off как true/false — возьмите в кавычки)"
        hint = trap if isinstance(value, bool) and kind == "string_type" else ""
        return f"ожидается {_EXPECTED[kind]}, а указано «{_show(value)}»{hint}"
    return error["msg"]


# ---------------------------------------------------------------------------------------------
# Answers


def parse_answer(question: Question, raw: str, *, today: date) -> Answer:
    """A typed answer checked against the type and the question's rules; AnswerError if not."""
    parser = _PARSERS.get(question.type)
    if parser is None:
        raise ValueError(f"question {question.id!r} of type {question.type} takes no answer")
    return parser(question, raw, today)


def choose(question: Question, choice_id: str) -> str:
    """The id of a select_one choice (a pressed button); AnswerError if it is not offered."""
    _expect_type(question, QuestionType.SELECT_ONE)
    if question.choice(choice_id) is None:
        raise AnswerError("Такого варианта нет. Выберите один из вариантов на кнопках.")
    return choice_id


def validate_selection(question: Question, ids: list[str]) -> list[str]:
    """The ids of a select_multiple answer, in the order of the choices and without repeats."""
    _expect_type(question, QuestionType.SELECT_MULTIPLE)
    known = {choice.id for choice in question.options}
    unknown = [choice_id for choice_id in ids if choice_id not in known]
    if unknown:
        raise AnswerError(f"Варианта «{unknown[0]}» нет. Выберите из предложенных.")
    chosen = [choice.id for choice in question.options if choice.id in set(ids)]
    rules = question.validation
    if not chosen and rules.min_selected is None:
        skip = " Если ничего не подходит, нажмите «Пропустить»." if can_skip(question) else ""
        raise AnswerError(f"Отметьте хотя бы один вариант.{skip}")
    if rules.min_selected and len(chosen) < rules.min_selected.value:
        raise AnswerError(rules.min_selected.message)
    if rules.max_selected and len(chosen) > rules.max_selected.value:
        raise AnswerError(rules.max_selected.message)
    return chosen


def can_skip(question: Question) -> bool:
    """Whether the chat offers «Пропустить» (an optional question; stored as None)."""
    return question.answerable and not question.required


def _expect_type(question: Question, expected: QuestionType) -> None:
    if question.type is not expected:
        raise ValueError(f"question {question.id!r} is {question.type}, not {expected}")


_YES_NO: Final = {"да": True, "yes": True, "нет": False, "no": False}
# Spaces (also the non-breaking ones phones insert) may group thousands: «1 200».
_GROUPED: Final = r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+"
_INTEGER_RE: Final = re.compile(rf"[+-]?(?:{_GROUPED}|\d+)")
_DECIMAL_RE: Final = re.compile(rf"[+-]?(?:{_GROUPED}|\d+)(?:[.,]\d+)?")
_DATE_RE: Final = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
# A domain name with a real top-level domain (letters, or punycode); Cyrillic .рф included.
_HOST_RE: Final = re.compile(
    r"(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+(?:[^\W\d_]{2,63}|xn--[a-z0-9-]{1,59})"
)


def _parse_yes_no(question: Question, raw: str, today: date) -> bool:
    value = _YES_NO.get(raw.strip().rstrip(".!").lower())  # «Да.» typed by hand is still yes
    if value is None:
        raise AnswerError("Ответьте «Да» или «Нет».")
    return value


def _digits(raw: str, pattern: re.Pattern[str], message: str) -> str:
    """The number as Python reads it: groups joined, decimal comma turned into a dot."""
    text = raw.strip()
    if not pattern.fullmatch(text):
        raise AnswerError(message)
    return re.sub(r"[ \u00a0\u202f]", "", text).replace(",", ".")


def _parse_integer(question: Question, raw: str, today: date) -> int:
    value = int(_digits(raw, _INTEGER_RE, "Введите целое число цифрами, например 12."))
    _check_number(question, value)
    return value


def _parse_decimal(question: Question, raw: str, today: date) -> float:
    value = float(_digits(raw, _DECIMAL_RE, "Введите число цифрами, например 12 или 12,5."))
    _check_number(question, value)
    return value


def _parse_percent(question: Question, raw: str, today: date) -> float:
    message = "Введите процент числом от 0 до 100, например 85 или 85,5."
    value = float(_digits(re.sub(r"\s*%$", "", raw.strip()), _DECIMAL_RE, message))
    if not 0 <= value <= 100:
        raise AnswerError("Процент должен быть от 0 до 100.")
    _check_number(question, value)
    return value


def _parse_text(question: Question, raw: str, today: date) -> str:
    value = raw.strip()
    if not value:
        raise AnswerError("Ответ не может быть пустым.")
    _check_string(question, value)
    return value


def _parse_url(question: Question, raw: str, today: date) -> str:
    value = raw.strip()
    example = "например https://vk.com/club12345"
    if not value:
        raise AnswerError(f"Пришлите ссылку, {example}.")
    if any(char.isspace() for char in value):
        raise AnswerError(f"В ссылке не должно быть пробелов. Пришлите одну ссылку, {example}.")
    if "://" not in value:
        value = f"https://{value}"  # officers often type «vk.com/…» without the scheme
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not _valid_host(parts.netloc):
        raise AnswerError(f"Это не похоже на адрес сайта. Пришлите ссылку, {example}.")
    value = urlunsplit(parts._replace(netloc=parts.netloc.lower()))
    _check_string(question, value)
    return value


def _valid_host(netloc: str) -> bool:
    # Exactly host[:port]: a user:password@ part only ever disguises where a link really goes.
    host, _, port = netloc.partition(":")
    return bool(_HOST_RE.fullmatch(host)) and (port == "" or (port.isdigit() and len(port) <= 5))


def _parse_date(question: Question, raw: str, today: date) -> str:
    example = today.strftime("%d.%m.%Y")
    match = _DATE_RE.fullmatch(raw.strip())
    if match is None:
        raise AnswerError(f"Введите дату в виде ДД.ММ.ГГГГ, например {example}.")
    day, month, year = (int(group) for group in match.groups())
    try:
        value = date(year, month, day)
    except ValueError:
        raise AnswerError(f"Такой даты нет: {raw.strip()}. Проверьте день и месяц.") from None
    if value > today:
        raise AnswerError(f"Дата не может быть позже сегодняшней ({example}).")
    return value.isoformat()


def _parse_select_one(question: Question, raw: str, today: date) -> str:
    return choose(question, _typed_choice(question, raw))


def _parse_select_multiple(question: Question, raw: str, today: date) -> list[str]:
    typed = [part for part in re.split(r"[,;\n]", raw) if part.strip()]
    return validate_selection(question, [_typed_choice(question, part) for part in typed])


def _typed_choice(question: Question, typed: str) -> str:
    """A choice id from its id or label typed instead of pressing the button."""
    folded = typed.strip().casefold()
    found = (c.id for c in question.options if folded in (c.id, c.label.casefold()))
    return next(found, typed.strip())


_PARSERS: Final[dict[QuestionType, Callable[[Question, str, date], Answer]]] = {
    QuestionType.YES_NO: _parse_yes_no,
    QuestionType.SELECT_ONE: _parse_select_one,
    QuestionType.SELECT_MULTIPLE: _parse_select_multiple,
    QuestionType.INTEGER: _parse_integer,
    QuestionType.DECIMAL: _parse_decimal,
    QuestionType.PERCENT: _parse_percent,
    QuestionType.TEXT: _parse_text,
    QuestionType.URL: _parse_url,
    QuestionType.DATE: _parse_date,
}


def _check_number(question: Question, value: float) -> None:
    rules = question.validation
    if rules.min and value < rules.min.value:
        raise AnswerError(rules.min.message)
    if rules.max and value > rules.max.value:
        raise AnswerError(rules.max.message)


def _check_string(question: Question, value: str) -> None:
    rules = question.validation
    limit = rules.max_length
    if limit is None and len(value) > TEXT_MAX_LENGTH:
        raise AnswerError(f"Слишком длинный ответ: не больше {TEXT_MAX_LENGTH} символов.")
    if limit is not None and len(value) > limit.value:
        raise AnswerError(limit.message)
    # search, not fullmatch: the author anchors the pattern with ^…$ where that is meant.
    if rules.regex and not re.search(rules.regex.pattern, value):
        raise AnswerError(rules.regex.message)


# ---------------------------------------------------------------------------------------------
# Relevance and navigation


def is_relevant(question: Question, answers: Mapping[str, Any], level: str) -> bool:
    """All conditions hold; `answers` must already leave out hidden questions' answers."""
    return all(condition.holds(answers, level) for condition in question.relevant)


def _walk(
    q: Questionnaire, answers: Mapping[str, Any], level: str
) -> tuple[list[Question], dict[str, Any]]:
    """The shown questions in order, and the answers that count (those of shown questions)."""
    shown: list[Question] = []
    counted: dict[str, Any] = {}
    for question in q.questions:
        if is_relevant(question, counted, level):
            shown.append(question)
            if question.id in answers:
                counted[question.id] = answers[question.id]
    return shown, counted


def relevant_questions(q: Questionnaire, answers: Mapping[str, Any], level: str) -> list[Question]:
    """The questions shown to this organisation now, notes included, in order."""
    return _walk(q, answers, level)[0]


def effective_answers(q: Questionnaire, answers: Mapping[str, Any], level: str) -> dict[str, Any]:
    """The stored answers that count: those of questions that are shown now."""
    return _walk(q, answers, level)[1]


def _asked(q: Questionnaire, answers: Mapping[str, Any], level: str) -> list[Question]:
    return [question for question in relevant_questions(q, answers, level) if question.answerable]


# An answerable question is due while it has no stored answer (a skip stores None). A note is
# due while the first question it leads to is unanswered, so a resumed chat does not repeat
# notes it has passed. If nothing is due after `after`, the search wraps round to the start:
# None then really means «everything shown is answered», time for the review screen.
def next_question(
    q: Questionnaire, answers: Mapping[str, Any], level: str, after: str | None = None
) -> Question | None:
    """The next item to show after `after` (or from the start); None when all is answered."""
    shown = relevant_questions(q, answers, level)
    start = 0 if after is None else q.index(after) + 1
    split = next((n for n, item in enumerate(shown) if q.index(item.id) >= start), len(shown))
    order = [*range(split, len(shown)), *range(split)]
    return next((shown[n] for n in order if _due(shown, n, answers)), None)


def _due(shown: Sequence[Question], number: int, answers: Mapping[str, Any]) -> bool:
    item = shown[number]
    if item.answerable:
        return item.id not in answers
    upcoming = next((later for later in shown[number + 1 :] if later.answerable), None)
    return upcoming is not None and upcoming.id not in answers


def previous_question(
    q: Questionnaire, answers: Mapping[str, Any], level: str, current: str | None = None
) -> Question | None:
    """For «Назад»: the shown question before `current` (None: the last one), notes passed over."""
    asked = _asked(q, answers, level)
    if current is not None:
        end = q.index(current)
        asked = [question for question in asked if q.index(question.id) < end]
    return asked[-1] if asked else None


def _possible(q: Questionnaire, answers: Mapping[str, Any], level: str) -> list[Question]:
    """The questions shown now and those that may still be shown: a condition on a question
    not answered yet (that may itself be shown) is open, not false."""
    counted = effective_answers(q, answers, level)
    possible: set[str] = set()
    result = []
    for question in q.questions:
        if all(
            (
                isinstance(condition, AnswerCondition)
                and condition.question not in answers
                and condition.question in possible
            )
            or condition.holds(counted, level)
            for condition in question.relevant
        ):
            possible.add(question.id)
            result.append(question)
    return result


def position(
    q: Questionnaire, answers: Mapping[str, Any], level: str, question_id: str
) -> tuple[int, int]:
    """(n, total) for «Вопрос n из total», without notes: n among the questions shown now,
    total of those that are or may still be shown, so the total never grows as answers open
    follow-up questions; it shrinks as answers close them."""
    asked = _asked(q, answers, level)
    total = sum(question.answerable for question in _possible(q, answers, level))
    for number, question in enumerate(asked, 1):
        if question.id == question_id:
            return number, total
    raise ValueError(f"question {question_id!r} is not asked now")


def review(q: Questionnaire, answers: Mapping[str, Any], level: str) -> list[tuple[Question, Any]]:
    """The shown questions (no notes) with their answers, None where skipped, for the summary."""
    return [(question, answers.get(question.id)) for question in _asked(q, answers, level)]


def missing_required(q: Questionnaire, answers: Mapping[str, Any], level: str) -> list[Question]:
    """Shown required questions without an answer; answers of hidden questions do not count."""
    return [
        question
        for question in _asked(q, answers, level)
        if question.is_required and answers.get(question.id) is None
    ]


# ---------------------------------------------------------------------------------------------
# Display and the index

_RU_NUMBER: Final = str.maketrans({",": " ", ".": ","})


def _number(value: float) -> str:
    """12 → «12», 1234.5 → «1 234,5»: Russian separators, no trailing «,0»."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}".translate(_RU_NUMBER)


def format_answer(question: Question, value: Any) -> str:
    """An answer as the officer reads it on the review screen."""
    if value is None:
        return SKIPPED_TEXT
    kind = question.type
    if kind is QuestionType.YES_NO:
        return "Да" if value else "Нет"
    if kind in SELECT_TYPES:
        ids = value if isinstance(value, list) else [value]
        return ", ".join(_label(question, choice_id) for choice_id in ids)
    if kind in NUMBER_TYPES and _is_number(value):
        return f"{_number(value)} %" if kind is QuestionType.PERCENT else _number(value)
    if kind is QuestionType.DATE and _is_iso_date(value):
        return date.fromisoformat(value).strftime("%d.%m.%Y")
    return str(value)


def _label(question: Question, choice_id: str) -> str:
    choice = question.choice(choice_id)
    return choice.label if choice else str(choice_id)  # a choice gone in a later version


# The index is deliberately simple so an officer can check it by hand. Each shown question
# contributes: yes_no — its weight for «Да»; percent — weight × value / 100; integer, decimal —
# the weight when the value is above 0 (something was done); text, url, date — the weight when
# answered; select_one — the chosen choice's weight; select_multiple — the sum over the chosen
# choices. Skipped, unanswered and hidden questions give 0.
def score(q: Questionnaire, answers: Mapping[str, Any], level: str) -> float:
    """The information-work index: the sum of the shown answers' weighted contributions."""
    shown, counted = _walk(q, answers, level)
    return sum((_contribution(item, counted.get(item.id)) for item in shown), 0.0)


def _contribution(question: Question, value: Any) -> float:
    kind = question.type
    if value is None or not question.answerable:
        return 0.0
    if kind in SELECT_TYPES:
        ids = value if isinstance(value, list) else [value]
        return sum((choice.weight for choice in question.options if choice.id in ids), 0.0)
    if kind is QuestionType.YES_NO:
        return question.weight if value is True else 0.0
    if kind is QuestionType.PERCENT and _is_number(value):
        return question.weight * value / 100
    if kind in NUMBER_TYPES:
        return question.weight if _is_number(value) and value > 0 else 0.0
    return question.weight
