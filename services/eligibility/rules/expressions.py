"""A small, sandboxed rule language: Python-like expressions checked against a whitelist, never eval'd.

Allowed: numbers, strings, booleans, lists; `and`, `or`, `not`; comparisons (incl. `in`);
+ - * / // %; `a if cond else b`; dotted names over the documented input (`household.x`,
`params.y`, `rules.z`); calls to min, max, abs, len. Anything else is refused when compiled.
"""

import ast
import operator
from collections.abc import Callable, Mapping
from typing import Any

Context = Mapping[str, Any]
Evaluator = Callable[[Context], Any]


class ExpressionError(ValueError):
    """The expression uses something the rule language does not allow, or an unknown name."""


_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_FUNCTIONS: dict[str, Callable[..., Any]] = {"min": min, "max": max, "abs": abs, "len": len}


def _dotted(node: ast.expr) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return list(reversed(parts))
    return None


def compile_expression(source: str, known_names: Mapping[str, set[str] | None]) -> Evaluator:
    """Compile `source` to a function of a context; `known_names`: root -> allowed fields (None: any)."""
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"syntax error in {source!r}: {exc.msg}") from exc
    return _compile(tree.body, known_names)


def _compile(node: ast.expr, known: Mapping[str, set[str] | None]) -> Evaluator:
    if isinstance(node, ast.Constant):
        value = node.value
        if not isinstance(value, int | float | str | bool) and value is not None:
            raise ExpressionError(f"constant {value!r} is not allowed")
        return lambda _ctx: value
    if isinstance(node, ast.Name | ast.Attribute):
        path = _dotted(node)
        if path is None:
            raise ExpressionError("attributes may only follow a name")
        root, fields = path[0], path[1:]
        if root not in known:
            raise ExpressionError(f"unknown name {root!r}")
        if any(part.startswith("_") for part in path):
            raise ExpressionError("names starting with '_' are not allowed")
        allowed = known[root]
        if allowed is not None and fields and fields[0] not in allowed:
            raise ExpressionError(f"unknown variable {'.'.join(path)!r}")

        def lookup(ctx: Context) -> Any:
            value = ctx[root]
            for part in fields:
                value = value[part]
            return value

        return lookup
    if isinstance(node, ast.BoolOp):
        parts = [_compile(value, known) for value in node.values]
        if isinstance(node.op, ast.And):
            return lambda ctx: all(part(ctx) for part in parts)
        return lambda ctx: any(part(ctx) for part in parts)
    if isinstance(node, ast.UnaryOp):
        operand = _compile(node.operand, known)
        if isinstance(node.op, ast.Not):
            return lambda ctx: not operand(ctx)
        if isinstance(node.op, ast.USub):
            return lambda ctx: -operand(ctx)
        raise ExpressionError("unary operator not allowed")
    if isinstance(node, ast.BinOp):
        op = _BINARY.get(type(node.op))
        if op is None:
            raise ExpressionError("operator not allowed")
        left, right = _compile(node.left, known), _compile(node.right, known)
        return lambda ctx: op(left(ctx), right(ctx))
    if isinstance(node, ast.Compare):
        ops = [_COMPARE.get(type(op)) for op in node.ops]
        if any(op is None for op in ops):
            raise ExpressionError("comparison not allowed")
        operands = [_compile(node.left, known)] + [_compile(c, known) for c in node.comparators]
        checked = [op for op in ops if op is not None]

        def compare(ctx: Context) -> bool:
            values = [operand(ctx) for operand in operands]
            return all(op(values[i], values[i + 1]) for i, op in enumerate(checked))

        return compare
    if isinstance(node, ast.IfExp):
        test, body, orelse = (_compile(n, known) for n in (node.test, node.body, node.orelse))
        return lambda ctx: body(ctx) if test(ctx) else orelse(ctx)
    if isinstance(node, ast.List | ast.Tuple):
        items = [_compile(item, known) for item in node.elts]
        return lambda ctx: [item(ctx) for item in items]
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS or node.keywords:
            raise ExpressionError("only min, max, abs and len may be called")
        function = _FUNCTIONS[node.func.id]
        args = [_compile(arg, known) for arg in node.args]
        return lambda ctx: function(*(arg(ctx) for arg in args))
    raise ExpressionError(f"{type(node).__name__} is not allowed in a rule")
