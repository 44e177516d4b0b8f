"""Account rules: who may be created, with which roles and regions."""

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.auth.passwords import Passwords
from services.gateway.models import AuditRecord, User
from services.gateway.schemas import UserCreate
from services.gateway.users import repository
from services.kit.audit import record_audit
from services.kit.auth import Principal, Role
from services.kit.errors import Conflict, Unprocessable

REGIONLESS_ROLES = {Role.ADMIN}


def check_password_policy(password: str) -> None:
    """At least 10 characters with letters and digits (等保 basic password strength)."""
    if not (any(c.isalpha() for c in password) and any(c.isdigit() for c in password)):
        raise Unprocessable(
            "Password must contain letters and digits.", "密码须同时包含字母和数字。", code="weak_password"
        )


async def create_user(
    session: AsyncSession, body: UserCreate, *, actor: Principal, passwords: Passwords
) -> User:
    check_password_policy(body.password)
    if not body.regions and not set(body.roles) <= REGIONLESS_ROLES:
        raise Unprocessable("This role needs at least one region.", "该角色必须指定至少一个管辖区域。")
    if await repository.username_taken(session, body.username):
        raise Conflict(f"Username {body.username} is taken.", f"用户名 {body.username} 已被使用。")
    user = User(
        username=body.username,
        display_name=body.display_name,
        password_hash=await passwords.hash(body.password),
        roles=[role.value for role in body.roles],
        regions=list(dict.fromkeys(body.regions)),
    )
    session.add(user)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"Username {body.username} is taken.", f"用户名 {body.username} 已被使用。") from exc
    record_audit(
        session,
        AuditRecord,
        actor=actor,
        action="user.create",
        entity_type="user",
        entity_id=str(user.id),
        detail={"username": user.username, "roles": user.roles, "regions": user.regions},
    )
    return user
