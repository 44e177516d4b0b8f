"""Shipped policies resolved and compiled without a database, and households built for boundary tests."""

import datetime as dt
from typing import Any

from services.eligibility.policies.engine import CompiledPolicy, Outcome, resolve
from services.eligibility.policies.service import shipped_documents
from services.eligibility.rules.inputs import HouseholdBatch, normalise
from services.eligibility.schemas import Explanation

AS_OF = dt.date(2026, 11, 1)


def shipped(code: str) -> CompiledPolicy:
    documents = {document.code: document for document in shipped_documents()}
    document = documents[code]
    base = documents[document.extends] if document.extends else None
    return CompiledPolicy(resolve(document, base))


def born(age: int, on: dt.date = AS_OF) -> str:
    """A birth date that makes the person exactly `age` on `on` (birthday today)."""
    return on.replace(year=on.year - age).isoformat()


def member(age: int, sex: str = "male", labour: str = "normal", **extra: Any) -> dict[str, Any]:
    return {"birth_date": born(age), "sex": sex, "labour_capacity": labour, **extra}


def household(income_yuan: float, *members: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return normalise(
        {"per_capita_net_income_fen": round(income_yuan * 100), "members": list(members), **extra}
    )


def assess(policy: CompiledPolicy, facts: dict[str, Any], on: dt.date = AS_OF) -> Outcome:
    return policy.evaluate(HouseholdBatch.from_facts([facts]), on).outcome(0)


def explain(policy: CompiledPolicy, facts: dict[str, Any], on: dt.date = AS_OF) -> Explanation:
    evaluation = policy.evaluate(HouseholdBatch.from_facts([facts]), on)
    return policy.explain(evaluation.outcome(0), evaluation.frame, "test")


def rule(policy: CompiledPolicy, outcome: Outcome, rule_id: str) -> bool:
    ids = [definition.id for definition in policy.document.rules]
    return outcome.rules[ids.index(rule_id)]


def program(policy: CompiledPolicy, outcome: Outcome, code: str) -> tuple[bool, int]:
    assert policy.document.outcome is not None
    codes = [definition.code for definition in policy.document.outcome.programs]
    index = codes.index(code)
    return outcome.programs[index], outcome.quantities[index]
