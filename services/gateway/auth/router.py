"""Sign-in endpoints: login, client credentials, the public keys (JWKS), who am I."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse

from services.gateway.auth import service
from services.gateway.schemas import Jwks, LoginRequest, Me, TokenResponse
from services.kit.auth import PrincipalDep
from services.kit.database import SessionDep
from services.kit.errors import BadRequest

router = APIRouter(prefix="/api/v1/auth", tags=["auth / 认证"])


@router.post(
    "/login",
    response_model=TokenResponse,
    summary="Sign in with username and password / 用户登录",
    description="Returns a 15-minute access token. 返回有效期 15 分钟的访问令牌。",
)
async def login(body: LoginRequest, request: Request, session: SessionDep) -> TokenResponse | JSONResponse:
    state = request.app.state
    result = await service.login(
        session, body, passwords=state.passwords, keys=state.key_ring, settings=state.settings
    )
    return result if isinstance(result, TokenResponse) else result.to_response()


@router.post(
    "/token",
    response_model=TokenResponse,
    summary="OAuth2 client credentials for partner banks and services / 客户端凭证授权",
)
async def token(
    request: Request,
    session: SessionDep,
    grant_type: Annotated[str, Form(max_length=64)],
    client_id: Annotated[str, Form(min_length=1, max_length=64)],
    client_secret: Annotated[str, Form(min_length=1, max_length=256)],
) -> TokenResponse | JSONResponse:
    if grant_type != "client_credentials":
        raise BadRequest(
            "Only grant_type=client_credentials is supported.",
            "仅支持客户端凭证授权。",
            code="unsupported_grant_type",
        )
    state = request.app.state
    result = await service.client_credentials(
        session, client_id, client_secret, keys=state.key_ring, settings=state.settings
    )
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
    )
