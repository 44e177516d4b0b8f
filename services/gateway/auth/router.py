"""Sign-in endpoints: login, refresh, logout, password change, client credentials, JWKS, who am I."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import JSONResponse

from services.gateway.auth import service
from services.gateway.schemas import (
    PRINTABLE,
    Jwks,
    LoginRequest,
    Me,
    PasswordChange,
    RefreshRequest,
    SessionTokens,
    TokenResponse,
)
from services.kit.auth import Principal, PrincipalDep, Role, require_roles
from services.kit.database import SessionDep
from services.kit.errors import BadRequest

router = APIRouter(prefix="/api/v1/auth", tags=["auth / 认证"])
PersonDep = Annotated[Principal, Depends(require_roles(*Role))]


async def identity(request: Request) -> service.Identity:
    state = request.app.state
    return service.Identity(state.passwords, state.key_ring, state.revocations, state.settings)


async def caller(request: Request) -> service.Caller:
    return service.Caller(
        client_ip=request.client.host if request.client else "-",
        user_agent=request.headers.get("user-agent", ""),
    )


IdentityDep = Annotated[service.Identity, Depends(identity)]
CallerDep = Annotated[service.Caller, Depends(caller)]


@router.post(
    "/login",
    response_model=SessionTokens,
    summary="Sign in with username and password / 用户登录",
    description=(
        "Returns a 15-minute access token and a refresh token for this device's session. After 5 failed "
        "sign-ins in 15 minutes the account is locked (429, Retry-After). "
        "返回 15 分钟有效的访问令牌和本设备会话的刷新令牌;15 分钟内连续失败 5 次将暂时锁定账号。"
    ),
)
async def login(
    body: LoginRequest, session: SessionDep, who: CallerDep, ids: IdentityDep
) -> SessionTokens | JSONResponse:
    result = await service.login(session, body, who, ids)
    return result if isinstance(result, SessionTokens) else result.to_response()


@router.post(
    "/refresh",
    response_model=SessionTokens,
    summary="New tokens for a refresh token (spent once) / 刷新令牌",
    description=(
        "Each refresh token works once; presenting a spent one revokes the whole session. "
        "刷新令牌只能使用一次;重复使用将注销整个会话。"
    ),
)
async def refresh(
    body: RefreshRequest, session: SessionDep, who: CallerDep, ids: IdentityDep
) -> SessionTokens | JSONResponse:
    result = await service.refresh(session, body.refresh_token, who, ids)
    return result if isinstance(result, SessionTokens) else result.to_response()


@router.post(
    "/logout", status_code=204, response_class=Response, summary="End this device's session / 退出登录"
)
async def logout(session: SessionDep, person: PersonDep, ids: IdentityDep) -> None:
    await service.logout(session, person, ids)


@router.post(
    "/password",
    status_code=204,
    response_class=Response,
    summary="Change my password / 修改密码",
    description="Signs out every other device. 其他设备将被注销。",
)
async def change_password(
    body: PasswordChange, session: SessionDep, person: PersonDep, ids: IdentityDep
) -> Response:
    refusal = await service.change_password(session, person, body, ids)
    return refusal.to_response() if refusal is not None else Response(status_code=204)


@router.post(
    "/token",
    response_model=TokenResponse,
    summary="OAuth2 client credentials for partner banks and services / 客户端凭证授权",
)
async def token(
    session: SessionDep,
    who: CallerDep,
    ids: IdentityDep,
    grant_type: Annotated[str, Form(max_length=64)],
    client_id: Annotated[str, Form(min_length=1, max_length=64, pattern=PRINTABLE)],
    client_secret: Annotated[str, Form(min_length=1, max_length=256)],
) -> TokenResponse | JSONResponse:
    if grant_type != "client_credentials":
        raise BadRequest(
            "Only grant_type=client_credentials is supported.",
            "仅支持客户端凭证授权。",
            code="unsupported_grant_type",
        )
    result = await service.client_credentials(session, client_id, client_secret, who, ids)
    return result if isinstance(result, TokenResponse) else result.to_response()


@router.get("/jwks", response_model=Jwks, summary="Public keys that verify access tokens / 令牌验签公钥")
async def jwks(request: Request) -> Jwks:
    return Jwks(keys=request.app.state.key_ring.jwks()["keys"])


@router.get("/me", response_model=Me, summary="The caller's identity / 当前身份")
async def me(principal: PrincipalDep) -> Me:
    return Me(
        subject=principal.subject,
        kind=principal.kind.value,
        name=principal.name,
        roles=sorted(principal.roles),
        regions=list(principal.regions),
        scopes=sorted(principal.scopes),
        session_id=principal.session_id,
    )
