"""Payment rules: one live payment per entitlement, budget committed when queued, settled once.

A payment moves queued → sending (in a batch) → sent (the bank has it) → paid or failed. A failed
payment gives its money back to the budget; the entitlement may then be paid again only by a
re-issue, and only once the household's account has been corrected.
"""

import datetime as dt
import hashlib
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import record_audit
from services.kit.auth import Principal
from services.kit.database import utcnow
from services.kit.errors import BadRequest, Conflict, NotFound, Unprocessable
from services.kit.outbox import publish, publish_many
from services.registry.contract import Payee as RegistryPayee
from services.subsidy import contract
from services.subsidy.entitlements import service as entitlements
from services.subsidy.ledger.service import Leg, budget_account, committed_account, paid_account, post
from services.subsidy.models import AuditRecord, OutboxEvent, Payment, PaymentBatch, Program
from services.subsidy.payments import repository
from services.subsidy.programs import repository as programs
from services.subsidy.schemas import BatchOut, PaymentCreate, PaymentOut

QUEUED, SENDING, SENT, PAID, FAILED = "queued", "sending", "sent", "paid", "failed"
FINAL = {PAID, FAILED}
STATUS_LABELS = {QUEUED: "待发送", SENDING: "发送中", SENT: "银行处理中", PAID: "已支付", FAILED: "支付失败"}
BATCH_LABELS = {"sending": "待银行确认", "accepted": "银行已受理"}
DIRECT_KINDS = {"one_off", "per_unit"}


@dataclass(frozen=True)
class Created:
    payment: Payment
    created: bool


@dataclass(frozen=True)
class BankResult:
    """The bank's final word on one payment."""

    payment_id: uuid.UUID
    status: str
    amount_fen: int | None = None
    bank_reference: str | None = None
    reason: str | None = None


@dataclass
class Settled:
    paid: list[uuid.UUID] = field(default_factory=list)
    failed: list[uuid.UUID] = field(default_factory=list)
    amount_mismatch: list[uuid.UUID] = field(default_factory=list)

    @property
    def applied(self) -> int:
        return len(self.paid) + len(self.failed)


def payment_out(payment: Payment) -> PaymentOut:
    return PaymentOut(
        id=payment.id,
        program_id=payment.program_id,
        household_id=payment.household_id,
        amount_fen=payment.amount_fen,
        entitlement_key=payment.entitlement_key,
        status=payment.status,
        status_label=STATUS_LABELS[payment.status],
        failure_reason=payment.failure_reason,
        bank_reference=payment.bank_reference,
        batch_id=payment.batch_id,
        reissue_of=payment.reissue_of,
        created_at=payment.created_at,
        settled_at=payment.settled_at,
        reconciled_at=payment.reconciled_at,
    )


def batch_out(batch: PaymentBatch) -> BatchOut:
    return BatchOut(
        id=batch.id,
        item_count=batch.item_count,
        total_fen=batch.total_fen,
        status=batch.status,
        status_label=BATCH_LABELS.get(batch.status, batch.status),
        attempts=batch.attempts,
        sent_at=batch.sent_at,
        accepted_at=batch.accepted_at,
        last_error=batch.last_error,
    )


def end_to_end_id(payment_id: uuid.UUID) -> str:
    """The id the bank echoes on statements (ISO 20022 EndToEndId, at most 35 characters)."""
    return payment_id.hex


def same_account(payment: Payment, payee: RegistryPayee) -> bool:
    """Whether the registry still holds the account a payment was sent to (not corrected since)."""
    return (payment.payee_name, payment.payee_bank, payment.payee_account) == (
        payee.account_name,
        payee.bank_name,
        payee.account_number,
    )


def _event(
    payment_id: uuid.UUID, household_id: uuid.UUID, amount_fen: int, status: str, program_code: str
) -> dict[str, Any]:
    return contract.PaymentStatusChanged(
        payment_id=payment_id,
        household_id=household_id,
        program_code=program_code,
        amount_fen=amount_fen,
        status=status,
        changed_at=utcnow(),
    ).model_dump(mode="json")


def status_event(session: AsyncSession, payment: Payment, program_code: str) -> None:
    publish(
        session,
        OutboxEvent,
        contract.PAYMENT_STATUS_CHANGED,
        str(payment.id),
        _event(payment.id, payment.household_id, payment.amount_fen, payment.status, program_code),
    )


async def status_events(
    session: AsyncSession, changes: list[tuple[uuid.UUID, uuid.UUID, int, str, str]]
) -> None:
    """`payment.status_changed` for many payments at once: (id, household, amount, status, program code)."""
    await publish_many(
        session,
        OutboxEvent,
        contract.PAYMENT_STATUS_CHANGED,
        [(str(change[0]), _event(*change)) for change in changes],
    )


def _replay(existing: Payment, digest: str) -> Created:
    if existing.request_hash != digest:
        raise Conflict(
            "This Idempotency-Key was used for a different request.",
            "该幂等键已用于另一笔请求。",
            code="idempotency_key_reused",
        )
    return Created(existing, created=False)


