"""Queries for village rankings."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.eligibility.models import CurrentAssessment, HouseholdInput


async def village_households(session: AsyncSession, village_code: str) -> Sequence[Any]:
    result = await session.execute(
        select(
            CurrentAssessment.household_id,
            CurrentAssessment.household_version,
            CurrentAssessment.assessment_id,
            CurrentAssessment.category,
            CurrentAssessment.score_x100,
            HouseholdInput.per_capita_net_income_fen,
            HouseholdInput.member_count,
        )
        .join(HouseholdInput, HouseholdInput.household_id == CurrentAssessment.household_id)
        .where(CurrentAssessment.village_code == village_code)
    )
    return result.all()
