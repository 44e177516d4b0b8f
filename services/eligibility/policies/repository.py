"""Queries on policy versions."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from services.eligibility.models import Policy

PUBLISHED = "published"


async def get(session: AsyncSession, policy_id: uuid.UUID) -> Policy | None:
    return await session.get(Policy, policy_id)


async def get_for_update(session: AsyncSession, policy_id: uuid.UUID) -> Policy | None:
    statement = select(Policy).where(Policy.id == policy_id)
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def get_by_code_version(session: AsyncSession, code: str, version: int) -> Policy | None:
    result = await session.execute(
        select(Policy).where(Policy.code == code, Policy.policy_version == version)
    )
    return result.scalar_one_or_none()


async def latest_published(session: AsyncSession, code: str) -> Policy | None:
    result = await session.execute(
        select(Policy)
        .where(Policy.code == code, Policy.status == PUBLISHED)
        .order_by(Policy.policy_version.desc())
        .limit(1)
    )
    return result.scalar_one_or_none()


async def any_of_code(session: AsyncSession, code: str) -> Policy | None:
    result = await session.execute(select(Policy).where(Policy.code == code).limit(1))
    return result.scalar_one_or_none()


async def next_version(session: AsyncSession, code: str) -> int:
    highest = await session.scalar(select(func.max(Policy.policy_version)).where(Policy.code == code))
    return int(highest or 0) + 1


async def listing(session: AsyncSession, status: str | None, code: str | None) -> Sequence[Policy]:
    """Policy versions without their documents (read one with `document_of` when needed)."""
    statement = (
        select(Policy)
        .options(defer(Policy.document, raiseload=True))
        .order_by(Policy.code, Policy.policy_version)
    )
    if status is not None:
        statement = statement.where(Policy.status == status)
    if code is not None:
        statement = statement.where(Policy.code == code)
    return (await session.execute(statement)).scalars().all()


async def published(session: AsyncSession) -> Sequence[Policy]:
    return await listing(session, PUBLISHED, None)


async def document_of(session: AsyncSession, policy_id: uuid.UUID) -> dict[str, Any]:
    document: dict[str, Any] | None = await session.scalar(
        select(Policy.document).where(Policy.id == policy_id)
    )
    assert document is not None, "every policy has a document"
    return document
