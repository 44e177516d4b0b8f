"""Queries of the annual review: candidates from the latest outcomes, and the review's items."""

import uuid
from collections.abc import Sequence

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.regions import region_filter
from services.registry.models import AnnualReview, AnnualReviewItem, AssessmentView, Case, Household

ENTRY_STATUSES = ("applicant", "not_poor", "revoked")


async def candidates(session: AsyncSession, region_prefix: str) -> Sequence[tuple[Household, AssessmentView]]:
    """Assessed poor but not registered, or registered and found ready to exit; none in an open case."""
    open_case = select(Case.id).where(Case.household_id == Household.id, Case.status == "open").exists()
    result = await session.execute(
        select(Household, AssessmentView)
        .join(AssessmentView, AssessmentView.household_id == Household.id)
        .where(
            region_filter(Household.village_code, (region_prefix,)),
            ~open_case,
            or_(
                and_(Household.status.in_(ENTRY_STATUSES), AssessmentView.poor.is_(True)),
                and_(Household.status == "registered", AssessmentView.exit_ready.is_(True)),
            ),
        )
        .order_by(Household.village_code, Household.id)
    )
    return [(row[0], row[1]) for row in result.all()]


async def get(
    session: AsyncSession, review_id: uuid.UUID, prefixes: tuple[str, ...], *, for_update: bool = False
) -> AnnualReview | None:
    stmt = select(AnnualReview).where(
        AnnualReview.id == review_id, region_filter(AnnualReview.region_code, prefixes)
    )
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def items(session: AsyncSession, review_id: uuid.UUID) -> Sequence[tuple[AnnualReviewItem, str]]:
    """The review's items with their head's name."""
    result = await session.execute(
        select(AnnualReviewItem, Household.head_name)
        .join(Household, Household.id == AnnualReviewItem.household_id)
        .where(AnnualReviewItem.review_id == review_id)
        .order_by(AnnualReviewItem.village_code, AnnualReviewItem.household_id)
    )
    return [(row[0], row[1]) for row in result.all()]
