"""The SQL back end of the rule language: a checked program as SQLAlchemy expressions for PostgreSQL.

It gives exactly what rules/vector.py (numpy) gives, operation by operation: a float that is
not a number is NULL here (every float result goes through NULLIF(..., 'NaN') and comparisons
with it are false, `!=` true), `//` and `%` follow Python (floor, the divisor's sign, 0 by zero),
`/` by zero gives ±infinity, min and max keep numpy's choice between equal values, whole-number
sums are exact and float sums add in member order from 0.0. Both back ends are compared on random
households (tests/eligibility/test_relational_equivalence.py). Where numpy would wrap around a
64-bit integer or a float would overflow, PostgreSQL raises an error instead of a silent result.

A program is evaluated in layers over a source of projection rows (rules/inputs.py columns): a
layer computes the definitions whose inputs are ready and, in one LATERAL subquery over the
member codes (`unnest(members)`), every aggregate they need, once however often it is used.
OFFSET 0 keeps each layer a subquery, so a definition is computed once, not at each use.
"""

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Double,
    FromClause,
    Integer,
    LargeBinary,
    String,
    Subquery,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    not_,
    null,
    or_,
    select,
    true,
)

from services.eligibility.rules.expressions import BOOL, FLOAT, INT, Node, Program
from services.eligibility.rules.inputs import BIRTH_SHIFT, HOUSEHOLD, MEMBER, MEMBER_LAYOUT

NAN = float("nan")
_AGE_OFFSET = 10_000  # years added before dividing, so truncating division floors (dates are < 10**8)


def _nan() -> ColumnElement[float]:
    return literal(NAN, Double())


def _without_nan(value: ColumnElement[Any]) -> ColumnElement[float]:
    return func.nullif(value, _nan(), type_=Double())


def _double(value: ColumnElement[Any]) -> ColumnElement[float]:
    return cast(value, Double())


def _int(value: int) -> ColumnElement[int]:
    return literal(value, BigInteger())


def _bits(value: int) -> ColumnElement[int]:
    """A shift distance: PostgreSQL shifts an int8 by an int4 only."""
    return literal(value, Integer())


def _binary(left: ColumnElement[Any], symbol: str, right: Any, type_: Any) -> ColumnElement[Any]:
    return left.op(symbol, return_type=type_)(right)


def constant(value: Any, kind: str) -> ColumnElement[Any]:
    """A Python value of a rule type as a typed SQL literal."""
    if kind == "bool":
        return true() if value else false()
    if kind == "float":
        return literal(float(value), Double())
    return _int(int(value))


@dataclass
class _Scope:
    row: FromClause
    columns: Mapping[str, str]  # definition name -> column of `row`
    aggregates: Mapping[Node, ColumnElement[Any]]
    params: Mapping[str, Any]
    as_of: dt.date
    member: ColumnElement[int] | None = None


def _code(vocabulary: tuple[str, ...], value: str) -> int:
    return vocabulary.index(value) + 1 if value in vocabulary else -1


def _const_value(node: Node, scope: _Scope) -> Any:
    if node.op == "const":
        return node.value
    if node.op == "param":
        return scope.params[node.value]
    raise AssertionError(f"{node.op} is not a constant")


def _household(name: str, scope: _Scope) -> ColumnElement[Any]:
    column = scope.row.c
    if name == "per_capita_housing_area_m2":
        count = column.member_count
        return case(
            (count > 0, _without_nan(_binary(column.housing_area_m2, "/", _double(count), Double()))),
            else_=null(),
        )
    if name == "income_excluding_transfers_fen":
        total = _binary(column.per_capita_net_income_fen, "*", column.member_count, BigInteger())
        return _binary(total, "-", column.transfer_income_fen, BigInteger())
    assert HOUSEHOLD[name].stored
    return column[name]


