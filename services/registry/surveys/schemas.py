"""Survey sync bodies: submission results, batches, the phone's sync page, reviewers' decisions."""

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from services.kit.errors import FieldError
from services.kit.schemas import RequestModel
from services.registry.schemas import HouseholdOut

ConflictPath = Annotated[str, Field(pattern=r"^[a-z_]+(\.[a-z_0-9]+)?$", max_length=64)]


class SurveyResult(BaseModel):
    """Where a submission stands: received (waiting for attachments), accepted, needs review, rejected."""

    submission_id: uuid.UUID
    status: str
    status_label: str
    household_id: uuid.UUID | None = Field(description="the household surveyed, or created once accepted")
    household_version: int | None = Field(description="the version this submission made, once accepted")
    base_version: int | None
    form_code: str
    form_version: int
    reason_code: str | None = None
    reason: str | None = None
    reason_zh: str | None = None
    flags: list[FieldError] = Field(default_factory=list, description="warnings for the reviewer / 待核实项")
    missing_attachments: list[str] = Field(default_factory=list, description="SHA-256 still to upload")
    received_at: dt.datetime
    updated_at: dt.datetime


class BatchSubmit(RequestModel):
    """Several queued surveys at once; each is checked and applied on its own (partial success)."""

    submissions: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=1000)]


class ItemError(BaseModel):
    error: str
    detail: str
    detail_zh: str | None = None
    fields: list[FieldError] | None = None


class BatchItem(BaseModel):
    """One submission's outcome, at its position in the request: what a single POST would have answered."""

    index: int
    submission_id: uuid.UUID | None
    status_code: int = Field(description="201 new, 200 resent, 4xx refused (see error)")
    result: SurveyResult | None = None
    error: ItemError | None = None


class BatchResult(BaseModel):
    items: list[BatchItem]


class SyncPage(BaseModel):
    """What changed for this phone after its cursor: households to keep and to drop, its submissions."""

    households: list[HouseholdOut] = Field(
        description="assigned households, current version / 分配给我的农户"
    )
    removed: list[uuid.UUID] = Field(description="households to drop: moved away or removed / 需删除的农户")
    submissions: list[SurveyResult] = Field(description="my submissions whose state changed / 我的提交状态")
    next_after: str = Field(description="the cursor to send next time / 下次同步游标")
    more: bool = Field(description="true: ask again at once with next_after")
    reset: bool = Field(description="true: the cursor no longer applies; replace local data with this sync")


class FieldComparison(BaseModel):
    """One field of a reviewed survey: what the phone sent and what the household holds now."""

    path: str
    submitted: Any
    current: Any
    differs: bool


class ReviewOut(SurveyResult):
    """A submission as a reviewer sees it, with the field-by-field comparison against the household."""

    village_code: str
    submitted_by: str
    submitter_name: str
    device_id: str
    app_version: str | None
    captured_at: dt.datetime
    latitude: float | None
    longitude: float | None
    gps_accuracy_m: float | None
    current_version: int | None = Field(description="the household's version now (base for a decision)")
    fields: list[FieldComparison]
    reviewed_by: str | None
    reviewed_at: dt.datetime | None


class Decision(RequestModel):
    """A reviewer's decision on a submission that needs review (审核): accept, choosing fields, or reject."""

    decision: Literal["accept", "reject"]
    reason: Annotated[str, Field(min_length=2, max_length=500, description="why / 审核意见")]
    base_version: Annotated[int | None, Field(ge=1)] = Field(
        None,
        description="the household version the reviewer compared against (accepting an existing household)",
    )
    choices: Annotated[dict[ConflictPath, Literal["submitted", "current"]], Field(max_length=100)] = Field(
        default_factory=dict,
        description="for each differing field, which value to keep / 逐项选择采用调查值或现有值",
    )
