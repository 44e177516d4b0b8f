"""Base models for request and response bodies."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

DivisionCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$")]
"""A 12-digit statistical division code (区划代码)."""


class RequestModel(BaseModel):
    """Request bodies refuse unknown fields, so nobody can set what they may not (mass assignment)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)
