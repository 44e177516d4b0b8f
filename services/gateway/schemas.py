"""Gateway request and response bodies."""

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from services.kit.auth import Role
from services.kit.schemas import DivisionCode, RequestModel, ResponseModel

Username = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{3,64}$")]


class LoginRequest(RequestModel):
    """Sign in with username and password from a device (the phone's id, or `web`)."""

    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=256)]
    device_id: Annotated[str, Field(min_length=1, max_length=128)] = "web"


class TokenResponse(ResponseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class Jwks(ResponseModel):
    keys: list[dict[str, Any]]


class UserCreate(RequestModel):
    """A new person account, created by an admin."""

    username: Username
    display_name: Annotated[str, Field(min_length=1, max_length=100)]
    password: Annotated[str, Field(min_length=10, max_length=256)]
    roles: Annotated[list[Role], Field(min_length=1, max_length=7)]
    regions: Annotated[list[DivisionCode], Field(max_length=200)] = Field(default_factory=list)


class UserOut(ResponseModel):
    id: uuid.UUID
    username: str
    display_name: str
    roles: list[str]
    regions: list[str]
    disabled: bool
    created_at: dt.datetime


class Me(ResponseModel):
    subject: str
    kind: str
    name: str
    roles: list[str]
    regions: list[str]
    scopes: list[str]
