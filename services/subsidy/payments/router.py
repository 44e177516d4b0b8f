"""Payment endpoints: pay, read, re-issue; batches and their pain.001 files."""

import uuid
from typing import Annotated

import httpx
from fastapi import APIRouter, Depends, Header, Query, Request, Response

from services.kit.auth import Principal, PrincipalDep, Role, require_roles
from services.kit.database import SessionDep
from services.kit.errors import BadGateway, NotFound
from services.registry.contract import RegistryClient
from services.subsidy.payments import pain001, repository, service
from services.subsidy.schemas import BatchOut, PaymentCreate, PaymentOut

router = APIRouter(prefix="/api/v1/payments", tags=["payments / 资金发放"])
batches_router = APIRouter(prefix="/api/v1/payment-batches", tags=["payments / 资金发放"])
FinanceDep = Annotated[Principal, Depends(require_roles(Role.FINANCE_OFFICER))]


@router.post(
    "",
    response_model=PaymentOut,
    status_code=201,
    summary="Pay a program's subsidy to a household / 发放补助",
    description=(
        "Needs an Idempotency-Key header: the same key and body return the first payment (200); "
        "the same key with another body is 409. Catalogue rules apply: eligibility, amount, caps "
        "(409 cap_exceeded), one live payment per entitlement (409 already_paid). "
        "须带幂等键;按项目目录校验资格、标准和上限,同一补助不重复发放。"
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


@router.post(
    "/{payment_id}/reissue",
    response_model=PaymentOut,
    status_code=201,
    summary="Re-issue a failed payment to the corrected account / 更正账户后补发",
    description=(
        "Only for a failed payment, and only once the household's account (一卡通) differs from the one "
        "that failed (409 account_not_corrected). Repeating the call returns the same re-issue. "
        "仅限支付失败且账户已更正的款项。"
    ),
)
async def reissue_payment(
    payment_id: uuid.UUID, request: Request, response: Response, session: SessionDep, actor: FinanceDep
) -> PaymentOut:
    failed = await repository.get(session, payment_id, actor.region_prefixes())
    if failed is None:
        raise NotFound("Payment not found.", "未找到该笔支付。")
    registry: RegistryClient = request.app.state.registry_client
    try:
        payee = await registry.payee(failed.household_id)
    except httpx.HTTPError as exc:
        raise BadGateway(
            "The registry could not be asked for the household's account.",
            "暂时无法从建档立卡系统获取账户信息。",
        ) from exc
    created = await service.reissue(session, payment_id, payee, actor=actor)
    if not created.created:
        response.status_code = 200
    return service.payment_out(created.payment)


@batches_router.get("", response_model=list[BatchOut], summary="Recent batches sent to the bank / 支付批次")
async def list_batches(
    session: SessionDep, _actor: FinanceDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[BatchOut]:
    return [service.batch_out(batch) for batch in await repository.list_batches(session, limit)]


@batches_router.get(
    "/{batch_id}/pain001",
    summary="The batch as an ISO 20022 pain.001.001.03 file / 导出 pain.001 支付文件",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}}},
)
async def export_pain001(
    batch_id: uuid.UUID, request: Request, session: SessionDep, _actor: FinanceDep
) -> Response:
    batch = await repository.get_batch(session, batch_id)
    if batch is None:
        raise NotFound("Batch not found.", "未找到该批次。")
    items = await repository.batch_payments(session, batch_id)
    document = pain001.credit_transfer(batch, items, request.app.state.settings)
    return Response(
        document,
        media_type="application/xml",
        headers={"content-disposition": f'attachment; filename="pain001-{batch_id}.xml"'},
    )
