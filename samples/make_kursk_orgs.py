"""Generate `kursk_orgs.csv`, the demo directory of the Kursk regional organisation.

Deterministic (no randomness): running it again reproduces the committed file byte for byte.
Usage: python samples/make_kursk_orgs.py
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

OUTPUT = Path(__file__).with_name("kursk_orgs.csv")
REGIONAL_CODE = "46"  # the region's number
REGIONAL_NAME = (
    "Курская областная организация Профессионального союза работников "
    "народного образования и науки РФ"
)
# Primary organisations reporting directly to the regional one («областного подчинения»)
# get the pseudo-territory 00 in their codes.
DIRECT_TERRITORY = "00"
DIRECT_PRIMARIES = [
    "Курского государственного университета",
    "Юго-Западного государственного университета",
    "Курского института развития образования",
    "Курского педагогического колледжа",
    "Рыльского социально-педагогического колледжа",
    "Курского государственного политехнического колледжа",
    "Курского монтажного техникума",
    "Курского автотехнического колледжа",
    "Железногорского горно-металлургического колледжа",
    "Курского электромеханического техникума",
]

# Municipal districts: the district's adjective and the stems of its rural schools (the
# first one is the school of the district centre). Schools are plausible, not the register.
DISTRICTS: list[tuple[str, list[str]]] = [
    ("Беловский", ["Беловская", "Белицкая", "Вишнёвская", "Гирьянская", "Песчанская"]),
    (
        "Большесолдатский",
        ["Большесолдатская", "Любимовская", "Волоконская", "Скороднянская", "Розгребельская"],
    ),
    ("Глушковский", ["Глушковская", "Тёткинская", "Званновская", "Веселовская", "Кобыльская"]),
    ("Горшеченский", ["Горшеченская", "Удобенская", "Быстрецкая", "Никольская", "Ясеновская"]),
    (
        "Дмитриевский",
        ["Дмитриевская", "Фатеевская", "Крупецкая", "Первоавгустовская", "Березовская"],
    ),
    (
        "Железногорский",
        ["Михайловская", "Разветьевская", "Линецкая", "Погарщинская", "Волковская"],
    ),
    ("Золотухинский", ["Золотухинская", "Свободинская", "Будановская", "Донская", "Апальковская"]),
    ("Касторенский", ["Касторенская", "Олымская", "Лачиновская", "Егорьевская", "Ожогинская"]),
    ("Конышёвский", ["Конышёвская", "Беляевская", "Машкинская", "Захарковская", "Прилепская"]),
    ("Кореневский", ["Кореневская", "Толпинская", "Снагостская", "Комаровская", "Пушкарская"]),
    ("Курский", ["Полевская", "Косиновская", "Клюквинская", "Беседенская", "Ворошневская"]),
    ("Курчатовский", ["Иванинская", "Дичнянская", "Макаровская", "Колпаковская", "Чаплыгинская"]),
    ("Льговский", ["Банищанская", "Ольшанская", "Колонтаевская", "Густомойская", "Шерекинская"]),
    ("Мантуровский", ["Мантуровская", "Пузачинская", "Ястребовская", "Сейменская", "Кривецкая"]),
    ("Медвенский", ["Медвенская", "Паникинская", "Верхнереутчанская", "Спасская", "Амосовская"]),
    (
        "Обоянский",
        ["Обоянская", "Рыбинобудская", "Полукотельниковская", "Афанасьевская", "Зоринская"],
    ),
    (
        "Октябрьский",
        ["Прямицынская", "Дьяконовская", "Черницынская", "Анахинская", "Большедолженковская"],
    ),
    (
        "Поныровский",
        ["Поныровская", "Ольховатская", "Верхнесмородинская", "Возовская", "Первомайская"],
    ),
    ("Пристенский", ["Пристенская", "Кировская", "Бобрышевская", "Котовская", "Черновецкая"]),
    ("Рыльский", ["Рыльская", "Ивановская", "Крупецкая", "Локотская", "Степановская"]),
    ("Советский", ["Кшенская", "Волжанская", "Мансуровская", "Крестищенская", "Ледовская"]),
    ("Солнцевский", ["Солнцевская", "Бунинская", "Шумаковская", "Субботинская", "Доброводская"]),
    ("Суджанский", ["Суджанская", "Гончаровская", "Махновская", "Плеховская", "Малолокнянская"]),
    ("Тимский", ["Тимская", "Волобуевская", "Рогозецкая", "Погоженская", "Успенская"]),
    ("Фатежский", ["Фатежская", "Миленинская", "Верхнелюбажская", "Молотычевская", "Шуклинская"]),
    (
        "Хомутовский",
        ["Хомутовская", "Калиновская", "Гламаздинская", "Сковородневская", "Подлесновская"],
    ),
    (
        "Черемисиновский",
        ["Черемисиновская", "Петровская", "Покровская", "Михайловская", "Русановская"],
    ),
    (
        "Щигровский",
        ["Охочевская", "Пригородненская", "Вышнеольховатская", "Косоржанская", "Теребужская"],
    ),
]
KINDERGARTEN_NAMES = [
    "Солнышко",
    "Колокольчик",
    "Ромашка",
    "Берёзка",
    "Сказка",
    "Теремок",
    "Улыбка",
    "Радуга",
    "Ласточка",
    "Золотой ключик",
    "Родничок",
    "Алёнушка",
    "Светлячок",
]


@dataclass(frozen=True)
class City:
    """A city with its own territorial organisation and its schools and kindergartens."""

    adjective: str  # feminine, for «… городская организация»
    genitive: str  # for «г. Курска»
    school_form: str  # legal form abbreviation of its schools
    schools: list[str]  # «Средняя общеобразовательная школа № 5», «Гимназия № 4», …
    kindergartens: list[int]
    extra: list[str] = field(default_factory=list)  # additional education, full names


def _numbered(kind: str, numbers: range | list[int]) -> list[str]:
    return [f"{kind} № {number}" for number in numbers]


SCHOOL = "Средняя общеобразовательная школа"
KURSK_SPECIAL = {4: "Гимназия", 25: "Гимназия", 44: "Гимназия", 6: "Лицей", 21: "Лицей"}
CITIES = [
    City(
        adjective="Курская",
        genitive="Курска",
        school_form="МБОУ",
        schools=[f"{KURSK_SPECIAL.get(n, SCHOOL)} № {n}" for n in range(1, 61)],
        kindergartens=list(range(2, 150, 4)),
        extra=[
            "МБУ ДО «Дворец пионеров и школьников г. Курска»",
            "МБУ ДО «Центр детского творчества» г. Курска",
        ],
    ),
    City(
        adjective="Железногорская",
        genitive="Железногорска",
        school_form="МОУ",
        schools=_numbered(SCHOOL, range(1, 13)),
        kindergartens=list(range(1, 21, 2)),
        extra=["МБУ ДО «Дом детского творчества» г. Железногорска"],
    ),
    City("Курчатовская", "Курчатова", "МКОУ", _numbered(SCHOOL, range(1, 7)), [1, 3, 5, 7, 9]),
    City("Льговская", "Льгова", "МОУ", _numbered(SCHOOL, range(1, 5)), [2, 4, 6]),
    City("Щигровская", "Щигры", "МКОУ", _numbered(SCHOOL, range(1, 4)), [1, 2]),
]

Row = tuple[str, str, str, str]


def _district_primaries(index: int, adjective: str, stems: list[str]) -> Iterator[str]:
    """Rural schools, two kindergartens and, in every other district, a house of creativity."""
    genitive = adjective[:-2] + "ого района"  # Беловский → Беловского района
    for number, stem in enumerate(stems):
        kind = "средняя" if number % 2 == 0 else "основная"
        yield f"МКОУ «{stem} {kind} общеобразовательная школа» {genitive}"
    for number in range(2):
        nickname = KINDERGARTEN_NAMES[(2 * index + number) % len(KINDERGARTEN_NAMES)]
        yield f"МКДОУ «Детский сад «{nickname}»» {genitive}"
    if index % 2 == 0:
        yield f"МКУ ДО «Дом детского творчества» {genitive}"


def _city_primaries(city: City) -> Iterator[str]:
    for school in city.schools:
        yield f"{city.school_form} «{school}» г. {city.genitive}"
    for number in city.kindergartens:
        kind = "Детский сад комбинированного вида" if number % 5 == 0 else "Детский сад"
        yield f"МБДОУ «{kind} № {number}» г. {city.genitive}"
    yield from city.extra


def _territory(code: str, name: str, primaries: Iterator[str]) -> Iterator[Row]:
    yield code, REGIONAL_CODE, "territorial", name
    for number, primary in enumerate(primaries, start=1):
        yield f"{code}-{number:03d}", code, "primary", primary


def rows() -> Iterator[Row]:
    """The directory in export order: regional, territories with their schools, direct ones."""
    yield REGIONAL_CODE, "", "regional", REGIONAL_NAME
    territories = [
        (
            f"{adjective[:-2]}ая районная организация Профсоюза",
            _district_primaries(index, adjective, stems),
        )
        for index, (adjective, stems) in enumerate(DISTRICTS)
    ] + [
        (f"{city.adjective} городская организация Профсоюза", _city_primaries(city))
        for city in CITIES
    ]
    for number, (name, primaries) in enumerate(territories, start=1):
        yield from _territory(f"{REGIONAL_CODE}-{number:02d}", name, primaries)
    for number, institution in enumerate(DIRECT_PRIMARIES, start=1):
        code = f"{REGIONAL_CODE}-{DIRECT_TERRITORY}-{number:03d}"
        yield code, REGIONAL_CODE, "primary", f"Первичная профсоюзная организация {institution}"


def render() -> str:
    """The CSV text: header and rows, `\n` line ends (git-friendly)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("code", "parent_code", "level", "name"))
    writer.writerows(rows())
    return buffer.getvalue()


def main() -> None:
    OUTPUT.write_text(render(), encoding="utf-8", newline="")


if __name__ == "__main__":
    main()
