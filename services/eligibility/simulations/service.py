"""What-if simulation (政策模拟): a draft over current households, compared with the policies in force.

Nothing is stored. Each household is evaluated under the draft and under the published policy
that applies to it today, and the differences are counted by village and simulated category: who
enters the poor list, who exits it, and who changes category (or degree) while staying on the same
side; a sample lists the first affected households by id. On PostgreSQL this is one aggregate
query inside the database (simulations/repository.py); on SQLite the projection is read in chunks
and evaluated by numpy.
"""

import datetime as dt
import uuid
from collections import Counter

import numpy as np
import numpy.typing as npt
from sqlalchemy.ext.asyncio import AsyncSession

from services.eligibility.assessments.service import compiled_for
from services.eligibility.models import Policy
from services.eligibility.policies import repository as policy_repository
from services.eligibility.policies.engine import CompiledPolicy
from services.eligibility.policies.service import assign_policies, compiled, get, scopes
from services.eligibility.reassessments.repository import is_postgres, read_chunk
from services.eligibility.rules.inputs import HouseholdBatch
from services.eligibility.schemas import SimulationCount, SimulationIn, SimulationOut, SimulationSample
from services.eligibility.simulations import repository
from services.kit.auth import Principal
from services.kit.errors import Forbidden, Unprocessable
from services.kit.regions import region_prefix

CHUNK_SIZE = 50_000


async def simulate(
    session: AsyncSession, principal: Principal, policy_id: uuid.UUID, body: SimulationIn
) -> SimulationOut:
    policy = await get(session, policy_id)
    region = body.region_code or policy.region_code
    if not principal.covers(region):
        raise Forbidden("You may only simulate over your own region.", "您只能在本辖区内模拟。")
    if not region.startswith(region_prefix(policy.region_code)):
        raise Unprocessable(
            f"Region {region} is outside the policy's region {policy.region_code}.",
            f"区划 {region} 不在该政策的适用范围 {policy.region_code} 内。",
        )
    draft = await compiled_for(session, policy)
    as_of = body.as_of or max(dt.date.today(), policy.effective_from)
    if as_of < policy.effective_from:
        raise Unprocessable(
            f"The policy takes effect on {policy.effective_from}.",
            f"该政策自 {policy.effective_from} 起生效。",
        )
    published = list(await policy_repository.published(session))
    compiled_published = [await compiled(session, policy) for policy in published]
    if is_postgres(session):
        current = [(compiled_published[scope.index], scope) for scope in scopes(published, region, as_of)]
        counted = await repository.counts(session, draft, current, region, as_of)
        affected = (
            await repository.sample(session, draft, current, region, as_of, body.sample_size)
            if body.sample_size
            else []
        )
    else:
        counted, affected = await _simulate_here(
            session, draft, published, compiled_published, region, as_of, body.sample_size
        )
    return SimulationOut(
        policy_id=policy.id,
        region_code=region,
        as_of=as_of,
        households=sum(count.households for count in counted),
        entering=sum(count.entering for count in counted),
        exiting=sum(count.exiting for count in counted),
        changing=sum(count.changing for count in counted),
        by_village_category=[
            SimulationCount(
                village_code=count.village_code,
                category=count.category,
                entering=count.entering,
                exiting=count.exiting,
                changing=count.changing,
                households=count.households,
            )
            for count in counted
        ],
        sample=[
            SimulationSample(
                household_id=household.household_id,
                village_code=household.village_code,
                current_category=household.current_category,
                simulated_category=household.simulated_category,
                change=household.change,
            )
            for household in affected
        ],
    )


async def _simulate_here(
    session: AsyncSession,
    draft: CompiledPolicy,
    published: list[Policy],
    compiled_published: list[CompiledPolicy],
    region: str,
    as_of: dt.date,
    sample_size: int,
) -> tuple[list[repository.Counted], list[repository.Affected]]:
    """The projection read in chunks and evaluated by numpy (SQLite)."""
    counts: Counter[tuple[str, str, str]] = Counter()
    totals: Counter[tuple[str, str]] = Counter()
    sample: list[repository.Affected] = []
    after: uuid.UUID | None = None
    while True:
        chunk = await read_chunk(session, region, after, None, CHUNK_SIZE)
        if len(chunk) == 0:
            break
        after = chunk.household_ids[-1]
        batch = HouseholdBatch.from_columns(chunk.columns, chunk.members)
        villages = np.asarray(chunk.villages, dtype=str)
        simulated = draft.evaluate(batch, as_of)
        new_category = np.asarray(simulated.category_names(), dtype=object)
        new_degree = np.asarray(simulated.degree_names(), dtype=object)
        new_poor = simulated.poor
        old_category, old_degree, old_poor = _current(
            published, compiled_published, batch, villages, region, as_of
        )
        entering = new_poor & ~old_poor
        exiting = old_poor & ~new_poor
        changing = ~entering & ~exiting & ((new_category != old_category) | (new_degree != old_degree))
        for village, category in zip(chunk.villages, new_category.tolist(), strict=True):
            totals[(village, category)] += 1
        for label, mask in (("enters", entering), ("exits", exiting), ("changes", changing)):
            for row in np.flatnonzero(mask).tolist():
                counts[(chunk.villages[row], new_category[row], label)] += 1
        affected = np.flatnonzero(entering | exiting | changing).tolist()
        for row in affected[: max(0, sample_size - len(sample))]:
            sample.append(
                repository.Affected(
                    household_id=chunk.household_ids[row],
                    village_code=chunk.villages[row],
                    current_category=old_category[row],
                    simulated_category=new_category[row],
                    change="enters" if entering[row] else "exits" if exiting[row] else "changes",
                )
            )
    counted = [
        repository.Counted(
            village_code=village,
            category=category,
            households=total,
            entering=counts[(village, category, "enters")],
            exiting=counts[(village, category, "exits")],
            changing=counts[(village, category, "changes")],
        )
        for (village, category), total in sorted(totals.items())
    ]
    return counted, sample


def _current(
    published: list[Policy],
    compiled_published: list[CompiledPolicy],
    batch: HouseholdBatch,
    villages: npt.NDArray[np.str_],
    region: str,
    as_of: dt.date,
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.object_], npt.NDArray[np.bool_]]:
    """Category, degree and poverty of each household under the policies that apply today."""
    category = np.full(batch.size, None, dtype=object)
    degree = np.full(batch.size, None, dtype=object)
    poor = np.zeros(batch.size, bool)
    choice = assign_policies(published, villages, region, as_of)
    for index in np.unique(choice[choice >= 0]).tolist():
        rows = np.flatnonzero(choice == index)
        evaluation = compiled_published[index].evaluate(batch.take(rows), as_of)
        category[rows] = evaluation.category_names()
        degree[rows] = evaluation.degree_names()
        poor[rows] = evaluation.poor
    return category, degree, poor
