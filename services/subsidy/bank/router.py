"""The endpoint partner banks call back with payment status (signed, not token-authenticated)."""

from fastapi import APIRouter, Request

from services.kit.database import SessionDep
from services.subsidy.bank import service
from services.subsidy.schemas import CallbackAck

router = APIRouter(prefix="/api/v1/bank", tags=["bank / 银行"])


@router.post(
    "/callbacks",
    response_model=CallbackAck,
    summary="Payment status callback from the bank / 银行支付结果回调",
    description=(
        "Standard Webhooks: headers webhook-id, webhook-timestamp, webhook-signature "
        "(v1,base64 HMAC-SHA256 of `id.timestamp.body`), 5-minute window; each id applied once. "
        "签名校验,5 分钟时间窗,同一回调只处理一次。"
    ),
)
async def bank_callback(request: Request, session: SessionDep) -> CallbackAck:
    return await service.receive_callback(
        session,
        request.app.state.settings.bank_webhook_secret,
        await request.body(),
        request.headers.get("webhook-id"),
        request.headers.get("webhook-timestamp"),
        request.headers.get("webhook-signature"),
    )
