"""The index, the ratings, the key indicators and the best practice, on submissions stored in a
migrated database and loaded by services.reports.data, with the default questionnaire
(questionnaires/quarterly.yaml): the expected indices are summed by hand from its weights."""

from __future__ import annotations

import pytest

from services.reports import rating
from services.reports.data import campaigns_for_report, load_report
from tests.monitoring_data import (
    ANSWERED_AT,
    Sessions,
    add_person,
    load,
    open_quarter,
    store_submission,
)

pytestmark = pytest.mark.usefixtures("directory")

# --- the case ------------------------------------------------------------------------------------

BELOVO = "Беловская районная организация Профсоюза"
KURSK = "Курская городская организация Профсоюза"

# 46-01, the Belovo territorial organisation: every kind of answer that weighs something.
TERRITORIAL = {
    "info_officer": "Петров Пётр Петрович, председатель",
    "ais_officer": None,  # skipped
    "has_site": True,
    "site_url": "https://belovo-prof.ru",
    "site_updated": "2026-03-10",
    "primary_with_pages": 5,
    "has_social_group": True,
    "social_url": "https://vk.com/belovo_prof",
    "social_updated": "2026-03-18",
    "ais_register_share": 80,
    "public_report": True,
    "public_report_url": "https://belovo-prof.ru/report-2025",
    "pr_events": ["actions", "other"],
    "pr_events_count": 3,
    "periodicals": ["moy_profsoyuz"],
    "technologies": ["video", "webinars"],
    "inform_ways": ["stand", "site", "social"],
    "comment": None,
}
# The weights of quarterly.yaml, question by question, for the answers above.
TERRITORIAL_INDEX = (
    1  # info_officer: answered, weight 1
    + 0  # ais_officer: skipped
    + 2  # has_site: «Да», weight 2
    + 0  # site_url: no weight
    + 1  # site_updated: answered, weight 1
    + 1  # primary_with_pages: 5 > 0, weight 1
    + 2  # has_social_group: «Да», weight 2
    + 1  # social_updated: answered, weight 1
    + 3 * 80 / 100  # ais_register_share: weight 3 × 80 %
    + 2  # public_report: «Да», weight 2
    + (1 + 0.5)  # pr_events: actions 1, other 0.5
    + 0  # pr_events_count: no weight
    + 1  # periodicals: moy_profsoyuz 1
    + (0.5 + 0.5)  # technologies: video 0.5, webinars 0.5
    + (0.5 + 0.5 + 0.5)  # inform_ways: three ways, 0.5 each
)  # = 17.4

# A Belovo school; the answers of hidden questions are stored but must not count.
SCHOOL = {
    "info_officer": "Сидорова Анна",
    "ais_officer": None,
    "has_site": False,
    "site_url": "https://stale.example.ru",  # hidden: has_site is «Нет»
    "site_updated": "2025-01-01",  # hidden: has_site is «Нет»
    "primary_with_pages": 9,  # hidden: only territorial organisations are asked
    "has_social_group": True,
    "social_url": "https://vk.com/school1",
    "social_updated": "2026-03-01",
    "ais_register_share": 50,
    "public_report": False,
    "pr_events": None,
    "periodicals": None,
    "technologies": None,
    "inform_ways": ["stand"],
    "comment": "Нужна помощь с сайтом",
}
SCHOOL_INDEX = 1 + 2 + 1 + 3 * 50 / 100 + 0.5  # info_officer, social group, its date,
# register 50 %, one way = 6.0

# A Kursk gymnasium.
GYMNASIUM = {
    "info_officer": None,
    "ais_officer": None,
    "has_site": True,
    "site_url": "https://gymn4-kursk.ru/prof",
    "site_updated": "2026-02-01",
    "has_social_group": False,
    "ais_register_share": 100,
    "public_report": True,
    "public_report_url": None,  # skipped: the report is on the stand
    "pr_events": None,
    "periodicals": None,
    "technologies": None,
    "inform_ways": ["stand", "site", "social", "messengers"],
    "comment": None,
}
GYMNASIUM_INDEX = 2 + 1 + 3 * 100 / 100 + 2 + 4 * 0.5  # site, its date, register, report, ways
# = 10.0


