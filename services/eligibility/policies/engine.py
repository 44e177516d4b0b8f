"""Evaluating a policy document against a household input."""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from services.eligibility.rules.expressions import Evaluator, ExpressionError, compile_expression
from services.eligibility.schemas import PolicyDocument, RuleResult

HOUSEHOLD_FIELDS = {
    "per_capita_net_income_fen",
    "member_count",
    "housing_safety_grade",
    "status",
    "members",
}


@dataclass(frozen=True)
class Outcome:
    category: str
    poor: bool
    rules: list[RuleResult]


class CompiledPolicy:
    """A policy document with every rule compiled once; refuses documents with bad rules."""

    def __init__(self, document: PolicyDocument) -> None:
        self.document = document
        known: dict[str, set[str] | None] = {
            "household": HOUSEHOLD_FIELDS,
            "params": set(document.parameters),
            "rules": set(),
        }
        self._rules: list[tuple[str, Evaluator]] = []
        for rule in document.rules:
            try:
                self._rules.append((rule.id, compile_expression(rule.expression, known)))
            except ExpressionError as exc:
                raise ExpressionError(f"rule {rule.id}: {exc}") from exc
            known["rules"] = {*(known["rules"] or set()), rule.id}
        if document.outcome.poor_when not in {rule.id for rule in document.rules}:
            raise ExpressionError(f"outcome refers to unknown rule {document.outcome.poor_when!r}")

    def assess(self, facts: dict[str, Any]) -> Outcome:
        results: dict[str, bool] = {}
        context = {"household": facts, "params": self.document.parameters, "rules": results}
        explained = []
        for definition, (rule_id, evaluate) in zip(self.document.rules, self._rules, strict=True):
            passed = bool(evaluate(context))
            results[rule_id] = passed
            explained.append(
                RuleResult(
                    id=rule_id,
                    passed=passed,
                    reason_zh=definition.reason_true_zh if passed else definition.reason_false_zh,
                    reason_en=definition.reason_true_en if passed else definition.reason_false_en,
                )
            )
        poor = results[self.document.outcome.poor_when]
        outcome = self.document.outcome
        return Outcome(
            category=outcome.category_if_poor if poor else outcome.category_if_not_poor,
            poor=poor,
            rules=explained,
        )


def inputs_hash(facts: dict[str, Any]) -> str:
    canonical = json.dumps(facts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
