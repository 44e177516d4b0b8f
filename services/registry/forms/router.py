"""Survey form versions: what the phone downloads, and how admins publish and close versions."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from services.kit.auth import Principal, PrincipalDep, Role, require_roles
from services.kit.database import SessionDep
from services.registry.forms import service
from services.registry.forms.schemas import FormClose, FormDefinition, FormOut, FormVersionOut

router = APIRouter(prefix="/api/v1/surveys/forms", tags=["survey forms / 调查表"])
AdminDep = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
Code = Annotated[str, Path(pattern=r"^[a-z][a-z0-9-]{1,63}$")]
Version = Annotated[int, Path(ge=1, le=2**31 - 1)]  # a bigger number is no version, not a database error


@router.get("", response_model=list[FormVersionOut], summary="Every form version and its status / 调查表版本")
async def list_versions(session: SessionDep, _principal: PrincipalDep) -> list[FormVersionOut]:
    return await service.list_versions(session)


@router.get(
    "/{code}/current",
    response_model=FormOut,
    summary="The current version of a form, to fill in offline / 现行调查表",
)
async def current(code: Code, session: SessionDep, _principal: PrincipalDep) -> FormOut:
    return await service.current(session, code)


@router.get("/{code}/{version}", response_model=FormOut, summary="One form version / 指定版本")
async def get(code: Code, version: Version, session: SessionDep, _principal: PrincipalDep) -> FormOut:
    return await service.get(session, code, version)


@router.post(
    "",
    response_model=FormOut,
    status_code=201,
    summary="Publish a new form version (admin) / 发布调查表版本",
    description="A version never changes once published; 409 if it exists. 已发布的版本不可修改。",
)
async def publish(body: FormDefinition, session: SessionDep, principal: AdminDep) -> FormOut:
    return await service.publish(session, body, principal)


@router.post(
    "/{code}/{version}/close",
    response_model=FormOut,
    summary="Close a form version (admin) / 停用调查表版本",
    description="Submissions naming a closed version get 422 form_version_closed. 停用后按该版本提交被拒。",
)
async def close(
    code: Code, version: Version, body: FormClose, session: SessionDep, principal: AdminDep
) -> FormOut:
    return await service.close(session, code, version, body.reason, principal)
