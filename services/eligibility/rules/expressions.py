"""The rule language (规则表达式): a typed, sandboxed expression language, checked once, run two ways.

Rules are written in a small Python-like syntax, parsed with `ast` and checked against a
whitelist, never eval'd. Everything is type-checked when a policy is validated, so a policy
with an unknown variable, a missing parameter, a type error or an enum value that does not exist
is refused before it can be published. The checker's output is a typed tree of `Node`s, the one
definition of what an expression means; two back ends run it: rules/vector.py over numpy columns
(one household is a batch of one: previews, stored assessments, the embedded SQLite mode) and
rules/relational.py as SQL inside PostgreSQL (bulk runs and simulations), with the same results.

    household.<field>         a household variable (see rules/inputs.py)
    params.<name>             a policy parameter, its value on the assessment date
    rules.<id>                the result of an earlier rule
    as_of.year                the year of the assessment date
    any(<cond> for m in household.members [if <cond>])       also all(...), count(...), sum(...)
    m.<field>                 a member variable, inside such an aggregate only
    and or not, == != < <= > >=, in / not in [..] or a list parameter, + - * / // %,
    <a> if <cond> else <b>, min(a, b, ...), max(a, b, ...), abs(a), literals

`//` and `%` take whole numbers (floor division and a remainder with the divisor's sign, as in
Python; by zero they give 0); `/` gives a float (by zero: ±infinity, or not-a-number for 0/0).
A float that is not a number (a floor area not recorded) makes every comparison false except `!=`.

The CEL macros of OpenSPP map one to one: `members.exists(m, c)` is `any(c for m in
household.members)`, `members.all(m, c)` is `all(...)`, `members.filter(m, c).size()` is
`count(c for m in household.members)`, `c ? a : b` is `a if c else b`.
"""

import ast
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from services.eligibility.rules.inputs import HOUSEHOLD, MEMBER, InputField

MAX_LENGTH = 2000
MAX_NODES = 400
NUMERIC = ("int", "float")
AGGREGATES = ("any", "all", "count", "sum")


class ExpressionError(ValueError):
    """The expression is not valid: syntax, an unknown name, a type error, a forbidden construct."""


@dataclass(frozen=True)
class Type:
    """A value's type: bool, int, float, str (a literal), enum (with its values) or list of a kind."""

    kind: str
    vocabulary: tuple[str, ...] = ()
    item: str = ""

    def __str__(self) -> str:
        if self.kind == "enum":
            return f"enum({', '.join(self.vocabulary)})"
        return f"list[{self.item}]" if self.kind == "list" else self.kind


BOOL, INT, FLOAT, STR = Type("bool"), Type("int"), Type("float"), Type("str")


def type_of_value(value: Any) -> Type:
    """The type of a parameter value as written in a policy document."""
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ExpressionError(f"parameter value {value!r} is not a finite number")
        return FLOAT
    if isinstance(value, str):
        return STR
    if isinstance(value, list) and value:
        kinds = {type_of_value(item).kind for item in value}
        if kinds <= {"int", "float"}:
            return Type("list", item="float" if "float" in kinds else "int")
        if kinds == {"str"}:
            return Type("list", item="str")
    raise ExpressionError(f"parameter value {value!r} is not a number, yes/no, text or non-empty list")


SCOPES = ("const", "household", "member")


@dataclass(frozen=True)
class Node:
    """A checked sub-expression: what it does (`op`), its type, where it lives, its operands.

    `scope` is const (the same for every household), household or member (inside an aggregate).
    Ops and their `value`:
      const (the value; a list as a tuple), param (name), year, household (field), member (field),
      rule (id), code (the enum's vocabulary: the code of a text operand), codes (the vocabulary:
      the codes of a list operand), not, neg, abs, arith (+ - * / // %), compare (< <= > >= == !=),
      in (True for `not in`), and, or, if, min, max, aggregate (any, all, count, sum: operands are
      the element, then the conditions), first (the index of the first true operand, else their
      number), bands (((bound, points), ...), last points), lookup (points by code).
    """

    op: str
    type: Type
    scope: str = "household"
    args: tuple["Node", ...] = ()
    value: Any = None

    def walk(self) -> Iterator["Node"]:
        """This node and every node below it."""
        yield self
        for arg in self.args:
            yield from arg.walk()


@dataclass(frozen=True)
class Program:
    """Named definitions evaluated in order; a later one reads an earlier one as Node("rule", …, name)."""

    definitions: tuple[tuple[str, Node], ...]


def reference(name: str, value_type: Type) -> Node:
    """A node reading an earlier definition of the program (a rule's result, or an outcome part)."""
    return Node("rule", value_type, value=name)


@dataclass(frozen=True)
class Environment:
    """Names an expression may use: parameter types, earlier rules, and the member variable in scope."""

    parameters: Mapping[str, Type]
    rules: frozenset[str]
    member_var: str | None = None