@pytest.fixture
async def quarter(session_factory: Sessions) -> int:
    """Q1 2026: Belovo's territorial organisation and two schools submitted (the schools with
    equal indices), a Kursk gymnasium submitted, a Kursk school has a draft."""
    campaign_id = await open_quarter(session_factory, 2026, 1)
    officer = await add_person(session_factory, 700001, "Анна", "Петрова")
    await store_submission(session_factory, campaign_id, "46-01", TERRITORIAL, by=officer)
    await store_submission(session_factory, campaign_id, "46-01-001", SCHOOL, by=officer)
    await store_submission(session_factory, campaign_id, "46-01-002", SCHOOL, by=officer)
    await store_submission(session_factory, campaign_id, "46-29-004", GYMNASIUM, by=officer)
    await store_submission(
        session_factory, campaign_id, "46-29-005", TERRITORIAL, by=officer, submitted=False
    )
    return campaign_id


async def test_the_index_is_the_weighted_sum_of_the_shown_answers(
    session_factory: Sessions, quarter: int
) -> None:
    dataset = await load(session_factory, quarter)
    scores = {row.org.code: row.score for row in dataset.rows_of(quarter)}
    assert scores["46-01"] == pytest.approx(TERRITORIAL_INDEX) == pytest.approx(17.4)
    assert scores["46-01-001"] == pytest.approx(SCHOOL_INDEX) == pytest.approx(6.0)
    assert scores["46-29-004"] == pytest.approx(GYMNASIUM_INDEX) == pytest.approx(10.0)
    assert scores["46-29-005"] is None  # a draft has no index, however full
    assert scores["46-01-003"] is None  # not started
    school = next(row for row in dataset.rows_of(quarter) if row.org.code == "46-01-001")
    assert "site_url" not in school.answers and "primary_with_pages" not in school.answers
    assert school.answers["ais_officer"].value is None  # a skip is kept, as a skip
    assert school.answers["comment"].by == "Анна Петрова"
    assert school.answers["comment"].at == ANSWERED_AT


async def test_organisations_rank_by_index_equal_ones_share_a_place_in_name_order(
    session_factory: Sessions, quarter: int
) -> None:
    dataset = await load(session_factory, quarter)
    ranked = [(r.rank, r.row.org.code, r.score) for r in rating.org_rating(dataset, quarter)]
    assert ranked == [
        (1, "46-01", pytest.approx(17.4)),
        (2, "46-29-004", pytest.approx(10.0)),
        # Equal: «Белицкая» comes before «Беловская» by name, and both are third.
        (3, "46-01-002", pytest.approx(6.0)),
        (3, "46-01-001", pytest.approx(6.0)),
    ]
    assert rating.org_rating(dataset, quarter) == rating.org_rating(dataset, quarter)


async def test_territories_rank_by_average_index_the_silent_ones_last(
    session_factory: Sessions, quarter: int
) -> None:
    dataset = await load(session_factory, quarter)
    territories = rating.territory_rating(dataset, quarter)
    first, second = territories[:2]
    assert (first.rank, first.group.name, first.submitted) == (1, KURSK, 1)
    assert first.average == pytest.approx(10.0)
    assert (second.rank, second.group.name, second.submitted, second.total) == (2, BELOVO, 3, 9)
    assert second.average == pytest.approx((17.4 + 6.0 + 6.0) / 3)  # 9.8
    silent = territories[2:]
    assert len(silent) == 33 - 2 + 1  # the other territories and the regional group
    assert all(t.rank is None and t.average is None and t.submitted == 0 for t in silent)
    assert silent[0].group.name == "Организации областного подчинения"  # dataset order


