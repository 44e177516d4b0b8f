"""The four shipped policies, each against the seed text it comes from; every boundary on both sides."""

import datetime as dt
from typing import Any

import pytest

from tests.eligibility.policies import assess, explain, household, member, program, rule, shipped

NATIONAL = shipped("cn-national")
GUIZHOU = shipped("gz-dejiang")
EXTREME = shipped("gx-longan-extreme")
JIANGSU = shipped("js-wujin-low-income")


# -- seed 002 篇2: 年人均纯收入低于2300元 (低于 excludes the line); 001: nominal lines 2,800 and 3,335 --


@pytest.mark.parametrize(
    ("on", "line"), [(dt.date(2013, 12, 31), 2300), (dt.date(2014, 1, 1), 2800), (dt.date(2020, 6, 1), 3335)]
)
def test_national_line_by_year_below_is_poor_and_the_line_itself_is_not(on: dt.date, line: int) -> None:
    adult = member(40)
    below = assess(NATIONAL, household(line - 0.01, adult), on)
    at_line = assess(NATIONAL, household(line, adult), on)
    assert below.poor
    assert below.category == "general_poor"
    assert not at_line.poor
    assert at_line.category == "marginal"
    assert explain(NATIONAL, household(line, adult), on).parameters["poverty_line_fen"] == line * 100


def test_national_marginal_band_ends_below_150_percent_of_the_line() -> None:
    adult = member(40)
    assert assess(NATIONAL, household(3335 * 1.5 - 0.01, adult)).category == "marginal"
    assert assess(NATIONAL, household(3335 * 1.5, adult)).category == "not_poor"


def test_dibao_and_wubao_categories() -> None:
    adult = member(40)
    assert assess(NATIONAL, household(1000, adult, dibao=True)).category == "dibao_poor"
    assert assess(NATIONAL, household(1000, adult, wubao=True)).category == "wubao"
    assert assess(NATIONAL, household(9000, adult, dibao=True)).category == "not_poor"


# -- seed 002 篇2: 国家规定劳动年龄为男16-60岁、女16-55岁 (both ends included) ---------------------------


@pytest.mark.parametrize(
    ("age", "sex", "works"),
    [
        (16, "male", True),
        (15, "male", False),
        (60, "male", True),
        (61, "male", False),
        (55, "female", True),
        (56, "female", False),
    ],
)
def test_national_labour_ages(age: int, sex: str, works: bool) -> None:
    outcome = assess(NATIONAL, household(1000, member(age, sex)))
    assert rule(NATIONAL, outcome, "has_labour") is works
    assert outcome.degree == ("mild" if works else "severe")


def test_degree_moderate_for_partial_labour_only() -> None:
    outcome = assess(NATIONAL, household(1000, member(40, labour="partial")))
    assert outcome.degree == "moderate"


# -- seed 002 篇2 county variant: 放宽到男16-65岁、女16-60岁; 在校学生一并纳入扶贫对象 -----------------------


@pytest.mark.parametrize(
    ("age", "sex", "works"),
    [(65, "male", True), (66, "male", False), (60, "female", True), (61, "female", False)],
)
def test_guizhou_widened_labour_ages(age: int, sex: str, works: bool) -> None:
    guizhou = assess(GUIZHOU, household(1000, member(age, sex)))
    national = assess(NATIONAL, household(1000, member(age, sex)))
    assert rule(GUIZHOU, guizhou, "has_labour") is works
    assert guizhou.category == ("general_poor" if works else "dibao_poor")
    assert not rule(NATIONAL, national, "has_labour")  # all these ages are outside the national range


def test_guizhou_counts_students_as_targets() -> None:
    grandmother = member(70, "female", "lost")
    student = member(12, labour="none", schooling_stage="junior")
    assert assess(GUIZHOU, household(1000, grandmother, student)).category == "general_poor"
    assert assess(GUIZHOU, household(1000, grandmother)).category == "dibao_poor"


def test_yulu_grant_per_undergraduate_in_a_poor_family() -> None:
    family = household(1000, member(45), member(19, labour="none", schooling_stage="undergraduate"))
    assert program(GUIZHOU, assess(GUIZHOU, family), "yulu_college_grant") == (True, 1)


# -- seed 002 篇1 第四条: 极端贫困户 -----------------------------------------------------------------


@pytest.mark.parametrize(("age", "extreme"), [(18, False), (17, True), (60, False), (61, True)])
def test_extreme_poverty_no_full_labour_aged_18_to_60(age: int, extreme: bool) -> None:
    facts = household(1000, member(age), housing_safety_grade="A", housing_area_m2=100, member_count=1)
    outcome = assess(EXTREME, facts)
    assert rule(EXTREME, outcome, "no_full_labour_adult") is extreme
    assert outcome.extreme_poverty is extreme


def test_extreme_poverty_partial_labour_does_not_count_as_labour() -> None:
    facts = household(1000, member(40, labour="partial"), housing_safety_grade="A", housing_area_m2=100)
    assert assess(EXTREME, facts).extreme_poverty


@pytest.mark.parametrize(("area", "extreme"), [(26.0, True), (26.2, False)])
def test_extreme_poverty_floor_area_13_square_metres_included(area: float, extreme: bool) -> None:
    facts = household(1000, member(40), member(38, "female"), housing_safety_grade="A", housing_area_m2=area)
    outcome = assess(EXTREME, facts)
    assert rule(EXTREME, outcome, "no_sound_housing") is extreme
    assert program(EXTREME, outcome, "housing_construction_subsidy")[0] is extreme


