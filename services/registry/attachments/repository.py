"""Queries on attachments and their chunks."""

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.regions import region_filter
from services.registry.models import Attachment, AttachmentChunk, SubmissionAttachment, SurveySubmission


async def get(session: AsyncSession, sha256: str, *, for_update: bool = False) -> Attachment | None:
    stmt = select(Attachment).where(Attachment.sha256 == sha256)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def chunks(session: AsyncSession, sha256: str) -> Sequence[bytes]:
    result = await session.execute(
        select(AttachmentChunk.data).where(AttachmentChunk.sha256 == sha256).order_by(AttachmentChunk.offset)
    )
    return result.scalars().all()


async def drop_chunks(session: AsyncSession, sha256: str) -> None:
    await session.execute(delete(AttachmentChunk).where(AttachmentChunk.sha256 == sha256))


async def referenced_within(session: AsyncSession, sha256: str, prefixes: tuple[str, ...]) -> bool:
    """Whether a submission in these regions declared the file."""
    result = await session.execute(
        select(SubmissionAttachment.sha256)
        .join(SurveySubmission, SurveySubmission.id == SubmissionAttachment.submission_id)
        .where(SubmissionAttachment.sha256 == sha256, region_filter(SurveySubmission.village_code, prefixes))
        .limit(1)
    )
    return result.first() is not None
