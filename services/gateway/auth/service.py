"""Sign-in rules: passwords for people, client credentials for banks and services."""

import hashlib
import hmac

from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.auth import repository
from services.gateway.auth.keys import KeyRing
from services.gateway.auth.passwords import Passwords
from services.gateway.config import GatewaySettings
from services.gateway.models import AuditRecord
from services.gateway.schemas import LoginRequest, TokenResponse
from services.kit.audit import record_audit
from services.kit.auth import PrincipalKind
from services.kit.errors import Unauthorized
from services.kit.tokens import issue_token


def hash_client_secret(secret: str) -> str:
    """Client secrets are long random strings, so a plain SHA-256 is enough to store them."""
    return hashlib.sha256(secret.encode()).hexdigest()


async def login(
    session: AsyncSession,
    request: LoginRequest,
    *,
    passwords: Passwords,
    keys: KeyRing,
    settings: GatewaySettings,
) -> TokenResponse | Unauthorized:
    """A token, or the refusal to send back once the failure has been audited (so it must not raise)."""
    user = await repository.get_user_by_username(session, request.username)
    valid = await passwords.verify(user.password_hash if user else None, request.password)
    if user is None or not valid or user.disabled:
        record_audit(
            session,
            AuditRecord,
            actor=None,
            actor_name=request.username[:64],
            action="login",
            entity_type="user",
            entity_id=str(user.id) if user else "-",
            outcome="disabled" if user and valid else "failed",
            detail={"device_id": request.device_id},
        )
        return Unauthorized("Wrong username or password.", "用户名或密码错误。")
    token = issue_token(
        keys.signing_key(),
        subject=str(user.id),
        issuer=settings.token_issuer,
        audience=settings.token_audience,
        ttl_seconds=settings.access_token_seconds,
        claims={
            "typ": PrincipalKind.USER.value,
            "name": user.username,
            "roles": list(user.roles),
            "regions": list(user.regions),
            "device": request.device_id,
        },
    )
    record_audit(
        session,
        AuditRecord,
        actor=None,
        actor_name=str(user.id),
        action="login",
        entity_type="user",
        entity_id=str(user.id),
        detail={"device_id": request.device_id},
    )
    return TokenResponse(access_token=token, expires_in=settings.access_token_seconds)


async def client_credentials(
    session: AsyncSession,
    client_id: str,
    client_secret: str,
    *,
    keys: KeyRing,
    settings: GatewaySettings,
) -> TokenResponse | Unauthorized:
    """A token, or the refusal to send back once the failure has been audited."""
    client = await repository.get_client(session, client_id)
    if (
        client is None
        or client.disabled
        or not hmac.compare_digest(client.secret_hash, hash_client_secret(client_secret))
    ):
        record_audit(
            session,
            AuditRecord,
            actor=None,
            actor_name=client_id[:64],
            action="client_token",
            entity_type="api_client",
            entity_id=client_id[:64],
            outcome="failed",
        )
        return Unauthorized("Unknown client or wrong secret.", "客户端凭证无效。", code="invalid_client")
    kind = PrincipalKind.SERVICE if client.kind == "service" else PrincipalKind.CLIENT
    token = issue_token(
        keys.signing_key(),
        subject=client.client_id,
        issuer=settings.token_issuer,
        audience=settings.token_audience,
        ttl_seconds=settings.access_token_seconds,
        claims={"typ": kind.value, "name": client.name, "scope": " ".join(client.scopes)},
    )
    return TokenResponse(access_token=token, expires_in=settings.access_token_seconds)
