"""Attachment upload bodies (附件): declared by SHA-256, sent in resumable chunks."""

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, Field

from services.kit.schemas import RequestModel
from services.registry.schemas import Sha256


class AttachmentDeclare(RequestModel):
    """Announce a file before sending its bytes; a file already stored (same SHA-256) is not sent again."""

    sha256: Sha256
    size: Annotated[int, Field(ge=1)]
    content_type: Annotated[str, Field(min_length=3, max_length=100)]


class AttachmentOut(BaseModel):
    """How much of a file has arrived: resume the upload at `received_bytes`."""

    sha256: str
    size: int
    content_type: str
    received_bytes: int
    complete: bool
    completed_at: dt.datetime | None
