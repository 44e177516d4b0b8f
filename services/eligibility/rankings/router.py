"""Village ranking endpoints: public for county staff, internal for the registry's deliberation."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from services.eligibility import contract
from services.eligibility.rankings import service
from services.kit.auth import Principal, PrincipalDep, require_scope
from services.kit.database import SessionDep

router = APIRouter(tags=["rankings / 排队打分"])
VillageCode = Annotated[str, Path(pattern=r"^[0-9]{12}$")]


@router.get(
    "/api/v1/rankings/villages/{village_code}",
    response_model=contract.VillageRanking,
    summary="A village's households ranked by score / 村级排队打分",
)
async def village_ranking(
    village_code: VillageCode, session: SessionDep, principal: PrincipalDep
) -> contract.VillageRanking:
    return await service.village_ranking(session, principal, village_code)


@router.get(
    "/internal/v1/rankings/villages/{village_code}",
    response_model=contract.VillageRanking,
    summary="A village's ranking, for other services / 村级排队打分(内部)",
)
async def internal_village_ranking(
    village_code: VillageCode,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require_scope(contract.READ_SCOPE))],
) -> contract.VillageRanking:
    return await service.village_ranking(session, principal, village_code)
