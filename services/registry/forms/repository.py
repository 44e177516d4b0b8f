"""Queries on survey form versions."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.models import SurveyForm


async def get(session: AsyncSession, code: str, version: int) -> SurveyForm | None:
    result = await session.execute(
        select(SurveyForm).where(SurveyForm.code == code, SurveyForm.version == version)
    )
    return result.scalar_one_or_none()


async def definition(session: AsyncSession, form_id: uuid.UUID) -> dict[str, Any]:
    document: dict[str, Any] = (
        await session.execute(select(SurveyForm.definition).where(SurveyForm.id == form_id))
    ).scalar_one()
    return document


async def latest_open(session: AsyncSession, code: str, status: str) -> SurveyForm | None:
    result = await session.execute(
        select(SurveyForm)
        .where(SurveyForm.code == code, SurveyForm.status == status)
        .order_by(SurveyForm.version.desc())
        .limit(1)
    )
    return result.scalar_one_or_none()


async def all_versions(session: AsyncSession) -> Sequence[SurveyForm]:
    result = await session.execute(select(SurveyForm).order_by(SurveyForm.code, SurveyForm.version))
    return result.scalars().all()
