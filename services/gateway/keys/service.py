"""Key rotation: a new key is published first and signs later; old ones verify until their tokens expire."""

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.config import GatewaySettings
from services.gateway.keys import repository
from services.gateway.keys.ring import KeyRing
from services.gateway.models import AuditRecord, SigningKeyRecord
from services.gateway.schemas import SigningKeyOut
from services.kit.audit import record_audit
from services.kit.auth import Principal
from services.kit.database import utcnow
from services.kit.tokens import generate_signing_key


def key_out(record: SigningKeyRecord, ring: KeyRing, now: dt.datetime) -> SigningKeyOut:
    return SigningKeyOut(
        kid=record.kid,
        created_at=record.created_at,
        activates_at=record.activates_at,
        retired_at=record.retired_at,
        signing=ring.signs_at(record, now) and ring.signing_key(now).kid == record.kid,
        published=ring.is_published(record, now),
    )


async def list_keys(session: AsyncSession, ring: KeyRing) -> list[SigningKeyOut]:
    now = utcnow()
    records: Sequence[SigningKeyRecord] = await repository.list_signing_keys(session)
    return [key_out(record, ring, now) for record in records]


async def rotate(
    session: AsyncSession, *, actor: Principal, settings: GatewaySettings, ring: KeyRing
) -> SigningKeyOut:
    """Add a key that signs after the publish lead; every current key retires at that moment."""
    now = utcnow()
    activates = now + dt.timedelta(seconds=settings.key_publish_lead_seconds)
    retiring = await repository.unretired_keys(session)
    for record in retiring:
        record.retired_at = activates
    key = generate_signing_key()
    record = SigningKeyRecord(
        kid=key.kid,
        private_pem=key.private_pem,
        public_jwk=key.public_jwk,
        created_at=now,
        activates_at=activates,
    )
    session.add(record)
    await session.flush()
    record_audit(
        session,
        AuditRecord,
        actor=actor,
        action="key.rotate",
        entity_type="signing_key",
        entity_id=key.kid,
        detail={"activates_at": activates.isoformat(), "retired": [old.kid for old in retiring]},
    )
    return SigningKeyOut(
        kid=record.kid,
        created_at=record.created_at,
        activates_at=record.activates_at,
        retired_at=None,
        signing=activates <= now,
        published=True,
    )
