"""Policy endpoints: list, read, draft, validate, publish, retire, simulate, and the input reference."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from services.eligibility.policies import repository, service
from services.eligibility.rules.inputs import documented_input
from services.eligibility.schemas import (
    PolicyAction,
    PolicyDetail,
    PolicyDraftIn,
    PolicyDraftUpdate,
    PolicyOut,
    PolicyStatus,
    SimulationIn,
    SimulationOut,
    ValidationReport,
)
from services.eligibility.simulations.service import simulate
from services.kit.auth import Principal, PrincipalDep, Role, require_roles
from services.kit.database import SessionDep

router = APIRouter(prefix="/api/v1/policies", tags=["policies / 政策"])
ApproverDep = Annotated[Principal, Depends(require_roles(Role.COUNTY_APPROVER))]


@router.get("", response_model=list[PolicyOut], summary="Policies, published by default / 政策列表")
async def list_policies(
    session: SessionDep,
    _principal: PrincipalDep,
    status: PolicyStatus | None = "published",
    code: Annotated[str | None, Query(max_length=64)] = None,
) -> list[PolicyOut]:
    return [service.policy_out(policy) for policy in await repository.listing(session, status, code)]


@router.get(
    "/input-reference",
    summary="Every variable a rule may use, with its type and meaning / 规则可用变量说明",
)
async def input_reference(_principal: PrincipalDep) -> dict[str, list[dict[str, Any]]]:
    return documented_input()


@router.post(
    "/validate",
    response_model=ValidationReport,
    summary="Check a policy document without storing it / 校验政策文档",
)
async def validate_policy(
    body: PolicyDraftIn, session: SessionDep, _principal: ApproverDep
) -> ValidationReport:
    _resolved, report = await service.check(session, body.document)
    return report


@router.get(
    "/{policy_id}", response_model=PolicyDetail, summary="One policy version with its document / 政策详情"
)
async def get_policy(policy_id: uuid.UUID, session: SessionDep, _principal: PrincipalDep) -> PolicyDetail:
    return service.policy_detail(await service.get(session, policy_id))


@router.post(
    "", response_model=PolicyDetail, status_code=201, summary="Create a draft version / 新建政策草稿"
)
async def create_draft(body: PolicyDraftIn, session: SessionDep, principal: ApproverDep) -> PolicyDetail:
    return service.policy_detail(await service.create_draft(session, principal, body))


@router.put("/{policy_id}", response_model=PolicyDetail, summary="Change a draft / 修改政策草稿")
async def update_draft(
    policy_id: uuid.UUID, body: PolicyDraftUpdate, session: SessionDep, principal: ApproverDep
) -> PolicyDetail:
    return service.policy_detail(await service.update_draft(session, principal, policy_id, body))


@router.post(
    "/{policy_id}/publish",
    response_model=PolicyDetail,
    summary="Publish a draft after checking every rule; reassess its region / 发布政策并重新评估",
)
async def publish_policy(
    policy_id: uuid.UUID, body: PolicyAction, request: Request, session: SessionDep, principal: ApproverDep
) -> PolicyDetail:
    policy = await service.publish_policy(session, principal, policy_id, body)
    request.app.state.reassessment_worker.wake()
    return service.policy_detail(policy)


@router.post(
    "/{policy_id}/retire", response_model=PolicyDetail, summary="Retire a published version / 停用政策"
)
async def retire_policy(
    policy_id: uuid.UUID, body: PolicyAction, request: Request, session: SessionDep, principal: ApproverDep
) -> PolicyDetail:
    policy = await service.retire_policy(session, principal, policy_id, body)
    request.app.state.reassessment_worker.wake()
    return service.policy_detail(policy)


@router.post(
    "/{policy_id}/simulate",
    response_model=SimulationOut,
    summary="What-if: who would enter, exit or change under this version; stores nothing / 政策模拟",
)
async def simulate_policy(
    policy_id: uuid.UUID, body: SimulationIn, session: SessionDep, principal: ApproverDep
) -> SimulationOut:
    return await simulate(session, principal, policy_id, body)