def test_extreme_poverty_small_house_but_able_to_build_is_not_extreme() -> None:
    facts = household(
        1000, member(40), housing_safety_grade="A", housing_area_m2=10, housing_self_build_capable=True
    )
    assert not assess(EXTREME, facts).extreme_poverty


@pytest.mark.parametrize(("transfers_yuan", "extreme"), [(1000, True), (999.99, False)])
def test_extreme_poverty_no_income_besides_state_guarantees(transfers_yuan: float, extreme: bool) -> None:
    facts = household(
        1000,
        member(40),
        housing_safety_grade="A",
        housing_area_m2=100,
        transfer_income_fen=round(transfers_yuan * 100),
    )
    assert rule(EXTREME, assess(EXTREME, facts), "no_stable_income") is extreme


def test_extreme_poverty_needs_a_poor_household() -> None:
    facts = household(5000, member(70, labour="lost"), housing_safety_grade="D", housing_area_m2=5)
    assert not assess(EXTREME, facts).extreme_poverty


# -- seed 003: 年人均可支配收入低于1万元 ----------------------------------------------------------------


def test_jiangsu_low_income_line_on_disposable_income() -> None:
    adult = member(40)
    below = household(20000, adult, per_capita_disposable_income_fen=999_999)
    at_line = household(2000, adult, per_capita_disposable_income_fen=1_000_000)
    assert assess(JIANGSU, below).poor
    outcome = assess(JIANGSU, at_line)
    assert not outcome.poor  # net income 2,000 does not matter: the line is on disposable income
    assert explain(JIANGSU, at_line).rules[0].reason_zh == "人均可支配收入不低于低收入农户标准(1万元)"


def test_jiangsu_falls_back_to_net_income_when_disposable_is_not_recorded() -> None:
    assert assess(JIANGSU, household(9999.99, member(40))).poor


@pytest.mark.parametrize(("years_since", "kept"), [(2, True), (3, False)])
def test_two_years_of_benefits_after_exit(years_since: int, kept: bool) -> None:
    facts = household(20000, member(40), status="exited", exit_year=2026 - years_since)
    assert program(JIANGSU, assess(JIANGSU, facts), "post_exit_policies")[0] is kept


# -- 001: 60岁以上、未享受低保和丧失劳动能力的贫困人口直补; 一超过两不愁三保障 -------------------------------


@pytest.mark.parametrize(("age", "granted"), [(60, 1), (59, 0)])
def test_elderly_direct_subsidy_from_sixty(age: int, granted: int) -> None:
    facts = household(1000, member(age, labour="lost"), member(30))
    assert program(NATIONAL, assess(NATIONAL, facts), "elderly_direct_subsidy") == (bool(granted), granted)


def test_elderly_direct_subsidy_not_for_dibao_households() -> None:
    facts = household(1000, member(70, labour="lost"), dibao=True)
    assert program(NATIONAL, assess(NATIONAL, facts), "elderly_direct_subsidy") == (False, 0)


def assured(income_yuan: float, **changes: object) -> dict[str, Any]:
    facts = household(
        income_yuan,
        member(40, medical_insured=True),
        member(10, labour="none", schooling_stage="primary", medical_insured=True),
        status="registered",
        food_clothing_secure=True,
        housing_safety_grade="B",
        drinking_water_safe=True,
    )
    facts.update(changes)
    return facts


def test_exit_ready_needs_income_above_the_line_and_the_assurances() -> None:
    assert assess(NATIONAL, assured(3335.01)).exit_ready
    assert not assess(NATIONAL, assured(3335)).exit_ready  # 超过: the line itself is not above it
    assert not assess(NATIONAL, assured(5000, drinking_water_safe=False)).exit_ready
    assert not assess(NATIONAL, assured(5000, housing_safety_grade="C")).exit_ready
    assert not assess(NATIONAL, assured(5000, status="applicant")).exit_ready


def test_exit_blocked_by_a_compulsory_age_dropout_only() -> None:
    dropout_15 = assured(5000)
    dropout_15["members"][1].update(dropped_out=True, birth_date=member(15)["birth_date"])
    dropout_16 = assured(5000)
    dropout_16["members"][1].update(dropped_out=True, birth_date=member(16)["birth_date"])
    assert not assess(NATIONAL, dropout_15).exit_ready
    assert assess(NATIONAL, dropout_16).exit_ready


# -- the score (排队打分): explained item by item ----------------------------------------------------------


def test_score_is_the_weighted_sum_of_its_items() -> None:
    facts = household(
        1000, member(70, labour="lost", health="serious"), member(8, labour="none"), housing_safety_grade="D"
    )
    explanation = explain(NATIONAL, facts)
    assert sum(item.weight for item in explanation.score_items) == 100
    assert explanation.score == pytest.approx(sum(item.contribution for item in explanation.score_items))
    by_id = {item.id: item for item in explanation.score_items}
    assert (by_id["income"].value, by_id["income"].points) == (29, 100)  # 1,000 is 29% of 3,335
    assert (by_id["housing"].value, by_id["housing"].points) == ("D", 100)
    assert (by_id["labour"].value, by_id["labour"].points) == (0, 100)
    poorer = explain(NATIONAL, household(3000, member(40), housing_safety_grade="A"))
    assert explanation.score > poorer.score
