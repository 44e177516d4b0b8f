"""Start-up data: service clients from settings, and the first admin account."""

import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.auth.passwords import Passwords
from services.gateway.config import GatewaySettings
from services.gateway.models import ApiClient, User
from services.gateway.routing.table import SERVICE_SCOPES
from services.gateway.users.service import check_password_policy
from services.kit.auth import Role
from services.kit.database import Database
from services.kit.tokens import hash_opaque_token

SERVICE_CLIENT_PREFIX = "svc-"


def service_client_id(service: str) -> str:
    return f"{SERVICE_CLIENT_PREFIX}{service}"


async def register_service_clients(session: AsyncSession, clients: dict[str, str]) -> None:
    """Create or update `svc-<name>` for each configured service, with the scopes it needs."""
    for service, secret in clients.items():
        client_id = service_client_id(service)
        scopes = list(SERVICE_SCOPES.get(service, ()))
        client = await session.get(ApiClient, client_id)
        if client is None:
            session.add(
                ApiClient(
                    client_id=client_id,
                    name=f"{service} service",
                    kind="service",
                    secret_hash=hash_opaque_token(secret),
                    scopes=scopes,
                )
            )
        else:
            client.secret_hash = hash_opaque_token(secret)
            client.scopes = scopes


async def ensure_admin(
    database: Database, settings: GatewaySettings, username: str, password: str | None
) -> str | None:
    """Create the first admin when no admin exists; returns the generated password, if one was made.

    A chosen password must meet the same policy as any other (raises `Unprocessable` otherwise).
    """
    if password:
        check_password_policy(password, username, settings)
    async with database.sessionmaker() as session, session.begin():
        users = (await session.execute(select(User))).scalars().all()
        if any(Role.ADMIN.value in user.roles for user in users):
            return None
        generated = None
        if not password:
            generated = password = secrets.token_urlsafe(12) + "7a"
        session.add(
            User(
                username=username,
                display_name="系统管理员",
                password_hash=await Passwords(settings).hash(password),
                roles=[Role.ADMIN.value],
                regions=[],
            )
        )
    return generated
