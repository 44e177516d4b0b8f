"""Likely-duplicate review endpoints (疑似重复人员核实)."""

import uuid
from typing import Literal

from fastapi import APIRouter

from services.kit.auth import PrincipalDep
from services.kit.database import SessionDep
from services.registry.clock import ClockDep
from services.registry.duplicates import service
from services.registry.schemas import DuplicateFlagOut, DuplicateResolve

router = APIRouter(prefix="/api/v1/registry/duplicates", tags=["households / 农户"])


@router.get(
    "", response_model=list[DuplicateFlagOut], summary="Likely duplicates in your counties / 疑似重复人员"
)
async def listing(
    session: SessionDep,
    principal: PrincipalDep,
    status: Literal["open", "distinct", "same_person"] | None = "open",
) -> list[DuplicateFlagOut]:
    return await service.listing(session, principal, status)


@router.post("/{flag_id}/resolution", response_model=DuplicateFlagOut, summary="Review a flag / 核实")
async def resolve(
    flag_id: uuid.UUID, body: DuplicateResolve, session: SessionDep, principal: PrincipalDep, clock: ClockDep
) -> DuplicateFlagOut:
    return await service.resolve(session, flag_id, body, principal=principal, clock=clock)
