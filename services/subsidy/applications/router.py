"""Application endpoints (项目申报): submit, review, approve, start, accept; overdue steps."""

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response

from services.kit.auth import Principal, PrincipalDep, Role, require_roles
from services.kit.database import SessionDep
from services.subsidy.applications import repository, service
from services.subsidy.schemas import (
    ApplicationCreate,
    ApplicationOut,
    CheckResult,
    OverdueStep,
    StepDate,
    TownshipDecision,
    VillageReview,
)

router = APIRouter(prefix="/api/v1/applications", tags=["applications / 项目申报"])
VillageDep = Annotated[Principal, Depends(require_roles(Role.CADRE, Role.VILLAGE_OFFICER))]
VillageOfficerDep = Annotated[Principal, Depends(require_roles(Role.VILLAGE_OFFICER))]
TownshipDep = Annotated[Principal, Depends(require_roles(Role.TOWNSHIP_REVIEWER))]
VillageCheckDep = Annotated[Principal, Depends(require_roles(Role.VILLAGE_OFFICER, Role.TOWNSHIP_REVIEWER))]
CountyDep = Annotated[Principal, Depends(require_roles(Role.COUNTY_APPROVER))]


@router.post(
    "",
    response_model=ApplicationOut,
    status_code=201,
    summary="Submit a household project application / 提交项目申报",
    description="Needs an Idempotency-Key header and the scheme's required documents. 须带幂等键与申报材料。",
)
async def submit(
    body: ApplicationCreate,
    response: Response,
    session: SessionDep,
    actor: VillageDep,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> ApplicationOut:
    application, created = await service.submit(session, body, idempotency_key, actor=actor)
    if not created:
        response.status_code = 200
    return await service.application_out(session, application)


@router.get("", response_model=list[ApplicationOut], summary="Applications in your regions / 申报列表")
async def list_applications(
    session: SessionDep,
    principal: PrincipalDep,
    status: Annotated[str | None, Query(max_length=24)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[ApplicationOut]:
    rows = await repository.list_applications(session, principal.region_prefixes(), status, limit)
    return [await service.application_out(session, row) for row in rows]


@router.get(
    "/overdue",
    response_model=list[OverdueStep],
    summary="Steps past their deadline / 逾期事项",
    description=(
        "Village and township checks (15 days each) and payments due after acceptance. 逾期核查与拨付。"
    ),
)
async def overdue(
    session: SessionDep, principal: PrincipalDep, as_of: Annotated[dt.date | None, Query()] = None
) -> list[OverdueStep]:
    return await service.overdue_steps(session, principal, as_of or dt.date.today())


@router.get("/{application_id}", response_model=ApplicationOut, summary="One application / 申报详情")
async def get_application(
    application_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> ApplicationOut:
    return await service.application_out(session, await service.load(session, application_id, principal))


@router.post(
    "/{application_id}/village-review",
    response_model=ApplicationOut,
    summary="Record the village review / 村级评议",
    description=(
        "9–15 representatives (odd); passes with at least two thirds. 代表9-15人(单数),三分之二以上同意通过。"
    ),
)
async def village_review(
    application_id: uuid.UUID, body: VillageReview, session: SessionDep, actor: VillageOfficerDep
) -> ApplicationOut:
    return await service.application_out(
        session, await service.village_review(session, application_id, body, actor=actor)
    )


@router.post(
    "/{application_id}/township-decision",
    response_model=ApplicationOut,
    summary="Township approval and 3-day notice / 乡镇审定并公示",
    description=(
        "Caps and budget are counted here (409 cap_exceeded / insufficient_budget). 审定时校验上限与预算。"
    ),
)
async def township_decision(
    application_id: uuid.UUID, body: TownshipDecision, session: SessionDep, actor: TownshipDep
) -> ApplicationOut:
    return await service.application_out(
        session, await service.township_decision(session, application_id, body, actor=actor)
    )


@router.post(
    "/{application_id}/start",
    response_model=ApplicationOut,
    summary="Project started: pay the advance / 项目启动,预付80%",
    description=(
        "Only after the notice; 100% when the village committee arranged the project. 公示期满后方可启动。"
    ),
)
async def start(
    application_id: uuid.UUID, body: StepDate, session: SessionDep, actor: VillageCheckDep
) -> ApplicationOut:
    return await service.application_out(
        session, await service.start(session, application_id, body, actor=actor)
    )


@router.post(
    "/{application_id}/acceptance-request",
    response_model=ApplicationOut,
    summary="The household asks for acceptance / 申请验收",
)
async def acceptance_request(
    application_id: uuid.UUID, body: StepDate, session: SessionDep, actor: VillageDep
) -> ApplicationOut:
    return await service.application_out(
        session, await service.request_acceptance(session, application_id, body, actor=actor)
    )


@router.post(
    "/{application_id}/village-check", response_model=ApplicationOut, summary="Village check / 村级核查"
)
async def village_check(
    application_id: uuid.UUID, body: CheckResult, session: SessionDep, actor: VillageCheckDep
) -> ApplicationOut:
    return await service.application_out(
        session, await service.village_check(session, application_id, body, actor=actor)
    )


@router.post(
    "/{application_id}/township-check", response_model=ApplicationOut, summary="Township check / 乡镇核验"
)
async def township_check(
    application_id: uuid.UUID, body: CheckResult, session: SessionDep, actor: TownshipDep
) -> ApplicationOut:
    return await service.application_out(
        session, await service.township_check(session, application_id, body, actor=actor)
    )


@router.post(
    "/{application_id}/county-check",
    response_model=ApplicationOut,
    summary="County check: pay the remaining 20% / 县级核验,拨付余款",
)
async def county_check(
    application_id: uuid.UUID, body: CheckResult, session: SessionDep, actor: CountyDep
) -> ApplicationOut:
    return await service.application_out(
        session, await service.county_check(session, application_id, body, actor=actor)
    )
