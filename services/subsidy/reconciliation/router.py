"""Reconciliation endpoints (对账): import a statement, fetch one from the bank, list differences."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from services.kit.auth import Principal, Role, require_roles
from services.kit.database import SessionDep
from services.kit.errors import BadGateway
from services.subsidy.payments.bank_client import BankClient
from services.subsidy.reconciliation import service
from services.subsidy.schemas import MismatchOut, StatementOut

router = APIRouter(prefix="/api/v1/reconciliation", tags=["reconciliation / 对账"])
FinanceDep = Annotated[Principal, Depends(require_roles(Role.FINANCE_OFFICER, Role.AUDITOR))]
Format = Literal["csv", "camt053"]


@router.post(
    "/statements",
    response_model=StatementOut,
    status_code=201,
    summary="Import a bank statement (CSV or camt.053) / 导入银行对账单",
    description=(
        "The body is the file itself. Lines are matched by end-to-end id (our payment id); the same file "
        "twice is imported once. 按端到端标识匹配;同一文件只导入一次。"
    ),
    openapi_extra={"requestBody": {"content": {"text/csv": {}, "application/xml": {}}, "required": True}},
)
async def import_statement(
    request: Request, session: SessionDep, actor: FinanceDep, format: Annotated[Format, Query()]
) -> StatementOut:
    return await service.import_statement(session, await request.body(), format, actor=actor)


@router.post(
    "/statements/fetch",
    response_model=StatementOut,
    status_code=201,
    summary="Fetch the statement from the partner bank and reconcile / 从银行获取对账单并对账",
)
async def fetch_statement(
    request: Request, session: SessionDep, actor: FinanceDep, format: Annotated[Format, Query()] = "camt053"
) -> StatementOut:
    bank: BankClient = request.app.state.bank
    content = await bank.statement(format)
    if content is None:
        raise BadGateway("The bank did not send its statement.", "未能从银行获取对账单。")
    return await service.import_statement(session, content, format, actor=actor)


@router.get(
    "/mismatches",
    response_model=list[MismatchOut],
    summary="Differences between our payments and the bank's statements / 对账差异",
)
async def mismatches(
    session: SessionDep, _actor: FinanceDep, limit: Annotated[int, Query(ge=1, le=1000)] = 200
) -> list[MismatchOut]:
    return await service.mismatches(session, limit)
