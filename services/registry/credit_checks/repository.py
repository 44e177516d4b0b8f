"""The one query of the credit check: the status and category of the household a person belongs to."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.models import Household, Member


async def household_standing(session: AsyncSession, id_number_index: str) -> tuple[str, str] | None:
    """(status, category) of the household where this ID number is an active member, if any."""
    row = (
        await session.execute(
            select(Household.status, Household.category)
            .join(Member, Member.household_id == Household.id)
            .where(Member.id_number_index == id_number_index, Member.active.is_(True))
            .limit(1)
        )
    ).first()
    return (str(row[0]), str(row[1])) if row else None
