"""Double-entry ledger (台账): every transaction sums to zero; budgets never go below zero."""

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.errors import Conflict
from services.kit.observability import current_request_id
from services.subsidy.ledger import repository
from services.subsidy.models import LedgerEntry, LedgerTransaction


def fund_account(fund_source: str) -> str:
    """Money granted from a fund source (资金来源); goes negative as it is allocated."""
    return f"fund:{fund_source}"


def budget_account(program_id: uuid.UUID) -> str:
    """A program's uncommitted budget; may never go below zero."""
    return f"budget:{program_id}"


def committed_account(program_id: uuid.UUID) -> str:
    """Money promised to households and not yet paid."""
    return f"committed:{program_id}"


def paid_account(program_id: uuid.UUID) -> str:
    """Money the bank has paid out to households."""
    return f"paid:{program_id}"


FLOORED_PREFIXES = ("budget:", "committed:")


@dataclass(frozen=True)
class Leg:
    account: str
    amount_fen: int
    program_id: uuid.UUID | None = None
    household_id: uuid.UUID | None = None


class InsufficientFunds(Conflict):
    code = "insufficient_budget"


async def post(
    session: AsyncSession, kind: str, memo: str, legs: list[Leg], reverses_id: uuid.UUID | None = None
) -> LedgerTransaction:
    """Write one balanced transaction; refuses unbalanced legs and any budget going below zero."""
    if sum(leg.amount_fen for leg in legs) != 0 or not legs:
        raise ValueError("ledger transaction does not balance")
    await repository.ensure_accounts(session, {leg.account for leg in legs})
    # One fixed order (by account) so concurrent transactions lock balance rows the same way round.
    for leg in sorted(legs, key=lambda leg: leg.account):
        floored = leg.account.startswith(FLOORED_PREFIXES)
        if not await repository.add_to_balance(session, leg.account, leg.amount_fen, floor_zero=floored):
            raise InsufficientFunds(
                f"Not enough left on {leg.account} for {-leg.amount_fen} fen.", "预算余额不足。"
            )
    transaction = LedgerTransaction(
        kind=kind, memo=memo, reverses_id=reverses_id, request_id=current_request_id()
    )
    session.add(transaction)
    await session.flush()
    session.add_all(
        LedgerEntry(
            transaction_id=transaction.id,
            account=leg.account,
            amount_fen=leg.amount_fen,
            program_id=leg.program_id,
            household_id=leg.household_id,
        )
        for leg in legs
    )
    await session.flush()
    return transaction
