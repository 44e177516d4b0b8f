"""Loan reports from partner banks (扶贫小额贷款贴息)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from services.kit.auth import PartnerScope, Principal, require_scope
from services.kit.database import SessionDep
from services.subsidy.loans import service
from services.subsidy.schemas import LoanOut, LoanReport

router = APIRouter(prefix="/api/v1/loans", tags=["loans / 小额贷款贴息"])
BankDep = Annotated[Principal, Depends(require_scope(PartnerScope.LOANS_REPORT))]


@router.post(
    "",
    response_model=LoanOut,
    status_code=201,
    summary="A partner bank reports a micro-loan / 合作银行报送小额贷款",
    description=(
        "OAuth2 client with scope loans:report. Loans of at most 50,000 yuan to registered households earn "
        "50% of 2 years' interest, paid to the household. The same reference and terms return the first "
        "report (200). 5万元以下贷款贴息50%,贴息2年。"
    ),
)
async def report_loan(body: LoanReport, response: Response, session: SessionDep, bank: BankDep) -> LoanOut:
    loan, created = await service.report_loan(session, body, bank=bank)
    if not created:
        response.status_code = 200
    return LoanOut.model_validate(loan)
