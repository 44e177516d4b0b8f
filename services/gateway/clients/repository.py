"""Queries on partner API clients."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.models import ApiClient

PARTNER = "partner"


async def get_partner(session: AsyncSession, client_id: str, *, for_update: bool = False) -> ApiClient | None:
    stmt = select(ApiClient).where(ApiClient.client_id == client_id, ApiClient.kind == PARTNER)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def client_id_taken(session: AsyncSession, client_id: str) -> bool:
    return await session.get(ApiClient, client_id) is not None


async def list_partners(session: AsyncSession, offset: int, limit: int) -> Sequence[ApiClient]:
    result = await session.execute(
        select(ApiClient)
        .where(ApiClient.kind == PARTNER)
        .order_by(ApiClient.client_id)
        .offset(offset)
        .limit(limit)
    )
    return result.scalars().all()
