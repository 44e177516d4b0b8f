"""A policy document compiled: checked once, then evaluated over batches of households.

`CompiledPolicy` refuses a document with any problem (all of them reported at once). Checked, it
is one `Program`: the rules in order, then the outcome (category, poverty, degree, extreme
poverty, exit readiness, programs and quantities, score items, their points and the score), run
by numpy (`evaluate`, an `Evaluation` of numpy columns) or inside PostgreSQL (`stored_columns`
over `rules.relational.evaluated`). `Outcome` is one household's compact result, the part that
is stored: the assessment's columns and `details`, one record of fixed width whose bytes both back
ends write alike (big-endian). `CompiledPolicy.explain` turns an outcome back into the full
explanation, with reasons and values, so a stored assessment and a re-run of it print the same
bytes when their outcomes agree. The outcome key (`Evaluation.outcomes`, `stored_columns`) is
equal when two outcomes are, across policy versions: only a changed one is announced.
"""

import datetime as dt
import hashlib
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import ColumnElement, Integer, String, cast, func, literal

from services.eligibility.rules import relational, vector
from services.eligibility.rules.expressions import (
    BOOL,
    FLOAT,
    INT,
    Compiled,
    Environment,
    ExpressionError,
    Node,
    Program,
    Type,
    compile_expression,
    reference,
    type_of_value,
)
from services.eligibility.rules.inputs import HOUSEHOLD, HouseholdBatch, InputField
from services.eligibility.rules.vector import Frame
from services.eligibility.schemas import (
    CATEGORY_LABELS,
    DEGREE_LABELS,
    Explanation,
    PolicyDocument,
    Problem,
    ProgramResult,
    RuleResult,
    ScoreItemResult,
)


class PolicyInvalid(ValueError):
    """The document cannot be used; `problems` says every reason, with where it is."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.location}: {p.message}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Scope:
    """Where one of a list of policies applies within a region: under `prefix`, but not under `excluded`."""

    index: int
    prefix: str
    excluded: tuple[str, ...]

    def covers(self, villages: npt.NDArray[np.str_]) -> npt.NDArray[np.bool_]:
        inside = np.char.startswith(villages, self.prefix)
        for prefix in self.excluded:
            inside &= ~np.char.startswith(villages, prefix)
        return np.asarray(inside, bool)


def resolve(document: PolicyDocument, base: PolicyDocument | None) -> PolicyDocument:
    """A county override merged onto the (resolved) base it extends; a base document is returned as is."""
    if document.extends is None:
        return document
    if base is None:
        raise PolicyInvalid(
            [Problem(location="extends", message=f"no published policy {document.extends!r}")]
        )
    rules = {rule.id: rule for rule in base.rules}
    added = []
    for rule in document.rules:
        if rule.id not in rules:
            added.append(rule)
        rules[rule.id] = rule
    return document.model_copy(
        update={
            "extends_version": base.policy_version,
            "parameters": {**base.parameters, **document.parameters},
            "rules": [rules[rule.id] for rule in base.rules] + added,
            "outcome": document.outcome or base.outcome,
            "score": document.score or base.score,
        }
    )


@dataclass(frozen=True)
class Outcome:
    """One household's result under one policy version: what is stored, compactly."""

    category: str
    poor: bool
    degree: str | None
    extreme_poverty: bool
    exit_ready: bool
    rules: tuple[bool, ...]
    programs: tuple[bool, ...]
    quantities: tuple[int, ...]
    score_values: tuple[float, ...]
    points: tuple[int, ...]
    score_x100: int


@dataclass(frozen=True)
class Outcomes:
    """Per household of an evaluation: a key equal when the outcome is, and its programs as JSON.

    The key is the MD5 of "category|degree|extreme exit|programs" (programs by code, as JSON)
    followed by ":" and the score, so it compares across policy versions.
    """

    keys: list[str]
    programs_json: list[str]


def outcome_key(category: str, degree: str | None, extreme: bool, exit_ready: bool, programs: str) -> str:
    """The key of an outcome without its score (see Outcomes)."""
    described = f"{category}|{degree or '-'}|{int(extreme)}{int(exit_ready)}|{programs}"
    return hashlib.md5(described.encode(), usedforsecurity=False).hexdigest()


