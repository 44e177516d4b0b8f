"""Attachments (附件): stored once per SHA-256, uploaded in chunks that resume where the last one ended.

When the last byte arrives the content is checked against its hash and its declared type; the
submissions that were waiting only for it are then applied (see surveys.service.apply_waiting).
"""

import hashlib

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.auth import Principal
from services.kit.database import utcnow
from services.kit.errors import Conflict, FieldError, NotFound, PayloadTooLarge, Unprocessable
from services.registry.attachments import repository
from services.registry.attachments.schemas import AttachmentDeclare, AttachmentOut
from services.registry.models import Attachment, AttachmentChunk
from services.registry.surveys import service as surveys

# Leading bytes of each accepted type, so a file is what it says it is.
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/webp": (b"RIFF",),
    "application/pdf": (b"%PDF-",),
}
NOT_FOUND = ("Attachment not found; declare it first.", "未找到该附件,请先登记。")


def attachment_out(attachment: Attachment) -> AttachmentOut:
    return AttachmentOut(
        sha256=attachment.sha256,
        size=attachment.size,
        content_type=attachment.content_type,
        received_bytes=attachment.received_bytes,
        complete=attachment.complete,
        completed_at=attachment.completed_at,
    )


async def declare(
    session: AsyncSession, body: AttachmentDeclare, *, principal: Principal, context: surveys.Context
) -> tuple[AttachmentOut, bool]:
    """(state, created): a file already declared (by anyone) is shared, never stored twice."""
    settings = context.settings
    problems = []
    if body.size > settings.attachment_max_bytes:
        problems.append(
            FieldError(
                loc=["body", "size"],
                message=f"Attachments are at most {settings.attachment_max_bytes} bytes.",
                message_zh=f"附件不能超过 {settings.attachment_max_bytes} 字节。",
                type="too_large",
            )
        )
    if body.content_type not in settings.attachment_content_types:
        problems.append(
            FieldError(
                loc=["body", "content_type"],
                message=f"Accepted types: {', '.join(settings.attachment_content_types)}.",
                message_zh=f"附件类型须为:{'、'.join(settings.attachment_content_types)}。",
                type="unsupported_type",
            )
        )
    if problems:
        raise Unprocessable("The attachment cannot be accepted.", "该附件不符合要求。", fields=problems)
    existing = await repository.get(session, body.sha256)
    if existing is None:
        attachment = Attachment(
            sha256=body.sha256, size=body.size, content_type=body.content_type, uploaded_by=principal.subject
        )
        try:
            async with session.begin_nested():
                session.add(attachment)
                await session.flush()
        except IntegrityError:
            existing = await repository.get(session, body.sha256)
            if existing is None:
                raise
        else:
            return attachment_out(attachment), True
    if (existing.size, existing.content_type) != (body.size, body.content_type):
        raise Conflict(
            "This SHA-256 was declared with another size or type.",
            "该哈希值已按其他大小或类型登记。",
            code="attachment_mismatch",
        )
    return attachment_out(existing), False


async def state(session: AsyncSession, sha256: str) -> AttachmentOut:
    attachment = await repository.get(session, sha256)
    if attachment is None:
        raise NotFound(*NOT_FOUND)
    return attachment_out(attachment)


async def append(
    session: AsyncSession, sha256: str, offset: int, data: bytes, *, context: surveys.Context
) -> AttachmentOut | Unprocessable:
    """Add bytes at `offset`; a chunk resent after a lost answer changes nothing.

    Returns (rather than raises) the refusal of content that fails its hash, so that dropping the bad
    bytes is committed and the phone can start again from zero.
    """
    attachment = await repository.get(session, sha256, for_update=True)
    if attachment is None:
        raise NotFound(*NOT_FOUND)
    if attachment.complete or offset + len(data) <= attachment.received_bytes:
        return attachment_out(attachment)
    if offset > attachment.received_bytes:
        raise Conflict(
            f"Upload resumes at byte {attachment.received_bytes}, not {offset}.",
            f"请从第 {attachment.received_bytes} 字节处继续上传。",
            code="upload_offset_mismatch",
        )
    fresh = data[attachment.received_bytes - offset :]
    if attachment.received_bytes + len(fresh) > attachment.size:
        raise PayloadTooLarge(
            f"The file was declared as {attachment.size} bytes.",
            f"该附件登记大小为 {attachment.size} 字节,上传内容超出。",
            code="attachment_overflow",
        )
    session.add(AttachmentChunk(sha256=sha256, offset=attachment.received_bytes, data=fresh))
    attachment.received_bytes += len(fresh)
    if attachment.received_bytes < attachment.size:
        await session.flush()
        return attachment_out(attachment)
    content = b"".join(await repository.chunks(session, sha256))
    problem = _content_problem(attachment, content)
    if problem is not None:
        await repository.drop_chunks(session, sha256)
        attachment.received_bytes = 0
        return problem
    attachment.complete = True
    attachment.completed_at = utcnow()
    await session.flush()
    await surveys.apply_waiting(session, sha256, context)
    return attachment_out(attachment)


def _content_problem(attachment: Attachment, content: bytes) -> Unprocessable | None:
    if hashlib.sha256(content).hexdigest() != attachment.sha256:
        return Unprocessable(
            "The bytes received do not match the SHA-256; upload the file again from byte 0.",
            "上传内容与哈希值不符,请从头重新上传。",
            code="attachment_hash_mismatch",
        )
    if not content.startswith(SIGNATURES.get(attachment.content_type, (b"",))):
        return Unprocessable(
            f"The file is not {attachment.content_type}.",
            f"文件内容与登记类型 {attachment.content_type} 不符。",
            code="attachment_type_mismatch",
        )
    return None


async def content(session: AsyncSession, sha256: str, principal: Principal) -> tuple[bytes, str]:
    """The file, for whoever uploaded it or can see a submission that declared it."""
    attachment = await repository.get(session, sha256)
    if (
        attachment is None
        or not attachment.complete
        or not (
            attachment.uploaded_by == principal.subject
            or await repository.referenced_within(session, sha256, principal.region_prefixes())
        )
    ):
        raise NotFound(*NOT_FOUND)
    return b"".join(await repository.chunks(session, sha256)), attachment.content_type
