"""Admin endpoints for the token signing keys: list and rotate (JWKS is public under /api/v1/auth/jwks)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from services.gateway.keys import service
from services.gateway.schemas import SigningKeyOut
from services.kit.auth import Principal, Role, require_roles
from services.kit.database import SessionDep

router = APIRouter(prefix="/api/v1/keys", tags=["keys / 签名密钥"])
AdminDep = Annotated[Principal, Depends(require_roles(Role.ADMIN))]


@router.get("", response_model=list[SigningKeyOut], summary="Signing keys (admin) / 签名密钥列表")
async def list_keys(request: Request, session: SessionDep, _admin: AdminDep) -> list[SigningKeyOut]:
    return await service.list_keys(session, request.app.state.key_ring)


@router.post(
    "/rotate",
    response_model=SigningKeyOut,
    status_code=201,
    summary="Rotate the signing key (admin) / 轮换签名密钥",
    description=(
        "The new key is published at once and signs after the publish lead; older keys keep verifying "
        "until their last tokens expire. 新密钥先发布后启用,旧密钥在其令牌过期前仍可验签。"
    ),
)
async def rotate(request: Request, session: SessionDep, admin: AdminDep) -> SigningKeyOut:
    state = request.app.state
    return await service.rotate(session, actor=admin, settings=state.settings, ring=state.key_ring)
