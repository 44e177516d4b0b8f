"""Policy endpoints."""

from fastapi import APIRouter

from services.eligibility.policies import repository
from services.eligibility.schemas import PolicyOut
from services.kit.auth import PrincipalDep
from services.kit.database import SessionDep

router = APIRouter(prefix="/api/v1/policies", tags=["policies / 政策"])


@router.get("", response_model=list[PolicyOut], summary="Published policies / 已发布政策")
async def list_policies(session: SessionDep, _principal: PrincipalDep) -> list[PolicyOut]:
    return [PolicyOut.model_validate(policy) for policy in await repository.published(session)]
