"""Reconciliation (对账): match the bank's statement to our payments by end-to-end id.

Each booked line is matched to the payment whose id it echoes. A match settles a payment the bank
had not yet confirmed (the statement is the bank's own word); differences are kept and listed:
paid but unknown to us, wrong amount, paid although we recorded a failure, shown twice, and payments
the bank called paid that no statement shows (missing).
"""

import hashlib
import uuid
from collections import Counter

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import record_audit
from services.kit.auth import Principal
from services.kit.database import utcnow
from services.kit.errors import Unprocessable
from services.subsidy.models import AuditRecord, BankStatement
from services.subsidy.payments.service import FAILED, PAID, BankResult, settle_many
from services.subsidy.reconciliation import repository
from services.subsidy.reconciliation.statements import Statement, parse_camt053, parse_csv
from services.subsidy.schemas import MismatchOut, StatementOut

PROBLEMS = ("unknown_payment", "wrong_amount", "paid_but_failed", "duplicate")
LABELS = {
    "unknown_payment": "银行已付但系统无此支付",
    "wrong_amount": "金额不符",
    "paid_but_failed": "银行已付但系统记为失败",
    "duplicate": "重复入账",
    "missing": "系统已付但对账单无记录",
}
PARSERS = {"csv": parse_csv, "camt053": parse_camt053}


def _payment_id(end_to_end_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(hex=end_to_end_id)
    except ValueError:
        return None


def statement_out(statement: BankStatement, duplicate: bool = False) -> StatementOut:
    return StatementOut(
        id=statement.id,
        format=statement.format,
        statement_ref=statement.statement_ref,
        line_count=statement.line_count,
        total_fen=statement.total_fen,
        summary=statement.summary,
        duplicate=duplicate,
    )


async def import_statement(
    session: AsyncSession,
    content: bytes,
    file_format: str,
    *,
    actor: Principal | None,
    actor_name: str | None = None,
) -> StatementOut:
    """Import a statement once (the same file again returns the first result) and reconcile it."""
    if file_format not in PARSERS:
        raise Unprocessable("Format is csv or camt053.", "对账单格式须为 csv 或 camt053。")
    digest = hashlib.sha256(content).hexdigest()
    existing = await repository.by_hash(session, digest)
    if existing is not None:
        return statement_out(existing, duplicate=True)
    parsed: Statement = PARSERS[file_format](content)
    line_ids = [_payment_id(line.end_to_end_id) for line in parsed.lines]
    known = await repository.payments_by_id(session, [pid for pid in line_ids if pid is not None])
    seen: set[uuid.UUID] = set()
    outcomes: Counter[str] = Counter()
    matched: list[uuid.UUID] = []
    to_settle: list[BankResult] = []
    rows = []
    statement_id = uuid.uuid4()
    for line, payment_id in zip(parsed.lines, line_ids, strict=True):
        found = known.get(payment_id) if payment_id else None
        if payment_id is None or found is None:
            outcome = "unknown_payment"
        elif payment_id in seen or found[2]:
            outcome = "duplicate"
        elif found[0] != line.amount_fen:
            outcome = "wrong_amount"
        elif found[1] == FAILED:
            outcome = "paid_but_failed"
        else:
            outcome = "matched" if found[1] == PAID else "settled"
            matched.append(payment_id)
            if found[1] != PAID:
                to_settle.append(BankResult(payment_id, PAID, line.amount_fen, line.bank_reference))
        if payment_id is not None:
            seen.add(payment_id)
        outcomes[outcome] += 1
        rows.append(
            {
                "statement_id": statement_id,
                "end_to_end_id": line.end_to_end_id,
                "amount_fen": line.amount_fen,
                "booked_on": line.booked_on,
                "bank_reference": line.bank_reference,
                "payment_id": payment_id if found else None,
                "outcome": outcome,
            }
        )
    statement = BankStatement(
        id=statement_id,
        format=file_format,
        statement_ref=parsed.reference,
        file_sha256=digest,
        line_count=len(parsed.lines),
        total_fen=sum(line.amount_fen for line in parsed.lines),
        booked_until=parsed.booked_until,
        summary={},
        imported_by=actor.subject if actor else (actor_name or "system"),
    )
    try:
        async with session.begin_nested():
            session.add(statement)
            await session.flush()
    except IntegrityError:
        existing = await repository.by_hash(session, digest)
        assert existing is not None
        return statement_out(existing, duplicate=True)
    await repository.insert_lines(session, rows)
    if to_settle:
        await settle_many(session, to_settle, source="bank-statement", reference=f"statement {statement_id}")
    await repository.mark_reconciled(session, matched, utcnow())
    missing = await repository.count_missing(session, parsed.booked_until) if parsed.booked_until else 0
    statement.summary = {
        **{key: outcomes.get(key, 0) for key in ("matched", "settled", *PROBLEMS)},
        "missing": missing,
    }
    record_audit(
        session,
        AuditRecord,
        actor=actor,
        actor_name=actor_name,
        action="statement.import",
        entity_type="bank_statement",
        entity_id=str(statement_id),
        detail={"format": file_format, "sha256": digest, **statement.summary},
    )
    return statement_out(statement)


async def mismatches(session: AsyncSession, limit: int) -> list[MismatchOut]:
    found = [
        MismatchOut(
            kind=line.outcome,
            kind_label=LABELS[line.outcome],
            end_to_end_id=line.end_to_end_id,
            payment_id=line.payment_id,
            our_amount_fen=None,
            bank_amount_fen=line.amount_fen,
            our_status=None,
        )
        for line in await repository.problem_lines(session, PROBLEMS, limit)
    ]
    until = await repository.latest_booked_until(session)
    if until is not None:
        found += [
            MismatchOut(
                kind="missing",
                kind_label=LABELS["missing"],
                end_to_end_id=payment.id.hex,
                payment_id=payment.id,
                our_amount_fen=payment.amount_fen,
                bank_amount_fen=None,
                our_status=payment.status,
            )
            for payment in await repository.missing_from_statements(session, until, limit)
        ]
    return found
