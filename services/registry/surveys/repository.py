"""Queries on survey submissions and their declared attachments."""

import uuid
from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from services.kit.regions import region_filter
from services.registry.models import Attachment, Household, SubmissionAttachment, SurveySubmission


async def get_submission(session: AsyncSession, submission_id: uuid.UUID) -> SurveySubmission | None:
    return await session.get(SurveySubmission, submission_id, populate_existing=True)


async def visible_submission(
    session: AsyncSession, submission_id: uuid.UUID, prefixes: tuple[str, ...], *, for_update: bool = False
) -> SurveySubmission | None:
    stmt = select(SurveySubmission).where(
        SurveySubmission.id == submission_id, region_filter(SurveySubmission.village_code, prefixes)
    )
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def missing_attachments(
    session: AsyncSession, submission_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    """Declared attachments not (completely) uploaded yet, per submission."""
    if not submission_ids:
        return {}
    rows = await session.execute(
        select(SubmissionAttachment.submission_id, SubmissionAttachment.sha256)
        .outerjoin(Attachment, Attachment.sha256 == SubmissionAttachment.sha256)
        .where(
            SubmissionAttachment.submission_id.in_(submission_ids),
            Attachment.complete.is_not(True),
        )
        .order_by(SubmissionAttachment.sha256)
    )
    missing: dict[uuid.UUID, list[str]] = {}
    for submission_id, sha256 in rows.all():
        missing.setdefault(submission_id, []).append(sha256)
    return missing


async def declared_attachments(
    session: AsyncSession, submission_id: uuid.UUID
) -> Sequence[SubmissionAttachment]:
    result = await session.execute(
        select(SubmissionAttachment)
        .where(SubmissionAttachment.submission_id == submission_id)
        .order_by(SubmissionAttachment.sha256)
    )
    return result.scalars().all()


async def waiting_for(session: AsyncSession, sha256: str, status: str) -> Sequence[SurveySubmission]:
    """Submissions in `status` that declared this attachment, oldest first, locked."""
    result = await session.execute(
        select(SurveySubmission)
        .join(SubmissionAttachment, SubmissionAttachment.submission_id == SurveySubmission.id)
        .where(SubmissionAttachment.sha256 == sha256, SurveySubmission.status == status)
        .order_by(SurveySubmission.received_at)
        .with_for_update(of=SurveySubmission)
    )
    return result.scalars().all()


async def for_review(
    session: AsyncSession, prefixes: tuple[str, ...], status: str, limit: int, offset: int
) -> Sequence[SurveySubmission]:
    result = await session.execute(
        select(SurveySubmission)
        .where(SurveySubmission.status == status, region_filter(SurveySubmission.village_code, prefixes))
        .order_by(SurveySubmission.received_at)
        .limit(limit)
        .offset(offset)
    )
    return result.scalars().all()


async def changed_for(
    session: AsyncSession, submitter: str, after: int, upto: int, limit: int
) -> Sequence[SurveySubmission]:
    """A submitter's submissions whose state reached the sync feed in (after, upto]."""
    result = await session.execute(
        select(SurveySubmission)
        .where(
            SurveySubmission.submitted_by == submitter,
            SurveySubmission.sync_sequence > after,
            SurveySubmission.sync_sequence <= upto,
        )
        .order_by(SurveySubmission.sync_sequence)
        .limit(limit)
    )
    return result.scalars().all()


async def mark_synced(session: AsyncSession, submission_id: uuid.UUID, sequence: int) -> None:
    await session.execute(
        update(SurveySubmission)
        .where(SurveySubmission.id == submission_id)
        # Being numbered in the sync feed is not a change of the submission: updated_at stays.
        .values(sync_sequence=sequence, updated_at=SurveySubmission.updated_at)
    )


async def submissions_by_id(
    session: AsyncSession, submission_ids: list[uuid.UUID]
) -> dict[uuid.UUID, SurveySubmission]:
    if not submission_ids:
        return {}
    result = await session.execute(select(SurveySubmission).where(SurveySubmission.id.in_(submission_ids)))
    return {row.id: row for row in result.scalars()}


async def visible_households(
    session: AsyncSession, household_ids: list[uuid.UUID], prefixes: tuple[str, ...]
) -> set[uuid.UUID]:
    if not household_ids:
        return set()
    result = await session.execute(
        select(Household.id).where(
            Household.id.in_(household_ids), region_filter(Household.village_code, prefixes)
        )
    )
    return set(result.scalars())


async def claim(session: AsyncSession, rows: list[SurveySubmission]) -> set[uuid.UUID]:
    """Insert these submissions in one statement, skipping ids already taken; the ids inserted.

    A concurrent request inserting one of the same ids waits on it until we commit, then skips it.
    """
    if not rows:
        return set()
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = cast(Table, SurveySubmission.__table__)
    # Rows as parameters of one cached statement, not values compiled into a new one on every call.
    statement = insert(table).on_conflict_do_nothing(index_elements=["id"]).returning(table.c.id)
    parameters = [{column.key: getattr(row, column.key) for column in table.columns} for row in rows]
    return set((await session.execute(statement, parameters)).scalars())


async def claim_one(session: AsyncSession, row: SurveySubmission) -> bool:
    """Insert this new submission unless its id is taken; once inserted, the session tracks it as loaded."""
    if row.id not in await claim(session, [row]):
        return False
    make_transient_to_detached(row)
    session.add(row)
    return True


async def next_received(session: AsyncSession, status: str, limit: int) -> Sequence[SurveySubmission]:
    """The oldest submissions in `status` with every attachment in, locked; others' locked ones skipped."""
    missing = (
        select(SubmissionAttachment.sha256)
        .outerjoin(Attachment, Attachment.sha256 == SubmissionAttachment.sha256)
        .where(SubmissionAttachment.submission_id == SurveySubmission.id, Attachment.complete.is_not(True))
        .exists()
    )
    result = await session.execute(
        select(SurveySubmission)
        .where(SurveySubmission.status == status, ~missing)
        .order_by(SurveySubmission.received_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return result.scalars().all()
