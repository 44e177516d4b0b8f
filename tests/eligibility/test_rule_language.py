"""The rule language: sandboxed, type-checked before publishing, and the same result one by one or in bulk."""

import datetime as dt
import re

import pytest

from services.eligibility.policies.engine import CompiledPolicy, PolicyInvalid
from services.eligibility.rules.expressions import (
    BOOL,
    INT,
    Environment,
    ExpressionError,
    Type,
    compile_expression,
)
from services.eligibility.rules.inputs import HouseholdBatch
from services.eligibility.rules.vector import Frame, evaluate
from services.eligibility.schemas import PolicyDocument
from tests.eligibility.policies import AS_OF, household, member, shipped

ENV = Environment({"line": INT, "grades": Type("list", item="str"), "flag": BOOL}, frozenset({"earlier"}))


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("household.income < 3", "unknown variable 'household.income'"),
        ("household.per_capita_net_income_fen < params.nope", "missing parameter 'params.nope'"),
        ("rules.later", "unknown rule 'rules.later'"),
        ("household.per_capita_net_income_fen < 'x'", "cannot compare int with str"),
        ("household.dibao + 1 > 0", "'+' needs numbers, not bool"),
        ("household.member_count and household.dibao", "'and' / 'or' need yes/no values, not int"),
        ("household.housing_safety_grade == 'E'", "'E' is not one of A, B, C, D"),
        ("household.per_capita_net_income_fen", "the result must be bool, not int"),
        ("m.age > 3", "unknown variable 'm.age'"),
        ("any(m.age for m in household.members)", "any() needs a yes/no condition, not int"),
        ("__import__('os').system('true')", "only any, all, count, sum, min, max and abs may be called"),
        ("__import__('os')", "unknown function '__import__'"),
        ("household.__class__", "names starting with '_' are not allowed"),
        ("(lambda: True)()", "only any, all, count, sum, min, max and abs may be called"),
        ("[m for m in household.members] == []", "ListComp is not allowed in a rule"),
        ("household.members[0].age > 3", "attributes may only follow a name"),
        ("params.grades[0] == 'A'", "Subscript is not allowed in a rule"),
        ("open('x').read() == ''", "only any, all, count, sum, min, max and abs may be called"),
        ("household.dibao if household.dibao else 1", "both branches of 'if' must have one type"),
        ("1 +", "syntax error"),
    ],
)
def test_bad_expressions_are_refused_with_a_clear_message(source: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=re.escape(message)):
        compile_expression(source, ENV, ("bool",))


def test_long_expressions_are_refused() -> None:
    with pytest.raises(ExpressionError, match="longer than"):
        compile_expression(" or ".join(["household.dibao"] * 200), ENV, ("bool",))


def test_aggregates_over_members() -> None:
    facts = [
        household(1000, member(70, labour="lost"), member(40), member(10, labour="none")),
        household(1000, member(30, "female")),
        household(1000),  # no members at all
    ]
    frame = Frame(HouseholdBatch.from_facts(facts), AS_OF, {"line": 60})
    cases = {
        "count(m.age >= params.line for m in household.members)": [1, 0, 0],
        "sum(m.age for m in household.members if m.sex == 'male')": [120, 0, 0],
        "any(m.labour_capacity == 'lost' for m in household.members)": [True, False, False],
        "all(m.age >= 18 for m in household.members)": [False, True, True],
        "count(m for m in household.members if m.age < 18 or m.age >= 60)": [2, 0, 0],
    }
    for source, expected in cases.items():
        compiled = compile_expression(source, Environment({"line": INT}, frozenset()), ("int", "bool"))
        assert evaluate(compiled.node, frame).tolist() == expected, source


def test_age_is_full_years_on_the_assessment_date() -> None:
    facts = [household(1000, {"birth_date": "2010-11-01", "sex": "male", "labour_capacity": "none"})]
    compiled = compile_expression("any(m.age == 16 for m in household.members)", ENV, ("bool",))
    batch = HouseholdBatch.from_facts(facts)
    assert evaluate(compiled.node, Frame(batch, dt.date(2026, 11, 1), {})).tolist() == [True]
    assert evaluate(compiled.node, Frame(batch, dt.date(2026, 10, 31), {})).tolist() == [False]


def national_document(**changes: object) -> PolicyDocument:
    document = shipped("cn-national").document.model_dump()
    document.update(changes)
    return PolicyDocument.model_validate(document)


def test_a_policy_reports_every_problem_at_once() -> None:
    document = national_document()
    document.rules[0].expression = "household.per_capita_net_income_fen < params.poverty_line"
    document.rules[1].expression = "household.no_such_thing"
    del document.parameters["score_weight_income"]
    with pytest.raises(PolicyInvalid) as raised:
        CompiledPolicy(document)
    messages = {(problem.location, problem.message) for problem in raised.value.problems}
    assert (
        "rules[0] (income_below_line)",
        "missing parameter 'params.poverty_line': the policy does not define it",
    ) in messages
    assert ("rules[1] (has_labour)", "unknown variable 'household.no_such_thing'") in messages
    assert any(location.endswith(".weight") for location, _ in messages)


def test_weights_must_add_up_to_100_and_parameters_be_in_force() -> None:
    document = national_document()
    document.parameters["score_weight_income"].values[dt.date(2011, 1, 1)] = 41
    document.parameters["labour_age_min"].values = {dt.date(2012, 1, 1): 16}
    with pytest.raises(PolicyInvalid) as raised:
        CompiledPolicy(document)
    messages = [problem.message for problem in raised.value.problems]
    assert "weights add up to 101 on 2011-01-01, not 100" in messages
    assert "no value in force on the policy's effective date 2011-01-01" in messages


def test_text_parameter_compared_with_an_enum_must_be_one_of_its_values() -> None:
    document = national_document()
    document.parameters["safe_housing_grades"].values[dt.date(2011, 1, 1)] = ["A", "Z"]
    with pytest.raises(PolicyInvalid, match="'Z' is not one of A, B, C, D"):
        CompiledPolicy(document)


def test_one_household_alone_gives_the_same_result_as_within_a_batch() -> None:
    policy = shipped("gz-dejiang")
    people = [
        member(age, sex, labour)
        for age in (5, 17, 40, 58, 63, 70)
        for sex in ("male", "female")
        for labour in ("normal", "lost")
    ]
    batch_facts = [
        household(income, *people[i % 20 : i % 20 + 3]) for i, income in enumerate(range(500, 6000, 250))
    ]
    together = policy.evaluate(HouseholdBatch.from_facts(batch_facts), AS_OF)
    for index, facts in enumerate(batch_facts):
        alone = policy.evaluate(HouseholdBatch.from_facts([facts]), AS_OF)
        assert alone.outcome(0) == together.outcome(index)
