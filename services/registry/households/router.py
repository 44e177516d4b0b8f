"""Household endpoints: the public read, and the internal payee lookup for the subsidy service."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from services.kit.auth import Principal, PrincipalDep, require_scope
from services.kit.database import SessionDep
from services.registry import contract
from services.registry.households import service
from services.registry.schemas import HouseholdOut

router = APIRouter(prefix="/api/v1/households", tags=["households / 农户"])
internal_router = APIRouter(prefix="/internal/v1/households", tags=["internal"])


@router.get(
    "/{household_id}",
    response_model=HouseholdOut,
    summary="A household with its members / 查询农户",
    description="404 when it is outside your regions. 不在管辖范围内的农户返回 404。",
)
async def get_household(
    household_id: uuid.UUID, request: Request, session: SessionDep, principal: PrincipalDep
) -> HouseholdOut:
    return await service.get_household(session, household_id, principal, request.app.state.vault)


@internal_router.get("/{household_id}/payee", response_model=contract.Payee)
async def get_payee(
    household_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    _principal: Annotated[Principal, Depends(require_scope(contract.PAYEE_SCOPE))],
) -> contract.Payee:
    return await service.payee(session, household_id, request.app.state.vault)
