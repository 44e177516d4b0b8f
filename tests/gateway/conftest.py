"""Helpers for the gateway tests: people, partner clients, households, the gateway's tables."""

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from bench.generator import SyntheticCounty
from services.gateway.models import AuditRecord
from tests.support.system import RunningSystem, auth

COUNTY = "522627000000"
VILLAGE_A = "522627001201"
VILLAGE_B = "522627002201"


class Gateway:
    """What the tests do through the public API, and what they read from the gateway's own tables."""

    def __init__(self, system: RunningSystem) -> None:
        self.system = system
        self.api = system.api
        self.http = system.api.http
        self.app = system.app("gateway")
        self.settings = self.app.state.settings

    async def person(self, username: str, roles: list[str], regions: list[str]) -> str:
        return await self.api.create_user(self.system.admin_token, username, roles, regions)

    async def login(self, username: str, password: str, device_id: str = "phone-1") -> Any:
        return await self.http.post(
            "/api/v1/auth/login", json={"username": username, "password": password, "device_id": device_id}
        )

    async def partner(self, client_id: str, scopes: list[str]) -> tuple[str, str]:
        """Register a bank and return (its secret, a fresh access token)."""
        created = await self.http.post(
            "/api/v1/clients",
            headers=auth(self.system.admin_token),
            json={"client_id": client_id, "name": f"{client_id} 农商银行", "scopes": scopes},
        )
        assert created.status_code == 201, created.text
        secret = created.json()["client_secret"]
        return secret, await self.client_token(client_id, secret)

    async def client_token(self, client_id: str, secret: str) -> str:
        response = await self.http.post(
            "/api/v1/auth/token",
            data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
        )
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    async def household(self, cadre_token: str, village: str, seed: int = 7) -> tuple[str, str]:
        """A household surveyed by a cadre; returns (household id, its head's ID number)."""
        county = SyntheticCounty(COUNTY, seed=seed)
        household = next(county.households(1, village))
        response = await self.http.post("/api/v1/surveys", json=household.survey(), headers=auth(cadre_token))
        assert response.status_code == 201, response.text
        return response.json()["household_id"], household.members[0].id_number

    async def audit(self, **where: Any) -> list[AuditRecord]:
        async with self.app.state.database.sessionmaker() as session:
            stmt = select(AuditRecord).order_by(AuditRecord.id)
            for name, value in where.items():
                stmt = stmt.where(getattr(AuditRecord, name) == value)
            return list((await session.execute(stmt)).scalars().all())


@pytest.fixture
def gateway(system: RunningSystem) -> Gateway:
    return Gateway(system)


def random_id() -> str:
    return str(uuid.uuid4())
