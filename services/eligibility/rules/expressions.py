"""The rule language (规则表达式): a typed, sandboxed expression language compiled to numpy.

Rules are written in a small Python-like syntax, parsed with `ast` and checked against a
whitelist, never eval'd. Everything is type-checked when a policy is validated, so a policy
with an unknown variable, a missing parameter, a type error or an enum value that does not exist
is refused before it can be published. A compiled expression evaluates a whole batch of
households at once (numpy columns); one household is a batch of one, so a preview, a stored
assessment and a bulk run all go through the same code.

    household.<field>         a household variable (see rules/inputs.py)
    params.<name>             a policy parameter, its value on the assessment date
    rules.<id>                the result of an earlier rule
    as_of.year                the year of the assessment date
    any(<cond> for m in household.members [if <cond>])       also all(...), count(...), sum(...)
    m.<field>                 a member variable, inside such an aggregate only
    and or not, == != < <= > >=, in / not in [..] or a list parameter, + - * / // %,
    <a> if <cond> else <b>, min(a, b, ...), max(a, b, ...), abs(a), literals

The CEL macros of OpenSPP map one to one: `members.exists(m, c)` is `any(c for m in
household.members)`, `members.all(m, c)` is `all(...)`, `members.filter(m, c).size()` is
`count(c for m in household.members)`, `c ? a : b` is `a if c else b`.
"""

import ast
import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from services.eligibility.rules.inputs import HOUSEHOLD, MEMBER, HouseholdBatch, InputField

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


Run = Callable[[Frame], Any]
SCOPES = ("const", "household", "member")


@dataclass(frozen=True)
class Node:
    """A checked, compiled sub-expression: its type, where it lives (per household, per member) and code."""

    type: Type
    scope: str
    run: Run
    literal: Any = None  # the value of a text literal, coded against an enum when compared
    parameter: str = ""  # the parameter it reads, if it is one


@dataclass(frozen=True)
class Environment:
    """Names an expression may use: parameter types, earlier rules, and the member variable in scope."""

    parameters: Mapping[str, Type]
    rules: frozenset[str]
    member_var: str | None = None


@dataclass(frozen=True)
class Compiled:
    """A compiled expression and the household variables, parameters and rules it reads."""

    node: Node
    household_fields: tuple[str, ...]
    parameters: tuple[str, ...]
    rules: tuple[str, ...]
    enum_parameters: tuple[tuple[str, tuple[str, ...]], ...]
    """Text parameters compared with an enum: each value must be one of the enum's."""

    @property
    def type(self) -> Type:
        return self.node.type

    def evaluate(self, frame: Frame) -> npt.NDArray[Any]:
        """One value per household of the frame."""
        with np.errstate(all="ignore"):
            value = self.node.run(frame)
        if self.node.scope == "const":
            return np.full(frame.size, value)
        return np.asarray(value)


def compile_expression(source: str, environment: Environment, expect: tuple[str, ...] = ()) -> Compiled:
    """Parse, check and compile `source`; `expect` limits the result's kind (e.g. ('bool',))."""
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"expression longer than {MAX_LENGTH} characters")
    try:
        # Parenthesised, so an expression may run over several lines as YAML folds it.
        tree = ast.parse(f"(\n{source.strip()}\n)", mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"syntax error: {exc.msg}") from exc
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise ExpressionError(f"expression has more than {MAX_NODES} parts")
    compiler = _Compiler()
    node = compiler.compile(tree.body, environment)
    if node.scope == "member":
        raise ExpressionError("a member variable (m.…) can only be used inside any/all/count/sum")
    if node.type.kind == "str":
        raise ExpressionError("a text value on its own is not a result")
    if expect and node.type.kind not in expect:
        raise ExpressionError(f"the result must be {' or '.join(expect)}, not {node.type}")
    return Compiled(
        node,
        tuple(sorted(compiler.household_fields)),
        tuple(sorted(compiler.parameters)),
        tuple(sorted(compiler.rules)),
        tuple(sorted(compiler.enum_parameters)),
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


def _lift(node: Node, scope: str) -> Run:
    """Run `node` in a wider scope: a household value repeated for each of its members."""
    if node.scope == "household" and scope == "member":
        run = node.run
        return lambda frame: run(frame)[frame.batch.owner]
    return node.run


def _widest(*nodes: Node) -> str:
    return max((node.scope for node in nodes), key=SCOPES.index)


def _enum_code(vocabulary: tuple[str, ...], value: str) -> int:
    return vocabulary.index(value) + 1 if value in vocabulary else -1


def _unify_numeric(left: Type, right: Type) -> Type:
    return FLOAT if FLOAT in (left, right) else INT


_ARITHMETIC: dict[type[ast.operator], tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Add: ("+", np.add),
    ast.Sub: ("-", np.subtract),
    ast.Mult: ("*", np.multiply),
    ast.Div: ("/", np.true_divide),
    ast.FloorDiv: ("//", np.floor_divide),
    ast.Mod: ("%", np.remainder),
}
_ORDER: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
}


