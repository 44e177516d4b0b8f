"""Admin endpoints for partner clients (banks): create with scopes, change, disable, rotate the secret."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from services.gateway.clients import repository, service
from services.gateway.schemas import PRINTABLE, ClientCreate, ClientOut, ClientSecret, ClientUpdate
from services.kit.auth import Principal, Role, require_roles
from services.kit.database import SessionDep
from services.kit.limits import PAGE_SIZE_HELP, PageOffset

router = APIRouter(prefix="/api/v1/clients", tags=["clients / 合作机构客户端"])
AdminDep = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
ClientIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=PRINTABLE)]


@router.post(
    "",
    response_model=ClientSecret,
    status_code=201,
    summary="Register a partner client (admin) / 登记合作机构客户端",
    description=(
        "Scopes: credit:check, payments:notify, loans:report. The secret is shown only here. "
        "密钥仅在此显示一次。"
    ),
)
async def create_client(body: ClientCreate, session: SessionDep, admin: AdminDep) -> ClientSecret:
    return await service.create_client(session, body, actor=admin)


@router.get("", response_model=list[ClientOut], summary="Partner clients (admin) / 合作机构客户端列表")
async def list_clients(
    session: SessionDep,
    _admin: AdminDep,
    offset: PageOffset = 0,
    limit: Annotated[int, Query(ge=1, description=PAGE_SIZE_HELP)] = 100,
) -> list[ClientOut]:
    return [ClientOut.model_validate(c) for c in await repository.list_partners(session, offset, limit)]


@router.get("/{client_id}", response_model=ClientOut, summary="A partner client (admin) / 查询客户端")
async def get_client(client_id: ClientIdPath, session: SessionDep, _admin: AdminDep) -> ClientOut:
    return ClientOut.model_validate(await service.get_client(session, client_id))


@router.patch(
    "/{client_id}", response_model=ClientOut, summary="Change scopes or disable (admin) / 修改授权或停用"
)
async def update_client(
    client_id: ClientIdPath, body: ClientUpdate, request: Request, session: SessionDep, admin: AdminDep
) -> ClientOut:
    client = await service.update_client(
        session, client_id, body, actor=admin, revocations=request.app.state.revocations
    )
    return ClientOut.model_validate(client)


@router.post(
    "/{client_id}/secret",
    response_model=ClientSecret,
    summary="Issue a new secret (admin) / 重置客户端密钥",
)
async def rotate_secret(client_id: ClientIdPath, session: SessionDep, admin: AdminDep) -> ClientSecret:
    return await service.rotate_secret(session, client_id, actor=admin)
