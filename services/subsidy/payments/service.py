"""Payment rules: commit budget on creation, pay once, release the money if the bank fails it."""

import hashlib
import uuid
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import record_audit
from services.kit.auth import Principal
from services.kit.database import utcnow
from services.kit.errors import BadRequest, Conflict, NotFound, Unprocessable
from services.kit.outbox import publish
from services.subsidy import contract
from services.subsidy.beneficiaries import repository as beneficiaries
from services.subsidy.ledger.service import Leg, budget_account, committed_account, paid_account, post
from services.subsidy.models import AuditRecord, OutboxEvent, Payment, Program
from services.subsidy.payments import repository
from services.subsidy.programs import repository as programs
from services.subsidy.schemas import PaymentCreate, PaymentOut

QUEUED, SENDING, SENT, PAID, FAILED = "queued", "sending", "sent", "paid", "failed"
FINAL = {PAID, FAILED}
STATUS_LABELS = {QUEUED: "待发送", SENDING: "发送中", SENT: "银行处理中", PAID: "已支付", FAILED: "支付失败"}


@dataclass(frozen=True)
class Created:
    payment: Payment
    created: bool


def payment_out(payment: Payment) -> PaymentOut:
    return PaymentOut(
        id=payment.id,
        program_id=payment.program_id,
        household_id=payment.household_id,
        amount_fen=payment.amount_fen,
        status=payment.status,
        status_label=STATUS_LABELS[payment.status],
        failure_reason=payment.failure_reason,
        bank_reference=payment.bank_reference,
        created_at=payment.created_at,
        settled_at=payment.settled_at,
    )


def _status_event(session: AsyncSession, payment: Payment, program_code: str) -> None:
    publish(
        session,
        OutboxEvent,
        contract.PAYMENT_STATUS_CHANGED,
        str(payment.id),
        contract.PaymentStatusChanged(
            payment_id=payment.id,
            household_id=payment.household_id,
            program_code=program_code,
            amount_fen=payment.amount_fen,
            status=payment.status,
            changed_at=utcnow(),
        ).model_dump(mode="json"),
    )


def _replay(existing: Payment, digest: str) -> Created:
    if existing.request_hash != digest:
        raise Conflict(
            "This Idempotency-Key was used for a different payment.",
            "该幂等键已用于另一笔支付。",
            code="idempotency_key_reused",
        )
    return Created(existing, created=False)


async def create_payment(
    session: AsyncSession, body: PaymentCreate, idempotency_key: str | None, *, actor: Principal
) -> Created:
    """Queue a payment and commit its amount from the program's budget (fails if the budget is short)."""
    if not idempotency_key or not 8 <= len(idempotency_key) <= 128:
        raise BadRequest(
            "An Idempotency-Key header (8–128 characters) is required.",
            "请提供 Idempotency-Key 请求头。",
            code="idempotency_key_required",
        )
    digest = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
    existing = await repository.by_idempotency_key(session, idempotency_key)
    if existing is not None:
        return _replay(existing, digest)
    program = await programs.get(session, body.program_id)
    if program is None or not _covers_county(actor, program):
        raise NotFound("Program not found.", "未找到该项目。")
    beneficiary = await beneficiaries.get(session, body.household_id)
    if beneficiary is None or not actor.covers(beneficiary.village_code):
        raise NotFound("Household not found or not assessed yet.", "未找到该户或该户尚未评估。")
    if not beneficiary.poor:
        raise Unprocessable(
            "The household is not assessed as poor.", "该户评估结果为非贫困户,不能发放。", code="not_eligible"
        )
    payment = Payment(
        idempotency_key=idempotency_key,
        request_hash=digest,
        program_id=program.id,
        household_id=body.household_id,
        village_code=beneficiary.village_code,
        amount_fen=body.amount_fen,
        status=QUEUED,
        created_by=actor.subject,
    )
    try:
        async with session.begin_nested():
            session.add(payment)
            await session.flush()
    except IntegrityError:
        existing = await repository.by_idempotency_key(session, idempotency_key)
        if existing is None:
            raise
        return _replay(existing, digest)
    await post(
        session,
        "payment_commitment",
        f"payment {payment.id}",
        [
            Leg(budget_account(program.id), -payment.amount_fen, program.id, payment.household_id),
            Leg(committed_account(program.id), payment.amount_fen, program.id, payment.household_id),
        ],
    )
    record_audit(
        session,
        AuditRecord,
        actor=actor,
        action="payment.create",
        entity_type="payment",
        entity_id=str(payment.id),
        detail=body.model_dump(mode="json"),
    )
    _status_event(session, payment, program.code)
    return Created(payment, created=True)


def _covers_county(actor: Principal, program: Program) -> bool:
    return "" in actor.region_prefixes() or any(code[:6] == program.county_code[:6] for code in actor.regions)


async def get_payment(session: AsyncSession, payment_id: uuid.UUID, principal: Principal) -> PaymentOut:
    payment = await repository.get(session, payment_id, principal.region_prefixes())
    if payment is None:
        raise NotFound("Payment not found.", "未找到该笔支付。")
    return payment_out(payment)


async def settle(
    session: AsyncSession,
    payment: Payment,
    *,
    paid: bool,
    reason: str | None,
    bank_reference: str | None,
    source: str,
) -> bool:
    """Final status from the bank: money moves to paid, or back to the budget. False if already final."""
    if payment.status in FINAL:
        return False
    program = await programs.get(session, payment.program_id)
    assert program is not None
    if paid:
        legs = [
            Leg(committed_account(program.id), -payment.amount_fen, program.id, payment.household_id),
            Leg(paid_account(program.id), payment.amount_fen, program.id, payment.household_id),
        ]
    else:
        legs = [
            Leg(committed_account(program.id), -payment.amount_fen, program.id, payment.household_id),
            Leg(budget_account(program.id), payment.amount_fen, program.id, payment.household_id),
        ]
    await post(session, "payment_paid" if paid else "payment_failed", f"payment {payment.id}", legs)
    payment.status = PAID if paid else FAILED
    payment.failure_reason = None if paid else (reason or "bank reported failure")[:200]
    payment.bank_reference = bank_reference or payment.bank_reference
    payment.settled_at = utcnow()
    payment.version += 1
    record_audit(
        session,
        AuditRecord,
        actor=None,
        actor_name=source,
        action=f"payment.{payment.status}",
        entity_type="payment",
        entity_id=str(payment.id),
        reason=payment.failure_reason or "",
        detail={"bank_reference": payment.bank_reference},
    )
    _status_event(session, payment, program.code)
    return True