@dataclass
class Evaluation:
    """Results of a whole batch, one row per household."""

    policy: "CompiledPolicy"
    frame: Frame
    category: npt.NDArray[np.int64]  # index into policy.category_names
    degree: npt.NDArray[np.int64]  # index into policy.degree_names, -1 when not poor
    extreme: npt.NDArray[np.bool_]
    exit_ready: npt.NDArray[np.bool_]
    rules: npt.NDArray[np.bool_]
    programs: npt.NDArray[np.bool_]
    quantities: npt.NDArray[np.int64]
    score_values: npt.NDArray[np.float64]
    points: npt.NDArray[np.int64]
    score_x100: npt.NDArray[np.int64]
    poor: npt.NDArray[np.bool_]

    def category_names(self) -> list[str]:
        return np.asarray(self.policy.category_names, dtype=object)[self.category].tolist()  # type: ignore[no-any-return]

    def degree_names(self) -> list[str | None]:
        names = np.asarray([*self.policy.degree_names, None], dtype=object)
        return names[self.degree].tolist()  # type: ignore[no-any-return]

    def packed(self) -> list[bytes]:
        """Each household's rule, program and score details as one fixed-width record."""
        records = np.zeros(self.frame.size, self.policy.record_dtype)
        records["rules"] = self.rules.reshape(self.frame.size, -1)
        records["programs"] = self.programs.reshape(self.frame.size, -1)
        records["quantities"] = self.quantities.reshape(self.frame.size, -1)
        # One NaN for every not-a-number (arithmetic may give another bit pattern), as SQL writes it.
        values = self.score_values.reshape(self.frame.size, -1)
        records["values"] = np.where(np.isnan(values), math.nan, values)
        records["points"] = self.points.reshape(self.frame.size, -1)
        buffer = records.tobytes()
        width = self.policy.record_dtype.itemsize
        return [buffer[start : start + width] for start in range(0, len(buffer), width)]

    def outcomes(self) -> Outcomes:
        """Outcome keys and program maps, computed once per distinct combination rather than per household."""
        size = self.frame.size
        matrix = np.column_stack(
            [self.category, self.degree, self.extreme, self.exit_ready, self.programs, self.quantities]
        ).astype(np.int64)
        matrix = np.ascontiguousarray(matrix.reshape(size, -1))
        rows = matrix.view(np.dtype((np.void, matrix.dtype.itemsize * matrix.shape[1]))).ravel()
        _values, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
        codes = self.policy.program_codes
        count = len(codes)
        prefixes, programs = [], []
        for row in matrix[first].tolist():
            category, degree, extreme, exit_ready = row[:4]
            granted, quantities = row[4 : 4 + count], row[4 + count :]
            text = (
                "{"
                + ",".join(
                    f'"{code}":{quantity}'
                    for code, eligible, quantity in zip(codes, granted, quantities, strict=True)
                    if eligible
                )
                + "}"
            )
            degree_name = self.policy.degree_names[degree] if degree >= 0 else None
            key = outcome_key(
                self.policy.category_names[category], degree_name, bool(extreme), bool(exit_ready), text
            )
            prefixes.append(key + ":")
            programs.append(text)
        index = np.asarray(inverse).reshape(-1).tolist()
        return Outcomes(
            keys=[prefixes[i] + str(score) for i, score in zip(index, self.score_x100.tolist(), strict=True)],
            programs_json=[programs[i] for i in index],
        )

    def outcome(self, row: int) -> Outcome:
        degree = int(self.degree[row])
        return Outcome(
            category=self.policy.category_names[int(self.category[row])],
            poor=bool(self.poor[row]),
            degree=self.policy.degree_names[degree] if degree >= 0 else None,
            extreme_poverty=bool(self.extreme[row]),
            exit_ready=bool(self.exit_ready[row]),
            rules=tuple(bool(v) for v in self.rules[row]),
            programs=tuple(bool(v) for v in self.programs[row]),
            quantities=tuple(int(v) for v in self.quantities[row]),
            score_values=tuple(float(v) for v in self.score_values[row]),
            points=tuple(int(v) for v in self.points[row]),
            score_x100=int(self.score_x100[row]),
        )