class _Compiler:
    def __init__(self) -> None:
        self.household_fields: set[str] = set()
        self.parameters: set[str] = set()
        self.rules: set[str] = set()
        self.enum_parameters: set[tuple[str, tuple[str, ...]]] = set()

    def compile(self, node: ast.expr, env: Environment) -> Node:
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
            return Node(type_of_value(value), "const", lambda _frame: value)
        if isinstance(value, str):
            return Node(STR, "const", lambda _frame: value, literal=value)
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
            return Node(_field_type(input_field), "household", lambda frame: frame.household(attribute))
        if root == "params":
            if attribute not in env.parameters:
                raise ExpressionError(f"missing parameter {name!r}: the policy does not define it")
            self.parameters.add(attribute)
            param_type = env.parameters[attribute]
            return Node(param_type, "const", lambda frame: frame.params[attribute], parameter=attribute)
        if root == "rules":
            if attribute not in env.rules:
                raise ExpressionError(f"unknown rule {name!r}: a rule may only use rules defined before it")
            self.rules.add(attribute)
            return Node(BOOL, "household", lambda frame: frame.rules[attribute])
        if root == "as_of" and attribute == "year":
            return Node(INT, "const", lambda frame: frame.as_of.year)
        if env.member_var is not None and root == env.member_var:
            member_field = MEMBER.get(attribute)
            if member_field is None:
                raise ExpressionError(f"unknown member variable {name!r}")
            return Node(_field_type(member_field), "member", lambda frame: frame.member(attribute))
        raise ExpressionError(f"unknown variable {name!r}")

    def _boolean(self, node: ast.BoolOp, env: Environment) -> Node:
        parts = [self.compile(value, env) for value in node.values]
        for part in parts:
            if part.type != BOOL:
                raise ExpressionError(f"'and' / 'or' need yes/no values, not {part.type}")
        scope = _widest(*parts)
        runs = [_lift(part, scope) for part in parts]
        combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or

        def run(frame: Frame) -> Any:
            result = runs[0](frame)
            for other in runs[1:]:
                result = combine(result, other(frame))
            return result

        return Node(BOOL, scope, run)

    def _unary(self, node: ast.UnaryOp, env: Environment) -> Node:
        operand = self.compile(node.operand, env)
        run = operand.run
        if isinstance(node.op, ast.Not):
            if operand.type != BOOL:
                raise ExpressionError(f"'not' needs a yes/no value, not {operand.type}")
            return Node(BOOL, operand.scope, lambda frame: np.logical_not(run(frame)))
        if isinstance(node.op, ast.USub):
            if operand.type.kind not in NUMERIC:
                raise ExpressionError(f"'-' needs a number, not {operand.type}")
            return Node(operand.type, operand.scope, lambda frame: np.negative(run(frame)))
        raise ExpressionError("this unary operator is not allowed")

    def _arithmetic(self, node: ast.BinOp, env: Environment) -> Node:
        spec = _ARITHMETIC.get(type(node.op))
        if spec is None:
            raise ExpressionError("this operator is not allowed")
        symbol, function = spec
        left, right = self.compile(node.left, env), self.compile(node.right, env)
        for side in (left, right):
            if side.type.kind not in NUMERIC:
                raise ExpressionError(f"'{symbol}' needs numbers, not {side.type}")
        result = FLOAT if symbol == "/" else _unify_numeric(left.type, right.type)
        scope = _widest(left, right)
        left_run, right_run = _lift(left, scope), _lift(right, scope)
        return Node(result, scope, lambda frame: function(left_run(frame), right_run(frame)))

    def _compare(self, node: ast.Compare, env: Environment) -> Node:
        operands = [self.compile(node.left, env)] + [self.compile(c, env) for c in node.comparators]
        pairs = [
            self._comparison(op, operands[index], operands[index + 1]) for index, op in enumerate(node.ops)
        ]
        if len(pairs) == 1:
            return pairs[0]
        scope = _widest(*pairs)
        runs = [_lift(pair, scope) for pair in pairs]

        def run(frame: Frame) -> Any:
            result = runs[0](frame)
            for other in runs[1:]:
                result = np.logical_and(result, other(frame))
            return result

        return Node(BOOL, scope, run)

    def _comparison(self, op: ast.cmpop, left: Node, right: Node) -> Node:
        if isinstance(op, ast.In | ast.NotIn):
            return self._membership(left, right, negate=isinstance(op, ast.NotIn))
        function = _ORDER.get(type(op))
        if function is None:
            raise ExpressionError("this comparison is not allowed")
        equality = isinstance(op, ast.Eq | ast.NotEq)
        kinds = (left.type.kind, right.type.kind)
        numeric = kinds[0] in NUMERIC and kinds[1] in NUMERIC
        if "enum" in kinds and equality:
            left, right = self._coded(left, right)
        elif not (numeric or (kinds == ("bool", "bool") and equality)):
            raise ExpressionError(f"cannot compare {left.type} with {right.type}")
        scope = _widest(left, right)
        left_run, right_run = _lift(left, scope), _lift(right, scope)
        return Node(BOOL, scope, lambda frame: function(left_run(frame), right_run(frame)))

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
        if other.literal is not None:
            if other.literal not in vocabulary:
                raise ExpressionError(f"{other.literal!r} is not one of {', '.join(vocabulary)}")
            code = _enum_code(vocabulary, other.literal)
            coded = Node(INT, "const", lambda _frame: code)
        else:
            self.enum_parameters.add((other.parameter, vocabulary))
            parameter = other.run
            coded = Node(INT, "const", lambda frame: _enum_code(vocabulary, parameter(frame)))
        return (enum_side, coded) if enum_side is left else (coded, enum_side)

    def _membership(self, left: Node, right: Node, *, negate: bool) -> Node:
        if right.type.kind != "list" or right.scope != "const":
            raise ExpressionError("'in' needs a list of values or a list parameter on its right")
        items = right.run
        if left.type.kind == "enum":
            vocabulary = left.type.vocabulary
            if right.type.item != "str":
                raise ExpressionError(f"cannot look for {left.type} in {right.type}")
            literal = right.literal
            if literal is not None:
                unknown = [value for value in literal if value not in vocabulary]
                if unknown:
                    raise ExpressionError(f"{unknown[0]!r} is not one of {', '.join(vocabulary)}")
            else:
                self.enum_parameters.add((right.parameter, vocabulary))

            def values(frame: Frame) -> Any:
                return [_enum_code(vocabulary, value) for value in items(frame)]
        elif left.type.kind in NUMERIC and right.type.item in NUMERIC:
            values = items  # type: ignore[assignment]  # the list parameter's values as they are
        else:
            raise ExpressionError(f"cannot look for {left.type} in {right.type}")
        run = left.run
        return Node(BOOL, left.scope, lambda frame: np.isin(run(frame), values(frame), invert=negate))

    def _conditional(self, node: ast.IfExp, env: Environment) -> Node:
        test, body, orelse = (self.compile(part, env) for part in (node.test, node.body, node.orelse))
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
        scope = _widest(test, body, orelse)
        runs = [_lift(part, scope) for part in (test, body, orelse)]
        return Node(result, scope, lambda frame: np.where(runs[0](frame), runs[1](frame), runs[2](frame)))

    def _list(self, node: ast.List | ast.Tuple) -> Node:
        values = []
        for item in node.elts:
            if not isinstance(item, ast.Constant) or isinstance(item.value, bool):
                raise ExpressionError("a list may only hold numbers or text")
            values.append(item.value)
        list_type = type_of_value(values)
        return Node(
            list_type, "const", lambda _frame: values, literal=values if list_type.item == "str" else None
        )

    def _call(self, node: ast.Call, env: Environment) -> Node:
        if not isinstance(node.func, ast.Name) or node.keywords:
            raise ExpressionError("only any, all, count, sum, min, max and abs may be called")
        name = node.func.id
        if name in AGGREGATES:
            return self._aggregate(name, node, env)
        if name not in ("min", "max", "abs"):
            raise ExpressionError(f"unknown function {name!r}: only any, all, count, sum, min, max and abs")
        args = [self.compile(arg, env) for arg in node.args]
        for arg in args:
            if arg.type.kind not in NUMERIC:
                raise ExpressionError(f"{name}() needs numbers, not {arg.type}")
        if name == "abs":
            if len(args) != 1:
                raise ExpressionError("abs() takes one value")
            single = args[0].run
            return Node(args[0].type, args[0].scope, lambda frame: np.abs(single(frame)))
        if len(args) < 2:
            raise ExpressionError(f"{name}() takes two or more values")
        result = FLOAT if any(arg.type == FLOAT for arg in args) else INT
        scope = _widest(*args)
        runs = [_lift(arg, scope) for arg in args]
        function = np.minimum if name == "min" else np.maximum

        def run(frame: Frame) -> Any:
            value = runs[0](frame)
            for other in runs[1:]:
                value = function(value, other(frame))
            return value

        return Node(result, scope, run)

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
        conditions = [self.compile(condition, inner) for condition in loop.ifs]
        for condition in conditions:
            if condition.type != BOOL:
                raise ExpressionError(f"the 'if' of {name}() must be yes/no, not {condition.type}")
        if name == "count" and isinstance(generator.elt, ast.Name) and generator.elt.id == variable:
            element = Node(BOOL, "const", lambda _frame: True)
        else:
            element = self.compile(generator.elt, inner)
        if name == "sum":
            if element.type.kind not in NUMERIC:
                raise ExpressionError(f"sum() needs numbers, not {element.type}")
        elif element.type != BOOL:
            raise ExpressionError(f"{name}() needs a yes/no condition, not {element.type}")
        value_run = _lift(element, "member")
        masks = [_lift(condition, "member") for condition in conditions]
        element_is_const = element.scope == "const"
        result_type = INT if name == "count" else element.type if name == "sum" else BOOL

        def run(frame: Frame) -> Any:
            members = len(frame.batch.owner)
            values = value_run(frame)
            if element_is_const:
                values = np.full(members, values)
            selected = np.ones(members, bool)
            for mask in masks:
                selected = np.logical_and(selected, np.broadcast_to(mask(frame), (members,)))
            if name == "all":
                failing = np.logical_and(selected, np.logical_not(values))
                return np.bincount(frame.batch.owner, weights=failing, minlength=frame.size) == 0
            if name == "sum":
                weights = np.where(selected, values, 0)
                total = np.bincount(frame.batch.owner, weights=weights, minlength=frame.size)
                return np.rint(total).astype(np.int64) if result_type == INT else total
            counts = np.bincount(
                frame.batch.owner, weights=np.logical_and(selected, values), minlength=frame.size
            )
            return counts > 0 if name == "any" else np.rint(counts).astype(np.int64)

        return Node(result_type, "household", run)
