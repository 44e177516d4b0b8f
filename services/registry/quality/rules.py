"""Data-quality rules (001 [K]: 项目不漏、数据不缺、程序不乱; no incomplete, inconsistent or
contradictory records), each a set-based query: one INSERT … SELECT per rule over a whole region.

A rule yields (household, village, member or none, what was observed). Ages are judged on the run's
date in full years, with the tolerances in the parameters; exact duplicate ID numbers cannot be stored
(a unique index refuses them), so the duplicate rule looks for the same person under two numbers.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Uuid,
    and_,
    cast,
    exists,
    extract,
    false,
    func,
    literal,
    null,
    or_,
    select,
)
from sqlalchemy.orm import QueryableAttribute, aliased

from services.registry.measures.repository import in_force
from services.registry.models import AssessmentView, Division, HelpMeasure, Household, Member, Pairing
from services.registry.parameters.service import AgeSpan
from services.registry.vocabulary import HouseholdCategory, SchoolingStage

H, M = Household, Member
Expr = ColumnElement[Any] | QueryableAttribute[Any]
Query = Select[*tuple[Any, ...]]
HELPED = ("registered", "exited")


@dataclass(frozen=True)
class Context:
    low: str
    high: str
    county_low: str
    county_high: str
    today: dt.date
    schooling_ages: dict[SchoolingStage, tuple[int, int]]
    compulsory_ages: AgeSpan
    parent_child_gap: int
    min_income_measures: int

    def in_region(self) -> ColumnElement[bool]:
        return H.village_code.between(self.low, self.high)

    def born_by(self, years: int) -> dt.date:
        """The latest birth date of someone at least `years` old today."""
        try:
            return self.today.replace(year=self.today.year - years)
        except ValueError:  # 29 February
            return self.today.replace(year=self.today.year - years, day=28)

    def aged(self, column: Expr, low: int, high: int) -> ColumnElement[bool]:
        """`column` (a birth date) makes someone aged low..high in full years today, both included."""
        return and_(column <= self.born_by(low), column > self.born_by(high + 1))


NO_MEMBER = cast(null(), Uuid())


def _household(ctx: Context, observed: Expr | None = None) -> Query:
    return select(H.id, H.village_code, NO_MEMBER, observed if observed is not None else cast(null(), String))


def no_head(ctx: Context) -> Query:
    head = exists(select(M.id).where(M.household_id == H.id, M.active.is_(True), M.relation == "head"))
    return _household(ctx).where(ctx.in_region(), ~head)


def multiple_heads(ctx: Context) -> Query:
    return (
        select(H.id, H.village_code, NO_MEMBER, cast(func.count(), String))
        .join(M, M.household_id == H.id)
        .where(ctx.in_region(), M.active.is_(True), M.relation == "head")
        .group_by(H.id, H.village_code)
        .having(func.count() > 1)
    )


def member_count_mismatch(ctx: Context) -> Query:
    counted = (
        select(M.household_id, func.count().label("members"))
        .join(H, H.id == M.household_id)
        .where(ctx.in_region(), M.active.is_(True))
        .group_by(M.household_id)
    ).subquery()
    members = func.coalesce(counted.c.members, 0)
    return (
        _household(ctx, cast(H.member_count, String) + " ≠ " + cast(members, String))
        .outerjoin(counted, counted.c.household_id == H.id)
        .where(ctx.in_region(), H.member_count != members)
    )


def _member(ctx: Context, observed: Expr) -> Query:
    return (
        select(H.id, H.village_code, M.id, observed)
        .join(M, M.household_id == H.id)
        .where(ctx.in_region(), M.active.is_(True))
    )


def schooling_age_mismatch(ctx: Context) -> Query:
    wrong = [
        and_(M.schooling_stage == stage.value, ~ctx.aged(M.birth_date, low, high))
        for stage, (low, high) in ctx.schooling_ages.items()
    ]
    return _member(ctx, M.schooling_stage).where(or_(false(), *wrong))


def education_indicator_contradicted(ctx: Context) -> Query:
    dropout = and_(
        M.dropout.is_(True), ctx.aged(M.birth_date, ctx.compulsory_ages.from_age, ctx.compulsory_ages.to_age)
    )
    return _member(ctx, literal("education_secured").cast(String)).where(
        H.education_secured.is_(True), dropout
    )


def lost_labour_but_working(ctx: Context) -> Query:
    return _member(ctx, cast(M.months_worked, String)).where(M.labour_capacity == "lost", M.months_worked > 0)


def disability_grade_mismatch(ctx: Context) -> Query:
    return _member(ctx, cast(M.disability_grade, String)).where(
        or_(
            and_(M.health == "disabled", M.disability_grade.is_(None)),
            and_(M.health.is_not(None), M.health != "disabled", M.disability_grade.is_not(None)),
        )
    )


def relation_age_inconsistent(ctx: Context) -> Query:
    head = aliased(Member)
    head_year, member_year = extract("year", head.birth_date), extract("year", M.birth_date)
    return (
        _member(ctx, M.relation)
        .join(head, and_(head.household_id == H.id, head.active.is_(True), head.relation == "head"))
        .where(
            or_(
                and_(M.relation == "child", member_year - head_year < ctx.parent_child_gap),
                and_(M.relation == "parent", head_year - member_year < ctx.parent_child_gap),
            )
        )
    )


def housing_area_zero(ctx: Context) -> Query:
    return _household(ctx).where(ctx.in_region(), H.housing_area_m2 == 0, H.relocated.is_(False))


def dibao_without_allowance(ctx: Context) -> Query:
    dibao = (HouseholdCategory.DIBAO.value, HouseholdCategory.DIBAO_POOR.value)
    return _household(ctx, H.category).where(
        ctx.in_region(), H.category.in_(dibao), H.dibao_allowance_fen == 0
    )


def allowance_exceeds_transfers(ctx: Context) -> Query:
    return _household(ctx, cast(H.dibao_allowance_fen, String) + " > " + cast(H.transfer_fen, String)).where(
        ctx.in_region(), H.dibao_allowance_fen > H.transfer_fen
    )


def exited_but_assessed_poor(ctx: Context) -> Query:
    return (
        _household(ctx, cast(H.per_capita_net_income_fen, String))
        .join(AssessmentView, AssessmentView.household_id == H.id)
        .where(ctx.in_region(), H.status == "exited", AssessmentView.poor.is_(True))
    )


def registered_without_cause(ctx: Context) -> Query:
    return _household(ctx).where(ctx.in_region(), H.status == "registered", H.main_cause.is_(None))


def helped_without_helper(ctx: Context) -> Query:
    paired = exists(select(Pairing.id).where(Pairing.household_id == H.id, Pairing.active.is_(True)))
    return _household(ctx, H.status).where(ctx.in_region(), H.status.in_(HELPED), ~paired)


def helped_without_account(ctx: Context) -> Query:
    return _household(ctx, H.status).where(
        ctx.in_region(), H.status.in_(HELPED), H.bank_account_cipher.is_(None)
    )


def too_few_income_measures(ctx: Context) -> Query:
    counted = (
        select(HelpMeasure.household_id, func.count().label("measures"))
        .where(HelpMeasure.raises_income.is_(True), in_force(ctx.today))
        .group_by(HelpMeasure.household_id)
    ).subquery()
    measures = func.coalesce(counted.c.measures, 0)
    return (
        _household(ctx, cast(measures, String))
        .outerjoin(counted, counted.c.household_id == H.id)
        .where(ctx.in_region(), H.status.in_(HELPED), measures < ctx.min_income_measures)
    )


def likely_duplicate_person(ctx: Context) -> Query:
    """One pass over the counties of the region: names and birth dates held in two households or more."""
    county = func.substr(H.village_code, 1, 6)
    shared = (
        select(M.birth_date, M.name, county.label("county"))
        .join(H, H.id == M.household_id)
        .where(H.village_code.between(ctx.county_low, ctx.county_high), M.active.is_(True))
        .group_by(M.birth_date, M.name, county)
        .having(func.count(func.distinct(M.household_id)) > 1)
    ).subquery()
    return _member(ctx, M.name).join(
        shared, and_(shared.c.birth_date == M.birth_date, shared.c.name == M.name, shared.c.county == county)
    )


def unknown_village(ctx: Context) -> Query:
    """Only where the county's division tree is loaded: a village code it does not have."""
    county_loaded = exists(
        select(Division.code).where(Division.code == func.substr(H.village_code, 1, 6) + "000000")
    )
    known = exists(select(Division.code).where(Division.code == H.village_code))
    return _household(ctx, H.village_code).where(ctx.in_region(), county_loaded, ~known)