async def test_key_indicators_by_territory_and_for_the_region(
    session_factory: Sessions, quarter: int
) -> None:
    dataset = await load(session_factory, quarter)
    lines = {
        line.group.name if line.group else "total": line
        for line in rating.summary(dataset, quarter)
    }
    belovo, total = lines[BELOVO], lines["total"]
    assert (belovo.submitted, belovo.total) == (3, 9)
    assert belovo.share == pytest.approx(3 / 9)
    assert belovo.indicators == {
        "has_site": pytest.approx(1 / 3),
        "has_social_group": pytest.approx(3 / 3),
        "ais_register_share": pytest.approx((80 + 50 + 50) / 3),
        "public_report": pytest.approx(1 / 3),
    }
    assert belovo.average_index == pytest.approx(9.8)
    assert (total.submitted, total.total) == (4, 398)
    assert total.indicators["has_site"] == pytest.approx(2 / 4)
    assert total.indicators["has_social_group"] == pytest.approx(3 / 4)
    assert total.indicators["ais_register_share"] == pytest.approx((80 + 50 + 50 + 100) / 4)
    assert total.average_index == pytest.approx((17.4 + 6 + 6 + 10) / 4)
    silent = next(line for line in lines.values() if line.submitted == 0)
    assert silent.average_index is None
    assert set(silent.indicators.values()) == {None}
    questions = dataset.campaigns[0].questionnaire.questions
    assert [i.question.id for i in rating.key_indicators(questions)] == [
        "has_site",
        "has_social_group",
        "ais_register_share",
        "public_report",
    ]


async def test_best_practice_is_the_top_with_the_links_that_count(
    session_factory: Sessions, quarter: int
) -> None:
    dataset = await load(session_factory, quarter)
    best = rating.best_practice(dataset, quarter, size=2)
    assert [p.rated.row.org.code for p in best] == ["46-01", "46-29-004"]
    assert [(q.id, url) for q, url in best[0].links] == [
        ("site_url", "https://belovo-prof.ru"),
        ("social_url", "https://vk.com/belovo_prof"),
        ("public_report_url", "https://belovo-prof.ru/report-2025"),
    ]
    assert [(q.id, url) for q, url in best[1].links] == [
        ("site_url", "https://gymn4-kursk.ru/prof")  # the skipped report link is no link
    ]
    school = next(r for r in dataset.rows_of(quarter) if r.org.code == "46-01-001")
    assert [q.id for q, _ in rating.links(school)] == ["social_url"]  # not the hidden site


async def test_a_territory_is_rated_only_against_itself(
    session_factory: Sessions, quarter: int
) -> None:
    dataset = await load(session_factory, quarter, territory="46-01")
    assert [r.row.org.code for r in rating.org_rating(dataset, quarter)] == [
        "46-01",
        "46-01-002",
        "46-01-001",
    ]
    assert [t.group.name for t in rating.territory_rating(dataset, quarter)] == [BELOVO]
    lines = rating.summary(dataset, quarter)
    assert [line.group.name if line.group else None for line in lines] == [BELOVO, None]
    assert (lines[1].submitted, lines[1].total) == (3, 9)


async def test_campaigns_for_report_pick_the_latest_a_year_a_quarter_or_all(
    session_factory: Sessions,
) -> None:
    q4 = await open_quarter(session_factory, 2025, 4)
    q1 = await open_quarter(session_factory, 2026, 1)
    q2 = await open_quarter(session_factory, 2026, 2)
    async with session_factory() as session:
        assert await campaigns_for_report(session) == [q2]
        assert await campaigns_for_report(session, all_quarters=True) == [q4, q1, q2]
        assert await campaigns_for_report(session, 2026) == [q1, q2]
        assert await campaigns_for_report(session, 2025, 4) == [q4]
        assert await campaigns_for_report(session, 2024, 1) == []
        with pytest.raises(ValueError):
            await campaigns_for_report(session, quarter=1)


async def test_no_campaign_no_rows(session_factory: Sessions) -> None:
    async with session_factory() as session:
        assert await campaigns_for_report(session) == []
        dataset = await load_report(session, [])
    assert dataset.campaigns == () and dataset.rows == ()
    assert len(dataset.orgs) == 398  # the directory is there all the same


async def test_a_primary_is_not_a_territory(session_factory: Sessions, quarter: int) -> None:
    with pytest.raises(ValueError):
        await load(session_factory, quarter, territory="46-01-001")
