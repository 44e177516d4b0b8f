"""Subsidy request and response bodies."""

import datetime as dt
import uuid
from typing import Annotated

from pydantic import Field

from services.kit.schemas import DivisionCode, RequestModel, ResponseModel

PositiveFen = Annotated[int, Field(gt=0, le=10_000_000_000, description="amount in fen (分)")]


class ProgramCreate(RequestModel):
    """A subsidy program with its earmarked fund and budget for the year."""

    code: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")]
    name_zh: Annotated[str, Field(min_length=1, max_length=200)]
    kind: Annotated[str, Field(pattern=r"^(one_off|monthly|per_unit|staged_project|interest_subsidy)$")]
    fund_source: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")]
    county_code: DivisionCode
    year: Annotated[int, Field(ge=2000, le=2100)]
    budget_fen: PositiveFen


class ProgramOut(ResponseModel):
    id: uuid.UUID
    code: str
    name_zh: str
    kind: str
    fund_source: str
    county_code: str
    year: int
    budget_fen: int
    remaining_fen: int


class PaymentCreate(RequestModel):
    """A payment of a program to a household; send an Idempotency-Key header with it."""

    program_id: uuid.UUID
    household_id: uuid.UUID
    amount_fen: PositiveFen


class PaymentOut(ResponseModel):
    id: uuid.UUID
    program_id: uuid.UUID
    household_id: uuid.UUID
    amount_fen: int
    status: str
    status_label: str
    failure_reason: str | None
    bank_reference: str | None
    created_at: dt.datetime
    settled_at: dt.datetime | None


class CallbackAck(ResponseModel):
    accepted: bool
    duplicate: bool = False
