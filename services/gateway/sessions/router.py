"""Device sessions: a person lists and ends their own; an admin does it for anyone (a lost phone)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from services.gateway.schemas import SessionOut
from services.gateway.sessions import service
from services.kit.auth import Principal, Role, require_roles
from services.kit.database import SessionDep, utcnow

router = APIRouter(tags=["sessions / 会话"])
PersonDep = Annotated[Principal, Depends(require_roles(*Role))]
AdminDep = Annotated[Principal, Depends(require_roles(Role.ADMIN))]


@router.get(
    "/api/v1/auth/sessions", response_model=list[SessionOut], summary="My signed-in devices / 我的登录设备"
)
async def my_sessions(session: SessionDep, person: PersonDep) -> list[SessionOut]:
    return await service.list_sessions(session, uuid.UUID(person.subject), utcnow(), person.session_id)


@router.delete(
    "/api/v1/auth/sessions/{session_id}",
    status_code=204,
    response_class=Response,
    summary="Sign out one of my devices / 注销我的某台设备",
)
async def end_my_session(
    session_id: uuid.UUID, request: Request, session: SessionDep, person: PersonDep
) -> None:
    await service.revoke(
        session,
        uuid.UUID(person.subject),
        session_id,
        reason="revoked_by_user",
        actor=person,
        revocations=request.app.state.revocations,
        now=utcnow(),
    )


@router.get(
    "/api/v1/users/{user_id}/sessions",
    response_model=list[SessionOut],
    summary="A person's signed-in devices (admin) / 用户登录设备",
)
async def user_sessions(user_id: uuid.UUID, session: SessionDep, _admin: AdminDep) -> list[SessionOut]:
    return await service.list_sessions(session, user_id, utcnow())


@router.delete(
    "/api/v1/users/{user_id}/sessions/{session_id}",
    status_code=204,
    response_class=Response,
    summary="End a person's session, e.g. a lost phone (admin) / 注销用户设备会话",
)
async def end_user_session(
    user_id: uuid.UUID, session_id: uuid.UUID, request: Request, session: SessionDep, admin: AdminDep
) -> None:
    await service.revoke(
        session,
        user_id,
        session_id,
        reason="revoked_by_admin",
        actor=admin,
        revocations=request.app.state.revocations,
        now=utcnow(),
    )