@dataclass(frozen=True)
class Compiled:
    """A checked expression and the household variables, parameters and rules it reads."""

    node: Node
    household_fields: tuple[str, ...]
    parameters: tuple[str, ...]
    rules: tuple[str, ...]
    enum_parameters: tuple[tuple[str, tuple[str, ...]], ...]
    """Text parameters compared with an enum: each value must be one of the enum's."""

    @property
    def type(self) -> Type:
        return self.node.type


def compile_expression(source: str, environment: Environment, expect: tuple[str, ...] = ()) -> Compiled:
    """Parse and check `source`; `expect` limits the result's kind (e.g. ('bool',))."""
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"expression longer than {MAX_LENGTH} characters")
    try:
        # Parenthesised, so an expression may run over several lines as YAML folds it.
        tree = ast.parse(f"(\n{source.strip()}\n)", mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"syntax error: {exc.msg}") from exc
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise ExpressionError(f"expression has more than {MAX_NODES} parts")
    checker = _Checker()
    node = checker.check(tree.body, environment)
    if node.scope == "member":
        raise ExpressionError("a member variable (m.…) can only be used inside any/all/count/sum")
    if node.type.kind == "str":
        raise ExpressionError("a text value on its own is not a result")
    if expect and node.type.kind not in expect:
        raise ExpressionError(f"the result must be {' or '.join(expect)}, not {node.type}")
    return Compiled(
        node,
        tuple(sorted(checker.household_fields)),
        tuple(sorted(checker.parameters)),
        tuple(sorted(checker.rules)),
        tuple(sorted(checker.enum_parameters)),
    )


def _dotted(node: ast.expr) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return list(reversed(parts))
    return None


def _field_type(input_field: InputField) -> Type:
    if input_field.kind == "enum":
        return Type("enum", input_field.vocabulary)
    return Type(input_field.kind)


def _widest(*nodes: Node) -> str:
    return max((node.scope for node in nodes), key=SCOPES.index)


def _unify_numeric(left: Type, right: Type) -> Type:
    return FLOAT if FLOAT in (left, right) else INT


_ARITHMETIC: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
}
_ORDER: dict[type[ast.cmpop], str] = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
}


