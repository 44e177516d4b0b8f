"""Account rules: who may be created, with which roles and regions; changes, resets, unlocks."""

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.auth import repository as sign_in
from services.gateway.auth.passwords import Passwords
from services.gateway.config import GatewaySettings
from services.gateway.models import AuditRecord, User
from services.gateway.schemas import PasswordReset, UserCreate, UserUpdate
from services.gateway.sessions import service as sessions
from services.gateway.sessions.revocations import Revocations
from services.gateway.users import repository
from services.kit.audit import record_audit
from services.kit.auth import Principal, Role
from services.kit.database import utcnow
from services.kit.errors import Conflict, NotFound, Unprocessable

REGIONLESS_ROLES = {Role.ADMIN}
USER_NOT_FOUND = ("User not found.", "未找到该用户。")


def check_password_policy(password: str, username: str, settings: GatewaySettings) -> None:
    """Long enough, letters and digits, not the username (等保 basic password strength)."""
    if len(password) < settings.password_min_length:
        raise Unprocessable(
            f"Password must have at least {settings.password_min_length} characters.",
            f"密码长度至少 {settings.password_min_length} 位。",
            code="weak_password",
        )
    if not (any(c.isalpha() for c in password) and any(c.isdigit() for c in password)):
        raise Unprocessable(
            "Password must contain letters and digits.", "密码须同时包含字母和数字。", code="weak_password"
        )
    if username.lower() in password.lower():
        raise Unprocessable(
            "Password must not contain the username.", "密码不得包含用户名。", code="weak_password"
        )


def check_roles_and_regions(roles: list[Role], regions: list[str]) -> None:
    if not regions and not set(roles) <= REGIONLESS_ROLES:
        raise Unprocessable("This role needs at least one region.", "该角色必须指定至少一个管辖区域。")


async def create_user(
    session: AsyncSession,
    body: UserCreate,
    *,
    actor: Principal,
    passwords: Passwords,
    settings: GatewaySettings,
) -> User:
    check_password_policy(body.password, body.username, settings)
    check_roles_and_regions(body.roles, body.regions)
    if await repository.username_taken(session, body.username):
        raise Conflict(f"Username {body.username} is taken.", f"用户名 {body.username} 已被使用。")
    user = User(
        username=body.username,
        display_name=body.display_name,
        password_hash=await passwords.hash(body.password),
        roles=[role.value for role in dict.fromkeys(body.roles)],
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


async def get_user(session: AsyncSession, user_id: uuid.UUID, *, for_update: bool = False) -> User:
    user = await repository.get_user(session, user_id, for_update=for_update)
    if user is None:
        raise NotFound(*USER_NOT_FOUND)
    return user


async def update_user(
    session: AsyncSession,
    user_id: uuid.UUID,
    body: UserUpdate,
    *,
    actor: Principal,
    revocations: Revocations,
) -> User:
    """Apply an admin's changes; new roles, regions or a disable end the person's sessions."""
    user = await get_user(session, user_id, for_update=True)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    roles = [Role(role) for role in changes.get("roles", user.roles)]
    regions = list(dict.fromkeys(changes.get("regions", user.regions)))
    check_roles_and_regions(roles, regions)
    if str(user.id) == actor.subject and (changes.get("disabled") or Role.ADMIN not in roles):
        raise Conflict(
            "Admins cannot disable themselves or drop their own admin role.",
            "管理员不能停用自己或撤销自己的管理员角色。",
            code="self_lockout",
        )
    before = {"roles": list(user.roles), "regions": list(user.regions), "disabled": user.disabled}
    if "display_name" in changes:
        user.display_name = changes["display_name"]
    user.roles = [role.value for role in dict.fromkeys(roles)]
    user.regions = regions
    user.disabled = changes.get("disabled", user.disabled)
    after = {"roles": user.roles, "regions": user.regions, "disabled": user.disabled}
    changed = sorted(name for name in after if after[name] != before[name])
    if "display_name" in changes:
        changed.append("display_name")
    if not changed:
        return user
    user.version += 1
    now = utcnow()
    if set(changed) & {"roles", "regions", "disabled"}:
        # Tokens carry roles and regions: old ones must not outlive the change.
        await sessions.end_all_sessions(
            session, user.id, reason="account_changed", actor=actor, revocations=revocations, now=now
        )
    revocations.set_disabled(str(user.id), user.disabled)
    record_audit(
        session,
        AuditRecord,
        actor=actor,
        action="user.update",
        entity_type="user",
        entity_id=str(user.id),
        detail={"changed": changed, "before": before, "after": after},
    )
    return user


async def reset_password(
    session: AsyncSession,
    user_id: uuid.UUID,
    body: PasswordReset,
    *,
    actor: Principal,
    passwords: Passwords,
    settings: GatewaySettings,
    revocations: Revocations,
) -> None:
    """An admin sets a new password: the lockout is lifted and every session of the person ends."""
    user = await get_user(session, user_id, for_update=True)
    check_password_policy(body.new_password, user.username, settings)
    user.password_hash = await passwords.hash(body.new_password)
    user.version += 1
    await sign_in.forget_failures(session, user.username)
    await sessions.end_all_sessions(
        session, user.id, reason="password_reset", actor=actor, revocations=revocations, now=utcnow()
    )
    record_audit(
        session,
        AuditRecord,
        actor=actor,
        action="user.password_reset",
        entity_type="user",
        entity_id=str(user.id),
    )


async def unlock(session: AsyncSession, user_id: uuid.UUID, *, actor: Principal) -> None:
    """Lift a lockout now, for a person who remembers the password after all."""
    user = await get_user(session, user_id)
    await sign_in.forget_failures(session, user.username)
    record_audit(
        session, AuditRecord, actor=actor, action="user.unlock", entity_type="user", entity_id=str(user.id)
    )
