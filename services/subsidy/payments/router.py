"""Payment endpoints."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response

from services.kit.auth import Principal, PrincipalDep, Role, require_roles
from services.kit.database import SessionDep
from services.subsidy.payments import service
from services.subsidy.schemas import PaymentCreate, PaymentOut

router = APIRouter(prefix="/api/v1/payments", tags=["payments / 资金发放"])
FinanceDep = Annotated[Principal, Depends(require_roles(Role.FINANCE_OFFICER))]


@router.post(
    "",
    response_model=PaymentOut,
    status_code=201,
    summary="Pay a program's subsidy to a household / 发放补助",
    description=(
        "Needs an Idempotency-Key header: the same key and body return the first payment (200); "
        "the same key with another body is 409. 须带幂等键;重复请求返回首次结果。"
    ),
)
async def create_payment(
    body: PaymentCreate,
    response: Response,
    session: SessionDep,
    actor: FinanceDep,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> PaymentOut:
    created = await service.create_payment(session, body, idempotency_key, actor=actor)
    if not created.created:
        response.status_code = 200
    return service.payment_out(created.payment)


@router.get("/{payment_id}", response_model=PaymentOut, summary="A payment's status / 查询支付状态")
async def get_payment(payment_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> PaymentOut:
    return await service.get_payment(session, payment_id, principal)
