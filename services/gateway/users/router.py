"""Admin endpoints for person accounts."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from services.gateway.schemas import UserCreate, UserOut
from services.gateway.users import repository, service
from services.kit.auth import Principal, Role, require_roles
from services.kit.database import SessionDep

router = APIRouter(prefix="/api/v1/users", tags=["users / 用户"])
AdminDep = Annotated[Principal, Depends(require_roles(Role.ADMIN))]


@router.post("", response_model=UserOut, status_code=201, summary="Create a user (admin) / 新建用户")
async def create_user(body: UserCreate, request: Request, session: SessionDep, admin: AdminDep) -> UserOut:
    user = await service.create_user(session, body, actor=admin, passwords=request.app.state.passwords)
    return UserOut.model_validate(user)


@router.get("", response_model=list[UserOut], summary="List users (admin) / 用户列表")
async def list_users(
    session: SessionDep,
    _admin: AdminDep,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[UserOut]:
    return [UserOut.model_validate(user) for user in await repository.list_users(session, offset, limit)]
