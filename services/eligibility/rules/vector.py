"""The numpy back end of the rule language: a checked expression over a batch of households at once.

A household-scope value is one array element per household, a member-scope value one per member
(`batch.owner` maps members to households), a const-scope value a plain Python value.
rules/relational.py is the SQL back end; both must give the same results (tested).
"""

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from services.eligibility.rules.expressions import FLOAT, INT, Node, Program
from services.eligibility.rules.inputs import HouseholdBatch


@dataclass
class Frame:
    """What an evaluation sees: a batch of households, the date, parameter values, earlier rules."""

    batch: HouseholdBatch
    as_of: dt.date
    params: Mapping[str, Any]
    rules: dict[str, npt.NDArray[np.bool_]] = field(default_factory=dict)
    _columns: dict[str, npt.NDArray[Any]] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return self.batch.size

    def household(self, name: str) -> npt.NDArray[Any]:
        key = "h." + name
        if key not in self._columns:
            self._columns[key] = self.batch.household_column(name, self.as_of)
        return self._columns[key]

    def member(self, name: str) -> npt.NDArray[Any]:
        key = "m." + name
        if key not in self._columns:
            self._columns[key] = self.batch.member_column(name, self.as_of)
        return self._columns[key]


def run(program: Program, frame: Frame) -> None:
    """Evaluate every definition in order into `frame.rules` (one array per definition)."""
    for name, node in program.definitions:
        frame.rules[name] = evaluate(node, frame)


def evaluate(node: Node, frame: Frame) -> npt.NDArray[Any]:
    """One value per household of the frame."""
    with np.errstate(all="ignore"):
        value = _run(node, frame)
    if node.scope == "const":
        return np.full(frame.size, value)
    return np.asarray(value)


def _code(vocabulary: tuple[str, ...], value: str) -> int:
    return vocabulary.index(value) + 1 if value in vocabulary else -1


def _operand(node: Node, frame: Frame, scope: str) -> Any:
    """`node`'s value in a scope at least as wide: a household value is repeated for each member."""
    value = _run(node, frame)
    if node.scope == "household" and scope == "member":
        return value[frame.batch.owner]
    return value


def _operands(node: Node, frame: Frame) -> list[Any]:
    return [_operand(arg, frame, node.scope) for arg in node.args]


_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.true_divide,
    "//": np.floor_divide,
    "%": np.remainder,
}
_ORDER: dict[str, Callable[[Any, Any], Any]] = {
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
    "==": np.equal,
    "!=": np.not_equal,
}


def _run(node: Node, frame: Frame) -> Any:
    op = node.op
    if op == "const":
        return list(node.value) if isinstance(node.value, tuple) else node.value
    if op == "param":
        value = frame.params[node.value]
        if node.type == FLOAT:
            return float(value)
        return [float(item) for item in value] if node.type.item == "float" else value
    if op == "year":
        return frame.as_of.year
    if op == "household":
        return frame.household(node.value)
    if op == "member":
        return frame.member(node.value)
    if op == "rule":
        return frame.rules[node.value]
    if op == "code":
        return _code(node.value, _run(node.args[0], frame))
    if op == "codes":
        return [_code(node.value, item) for item in _run(node.args[0], frame)]
    if op == "aggregate":
        return _aggregate(node, frame)
    if op == "first":
        return _first(node, frame)
    if op == "bands":
        return _bands(node, frame)
    if op == "lookup":
        return np.asarray(node.value, np.int64)[np.asarray(_run(node.args[0], frame)).astype(np.int64)]
    args = _operands(node, frame)
    if op == "not":
        return np.logical_not(args[0])
    if op == "neg":
        return np.negative(args[0])
    if op == "abs":
        return np.abs(args[0])
    if op == "arith":
        return _ARITHMETIC[node.value](args[0], args[1])
    if op == "compare":
        return _ORDER[node.value](args[0], args[1])
    if op == "in":
        return np.isin(args[0], args[1], invert=node.value)
    if op == "if":
        return np.where(args[0], args[1], args[2])
    if op in ("and", "or", "min", "max"):
        combine = {"and": np.logical_and, "or": np.logical_or, "min": np.minimum, "max": np.maximum}[op]
        result = args[0]
        for other in args[1:]:
            result = combine(result, other)
        return result
    raise AssertionError(f"unknown operation {op}")


def _aggregate(node: Node, frame: Frame) -> Any:
    owner = frame.batch.owner
    members = len(owner)
    element, *conditions = node.args
    values = _operand(element, frame, "member")
    if element.scope == "const":
        values = np.full(members, values)
    selected = np.ones(members, bool)
    for condition in conditions:
        selected = np.logical_and(selected, np.broadcast_to(_operand(condition, frame, "member"), (members,)))
    name = node.value
    if name == "all":
        failing = np.logical_and(selected, np.logical_not(values))
        return np.bincount(owner, weights=failing, minlength=frame.size) == 0
    if name == "sum":
        if node.type == INT:
            # Whole numbers are summed exactly: running totals per household, members being contiguous.
            totals = np.concatenate([[0], np.cumsum(np.where(selected, values, 0).astype(np.int64))])
            counts = np.bincount(owner, minlength=frame.size)
            ends = np.cumsum(counts)
            return totals[ends] - totals[ends - counts]
        return np.bincount(owner, weights=np.where(selected, values, 0.0), minlength=frame.size)
    counts = np.bincount(owner, weights=np.logical_and(selected, values), minlength=frame.size)
    return counts > 0 if name == "any" else np.rint(counts).astype(np.int64)


def _first(node: Node, frame: Frame) -> npt.NDArray[np.int64]:
    chosen = np.full(frame.size, len(node.args), np.int64)
    for index in range(len(node.args) - 1, -1, -1):
        chosen = np.where(evaluate(node.args[index], frame).astype(bool), index, chosen)
    return chosen


def _bands(node: Node, frame: Frame) -> npt.NDArray[np.int64]:
    bounds, last = node.value
    value = evaluate(node.args[0], frame)
    banded = np.full(frame.size, last, np.int64)
    for below, points in reversed(bounds):
        banded = np.where(value < below, points, banded)
    return banded