@dataclass(frozen=True)
class Rule:
    code: str
    label_zh: str
    build: Callable[[Context], Query]


RULES = (
    Rule("no_head", "无户主", no_head),
    Rule("multiple_heads", "户主不止一人", multiple_heads),
    Rule("member_count_mismatch", "家庭人口数与成员不符", member_count_mismatch),
    Rule("schooling_age_mismatch", "在校生学段与年龄不符", schooling_age_mismatch),
    Rule(
        "education_indicator_contradicted",
        "有义务教育阶段辍学但标为义务教育有保障",
        education_indicator_contradicted,
    ),
    Rule("lost_labour_but_working", "丧失劳动力但有务工时间", lost_labour_but_working),
    Rule("disability_grade_mismatch", "残疾状况与残疾等级不符", disability_grade_mismatch),
    Rule("relation_age_inconsistent", "与户主关系和年龄矛盾", relation_age_inconsistent),
    Rule("housing_area_zero", "住房面积为0且未搬迁", housing_area_zero),
    Rule("dibao_without_allowance", "低保户无低保金", dibao_without_allowance),
    Rule("allowance_exceeds_transfers", "低保金超过转移性收入", allowance_exceeds_transfers),
    Rule("exited_but_assessed_poor", "已脱贫户收入仍低于扶贫标准", exited_but_assessed_poor),
    Rule("registered_without_cause", "贫困户无主要致贫原因", registered_without_cause),
    Rule("helped_without_helper", "未落实帮扶责任人", helped_without_helper),
    Rule("helped_without_account", "无一卡通账户", helped_without_account),
    Rule("too_few_income_measures", "增收措施不足", too_few_income_measures),
    Rule("likely_duplicate_person", "疑似重复人员(同县同名同出生日期)", likely_duplicate_person),
    Rule("unknown_village", "所在村不在行政区划中", unknown_village),
)
LABELS = {rule.code: rule.label_zh for rule in RULES}
