"""Queries of what-if simulations: on PostgreSQL one aggregate query, on SQLite the projection in chunks.

On PostgreSQL every household of the region is evaluated inside the database under the draft and
under the policy that applies to it today (rules/relational.py), compared there, and counted by
village and simulated category; a second query returns the first affected households by id.
"""

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import String, and_, case, cast, false, func, not_, null, or_, select, true, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from services.eligibility.models import HouseholdInput
from services.eligibility.policies.engine import CompiledPolicy, Scope
from services.eligibility.reassessments.repository import inside, local_settings
from services.eligibility.rules import relational
from services.eligibility.rules.inputs import HOUSEHOLD_COLUMNS
from services.kit.regions import region_bounds, region_prefix


@dataclass(frozen=True)
class Counted:
    village_code: str
    category: str
    households: int
    entering: int
    exiting: int
    changing: int


@dataclass(frozen=True)
class Affected:
    household_id: uuid.UUID
    village_code: str
    current_category: str | None
    simulated_category: str
    change: Literal["enters", "exits", "changes"]


def _compared(
    draft: CompiledPolicy,
    current: Sequence[tuple[CompiledPolicy, Scope]],
    region_code: str,
    as_of: dt.date,
) -> Any:
    """Each household of the region: village, simulated and current category, and how it changes.

    One branch per policy in force (its households evaluated under the draft, then under it) and
    one for households no policy covers (they have no current category).
    """
    households = HouseholdInput.__table__
    village = households.c.village_code
    source = select(
        households.c.household_id,
        village,
        *[households.c[name] for name in HOUSEHOLD_COLUMNS],
        households.c.members,
    ).where(village.between(*region_bounds(region_prefix(region_code))))
    params = draft.parameters_on(as_of)

    def branch(condition: Any, policy: CompiledPolicy | None) -> Any:
        simulated = relational.evaluated(
            draft.program, source.where(condition).subquery(), params=params, as_of=as_of, prefix="n"
        )
        if policy is None:
            final = simulated
            old: dict[str, Any] = {"category": null(), "degree": null(), "poor": false()}
        else:
            final = relational.evaluated(
                policy.program, simulated.query, params=policy.parameters_on(as_of), as_of=as_of, prefix="o"
            )
            old = policy.stored_columns(final)
        new = draft.stored_columns(relational.Evaluated(final.query, simulated.columns))
        entering = and_(new["poor"], not_(old["poor"]))
        exiting = and_(old["poor"], not_(new["poor"]))
        changing = or_(
            new["category"].is_distinct_from(old["category"]), new["degree"].is_distinct_from(old["degree"])
        )
        change = case((entering, "enters"), (exiting, "exits"), (changing, "changes"), else_=null())
        return select(
            final.query.c.household_id,
            final.query.c.village_code,
            new["category"].label("simulated"),
            cast(old["category"], String()).label("current"),
            change.label("change"),
        )

    branches = [branch(inside(village, scope), policy) for policy, scope in current]
    branches.append(branch(and_(true(), *[not_(inside(village, scope)) for _p, scope in current]), None))
    return union_all(*branches).subquery("compared")


async def counts(
    session: AsyncSession,
    draft: CompiledPolicy,
    current: Sequence[tuple[CompiledPolicy, Scope]],
    region_code: str,
    as_of: dt.date,
) -> list[Counted]:
    """Households by village and simulated category, and how many of them enter, exit or change."""
    compared = _compared(draft, current, region_code, as_of)
    row = compared.c
    statement = (
        select(
            row.village_code,
            row.simulated,
            func.count(),
            func.count().filter(row.change == "enters"),
            func.count().filter(row.change == "exits"),
            func.count().filter(row.change == "changes"),
        )
        .group_by(row.village_code, row.simulated)
        .order_by(row.village_code, row.simulated)
    )
    await local_settings(session)
    return [Counted(*found) for found in (await session.execute(statement)).all()]


async def sample(
    session: AsyncSession,
    draft: CompiledPolicy,
    current: Sequence[tuple[CompiledPolicy, Scope]],
    region_code: str,
    as_of: dt.date,
    size: int,
) -> list[Affected]:
    """The first affected households, by id."""
    compared = _compared(draft, current, region_code, as_of)
    row = compared.c
    statement = (
        select(row.household_id, row.village_code, row.current, row.simulated, row.change)
        .where(row.change.is_not(None))
        .order_by(row.household_id)
        .limit(size)
    )
    return [Affected(*found) for found in (await session.execute(statement)).all()]