class _Checker:
    def __init__(self) -> None:
        self.household_fields: set[str] = set()
        self.parameters: set[str] = set()
        self.rules: set[str] = set()
        self.enum_parameters: set[tuple[str, tuple[str, ...]]] = set()

    def check(self, node: ast.expr, env: Environment) -> Node:
        if isinstance(node, ast.Constant):
            return self._constant(node.value)
        if isinstance(node, ast.Name | ast.Attribute):
            return self._variable(node, env)
        if isinstance(node, ast.BoolOp):
            return self._boolean(node, env)
        if isinstance(node, ast.UnaryOp):
            return self._unary(node, env)
        if isinstance(node, ast.BinOp):
            return self._arithmetic(node, env)
        if isinstance(node, ast.Compare):
            return self._compare(node, env)
        if isinstance(node, ast.IfExp):
            return self._conditional(node, env)
        if isinstance(node, ast.List | ast.Tuple):
            return self._list(node)
        if isinstance(node, ast.Call):
            return self._call(node, env)
        raise ExpressionError(f"{type(node).__name__} is not allowed in a rule")

    def _constant(self, value: Any) -> Node:
        if isinstance(value, bool | int | float):
            if isinstance(value, float) and not math.isfinite(value):
                raise ExpressionError("numbers must be finite")
            return Node("const", type_of_value(value), "const", value=value)
        if isinstance(value, str):
            return Node("const", STR, "const", value=value)
        raise ExpressionError(f"constant {value!r} is not allowed")

    def _variable(self, node: ast.Name | ast.Attribute, env: Environment) -> Node:
        path = _dotted(node)
        if path is None:
            raise ExpressionError("attributes may only follow a name")
        name = ".".join(path)
        if any(part.startswith("_") for part in path):
            raise ExpressionError(f"{name!r}: names starting with '_' are not allowed")
        root, rest = path[0], path[1:]
        if len(rest) != 1:
            if root == env.member_var and not rest:
                raise ExpressionError(f"{root!r} is a member: use one of its fields, like {root}.age")
            raise ExpressionError(f"unknown variable {name!r}")
        attribute = rest[0]
        if root == "household":
            if attribute == "members":
                raise ExpressionError("household.members can only be used in any/all/count/sum")
            input_field = HOUSEHOLD.get(attribute)
            if input_field is None:
                raise ExpressionError(f"unknown variable {name!r}")
            self.household_fields.add(attribute)
            return Node("household", _field_type(input_field), value=attribute)
        if root == "params":
            if attribute not in env.parameters:
                raise ExpressionError(f"missing parameter {name!r}: the policy does not define it")
            self.parameters.add(attribute)
            return Node("param", env.parameters[attribute], "const", value=attribute)
        if root == "rules":
            if attribute not in env.rules:
                raise ExpressionError(f"unknown rule {name!r}: a rule may only use rules defined before it")
            self.rules.add(attribute)
            return reference(attribute, BOOL)
        if root == "as_of" and attribute == "year":
            return Node("year", INT, "const")
        if env.member_var is not None and root == env.member_var:
            member_field = MEMBER.get(attribute)
            if member_field is None:
                raise ExpressionError(f"unknown member variable {name!r}")
            return Node("member", _field_type(member_field), "member", value=attribute)
        raise ExpressionError(f"unknown variable {name!r}")

    def _boolean(self, node: ast.BoolOp, env: Environment) -> Node:
        parts = tuple(self.check(value, env) for value in node.values)
        for part in parts:
            if part.type != BOOL:
                raise ExpressionError(f"'and' / 'or' need yes/no values, not {part.type}")
        return Node("and" if isinstance(node.op, ast.And) else "or", BOOL, _widest(*parts), parts)

    def _unary(self, node: ast.UnaryOp, env: Environment) -> Node:
        operand = self.check(node.operand, env)
        if isinstance(node.op, ast.Not):
            if operand.type != BOOL:
                raise ExpressionError(f"'not' needs a yes/no value, not {operand.type}")
            return Node("not", BOOL, operand.scope, (operand,))
        if isinstance(node.op, ast.USub):
            if operand.type.kind not in NUMERIC:
                raise ExpressionError(f"'-' needs a number, not {operand.type}")
            return Node("neg", operand.type, operand.scope, (operand,))
        raise ExpressionError("this unary operator is not allowed")

    def _arithmetic(self, node: ast.BinOp, env: Environment) -> Node:
        symbol = _ARITHMETIC.get(type(node.op))
        if symbol is None:
            raise ExpressionError("this operator is not allowed")
        left, right = self.check(node.left, env), self.check(node.right, env)
        for side in (left, right):
            if side.type.kind not in NUMERIC:
                raise ExpressionError(f"'{symbol}' needs numbers, not {side.type}")
            if symbol in ("//", "%") and side.type != INT:
                raise ExpressionError(f"'{symbol}' needs whole numbers, not {side.type}")
        result = FLOAT if symbol == "/" else _unify_numeric(left.type, right.type)
        return Node("arith", result, _widest(left, right), (left, right), symbol)

    def _compare(self, node: ast.Compare, env: Environment) -> Node:
        operands = [self.check(node.left, env)] + [self.check(c, env) for c in node.comparators]
        pairs = tuple(
            self._comparison(op, operands[index], operands[index + 1]) for index, op in enumerate(node.ops)
        )
        if len(pairs) == 1:
            return pairs[0]
        return Node("and", BOOL, _widest(*pairs), pairs)

    def _comparison(self, op: ast.cmpop, left: Node, right: Node) -> Node:
        if isinstance(op, ast.In | ast.NotIn):
            return self._membership(left, right, negate=isinstance(op, ast.NotIn))
        symbol = _ORDER.get(type(op))
        if symbol is None:
            raise ExpressionError("this comparison is not allowed")
        equality = symbol in ("==", "!=")
        kinds = (left.type.kind, right.type.kind)
        numeric = kinds[0] in NUMERIC and kinds[1] in NUMERIC
        if "enum" in kinds and equality:
            left, right = self._coded(left, right)
        elif not (numeric or (kinds == ("bool", "bool") and equality)):
            raise ExpressionError(f"cannot compare {left.type} with {right.type}")
        return Node("compare", BOOL, _widest(left, right), (left, right), symbol)

    def _coded(self, left: Node, right: Node) -> tuple[Node, Node]:
        """Both sides of an enum comparison as codes; text literals are checked against the enum."""
        enum_side, other = (left, right) if left.type.kind == "enum" else (right, left)
        vocabulary = enum_side.type.vocabulary
        if other.type.kind == "enum":
            if other.type.vocabulary != vocabulary:
                raise ExpressionError(f"cannot compare {enum_side.type} with {other.type}")
            return left, right
        if other.type.kind != "str":
            raise ExpressionError(f"cannot compare {enum_side.type} with {other.type}")
        if other.op == "const":
            if other.value not in vocabulary:
                raise ExpressionError(f"{other.value!r} is not one of {', '.join(vocabulary)}")
        else:
            self.enum_parameters.add((other.value, vocabulary))
        coded = Node("code", INT, "const", (other,), vocabulary)
        return (enum_side, coded) if enum_side is left else (coded, enum_side)

    def _membership(self, left: Node, right: Node, *, negate: bool) -> Node:
        if right.type.kind != "list" or right.scope != "const":
            raise ExpressionError("'in' needs a list of values or a list parameter on its right")
        if left.type.kind == "enum":
            vocabulary = left.type.vocabulary
            if right.type.item != "str":
                raise ExpressionError(f"cannot look for {left.type} in {right.type}")
            if right.op == "const":
                unknown = [value for value in right.value if value not in vocabulary]
                if unknown:
                    raise ExpressionError(f"{unknown[0]!r} is not one of {', '.join(vocabulary)}")
            else:
                self.enum_parameters.add((right.value, vocabulary))
            right = Node("codes", Type("list", item="int"), "const", (right,), vocabulary)
        elif not (left.type.kind in NUMERIC and right.type.item in NUMERIC):
            raise ExpressionError(f"cannot look for {left.type} in {right.type}")
        return Node("in", BOOL, left.scope, (left, right), negate)

    def _conditional(self, node: ast.IfExp, env: Environment) -> Node:
        test, body, orelse = (self.check(part, env) for part in (node.test, node.body, node.orelse))
        if test.type != BOOL:
            raise ExpressionError(f"the condition of 'if' must be yes/no, not {test.type}")
        if body.type.kind in NUMERIC and orelse.type.kind in NUMERIC:
            result = _unify_numeric(body.type, orelse.type)
        elif body.type == orelse.type and body.type.kind in ("bool", "enum"):
            result = body.type
        else:
            raise ExpressionError(
                f"both branches of 'if' must have one type, not {body.type} and {orelse.type}"
            )
        return Node("if", result, _widest(test, body, orelse), (test, body, orelse))

    def _list(self, node: ast.List | ast.Tuple) -> Node:
        values = []
        for item in node.elts:
            if not isinstance(item, ast.Constant) or isinstance(item.value, bool):
                raise ExpressionError("a list may only hold numbers or text")
            if isinstance(item.value, float) and not math.isfinite(item.value):
                raise ExpressionError("numbers must be finite")
            values.append(item.value)
        return Node("const", type_of_value(values), "const", value=tuple(values))

    def _call(self, node: ast.Call, env: Environment) -> Node:
        if not isinstance(node.func, ast.Name) or node.keywords:
            raise ExpressionError("only any, all, count, sum, min, max and abs may be called")
        name = node.func.id
        if name in AGGREGATES:
            return self._aggregate(name, node, env)
        if name not in ("min", "max", "abs"):
            raise ExpressionError(f"unknown function {name!r}: only any, all, count, sum, min, max and abs")
        args = tuple(self.check(arg, env) for arg in node.args)
        for arg in args:
            if arg.type.kind not in NUMERIC:
                raise ExpressionError(f"{name}() needs numbers, not {arg.type}")
        if name == "abs":
            if len(args) != 1:
                raise ExpressionError("abs() takes one value")
            return Node("abs", args[0].type, args[0].scope, args)
        if len(args) < 2:
            raise ExpressionError(f"{name}() takes two or more values")
        result = FLOAT if any(arg.type == FLOAT for arg in args) else INT
        return Node(name, result, _widest(*args), args)

    def _aggregate(self, name: str, node: ast.Call, env: Environment) -> Node:
        if len(node.args) != 1 or not isinstance(node.args[0], ast.GeneratorExp):
            raise ExpressionError(f"{name}() takes one 'for m in household.members' expression")
        generator = node.args[0]
        if len(generator.generators) != 1:
            raise ExpressionError(f"{name}() takes exactly one 'for'")
        loop = generator.generators[0]
        if (
            loop.is_async
            or not isinstance(loop.target, ast.Name)
            or _dotted(loop.iter) != ["household", "members"]
        ):
            raise ExpressionError(f"{name}() must loop as 'for m in household.members'")
        if env.member_var is not None:
            raise ExpressionError("aggregates cannot be nested")
        variable = loop.target.id
        if variable in ("household", "params", "rules", "as_of"):
            raise ExpressionError(f"{variable!r} cannot name a member")
        inner = Environment(env.parameters, env.rules, variable)
        conditions = tuple(self.check(condition, inner) for condition in loop.ifs)
        for condition in conditions:
            if condition.type != BOOL:
                raise ExpressionError(f"the 'if' of {name}() must be yes/no, not {condition.type}")
        if name == "count" and isinstance(generator.elt, ast.Name) and generator.elt.id == variable:
            element = Node("const", BOOL, "const", value=True)
        else:
            element = self.check(generator.elt, inner)
        if name == "sum":
            if element.type.kind not in NUMERIC:
                raise ExpressionError(f"sum() needs numbers, not {element.type}")
        elif element.type != BOOL:
            raise ExpressionError(f"{name}() needs a yes/no condition, not {element.type}")
        result_type = INT if name == "count" else element.type if name == "sum" else BOOL
        return Node("aggregate", result_type, "household", (element, *conditions), name)
