"""Ledger writes and balance queries; the only place balances change."""

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidy.models import AccountBalance


async def ensure_accounts(session: AsyncSession, accounts: set[str]) -> None:
    existing = set(
        (
            await session.execute(select(AccountBalance.account).where(AccountBalance.account.in_(accounts)))
        ).scalars()
    )
    for account in sorted(accounts - existing):
        try:
            async with session.begin_nested():
                session.add(AccountBalance(account=account, balance_fen=0))
        except IntegrityError:
            pass  # created meanwhile by a concurrent transaction


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


async def balance(session: AsyncSession, account: str) -> int:
    value = await session.scalar(select(AccountBalance.balance_fen).where(AccountBalance.account == account))
    return int(value or 0)
