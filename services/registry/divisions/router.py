"""Administrative division endpoints: load a tree, read a division with its children, change one."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from services.kit.auth import Principal, PrincipalDep, Role, require_roles
from services.kit.database import SessionDep
from services.registry.divisions import service
from services.registry.idempotency import IdempotencyKey, run_once
from services.registry.schemas import (
    DivisionOut,
    DivisionRevise,
    DivisionsLoad,
    DivisionsLoaded,
    DivisionTreeOut,
)

router = APIRouter(prefix="/api/v1/divisions", tags=["divisions / 行政区划"])
CountyDep = Annotated[Principal, Depends(require_roles(Role.COUNTY_APPROVER))]
Code = Annotated[str, Path(pattern=r"^[0-9]{12}$")]


@router.post(
    "",
    response_model=DivisionsLoaded,
    status_code=201,
    summary="Load divisions (a tree or part of one) / 导入行政区划",
    description="County approvers within their county; admins anywhere. Needs an Idempotency-Key header.",
)
async def load(
    body: DivisionsLoad,
    response: Response,
    session: SessionDep,
    principal: CountyDep,
    idempotency_key: IdempotencyKey = None,
) -> DivisionsLoaded:
    result, created = await run_once(
        session,
        principal=principal,
        key=idempotency_key,
        operation="divisions.load",
        body=body,
        result_type=DivisionsLoaded,
        create=lambda: service.load(session, body, principal=principal),
    )
    if not created:
        response.status_code = 200
    return result


@router.get("/{code}", response_model=DivisionTreeOut, summary="A division and its children / 区划及下级")
async def tree(code: Code, session: SessionDep, principal: PrincipalDep) -> DivisionTreeOut:
    return await service.tree(session, code, principal=principal)


@router.patch(
    "/{code}",
    response_model=DivisionOut,
    summary="Change a division (poor-village flag, exit 出列, groups…) / 修改区划信息",
)
async def revise(code: Code, body: DivisionRevise, session: SessionDep, principal: CountyDep) -> DivisionOut:
    return await service.revise(session, code, body, principal=principal)
