"""What the registry tests share: a synthetic county, its staff by role, and surveys through the gateway."""

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from bench.generator import SyntheticCounty, SyntheticHousehold
from tests.support.system import RunningSystem, auth

COUNTY = "522627000000"


@dataclass
class Staff:
    """One user per role: the cadre and village officer in one village, the others over it."""

    village: str
    cadre: str
    village_officer: str
    township_reviewer: str
    county_approver: str

    def headers(self, role: str) -> dict[str, str]:
        return auth(getattr(self, role))


async def make_staff(system: RunningSystem, village: str, prefix: str = "") -> Staff:
    api = system.api
    township = village[:9] + "000"
    county = village[:6] + "000000"
    return Staff(
        village=village,
        cadre=await api.create_user(system.admin_token, f"{prefix}cadre", ["cadre"], [village]),
        village_officer=await api.create_user(
            system.admin_token, f"{prefix}village", ["village_officer"], [village]
        ),
        township_reviewer=await api.create_user(
            system.admin_token, f"{prefix}township", ["township_reviewer"], [township]
        ),
        county_approver=await api.create_user(
            system.admin_token, f"{prefix}county", ["county_approver"], [county]
        ),
    )


async def submit_survey(
    api_http: httpx.AsyncClient, token: str, household: SyntheticHousehold, **changes: Any
) -> dict[str, Any]:
    """Survey a household (new, or an existing one with household_id and base_version in `changes`)."""
    body = household.survey(submission_id=uuid.uuid4() if "household_id" in changes else None)
    body.update(changes)
    response = await api_http.post("/api/v1/surveys", json=body, headers=auth(token))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def county(seed: int) -> SyntheticCounty:
    return SyntheticCounty(COUNTY, seed=seed)
