"""Partner clients (合作机构客户端): banks signing in with client credentials, each with only its scopes."""

import secrets

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.bootstrap import SERVICE_CLIENT_PREFIX
from services.gateway.clients import repository
from services.gateway.models import ApiClient, AuditRecord
from services.gateway.schemas import ClientCreate, ClientOut, ClientSecret, ClientUpdate
from services.gateway.sessions.revocations import Revocations
from services.kit.audit import record_audit
from services.kit.auth import Principal
from services.kit.errors import Conflict, NotFound, Unprocessable
from services.kit.tokens import hash_opaque_token

CLIENT_NOT_FOUND = ("Client not found.", "未找到该客户端。")


def _with_secret(client: ApiClient, secret: str) -> ClientSecret:
    return ClientSecret(**ClientOut.model_validate(client).model_dump(), client_secret=secret)


async def create_client(session: AsyncSession, body: ClientCreate, *, actor: Principal) -> ClientSecret:
    if body.client_id.startswith(SERVICE_CLIENT_PREFIX):
        raise Unprocessable(
            f"Client ids starting with {SERVICE_CLIENT_PREFIX} are reserved for our services.",
            f"以 {SERVICE_CLIENT_PREFIX} 开头的客户端标识为系统保留。",
        )
    taken = Conflict(f"Client id {body.client_id} is taken.", f"客户端标识 {body.client_id} 已被使用。")
    if await repository.client_id_taken(session, body.client_id):
        raise taken
    secret = secrets.token_urlsafe(32)
    client = ApiClient(
        client_id=body.client_id,
        name=body.name,
        kind=repository.PARTNER,
        secret_hash=hash_opaque_token(secret),
        scopes=sorted({scope.value for scope in body.scopes}),
    )
    session.add(client)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise taken from exc
    record_audit(
        session,
        AuditRecord,
        actor=actor,
        action="client.create",
        entity_type="api_client",
        entity_id=client.client_id,
        detail={"name": client.name, "scopes": client.scopes},
    )
    return _with_secret(client, secret)


async def get_client(session: AsyncSession, client_id: str, *, for_update: bool = False) -> ApiClient:
    client = await repository.get_partner(session, client_id, for_update=for_update)
    if client is None:
        raise NotFound(*CLIENT_NOT_FOUND)
    return client


async def update_client(
    session: AsyncSession, client_id: str, body: ClientUpdate, *, actor: Principal, revocations: Revocations
) -> ApiClient:
    client = await get_client(session, client_id, for_update=True)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    before = {"name": client.name, "scopes": list(client.scopes), "disabled": client.disabled}
    if "name" in changes:
        client.name = changes["name"]
    if "scopes" in changes:
        client.scopes = sorted({str(scope) for scope in changes["scopes"]})
    if "disabled" in changes:
        client.disabled = changes["disabled"]
    after = {"name": client.name, "scopes": client.scopes, "disabled": client.disabled}
    changed = sorted(name for name in after if after[name] != before[name])
    if changed:
        client.version += 1
        revocations.set_disabled(client.client_id, client.disabled)
        record_audit(
            session,
            AuditRecord,
            actor=actor,
            action="client.update",
            entity_type="api_client",
            entity_id=client.client_id,
            detail={"changed": changed, "before": before, "after": after},
        )
    return client


async def rotate_secret(session: AsyncSession, client_id: str, *, actor: Principal) -> ClientSecret:
    """A new secret replaces the old at once (tokens already issued live out their 15 minutes)."""
    client = await get_client(session, client_id, for_update=True)
    secret = secrets.token_urlsafe(32)
    client.secret_hash = hash_opaque_token(secret)
    client.version += 1
    record_audit(
        session,
        AuditRecord,
        actor=actor,
        action="client.rotate_secret",
        entity_type="api_client",
        entity_id=client_id,
    )
    return _with_secret(client, secret)
