"""Queries on survey submissions."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.models import SurveySubmission


async def get_submission(session: AsyncSession, submission_id: uuid.UUID) -> SurveySubmission | None:
    return await session.get(SurveySubmission, submission_id, populate_existing=True)
