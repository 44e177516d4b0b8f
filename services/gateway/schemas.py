"""Gateway request and response bodies."""

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from services.kit.auth import PartnerScope, Role
from services.kit.schemas import DivisionCode, RequestModel, ResponseModel

PRINTABLE = r"^[^\x00-\x1f\x7f]+$"
"""No control characters: PostgreSQL cannot even compare a text with NUL in it."""
Username = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{3,64}$")]
DisplayName = Annotated[str, Field(min_length=1, max_length=100, pattern=PRINTABLE)]
Password = Annotated[
    str,
    Field(
        min_length=1,
        max_length=256,
        description="at least the configured length (10), with letters and digits, not the username "
        "/ 密码至少 10 位,须含字母和数字,不得包含用户名",
    ),
]
DeviceId = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")]
ClientId = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{2,63}$"),
    Field(description="lower-case id; `svc-` is reserved for our services / 小写标识,svc- 前缀保留"),
]
Roles = Annotated[list[Role], Field(min_length=1, max_length=7)]
Regions = Annotated[list[DivisionCode], Field(max_length=30)]


class LoginRequest(RequestModel):
    """Sign in with username and password from a device (the phone's id, or `web`)."""

    username: Annotated[str, Field(min_length=1, max_length=64, pattern=PRINTABLE)]
    password: Annotated[str, Field(min_length=1, max_length=256)]
    device_id: DeviceId = "web"


class RefreshRequest(RequestModel):
    """Trade a refresh token for a new pair; the old refresh token is spent."""

    refresh_token: Annotated[str, Field(min_length=1, max_length=256)]


class PasswordChange(RequestModel):
    """A person changes their own password."""

    current_password: Annotated[str, Field(min_length=1, max_length=256)]
    new_password: Password


class TokenResponse(ResponseModel):
    """An access token (client credentials: no refresh token, no session)."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class SessionTokens(TokenResponse):
    """A person's tokens: a 15-minute access token and a refresh token for this device's session."""

    refresh_token: str
    refresh_expires_in: int
    session_id: uuid.UUID


class Jwks(ResponseModel):
    keys: list[dict[str, Any]]


class UserCreate(RequestModel):
    """A new person account, created by an admin."""

    username: Username
    display_name: DisplayName
    password: Password
    roles: Roles
    regions: Regions = Field(default_factory=list)


class UserUpdate(RequestModel):
    """What an admin may change of an account; omitted fields stay as they are."""

    display_name: DisplayName | None = None
    roles: Roles | None = None
    regions: Regions | None = None
    disabled: bool | None = None


class PasswordReset(RequestModel):
    """An admin sets a new password (the person's sessions end and any lockout is lifted)."""

    new_password: Password


class UserOut(ResponseModel):
    id: uuid.UUID
    username: str
    display_name: str
    roles: list[str]
    regions: list[str]
    disabled: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class SessionOut(ResponseModel):
    """A device session, as its owner or an admin sees it."""

    id: uuid.UUID
    device_id: str
    user_agent: str
    client_ip: str
    created_at: dt.datetime
    last_used_at: dt.datetime
    expires_at: dt.datetime
    current: bool = False


class ClientCreate(RequestModel):
    """A partner system (bank) and the scopes it is granted."""

    client_id: ClientId
    name: DisplayName
    scopes: Annotated[list[PartnerScope], Field(min_length=1, max_length=3)]


class ClientUpdate(RequestModel):
    """What an admin may change of a partner client; omitted fields stay as they are."""

    name: DisplayName | None = None
    scopes: Annotated[list[PartnerScope], Field(min_length=1, max_length=3)] | None = None
    disabled: bool | None = None


class ClientOut(ResponseModel):
    client_id: str
    name: str
    scopes: list[str]
    disabled: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class ClientSecret(ClientOut):
    """The client with its secret, shown once when created or rotated (stored only as a hash)."""

    client_secret: str


class SigningKeyOut(ResponseModel):
    kid: str
    created_at: dt.datetime
    activates_at: dt.datetime
    retired_at: dt.datetime | None
    signing: bool
    published: bool


class Me(ResponseModel):
    subject: str
    kind: str
    name: str
    roles: list[str]
    regions: list[str]
    scopes: list[str]
    session_id: str | None
