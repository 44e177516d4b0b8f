"""Queries behind entitlements: household status and assessment, caps used (household_allowances)."""

import uuid

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidy.models import Beneficiary, HouseholdAllowance, HouseholdStatus, Payment, Program


async def household_status(session: AsyncSession, household_id: uuid.UUID) -> HouseholdStatus | None:
    return await session.get(HouseholdStatus, household_id)


async def beneficiary(session: AsyncSession, household_id: uuid.UUID) -> Beneficiary | None:
    return await session.get(Beneficiary, household_id)


async def use_allowance(
    session: AsyncSession,
    scheme_code: str,
    household_id: uuid.UUID,
    period: str,
    amount_fen: int,
    cap: int | None,
) -> bool:
    """Add to what the household used of the scheme in `period`; refused (False) past `cap`.

    The conditional UPDATE locks the row, so concurrent approvals for one household queue here and the
    second sees the first's amount: the cap holds under any interleaving.
    """
    dialect = session.get_bind().dialect.name
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(HouseholdAllowance).values(
        scheme_code=scheme_code, household_id=household_id, period=period, used_fen=0
    )
    await session.execute(stmt.on_conflict_do_nothing())
    change = (
        update(HouseholdAllowance)
        .where(
            HouseholdAllowance.scheme_code == scheme_code,
            HouseholdAllowance.household_id == household_id,
            HouseholdAllowance.period == period,
        )
        .values(used_fen=HouseholdAllowance.used_fen + amount_fen)
        .execution_options(synchronize_session=False)
    )
    if cap is not None:
        change = change.where(HouseholdAllowance.used_fen + amount_fen <= cap)
    return bool((await session.execute(change)).rowcount)  # type: ignore[attr-defined]


async def allowance_used(
    session: AsyncSession, scheme_code: str, household_id: uuid.UUID, period: str, *, lock: bool
) -> int:
    stmt = select(HouseholdAllowance.used_fen).where(
        HouseholdAllowance.scheme_code == scheme_code,
        HouseholdAllowance.household_id == household_id,
        HouseholdAllowance.period == period,
    )
    if lock:
        stmt = stmt.with_for_update()
    return int(await session.scalar(stmt) or 0)


async def live_paid_under_scheme(
    session: AsyncSession, scheme_code: str, household_id: uuid.UUID, year: int | None
) -> int:
    """Money in live (not failed) payments of a scheme to a household, in a program year or ever."""
    stmt = (
        select(func.coalesce(func.sum(Payment.amount_fen), 0))
        .join(Program, Program.id == Payment.program_id)
        .where(
            Program.scheme_code == scheme_code,
            Payment.household_id == household_id,
            Payment.status != "failed",
        )
    )
    if year is not None:
        stmt = stmt.where(Program.year == year)
    return int(await session.scalar(stmt) or 0)
