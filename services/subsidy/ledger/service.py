"""Double-entry ledger (台账): every transaction sums to zero; funds and budgets never go below zero.

Money flows treasury → fund (a fund source's grant) → budget (a program's allocation) → reserved
(approved applications) → committed (payments in flight) → paid, and back from committed to budget
when the bank fails a payment. Entries are never changed; a correction is a reversing transaction.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.errors import Conflict, NotFound
from services.kit.observability import current_request_id
from services.subsidy.ledger import repository
from services.subsidy.models import LedgerTransaction


def treasury_account(fund_source: str) -> str:
    """Where a fund source's grant comes from (上级拨款); goes negative by what was granted."""
    return f"treasury:{fund_source}"


def fund_account(fund_source: str) -> str:
    """A fund source's money not yet allocated to a program (资金来源); never below zero."""
    return f"fund:{fund_source}"


def budget_account(program_id: uuid.UUID) -> str:
    """A program's uncommitted budget; may never go below zero."""
    return f"budget:{program_id}"


def reserved_account(program_id: uuid.UUID) -> str:
    """Money approved for applications and not yet turned into payments."""
    return f"reserved:{program_id}"


def committed_account(program_id: uuid.UUID) -> str:
    """Money promised to households in payments not yet settled by the bank."""
    return f"committed:{program_id}"


def paid_account(program_id: uuid.UUID) -> str:
    """Money the bank has paid out to households."""
    return f"paid:{program_id}"


FLOORED_PREFIXES = ("fund:", "budget:", "reserved:", "committed:")


@dataclass(frozen=True)
class Leg:
    account: str
    amount_fen: int
    program_id: uuid.UUID | None = None
    household_id: uuid.UUID | None = None
    payment_id: uuid.UUID | None = None


class InsufficientFunds(Conflict):
    code = "insufficient_budget"


async def post(
    session: AsyncSession, kind: str, memo: str, legs: list[Leg], reverses_id: uuid.UUID | None = None
) -> LedgerTransaction:
    """Write one balanced transaction; refuses unbalanced legs and any floored account going below zero.

    Balances move once per account (legs summed), in account order, so a transaction of many payments
    costs a few row updates and concurrent transactions lock balance rows the same way round. They move
    after the entries are written: a program's balance rows are shared by every payment in flight, and
    each transaction holds them locked from its update to its commit, so callers post last too.
    """
    if not legs or sum(leg.amount_fen for leg in legs) != 0:
        raise ValueError("ledger transaction does not balance")
    deltas: dict[str, int] = defaultdict(int)
    for leg in legs:
        deltas[leg.account] += leg.amount_fen
    transaction = LedgerTransaction(
        id=uuid.uuid4(), kind=kind, memo=memo[:200], reverses_id=reverses_id, request_id=current_request_id()
    )
    session.add(transaction)
    await session.flush()
    await repository.insert_entries(
        session,
        [
            {
                "transaction_id": transaction.id,
                "account": leg.account,
                "amount_fen": leg.amount_fen,
                "program_id": leg.program_id,
                "household_id": leg.household_id,
                "payment_id": leg.payment_id,
            }
            for leg in legs
        ],
    )
    await repository.ensure_accounts(session, set(deltas))
    for account in sorted(deltas):
        floored = account.startswith(FLOORED_PREFIXES)
        if deltas[account] and not await repository.add_to_balance(
            session, account, deltas[account], floor_zero=floored
        ):
            raise InsufficientFunds(
                f"Not enough left on {account} for {-deltas[account]} fen.", "资金或预算余额不足。"
            )
    return transaction


async def reverse(session: AsyncSession, transaction_id: uuid.UUID, memo: str) -> LedgerTransaction:
    """Undo a transaction by posting its legs negated; a transaction is reversed at most once."""
    original = await repository.get_transaction(session, transaction_id)
    if original is None:
        raise NotFound("Ledger transaction not found.", "未找到该笔记账。")
    entries = await repository.entries_of(session, transaction_id)
    legs = [
        Leg(entry.account, -entry.amount_fen, entry.program_id, entry.household_id, entry.payment_id)
        for entry in entries
    ]
    try:
        async with session.begin_nested():
            return await post(session, "reversal", memo, legs, reverses_id=transaction_id)
    except IntegrityError as exc:
        raise Conflict("This transaction was already reversed.", "该笔记账已冲正。") from exc