def _member(name: str, scope: _Scope) -> ColumnElement[Any]:
    code = scope.member
    assert code is not None, "member fields are read inside aggregates only"
    if name == "age":
        today = scope.as_of.year * 10000 + scope.as_of.month * 100 + scope.as_of.day
        birth = _binary(code, ">>", _bits(BIRTH_SHIFT), BigInteger())
        days = _binary(_int(today + _AGE_OFFSET * 10000), "-", birth, BigInteger())
        return _binary(_binary(days, "/", _int(10000), BigInteger()), "-", _int(_AGE_OFFSET), BigInteger())
    shift, width = MEMBER_LAYOUT[name]
    field = _binary(
        _binary(code, ">>", _bits(shift), BigInteger()), "&", _int((1 << width) - 1), BigInteger()
    )
    return field == _int(1) if MEMBER[name].kind == "bool" else field


def to_sql(node: Node, scope: _Scope) -> ColumnElement[Any]:
    """`node` as an SQL expression over `scope.row` (and the member code inside an aggregate)."""
    op = node.op
    if op in ("const", "param"):
        return constant(_const_value(node, scope), node.type.kind)
    if op == "year":
        return _int(scope.as_of.year)
    if op == "household":
        return _household(node.value, scope)
    if op == "member":
        return _member(node.value, scope)
    if op == "rule":
        return scope.row.c[scope.columns[node.value]]
    if op == "code":
        return _int(_code(node.value, _const_value(node.args[0], scope)))
    if op == "aggregate":
        return scope.aggregates[node]
    if op == "in":
        return _membership(node, scope, to_sql(node.args[0], scope))
    if op == "first":
        if not node.args:
            return _int(0)
        return case(
            *[(to_sql(arg, scope), _int(index)) for index, arg in enumerate(node.args)],
            else_=_int(len(node.args)),
        )
    if op == "bands":
        bounds, last = node.value
        value = to_sql(node.args[0], scope)
        if not bounds:
            return _int(last)
        return case(
            *[(value < constant(below, _kind(below)), _int(points)) for below, points in bounds],
            else_=_int(last),
        )
    if op == "lookup":
        value = to_sql(node.args[0], scope)
        if node.args[0].type == BOOL:
            value = cast(value, Integer())
        return case({code: _int(points) for code, points in enumerate(node.value)}, value=value)
    args = [to_sql(arg, scope) for arg in node.args]
    if op == "not":
        return not_(args[0])
    if op == "neg":
        return _without_nan(-args[0]) if node.type == FLOAT else -args[0]
    if op == "abs":
        return func.abs(args[0], type_=args[0].type)
    if op == "arith":
        return _arithmetic(node, args[0], args[1])
    if op == "compare":
        return _compare(node, args[0], args[1])
    if op == "and":
        return and_(*args)
    if op == "or":
        return or_(*args)
    if op == "if":
        return case((args[0], args[1]), else_=args[2])
    if op in ("min", "max"):
        return _extreme(node, args)
    raise AssertionError(f"unknown operation {op}")


def _kind(value: Any) -> str:
    return "float" if isinstance(value, float) else "int"


def _arithmetic(node: Node, left: ColumnElement[Any], right: ColumnElement[Any]) -> ColumnElement[Any]:
    symbol = node.value
    if symbol == "/":
        left, right = _double(left), _double(right)
        infinite = case(
            (or_(left.is_(None), left == 0.0), null()),
            ((left > 0.0) == (cast(right, String()) != "-0"), literal(math.inf, Double())),
            else_=literal(-math.inf, Double()),
        )
        return case((right == 0.0, infinite), else_=_without_nan(_binary(left, "/", right, Double())))
    if node.type == FLOAT:
        return _without_nan(_binary(_double(left), symbol, _double(right), Double()))
    if symbol in ("+", "-", "*"):
        return _binary(left, symbol, right, BigInteger())
    remainder = _binary(left, "%", right, BigInteger())
    signs_differ = and_(remainder != 0, (remainder < 0) != (right < 0))
    if symbol == "//":
        quotient = _binary(left, "/", right, BigInteger())
        floored = _binary(quotient, "-", case((signs_differ, _int(1)), else_=_int(0)), BigInteger())
        return case((right == 0, _int(0)), else_=floored)
    return case(
        (right == 0, _int(0)),
        (signs_differ, _binary(remainder, "+", right, BigInteger())),
        else_=remainder,
    )


