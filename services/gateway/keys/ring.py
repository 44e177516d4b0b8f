"""The gateway's signing keys, cached in memory and reloaded, so a rotation reaches every replica."""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.keys import repository
from services.gateway.models import SigningKeyRecord
from services.kit.database import utcnow
from services.kit.tokens import SigningKey, generate_signing_key


class KeyRing:
    """Which key signs now, and which public keys are published (JWKS)."""

    def __init__(self, token_seconds: int) -> None:
        self._token_horizon = dt.timedelta(seconds=token_seconds)
        self._records: Sequence[SigningKeyRecord] = ()

    @staticmethod
    def signs_at(record: SigningKeyRecord, now: dt.datetime) -> bool:
        return record.activates_at <= now and (record.retired_at is None or record.retired_at > now)

    def is_published(self, record: SigningKeyRecord, now: dt.datetime) -> bool:
        """From creation (before it signs, so verifiers learn it early) until its last token expires."""
        return record.retired_at is None or record.retired_at + self._token_horizon > now

    def signing_key(self, now: dt.datetime | None = None) -> SigningKey:
        moment = now or utcnow()
        signing = [record for record in self._records if self.signs_at(record, moment)]
        if not signing:
            raise RuntimeError("no signing key is active; the key ring has not been loaded")
        newest = max(signing, key=lambda record: (record.activates_at, record.created_at))
        return SigningKey(newest.kid, newest.private_pem, newest.public_jwk)

    def jwks(self, now: dt.datetime | None = None) -> dict[str, Any]:
        moment = now or utcnow()
        return {"keys": [record.public_jwk for record in self._records if self.is_published(record, moment)]}

    async def load(self, session: AsyncSession) -> None:
        """Read every key; create the first one when none signs now or later (a new installation)."""
        records = await repository.list_signing_keys(session)
        now = utcnow()
        if not any(record.retired_at is None or record.retired_at > now for record in records):
            key = generate_signing_key()
            session.add(
                SigningKeyRecord(
                    kid=key.kid, private_pem=key.private_pem, public_jwk=key.public_jwk, activates_at=now
                )
            )
            await session.flush()
            records = await repository.list_signing_keys(session)
        self._records = records