class CompiledPolicy:
    """A resolved policy document, type-checked and compiled; raises PolicyInvalid otherwise."""

    def __init__(self, document: PolicyDocument) -> None:
        self.document = document
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.parameter_types = self._parameter_types()
        environment = Environment(self.parameter_types, frozenset())
        self.rules: list[Compiled] = []
        seen: set[str] = set()
        for index, rule in enumerate(document.rules):
            where = f"rules[{index}] ({rule.id})"
            if rule.id in seen:
                self._problem(where, f"rule id {rule.id!r} is used twice")
            compiled = self._compile(where, rule.expression, environment, ("bool",))
            if compiled is not None:
                self.rules.append(compiled)
            seen.add(rule.id)
            environment = Environment(self.parameter_types, frozenset(seen))
        self.environment = environment
        self._compile_outcome()
        self._compile_score()
        self._check_parameters()
        if self.problems:
            raise PolicyInvalid(self.problems)
        self.record_dtype = np.dtype(
            [
                ("rules", "u1", (len(self.rules),)),
                ("programs", "u1", (len(self.programs),)),
                ("quantities", ">i4", (len(self.programs),)),
                ("values", ">f8", (len(self.score_items),)),
                ("points", "u1", (len(self.score_items),)),
            ]
        )
        self.program_codes = (
            [program.code for program in document.outcome.programs] if document.outcome else []
        )
        self.program = self._program()

    # -- checking ---------------------------------------------------------------------------

    def _problem(self, location: str, message: str) -> None:
        self.problems.append(Problem(location=location, message=message))

    def _compile(
        self, location: str, source: str, environment: Environment, expect: tuple[str, ...]
    ) -> Compiled | None:
        try:
            return compile_expression(source, environment, expect)
        except ExpressionError as exc:
            self._problem(location, str(exc))
            return None

    def _parameter_types(self) -> dict[str, Type]:
        types: dict[str, Type] = {}
        for name, definition in self.document.parameters.items():
            try:
                found = {type_of_value(value) for value in definition.values.values()}
            except ExpressionError as exc:
                self._problem(f"parameters.{name}", str(exc))
                continue
            if found <= {INT, FLOAT}:
                types[name] = FLOAT if FLOAT in found else INT
            elif len(found) == 1:
                types[name] = found.pop()
            else:
                self._problem(f"parameters.{name}", "values of one parameter must all have the same type")
        return types

    def _compile_cases(self, section: str, conditions: Sequence[str | None]) -> list[Compiled | None]:
        compiled: list[Compiled | None] = []
        for index, condition in enumerate(conditions):
            last = index == len(conditions) - 1
            if condition is None:
                if not last:
                    self._problem(f"outcome.{section}[{index}]", "only the last case may have no condition")
                compiled.append(None)
                continue
            if last:
                self._problem(
                    f"outcome.{section}[{index}]", "the last case must have no condition (otherwise)"
                )
            compiled.append(
                self._compile(f"outcome.{section}[{index}]", condition, self.environment, ("bool",))
            )
        return compiled

    def _compile_outcome(self) -> None:
        outcome = self.document.outcome
        self.category_names: list[str] = []
        self.poor_by_category = np.zeros(0, bool)
        self.degree_names: list[str] = []
        self.category_cases: list[Compiled | None] = []
        self.degree_cases: list[Compiled | None] = []
        self.programs: list[tuple[Compiled | None, Compiled | None]] = []
        self.extreme: Compiled | None = None
        self.exit_ready: Compiled | None = None
        if outcome is None:
            self._problem("outcome", "a policy needs an outcome (or must extend one that has)")
            return
        self.category_names = [case.category for case in outcome.categories]
        self.poor_by_category = np.asarray(
            [name in outcome.poor_categories for name in self.category_names], bool
        )
        if "not_poor" in outcome.poor_categories:
            self._problem("outcome.poor_categories", "not_poor cannot be a poor category")
        self.category_cases = self._compile_cases("categories", [case.when for case in outcome.categories])
        self.degree_names = [case.degree for case in outcome.degrees]
        self.degree_cases = self._compile_cases("degrees", [case.when for case in outcome.degrees])
        self.extreme = self._compile(
            "outcome.extreme_poverty", outcome.extreme_poverty, self.environment, ("bool",)
        )
        self.exit_ready = self._compile("outcome.exit_ready", outcome.exit_ready, self.environment, ("bool",))
        codes: set[str] = set()
        for index, program in enumerate(outcome.programs):
            where = f"outcome.programs[{index}] ({program.code})"
            if program.code in codes:
                self._problem(where, f"program {program.code!r} is listed twice")
            codes.add(program.code)
            when = self._compile(where + ".when", program.when, self.environment, ("bool",))
            quantity = (
                self._compile(where + ".quantity", program.quantity, self.environment, ("int",))
                if program.quantity is not None
                else None
            )
            self.programs.append((when, quantity))

    def _compile_score(self) -> None:
        self.score_items: list[Compiled | None] = []
        self.score_tables: list[npt.NDArray[np.int64] | None] = []
        score = self.document.score
        if score is None:
            self._problem("score", "a policy needs a score (or must extend one that has)")
            return
        ids: set[str] = set()
        for index, item in enumerate(score.items):
            where = f"score.items[{index}] ({item.id})"
            if item.id in ids:
                self._problem(where, f"score item {item.id!r} is listed twice")
            ids.add(item.id)
            if self.parameter_types.get(item.weight) != INT:
                self._problem(
                    where + ".weight", f"weight must name a whole-number parameter, not {item.weight!r}"
                )
            compiled = self._compile(
                where + ".value", item.value, self.environment, ("int", "float", "bool", "enum")
            )
            self.score_items.append(compiled)
            self.score_tables.append(None)
            if compiled is None:
                continue
            kind = compiled.type.kind
            if (item.bands is None) == (item.points_by_value is None):
                self._problem(where, "give either bands (for numbers) or points_by_value (for categories)")
            elif item.bands is not None:
                if kind not in ("int", "float"):
                    self._problem(where + ".bands", f"bands need a numeric value, not {compiled.type}")
                bounds = [band.below for band in item.bands]
                if bounds[-1] is not None or any(bound is None for bound in bounds[:-1]):
                    self._problem(
                        where + ".bands", "every band but the last needs 'below'; the last has none"
                    )
                elif any((low or 0) >= (high or 0) for low, high in itertools.pairwise(bounds[:-1])):
                    self._problem(where + ".bands", "'below' bounds must increase")
            elif item.points_by_value is not None:
                self.score_tables[-1] = self._points_table(
                    where, compiled.type, item.points_by_value, item.default_points
                )

    def _points_table(
        self, where: str, value_type: Type, points: dict[str, int], default: int
    ) -> npt.NDArray[np.int64] | None:
        if value_type.kind == "enum":
            allowed = value_type.vocabulary
            table = np.full(len(allowed) + 1, default, np.int64)
            for key, value in points.items():
                if key not in allowed:
                    self._problem(where + ".points_by_value", f"{key!r} is not one of {', '.join(allowed)}")
                else:
                    table[allowed.index(key) + 1] = value
            return table
        if value_type == BOOL:
            table = np.full(2, default, np.int64)
            for key, value in points.items():
                if key not in ("true", "false"):
                    self._problem(where + ".points_by_value", f"{key!r}: a yes/no value is 'true' or 'false'")
                else:
                    table[1 if key == "true" else 0] = value
            return table
        self._problem(
            where + ".points_by_value", f"points_by_value needs a category or yes/no, not {value_type}"
        )
        return None

    def _check_parameters(self) -> None:
        document = self.document
        used: set[str] = set()
        compiled_all = [*self.rules, *self.category_cases, *self.degree_cases, self.extreme, self.exit_ready]
        compiled_all += [part for pair in self.programs for part in pair] + list(self.score_items)
        for compiled in compiled_all:
            if compiled is None:
                continue
            used.update(compiled.parameters)
            for name, vocabulary in compiled.enum_parameters:
                for date, value in document.parameters[name].values.items():
                    values = value if isinstance(value, list) else [value]
                    for item in values:
                        if item not in vocabulary:
                            self._problem(
                                f"parameters.{name}.values.{date}",
                                f"{item!r} is not one of {', '.join(vocabulary)}",
                            )
        weights = [item.weight for item in document.score.items] if document.score else []
        used.update(weights)
        for name, definition in document.parameters.items():
            if min(definition.values) > document.effective_from:
                self._problem(
                    f"parameters.{name}",
                    f"no value in force on the policy's effective date {document.effective_from}",
                )
            if name not in used:
                self.warnings.append(Problem(location=f"parameters.{name}", message="not used by any rule"))
        if weights and all(self.parameter_types.get(w) == INT for w in weights):
            dates = sorted(
                {d for w in weights for d in document.parameters[w].values} | {document.effective_from}
            )
            for date in dates:
                if date < document.effective_from:
                    continue
                values = [self._value_on(weight, date) for weight in weights]
                if any(value is None for value in values):
                    continue  # reported above: a weight with no value in force
                total = sum(int(value) for value in values if value is not None)
                if total != 100:
                    self._problem("score", f"weights add up to {total} on {date}, not 100")

    # -- evaluating -------------------------------------------------------------------------

    def _value_on(self, name: str, as_of: dt.date) -> Any:
        values = self.document.parameters[name].values
        dated = [date for date in values if date <= as_of]
        return values[max(dated)] if dated else None

    def parameters_on(self, as_of: dt.date) -> dict[str, Any]:
        """Each parameter's value in force on a date (the latest value dated on or before it)."""
        values: dict[str, Any] = {}
        for name, definition in self.document.parameters.items():
            dated = [date for date in definition.values if date <= as_of]
            if not dated:
                raise ValueError(f"parameter {name} has no value on {as_of}")
            values[name] = definition.values[max(dated)]
        return values

    def _program(self) -> Program:
        """The policy as one program: its rules, then its outcome under names starting with '@'."""
        document = self.document
        assert document.outcome is not None
        assert document.score is not None
        definitions = [
            (rule.id, compiled.node) for rule, compiled in zip(document.rules, self.rules, strict=True)
        ]

        def node(compiled: Compiled | None) -> Node:
            assert compiled is not None, "a checked policy compiled every part"
            return compiled.node

        def first(cases: list[Compiled | None]) -> Node:
            return Node("first", INT, "household", tuple(node(case) for case in cases[:-1]))

        definitions.append(("@category", first(self.category_cases)))
        poor_indexes = tuple(index for index, poor in enumerate(self.poor_by_category.tolist()) if poor)
        poor = (
            Node("in", BOOL, "household", (reference("@category", INT), _constant(poor_indexes)), False)
            if poor_indexes
            else _constant(False)
        )
        definitions.append(("@poor", poor))
        degree = Node(
            "if", INT, "household", (reference("@poor", BOOL), first(self.degree_cases), _constant(-1))
        )
        definitions.append(("@degree", degree))
        definitions.append(("@extreme", node(self.extreme)))
        definitions.append(("@exit_ready", node(self.exit_ready)))
        for index, (when, quantity) in enumerate(self.programs):
            definitions.append((f"@program{index}", node(when)))
            amount = node(quantity) if quantity is not None else _constant(1)
            granted = (reference(f"@program{index}", BOOL), amount, _constant(0))
            definitions.append((f"@quantity{index}", Node("if", INT, "household", granted)))
        total: Node | None = None
        for index, (item, scored, table) in enumerate(
            zip(document.score.items, self.score_items, self.score_tables, strict=True)
        ):
            value = reference(f"@value{index}", node(scored).type)
            definitions.append((f"@value{index}", node(scored)))
            if table is not None:
                points = Node("lookup", INT, "household", (value,), tuple(table.tolist()))
            else:
                assert item.bands is not None
                bounds = tuple((band.below, band.points) for band in item.bands[:-1])
                points = Node("bands", INT, "household", (value,), (bounds, item.bands[-1].points))
            definitions.append((f"@points{index}", points))
            weight = Node("param", INT, "const", value=item.weight)
            weighted = Node("arith", INT, "household", (reference(f"@points{index}", INT), weight), "*")
            total = weighted if total is None else Node("arith", INT, "household", (total, weighted), "+")
        definitions.append(("@score", total if total is not None else _constant(0)))
        return Program(tuple(definitions))

    def evaluate(self, batch: HouseholdBatch, as_of: dt.date) -> Evaluation:
        frame = Frame(batch, as_of, self.parameters_on(as_of))
        vector.run(self.program, frame)
        size = batch.size
        results = frame.rules

        def matrix(names: list[str], dtype: Any) -> npt.NDArray[Any]:
            columns = [np.asarray(results[name], dtype) for name in names]
            return np.column_stack(columns) if columns else np.zeros((size, 0), dtype)

        programs = range(len(self.programs))
        items = range(len(self.score_items))
        return Evaluation(
            policy=self,
            frame=frame,
            category=np.asarray(results["@category"], np.int64),
            degree=np.asarray(results["@degree"], np.int64),
            extreme=np.asarray(results["@extreme"], bool),
            exit_ready=np.asarray(results["@exit_ready"], bool),
            rules=matrix([rule.id for rule in self.document.rules], bool),
            programs=matrix([f"@program{index}" for index in programs], bool),
            quantities=matrix([f"@quantity{index}" for index in programs], np.int64),
            score_values=matrix([f"@value{index}" for index in items], np.float64),
            points=matrix([f"@points{index}" for index in items], np.int64),
            score_x100=np.asarray(results["@score"], np.int64),
            poor=np.asarray(results["@poor"], bool),
        )

    def stored_columns(self, evaluated: relational.Evaluated) -> dict[str, ColumnElement[Any]]:
        """What `evaluate` and `Evaluation` give, as SQL over the program evaluated in PostgreSQL.

        Keys: category, poor, degree, extreme_poverty, exit_ready, score_x100, details, outcome_key
        (see Outcomes) and programs (the granted programs and quantities as JSON text).
        """
        category = relational.names(evaluated["@category"], self.category_names)
        degree = relational.names(evaluated["@degree"], self.degree_names)
        programs = range(len(self.programs))
        granted = [evaluated[f"@program{index}"] for index in programs]
        quantities = [evaluated[f"@quantity{index}"] for index in programs]
        items = range(len(self.score_items))
        kinds = [compiled.type.kind for compiled in self.score_items if compiled is not None]
        details = relational.concatenated(
            [
                relational.small_bytes([evaluated[rule.id] for rule in self.document.rules] + granted),
                *[relational.int4_bytes(quantity) for quantity in quantities],
                *[relational.float8_bytes(evaluated[f"@value{index}"], kinds[index]) for index in items],
                relational.small_bytes([evaluated[f"@points{index}"] for index in items]),
            ]
        )
        pieces = [
            relational.case_text(eligible, f',"{code}":', cast(quantity, String()))
            for code, eligible, quantity in zip(self.program_codes, granted, quantities, strict=True)
        ]
        listed = relational.text_concat(pieces) if pieces else literal("", String())
        programs_json = relational.text_concat(
            [literal("{", String()), func.substr(listed, 2, type_=String()), literal("}", String())]
        )
        flags = relational.text_concat(
            [
                cast(cast(evaluated["@extreme"], Integer()), String()),
                cast(cast(evaluated["@exit_ready"], Integer()), String()),
            ]
        )
        described = relational.text_concat(
            [
                category,
                literal("|", String()),
                func.coalesce(degree, "-", type_=String()),
                literal("|", String()),
                flags,
                literal("|", String()),
                programs_json,
            ]
        )
        score = evaluated["@score"]
        key = relational.text_concat(
            [func.md5(described, type_=String()), literal(":", String()), cast(score, String())]
        )
        return {
            "category": category,
            "poor": evaluated["@poor"],
            "degree": degree,
            "extreme_poverty": evaluated["@extreme"],
            "exit_ready": evaluated["@exit_ready"],
            "score_x100": score,
            "details": details,
            "outcome_key": key,
            "programs": programs_json,
        }

    def unpack(
        self,
        record: bytes,
        *,
        category: str,
        poor: bool,
        degree: str | None,
        extreme_poverty: bool,
        exit_ready: bool,
        score_x100: int,
    ) -> Outcome:
        """A stored outcome: the columns of the assessment row and its packed record."""
        fields = np.frombuffer(record, self.record_dtype)[0]
        return Outcome(
            category=category,
            poor=poor,
            degree=degree,
            extreme_poverty=extreme_poverty,
            exit_ready=exit_ready,
            rules=tuple(bool(v) for v in fields["rules"]),
            programs=tuple(bool(v) for v in fields["programs"]),
            quantities=tuple(int(v) for v in fields["quantities"]),
            score_values=tuple(float(v) for v in fields["values"]),
            points=tuple(int(v) for v in fields["points"]),
            score_x100=score_x100,
        )

    # -- explaining -------------------------------------------------------------------------

    def explain(self, outcome: Outcome, inputs: Frame, inputs_hash: str) -> Explanation:
        """The full, bilingual explanation of an outcome; `inputs` is a one-household frame of its facts."""
        document = self.document
        assert document.policy_version is not None
        assert document.score is not None
        assert document.outcome is not None
        parameters = inputs.params
        rules = []
        for definition, compiled, passed in zip(document.rules, self.rules, outcome.rules, strict=True):
            values: dict[str, Any] = {
                f"household.{name}": _household_value(HOUSEHOLD[name], inputs.household(name)[0])
                for name in compiled.household_fields
            }
            values.update({f"params.{name}": parameters[name] for name in compiled.parameters})
            rules.append(
                RuleResult(
                    id=definition.id,
                    passed=passed,
                    reason_zh=definition.reason_true_zh if passed else definition.reason_false_zh,
                    reason_en=definition.reason_true_en if passed else definition.reason_false_en,
                    values=values,
                )
            )
        items = []
        for index, (item, scored) in enumerate(zip(document.score.items, self.score_items, strict=True)):
            assert scored is not None
            weight = int(parameters[item.weight])
            points = outcome.points[index]
            items.append(
                ScoreItemResult(
                    id=item.id,
                    label_zh=item.label_zh,
                    label_en=item.label_en,
                    value=_score_value(scored.type, outcome.score_values[index]),
                    points=points,
                    weight=weight,
                    contribution=points * weight / 100,
                )
            )
        programs = [
            ProgramResult(
                code=program.code,
                label_zh=program.label_zh,
                label_en=program.label_en,
                eligible=outcome.programs[index],
                quantity=outcome.quantities[index],
            )
            for index, program in enumerate(document.outcome.programs)
        ]
        label_zh, label_en = CATEGORY_LABELS[outcome.category]
        return Explanation(
            policy_code=document.code,
            policy_version=document.policy_version,
            as_of=inputs.as_of,
            inputs_hash=inputs_hash,
            category=outcome.category,
            category_label=label_zh,
            category_label_en=label_en,
            poor=outcome.poor,
            degree=outcome.degree,
            degree_label=DEGREE_LABELS[outcome.degree][0] if outcome.degree else None,
            extreme_poverty=outcome.extreme_poverty,
            exit_ready=outcome.exit_ready,
            programs=programs,
            score=outcome.score_x100 / 100,
            score_items=items,
            rules=rules,
            parameters=parameters,
        )


def _constant(value: Any) -> Node:
    kind = type_of_value(list(value)) if isinstance(value, tuple) else type_of_value(value)
    return Node("const", kind, "const", value=value)


def _household_value(field: InputField, value: Any) -> Any:
    if field.kind == "enum":
        code = int(value)
        return field.vocabulary[code - 1] if code > 0 else None
    if field.kind == "float":
        number = float(value)
        return None if math.isnan(number) else number
    return value.item() if hasattr(value, "item") else value


def _score_value(value_type: Type, value: float) -> Any:
    if value_type.kind == "enum":
        code = int(value)
        return value_type.vocabulary[code - 1] if code > 0 else None
    if value_type == BOOL:
        return bool(value)
    if value_type == INT:
        return int(value)
    return None if math.isnan(value) else value