def _compare(node: Node, left: ColumnElement[Any], right: ColumnElement[Any]) -> ColumnElement[bool]:
    symbol = {"==": "=", "!=": "<>"}.get(node.value, node.value)
    result = _binary(left, symbol, right, Boolean())
    if FLOAT in (node.args[0].type, node.args[1].type):
        return func.coalesce(result, node.value == "!=", type_=Boolean())
    return result


def _membership(node: Node, scope: _Scope, left: ColumnElement[Any]) -> ColumnElement[bool]:
    listed = node.args[1]
    if listed.op == "codes":
        items = [_code(listed.value, value) for value in _const_value(listed.args[0], scope)]
        values = [_int(item) for item in items]
    else:
        items = list(_const_value(listed, scope))
        kind = "float" if listed.type.item == "float" else "int"
        values = [constant(item, kind) for item in items]
    result = left.not_in(values) if node.value else left.in_(values)
    if node.args[0].type == FLOAT:
        return func.coalesce(result, bool(node.value), type_=Boolean())
    return result


def _extreme(node: Node, args: list[ColumnElement[Any]]) -> ColumnElement[Any]:
    symbol = "<" if node.op == "min" else ">"
    result = args[0]
    result_float = node.args[0].type == FLOAT
    for arg_node, arg in zip(node.args[1:], args[1:], strict=True):
        # numpy keeps the second of two equal values (it matters for 0.0 and -0.0) and any NaN.
        chosen = case((_binary(result, symbol, arg, Boolean()), result), else_=arg)
        if result_float or arg_node.type == FLOAT:
            chosen = case((or_(result.is_(None), arg.is_(None)), null()), else_=chosen)
            result_float = True
        result = chosen
    return result


def _aggregate(node: Node, scope: _Scope) -> ColumnElement[Any]:
    element, *conditions = node.args
    selected = and_(true(), *[to_sql(condition, scope) for condition in conditions])
    name = node.value
    if name == "sum":
        value = to_sql(element, scope)
        total = func.sum(value).filter(selected)
        if node.type == INT:
            return cast(func.coalesce(total, 0), BigInteger())
        return case(
            (func.bool_or(and_(selected, value.is_(None))), null()),
            else_=_without_nan(_binary(literal(0.0, Double()), "+", func.coalesce(total, 0.0), Double())),
        )
    if element.op == "const":
        hit = selected if element.value else false()
    else:
        hit = and_(selected, to_sql(element, scope))
    if name == "count":
        return func.count().filter(hit)
    if name == "any":
        return func.coalesce(func.bool_or(hit), false(), type_=Boolean())
    missing = and_(selected, not_(to_sql(element, scope)))
    return not_(func.coalesce(func.bool_or(missing), false(), type_=Boolean()))


def _uses(node: Node) -> set[str]:
    """The definitions a tree reads."""
    return {inner.value for inner in node.walk() if inner.op == "rule"}


def _aggregates(node: Node) -> list[Node]:
    """The aggregates in a tree (they never nest)."""
    return [inner for inner in node.walk() if inner.op == "aggregate"]


@dataclass(frozen=True)
class Evaluated:
    """A program evaluated over a source: the source's columns plus one column per definition."""

    query: Subquery
    columns: Mapping[str, str]

    def __getitem__(self, name: str) -> ColumnElement[Any]:
        return self.query.c[self.columns[name]]


