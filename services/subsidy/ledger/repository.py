"""Ledger writes and balance queries; the only place balances change."""

import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.database import bulk_insert
from services.subsidy.models import AccountBalance, LedgerEntry, LedgerTransaction


async def ensure_accounts(session: AsyncSession, accounts: set[str]) -> None:
    """Create missing balance rows; a concurrent transaction creating the same row is not an error."""
    # Read first: inserting over a row another transaction has updated waits for that transaction.
    found = select(AccountBalance.account).where(AccountBalance.account.in_(accounts))
    missing = accounts - set(await session.scalars(found))
    if not missing:
        return
    rows = [{"account": account, "balance_fen": 0} for account in sorted(missing)]
    dialect = session.get_bind().dialect.name
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(AccountBalance).values(rows)
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["account"]))


async def add_to_balance(session: AsyncSession, account: str, amount_fen: int, *, floor_zero: bool) -> bool:
    """Atomically move a balance; with floor_zero the update is refused (False) if it would go below 0."""
    stmt = (
        update(AccountBalance)
        .where(AccountBalance.account == account)
        .values(balance_fen=AccountBalance.balance_fen + amount_fen)
        .execution_options(synchronize_session=False)
    )
    if floor_zero:
        stmt = stmt.where(AccountBalance.balance_fen + amount_fen >= 0)
    result = await session.execute(stmt)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def insert_entries(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await bulk_insert(session, cast(Table, LedgerEntry.__table__), rows)


async def balance(session: AsyncSession, account: str) -> int:
    value = await session.scalar(select(AccountBalance.balance_fen).where(AccountBalance.account == account))
    return int(value or 0)


async def balances(session: AsyncSession, accounts: Sequence[str]) -> dict[str, int]:
    rows = await session.execute(
        select(AccountBalance.account, AccountBalance.balance_fen).where(AccountBalance.account.in_(accounts))
    )
    found = {account: int(value) for account, value in rows.all()}
    return {account: found.get(account, 0) for account in accounts}


async def get_transaction(session: AsyncSession, transaction_id: uuid.UUID) -> LedgerTransaction | None:
    return await session.get(LedgerTransaction, transaction_id)


async def entries_of(session: AsyncSession, transaction_id: uuid.UUID) -> Sequence[LedgerEntry]:
    result = await session.execute(
        select(LedgerEntry).where(LedgerEntry.transaction_id == transaction_id).order_by(LedgerEntry.id)
    )
    return result.scalars().all()


async def totals(session: AsyncSession) -> tuple[int, int]:
    """(sum of all balances, sum of all entries): both are zero in a sound ledger."""
    balance_sum = await session.scalar(select(func.coalesce(func.sum(AccountBalance.balance_fen), 0)))
    entry_sum = await session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0)))
    return int(balance_sum or 0), int(entry_sum or 0)


async def unbalanced_transactions(session: AsyncSession) -> int:
    sums = (
        select(LedgerEntry.transaction_id)
        .group_by(LedgerEntry.transaction_id)
        .having(func.sum(LedgerEntry.amount_fen) != 0)
        .subquery()
    )
    return int(await session.scalar(select(func.count()).select_from(sums)) or 0)


async def balances_disagreeing_with_entries(session: AsyncSession) -> int:
    """Accounts whose running balance differs from the sum of their entries."""
    sums = (
        select(LedgerEntry.account, func.sum(LedgerEntry.amount_fen).label("total"))
        .group_by(LedgerEntry.account)
        .subquery()
    )
    stmt = (
        select(func.count())
        .select_from(AccountBalance)
        .outerjoin(sums, sums.c.account == AccountBalance.account)
        .where(AccountBalance.balance_fen != func.coalesce(sums.c.total, 0))
    )
    return int(await session.scalar(stmt) or 0)


async def negative_floored_accounts(session: AsyncSession, prefixes: tuple[str, ...]) -> int:
    conditions = [AccountBalance.account.startswith(prefix) for prefix in prefixes]
    stmt = (
        select(func.count())
        .select_from(AccountBalance)
        .where(or_(*conditions), AccountBalance.balance_fen < 0)
    )
    return int(await session.scalar(stmt) or 0)
