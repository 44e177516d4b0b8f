"""The gateway's signing keys, cached in memory: the newest active key signs, all unexpired verify."""

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.auth import repository
from services.gateway.models import SigningKeyRecord
from services.kit.tokens import SigningKey, generate_signing_key


class KeyRing:
    """Active signing key and the published JWKS."""

    def __init__(self) -> None:
        self.active: SigningKey | None = None
        self.published: list[dict[str, Any]] = []

    def jwks(self) -> dict[str, Any]:
        return {"keys": list(self.published)}

    def signing_key(self) -> SigningKey:
        if self.active is None:
            raise RuntimeError("the key ring has not been loaded")
        return self.active

    async def load(self, session: AsyncSession, token_seconds: int) -> None:
        """Read keys; create the first one when there is none."""
        records = await repository.list_signing_keys(session)
        if not any(record.retired_at is None for record in records):
            key = generate_signing_key()
            session.add(SigningKeyRecord(kid=key.kid, private_pem=key.private_pem, public_jwk=key.public_jwk))
            await session.flush()
            records = await repository.list_signing_keys(session)
        now = dt.datetime.now(dt.UTC)
        horizon = dt.timedelta(seconds=token_seconds)
        active = [record for record in records if record.retired_at is None]
        newest = max(active, key=lambda record: record.created_at)
        self.active = SigningKey(newest.kid, newest.private_pem, newest.public_jwk)
        self.published = [
            record.public_jwk
            for record in records
            if record.retired_at is None or record.retired_at + horizon > now
        ]
