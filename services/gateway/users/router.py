"""Admin endpoints for person accounts: create, list, read, change, reset password, unlock."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from services.gateway.schemas import PasswordReset, UserCreate, UserOut, UserUpdate
from services.gateway.users import repository, service
from services.kit.auth import Principal, Role, require_roles
from services.kit.database import SessionDep
from services.kit.limits import PAGE_SIZE_HELP, PageOffset

router = APIRouter(prefix="/api/v1/users", tags=["users / 用户"])
AdminDep = Annotated[Principal, Depends(require_roles(Role.ADMIN))]


@router.post("", response_model=UserOut, status_code=201, summary="Create a user (admin) / 新建用户")
async def create_user(body: UserCreate, request: Request, session: SessionDep, admin: AdminDep) -> UserOut:
    state = request.app.state
    user = await service.create_user(
        session, body, actor=admin, passwords=state.passwords, settings=state.settings
    )
    return UserOut.model_validate(user)


@router.get("", response_model=list[UserOut], summary="List users (admin) / 用户列表")
async def list_users(
    session: SessionDep,
    _admin: AdminDep,
    offset: PageOffset = 0,
    limit: Annotated[int, Query(ge=1, description=PAGE_SIZE_HELP)] = 100,
) -> list[UserOut]:
    return [UserOut.model_validate(user) for user in await repository.list_users(session, offset, limit)]


@router.get("/{user_id}", response_model=UserOut, summary="A user (admin) / 查询用户")
async def get_user(user_id: uuid.UUID, session: SessionDep, _admin: AdminDep) -> UserOut:
    return UserOut.model_validate(await service.get_user(session, user_id))


@router.patch(
    "/{user_id}",
    response_model=UserOut,
    summary="Change roles, regions, name or disable (admin) / 修改用户角色、区域或停用",
    description=(
        "Changing roles or regions, or disabling, ends the person's sessions. "
        "修改角色、区域或停用账号将注销该用户全部会话。"
    ),
)
async def update_user(
    user_id: uuid.UUID, body: UserUpdate, request: Request, session: SessionDep, admin: AdminDep
) -> UserOut:
    user = await service.update_user(
        session, user_id, body, actor=admin, revocations=request.app.state.revocations
    )
    return UserOut.model_validate(user)


@router.post(
    "/{user_id}/password",
    status_code=204,
    response_class=Response,
    summary="Reset a password (admin) / 重置密码",
    description="Lifts any lockout and ends every session. 同时解除锁定并注销全部会话。",
)
async def reset_password(
    user_id: uuid.UUID, body: PasswordReset, request: Request, session: SessionDep, admin: AdminDep
) -> None:
    state = request.app.state
    await service.reset_password(
        session,
        user_id,
        body,
        actor=admin,
        passwords=state.passwords,
        settings=state.settings,
        revocations=state.revocations,
    )


@router.post(
    "/{user_id}/unlock",
    status_code=204,
    response_class=Response,
    summary="Lift a sign-in lockout (admin) / 解除登录锁定",
)
async def unlock(user_id: uuid.UUID, session: SessionDep, admin: AdminDep) -> None:
    await service.unlock(session, user_id, actor=admin)