def require_idempotency_key(key: str | None) -> str:
    if not key or not 8 <= len(key) <= 128:
        raise BadRequest(
            "An Idempotency-Key header (8–128 characters) is required.",
            "请提供 Idempotency-Key 请求头。",
            code="idempotency_key_required",
        )
    return key


async def queue_payment(
    session: AsyncSession,
    *,
    program: Program,
    household_id: uuid.UUID,
    village_code: str,
    amount_fen: int,
    entitlement_key: str,
    idempotency_key: str,
    request_hash: str,
    created_by: str,
    from_account: str | None = None,
    application_id: uuid.UUID | None = None,
    reissue_of: uuid.UUID | None = None,
) -> Created:
    """Insert a payment and commit its money (from the budget, or from `from_account`)."""
    payment = Payment(
        id=uuid.uuid4(),
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        program_id=program.id,
        household_id=household_id,
        village_code=village_code,
        entitlement_key=entitlement_key,
        application_id=application_id,
        reissue_of=reissue_of,
        amount_fen=amount_fen,
        status=QUEUED,
        created_by=created_by,
    )
    try:
        async with session.begin_nested():
            session.add(payment)
            await session.flush()
    except IntegrityError:
        existing = await repository.by_idempotency_key(session, idempotency_key)
        if existing is not None:
            return _replay(existing, request_hash)
        raise Conflict(
            "This entitlement is already paid or being paid.",
            "该补助已发放或正在发放,不能重复发放。",
            code="already_paid",
        ) from None
    await post(
        session,
        "payment_commitment",
        f"payment {payment.id}",
        [
            Leg(
                from_account or budget_account(program.id), -amount_fen, program.id, household_id, payment.id
            ),
            Leg(committed_account(program.id), amount_fen, program.id, household_id, payment.id),
        ],
    )
    status_event(session, payment, program.code)
    return Created(payment, created=True)


async def create_payment(
    session: AsyncSession, body: PaymentCreate, idempotency_key: str | None, *, actor: Principal
) -> Created:
    """A direct payment of a one-off program: eligibility, amount rule and caps, then the budget."""
    key = require_idempotency_key(idempotency_key)
    digest = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
    existing = await repository.by_idempotency_key(session, key)
    if existing is not None:
        return _replay(existing, digest)
    program = await programs.get(session, body.program_id)
    if program is None or not _covers_county(actor, program):
        raise NotFound("Program not found.", "未找到该项目。")
    if program.scheme_code is not None and program.kind not in DIRECT_KINDS:
        raise Unprocessable(
            f"A {program.kind} program is paid through its own procedure, not directly.",
            "该类项目须按申报、岗位或贷款流程发放,不能直接发放。",
            code="wrong_procedure",
        )
    rules = await entitlements.program_rules(session, program, dt.date.today())
    household = await entitlements.eligible_household(session, program, rules, body.household_id, actor)
    entitlements.check_amount(rules, body.amount_fen)
    entitlement = entitlements.entitlement_key(rules, program, body.member_id, f"adhoc:{key}")
    await entitlements.use_caps(session, rules, program, body.household_id, body.amount_fen)
    created = await queue_payment(
        session,
        program=program,
        household_id=body.household_id,
        village_code=household.village_code,
        amount_fen=body.amount_fen,
        entitlement_key=entitlement,
        idempotency_key=key,
        request_hash=digest,
        created_by=actor.subject,
    )
    if created.created:
        record_audit(
            session,
            AuditRecord,
            actor=actor,
            action="payment.create",
            entity_type="payment",
            entity_id=str(created.payment.id),
            detail={**body.model_dump(mode="json"), "entitlement": entitlement, "basis": household.basis},
        )
    return created


def _covers_county(actor: Principal, program: Program) -> bool:
    return "" in actor.region_prefixes() or any(code[:6] == program.county_code[:6] for code in actor.regions)


async def get_payment(session: AsyncSession, payment_id: uuid.UUID, principal: Principal) -> PaymentOut:
    payment = await repository.get(session, payment_id, principal.region_prefixes())
    if payment is None:
        raise NotFound("Payment not found.", "未找到该笔支付。")
    return payment_out(payment)


