"""Queries on reported loans."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidy.models import Loan


async def by_reference(session: AsyncSession, reported_by: str, reference: str) -> Loan | None:
    stmt = select(Loan).where(Loan.reported_by == reported_by, Loan.loan_reference == reference)
    return (await session.execute(stmt)).scalar_one_or_none()