def evaluated(
    program: Program, source: FromClause, *, params: Mapping[str, Any], as_of: dt.date, prefix: str
) -> Evaluated:
    """Every definition of `program` over each row of `source`, columns named `<prefix>d<index>`."""
    columns = {name: f"{prefix}d{index}" for index, (name, _node) in enumerate(program.definitions)}
    # A definition's layer comes after the layers of the definitions it reads; an aggregate's, after
    # those its element and conditions read; a definition is in (or after) its aggregates' layer.
    depth: dict[str, int] = {}
    aggregate_depth: dict[Node, int] = {}
    for name, node in program.definitions:
        level = max((depth[used] + 1 for used in _uses(node)), default=0)
        for aggregate in _aggregates(node):
            needed = max((depth[used] + 1 for used in _uses(aggregate)), default=0)
            aggregate_depth.setdefault(aggregate, needed)
            level = max(level, aggregate_depth[aggregate])
        depth[name] = level
    aggregate_columns = {aggregate: f"{prefix}a{index}" for index, aggregate in enumerate(aggregate_depth)}
    row: FromClause = source
    for level in range(max(depth.values(), default=0) + 1):
        known = {a: row.c[column] for a, column in aggregate_columns.items() if aggregate_depth[a] < level}
        fresh = [aggregate for aggregate, found in aggregate_depth.items() if found == level]
        selected: list[ColumnElement[Any]] = [*row.c]
        joined = row
        if fresh:
            unnested = func.unnest(row.c.members).table_valued("code").render_derived()
            inside = _Scope(row, columns, known, params, as_of, member=unnested.c.code)
            lateral = (
                select(*[_aggregate(a, inside).label(aggregate_columns[a]) for a in fresh])
                .select_from(unnested)
                .lateral(f"{prefix}m{level}")
            )
            known.update({aggregate: lateral.c[aggregate_columns[aggregate]] for aggregate in fresh})
            selected += [lateral.c[aggregate_columns[aggregate]] for aggregate in fresh]
            joined = row.join(lateral, true())
        scope = _Scope(row, columns, known, params, as_of)
        selected += [
            to_sql(node, scope).label(columns[name])
            for name, node in program.definitions
            if depth[name] == level
        ]
        row = select(*selected).select_from(joined).offset(0).subquery(f"{prefix}l{level}")
    assert isinstance(row, Subquery)
    return Evaluated(row, columns)


def small_bytes(values: Sequence[ColumnElement[Any]]) -> ColumnElement[bytes]:
    """Whole numbers 0-255 as one byte each, in order (eight at a time in a big-endian int8)."""
    words = []
    for start in range(0, len(values), 8):
        group = values[start : start + 8]
        word: ColumnElement[Any] = _int(0)
        for offset, value in enumerate(group):
            # Through int4: PostgreSQL casts a boolean to int4 only.
            byte = cast(cast(value, Integer()), BigInteger())
            shifted = _binary(byte, "<<", _bits(56 - 8 * offset), BigInteger())
            word = _binary(word, "|", shifted, BigInteger())
        words.append(func.int8send(word, type_=LargeBinary()))
    return func.substring(concatenated(words), 1, len(values), type_=LargeBinary())


def concatenated(parts: Sequence[ColumnElement[Any]]) -> ColumnElement[bytes]:
    """Byte strings one after the other (an empty list is an empty byte string)."""
    if not parts:
        return literal(b"", LargeBinary())
    result = parts[0]
    for part in parts[1:]:
        result = _binary(result, "||", part, LargeBinary())
    return result


def int4_bytes(value: ColumnElement[Any]) -> ColumnElement[bytes]:
    """A whole number as 4 big-endian bytes (an error beyond 32 bits)."""
    return func.int4send(cast(value, Integer()), type_=LargeBinary())


def float8_bytes(value: ColumnElement[Any], kind: str) -> ColumnElement[bytes]:
    """A value as an 8-byte big-endian IEEE double; NULL (not a number) as the canonical NaN."""
    if kind == "bool":
        value = cast(value, Integer())
    return func.float8send(func.coalesce(_double(value), _nan(), type_=Double()), type_=LargeBinary())


def text_concat(parts: Sequence[ColumnElement[Any]]) -> ColumnElement[str]:
    """Texts one after the other (`||`, which unlike concat() looks nothing up per row)."""
    result = parts[0]
    for part in parts[1:]:
        result = _binary(result, "||", part, String())
    return result


def case_text(condition: ColumnElement[bool], prefix: str, value: ColumnElement[str]) -> ColumnElement[str]:
    """`prefix` and `value` where the condition holds, else the empty text."""
    return case((condition, text_concat([literal(prefix, String()), value])), else_=literal("", String()))


def names(codes: ColumnElement[Any], labels: Sequence[str]) -> ColumnElement[str]:
    """An index (0-based) as the label at that position; NULL outside."""
    return case(dict(enumerate(labels)), value=codes, else_=null())