async def settle_many(
    session: AsyncSession, results: list[BankResult], *, source: str, reference: str
) -> Settled:
    """Apply the bank's final statuses in bulk; a payment already final is left alone (idempotent).

    Rows are locked in id order and only those still waiting for the bank are settled; ledger legs are
    posted per program (one transaction for the paid, one for the failed), after everything else;
    one audit record names every payment settled. Set-based, so a batch of a thousand costs a few
    statements.
    """
    outcome = Settled()
    wanted = {result.payment_id: result for result in results if result.status in FINAL}
    if not wanted:
        return outcome
    postgres = session.get_bind().dialect.name == "postgresql"
    pending = await repository.unsettled_rows(session, sorted(wanted), for_update=postgres)
    program_of = await repository.programs_by_id(session, {row.program_id for row in pending})
    legs: dict[tuple[uuid.UUID, str], list[Leg]] = defaultdict(list)
    changes: list[dict[str, Any]] = []
    events: list[tuple[repository.PaymentRow, str, str]] = []
    released: list[repository.PaymentRow] = []
    for row in pending:
        result = wanted[row.id]
        if result.amount_fen is not None and result.amount_fen != row.amount_fen:
            outcome.amount_mismatch.append(row.id)
            continue
        paid = result.status == PAID
        target = paid_account(row.program_id) if paid else budget_account(row.program_id)
        legs[(row.program_id, result.status)] += [
            Leg(committed_account(row.program_id), -row.amount_fen, row.program_id, row.household_id, row.id),
            Leg(target, row.amount_fen, row.program_id, row.household_id, row.id),
        ]
        changes.append(
            {
                "payment_id": row.id,
                "new_status": result.status,
                "reason": None if paid else (result.reason or "bank reported failure")[:200],
                "reference": result.bank_reference,
            }
        )
        (outcome.paid if paid else outcome.failed).append(row.id)
        events.append((row, result.status, program_of[row.program_id].code))
        if not paid and row.application_id is None and row.period is None:
            released.append(row)
    await repository.record_settlements(session, changes, utcnow())
    await status_events(
        session, [(row.id, row.household_id, row.amount_fen, status, code) for row, status, code in events]
    )
    for row in released:
        program = program_of[row.program_id]
        await entitlements.release_caps(
            session, program.scheme_code, program, row.household_id, row.amount_fen
        )
    if outcome.failed:
        # The account may be wrong: look it up afresh next time rather than trust the cached one.
        failed = set(outcome.failed)
        await repository.forget_payees(session, {row.household_id for row in pending if row.id in failed})
    if outcome.applied or outcome.amount_mismatch:
        record_audit(
            session,
            AuditRecord,
            actor=None,
            actor_name=source,
            action="payment.settle",
            entity_type="payments",
            entity_id=reference[:64],
            outcome="ok" if not outcome.amount_mismatch else "amount_mismatch",
            detail={
                "paid": [str(i) for i in outcome.paid],
                "failed": [str(i) for i in outcome.failed],
                "amount_mismatch": [str(i) for i in outcome.amount_mismatch],
            },
        )
    # Last: the program's balance rows stay locked from here to the commit (see ledger.post).
    for (_program_id, status), program_legs in sorted(
        legs.items(), key=lambda item: (str(item[0][0]), item[0][1])
    ):
        await post(session, f"payment_{status}", f"{source} {reference}", program_legs)
    return outcome


async def reissue(
    session: AsyncSession, payment_id: uuid.UUID, current_payee: RegistryPayee | None, *, actor: Principal
) -> Created:
    """Pay a failed payment's entitlement again, only to a corrected account (补发)."""
    failed = await repository.get(session, payment_id, actor.region_prefixes())
    if failed is None:
        raise NotFound("Payment not found.", "未找到该笔支付。")
    if failed.status != FAILED:
        raise Conflict(
            "Only a failed payment can be re-issued.", "只有支付失败的款项可以补发。", code="not_failed"
        )
    if current_payee is None:
        raise Unprocessable(
            "The household has no account on file.", "该户尚无一卡通账户。", code="no_account"
        )
    if failed.payee_account is not None and same_account(failed, current_payee):
        raise Conflict(
            "The household's account has not been corrected since the payment failed.",
            "该户账户信息尚未更正,不能补发。",
            code="account_not_corrected",
        )
    program = await programs.get(session, failed.program_id)
    assert program is not None
    rules = await entitlements.program_rules(session, program, dt.date.today())
    if failed.application_id is not None:
        await entitlements.check_caps_at_payment(
            session, rules, program, failed.household_id, failed.amount_fen
        )
    elif failed.period is None:
        await entitlements.use_caps(session, rules, program, failed.household_id, failed.amount_fen)
    created = await queue_payment(
        session,
        program=program,
        household_id=failed.household_id,
        village_code=failed.village_code,
        amount_fen=failed.amount_fen,
        entitlement_key=failed.entitlement_key,
        idempotency_key=f"reissue:{failed.id}",
        request_hash=hashlib.sha256(f"reissue:{failed.id}".encode()).hexdigest(),
        created_by=actor.subject,
        application_id=failed.application_id,
        reissue_of=failed.id,
    )
    created.payment.period = failed.period
    if created.created:
        # Bound to the corrected account just checked, not to whatever a cache may still hold.
        created.payment.payee_name = current_payee.account_name
        created.payment.payee_bank = current_payee.bank_name
        created.payment.payee_account = current_payee.account_number
        await repository.forget_payees(session, {failed.household_id})
        record_audit(
            session,
            AuditRecord,
            actor=actor,
            action="payment.reissue",
            entity_type="payment",
            entity_id=str(created.payment.id),
            detail={"reissue_of": str(failed.id), "amount_fen": failed.amount_fen},
        )
    return created
