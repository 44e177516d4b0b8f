"""The credit-check endpoint for partner banks holding the credit:check scope."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from services.kit.auth import PartnerScope, Principal, require_scope
from services.kit.database import SessionDep
from services.registry.credit_checks import service
from services.registry.credit_checks.schemas import CreditCheckRequest, CreditCheckResult

router = APIRouter(prefix="/api/v1/credit-checks", tags=["credit checks / 贷款身份核验"])


@router.post(
    "",
    response_model=CreditCheckResult,
    summary="Is a borrower in a registered poor household? (bank) / 贷款对象是否为建档立卡贫困户",
    description=(
        "Scope credit:check. Answers eligible or not and the category, nothing else; every check is audited. "
        "仅返回是否符合条件及类别,不返回其他信息;每次查询均留痕。"
    ),
)
async def credit_check(
    body: CreditCheckRequest,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require_scope(PartnerScope.CREDIT_CHECK))],
) -> CreditCheckResult:
    return await service.check(session, body.id_number, principal=principal, vault=request.app.state.vault)
