"""What-if simulation (政策模拟): a draft over current households, compared with the policies in force.

Nothing is stored. The projection is streamed in chunks; each chunk is evaluated under the
draft and under the published policy that applies to each household today, and the differences
are counted by village and simulated category: who enters the poor list, who exits it, and who
changes category (or degree) while staying on the same side.
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
from services.eligibility.policies.service import assign_policies, compiled, get
from services.eligibility.reassessments.repository import read_chunk
from services.eligibility.rules.inputs import HouseholdBatch
from services.eligibility.schemas import SimulationCount, SimulationIn, SimulationOut, SimulationSample
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
    counts: Counter[tuple[str, str, str]] = Counter()
    totals: Counter[tuple[str, str]] = Counter()
    sample: list[SimulationSample] = []
    households = 0
    after: uuid.UUID | None = None
    while True:
        chunk = await read_chunk(session, region, after, CHUNK_SIZE)
        if len(chunk) == 0:
            break
        after = chunk.household_ids[-1]
        households += len(chunk)
        batch = HouseholdBatch.from_packed(chunk.household_records, chunk.member_records)
        villages = np.asarray(chunk.villages, dtype=str)
        simulated = draft.evaluate(batch, as_of)
        new_category = np.asarray(simulated.category_names(), dtype=object)
        new_degree = np.asarray(simulated.degree_names(), dtype=object)
        new_poor = simulated.poor
        old_category, old_degree, old_poor = _current(published, compiled_published, batch, villages, as_of)
        entering = new_poor & ~old_poor
        exiting = old_poor & ~new_poor
        changing = ~entering & ~exiting & ((new_category != old_category) | (new_degree != old_degree))
        for village, category in zip(chunk.villages, new_category.tolist(), strict=True):
            totals[(village, category)] += 1
        for label, mask in (("enters", entering), ("exits", exiting), ("changes", changing)):
            for row in np.flatnonzero(mask).tolist():
                counts[(chunk.villages[row], new_category[row], label)] += 1
        affected = np.flatnonzero(entering | exiting | changing).tolist()
        for row in affected[: max(0, body.sample_size - len(sample))]:
            sample.append(
                SimulationSample(
                    household_id=chunk.household_ids[row],
                    village_code=chunk.villages[row],
                    current_category=old_category[row],
                    simulated_category=new_category[row],
                    change="enters" if entering[row] else "exits" if exiting[row] else "changes",
                )
            )
    by_village = [
        SimulationCount(
            village_code=village,
            category=category,
            entering=counts[(village, category, "enters")],
            exiting=counts[(village, category, "exits")],
            changing=counts[(village, category, "changes")],
            households=total,
        )
        for (village, category), total in sorted(totals.items())
    ]
    return SimulationOut(
        policy_id=policy.id,
        region_code=region,
        as_of=as_of,
        households=households,
        entering=sum(c for (_v, _c, label), c in counts.items() if label == "enters"),
        exiting=sum(c for (_v, _c, label), c in counts.items() if label == "exits"),
        changing=sum(c for (_v, _c, label), c in counts.items() if label == "changes"),
        by_village_category=by_village,
        sample=sample,
    )


def _current(
    published: list[Policy],
    compiled_published: list[CompiledPolicy],
    batch: HouseholdBatch,
    villages: npt.NDArray[np.str_],
    as_of: dt.date,
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.object_], npt.NDArray[np.bool_]]:
    """Category, degree and poverty of each household under the policies that apply today."""
    category = np.full(batch.size, None, dtype=object)
    degree = np.full(batch.size, None, dtype=object)
    poor = np.zeros(batch.size, bool)
    choice = assign_policies(published, villages, as_of)
    for index in np.unique(choice[choice >= 0]).tolist():
        rows = np.flatnonzero(choice == index)
        evaluation = compiled_published[index].evaluate(batch.take(rows), as_of)
        category[rows] = evaluation.category_names()
        degree[rows] = evaluation.degree_names()
        poor[rows] = evaluation.poor
    return category, degree, poor
