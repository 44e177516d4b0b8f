"""Household endpoints: the file, its corrections and history, ID lookup, and the internal payee lookup."""

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from services.kit.auth import Principal, PrincipalDep, Role, require_roles, require_scope
from services.kit.database import SessionDep
from services.registry import contract
from services.registry.clock import ClockDep
from services.registry.households import service
from services.registry.schemas import (
    HouseholdDiffOut,
    HouseholdOut,
    HouseholdRevise,
    HouseholdSnapshotOut,
    HouseholdVersionOut,
    IdNumberLookup,
    MemberLookupOut,
    MemberRevise,
    StatusChangeOut,
)

router = APIRouter(prefix="/api/v1/households", tags=["households / 农户"])
members_router = APIRouter(prefix="/api/v1/members", tags=["households / 农户"])
internal_router = APIRouter(prefix="/internal/v1/households", tags=["internal"])
MAX_VERSION = 2**31 - 1  # far beyond any file's history, and well inside the database's bigint
EditorDep = Annotated[
    Principal,
    Depends(require_roles(Role.CADRE, Role.VILLAGE_OFFICER, Role.TOWNSHIP_REVIEWER, Role.COUNTY_APPROVER)),
]


@router.get(
    "/{household_id}",
    response_model=HouseholdOut,
    summary="A household with its members / 查询农户",
    description=(
        "404 when it is outside your regions. ID numbers are masked; `reveal_id_numbers=true` shows them in "
        "full to village, township and county staff, and is audited. 不在管辖范围内的农户返回 404;"
        "村、乡、县工作人员可查看完整身份证号码(留痕)。"
    ),
)
async def get_household(
    household_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    reveal_id_numbers: bool = False,
) -> HouseholdOut:
    return await service.get_household(
        session, household_id, principal, request.app.state.vault, reveal=reveal_id_numbers
    )


@router.patch(
    "/{household_id}",
    response_model=HouseholdOut,
    summary="Correct a household's file / 修改农户档案",
    description=(
        "Carries the version it was based on: 409 `stale_version` if the household changed since. "
        "Status changes only through cases. 须提交所依据的版本号;状态只能经办理流程变更。"
    ),
)
async def revise_household(
    household_id: uuid.UUID,
    body: HouseholdRevise,
    request: Request,
    session: SessionDep,
    principal: EditorDep,
) -> HouseholdOut:
    return await service.revise(
        session, household_id, body, principal=principal, vault=request.app.state.vault
    )


@router.patch(
    "/{household_id}/members/{member_id}",
    response_model=HouseholdOut,
    summary="Correct one member / 修改成员信息",
)
async def revise_member(
    household_id: uuid.UUID,
    member_id: uuid.UUID,
    body: MemberRevise,
    request: Request,
    session: SessionDep,
    principal: EditorDep,
) -> HouseholdOut:
    return await service.revise_member(
        session, household_id, member_id, body, principal=principal, vault=request.app.state.vault
    )


@router.get(
    "/{household_id}/versions",
    response_model=list[HouseholdVersionOut],
    summary="Every version: author, time, reason, fields changed / 版本记录",
)
async def list_versions(
    household_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> list[HouseholdVersionOut]:
    return await service.versions(session, household_id, principal)


@router.get(
    "/{household_id}/versions/{version}",
    response_model=HouseholdSnapshotOut,
    summary="The file at one version / 某一版本的档案",
)
async def get_version(
    household_id: uuid.UUID,
    version: Annotated[int, Path(ge=1, le=MAX_VERSION)],
    session: SessionDep,
    principal: PrincipalDep,
) -> HouseholdSnapshotOut:
    return await service.version(session, household_id, version, principal)


@router.get(
    "/{household_id}/as-of",
    response_model=HouseholdSnapshotOut,
    summary="The file as it stood at the end of a date / 某日的档案",
)
async def as_of(
    household_id: uuid.UUID, date: dt.date, session: SessionDep, principal: PrincipalDep, clock: ClockDep
) -> HouseholdSnapshotOut:
    return await service.as_of(session, household_id, date, principal, clock)


@router.get(
    "/{household_id}/diff",
    response_model=HouseholdDiffOut,
    summary="Field-level differences between two versions / 版本比对",
)
async def diff(
    household_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    from_version: Annotated[int, Query(ge=1, le=MAX_VERSION)],
    to_version: Annotated[int, Query(ge=1, le=MAX_VERSION)],
) -> HouseholdDiffOut:
    return await service.diff(session, household_id, from_version, to_version, principal)


@router.get(
    "/{household_id}/status-history",
    response_model=list[StatusChangeOut],
    summary="Status history / 状态变更记录",
)
async def status_history(
    household_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> list[StatusChangeOut]:
    return await service.status_history(session, household_id, principal)


@members_router.post(
    "/lookup",
    response_model=MemberLookupOut,
    summary="Find a person by ID number / 按身份证号码查询",
    description="Looks up the keyed hash (blind index); 404 outside your regions. 仅限管辖范围内。",
)
async def lookup(
    body: IdNumberLookup, request: Request, session: SessionDep, principal: PrincipalDep
) -> MemberLookupOut:
    return await service.lookup(session, body.id_number, principal=principal, vault=request.app.state.vault)


@internal_router.get("/{household_id}/payee", response_model=contract.Payee)
async def get_payee(
    household_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    _principal: Annotated[Principal, Depends(require_scope(contract.PAYEE_SCOPE))],
) -> contract.Payee:
    return await service.payee(session, household_id, request.app.state.vault)
