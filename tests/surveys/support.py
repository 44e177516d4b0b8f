"""What the survey sync tests share: a cadre and a reviewer over one village, and survey bodies."""

import uuid
from dataclasses import dataclass
from typing import Any

from bench.generator import SyntheticCounty, SyntheticHousehold
from tests.support.system import RunningSystem, auth

COUNTY = "522627000000"
SURVEYS = "/api/v1/surveys"


@dataclass
class Team:
    village: str
    cadre: str
    other_cadre: str
    reviewer: str

    def as_cadre(self) -> dict[str, str]:
        return auth(self.cadre)

    def as_reviewer(self) -> dict[str, str]:
        return auth(self.reviewer)


async def make_team(system: RunningSystem, village: str, prefix: str = "t") -> Team:
    api = system.api
    return Team(
        village=village,
        cadre=await api.create_user(system.admin_token, f"{prefix}.cadre", ["cadre"], [village]),
        other_cadre=await api.create_user(system.admin_token, f"{prefix}.cadre2", ["cadre"], [village]),
        reviewer=await api.create_user(
            system.admin_token, f"{prefix}.reviewer", ["township_reviewer"], [village[:9] + "000"]
        ),
    )


def households(seed: int, count: int, village: str | None = None) -> list[SyntheticHousehold]:
    county = SyntheticCounty(COUNTY, seed=seed)
    return list(county.households(count, village or county.village_codes[0]))


def revision(
    household: SyntheticHousehold, household_id: str, base_version: int, **changes: Any
) -> dict[str, Any]:
    """A new survey of an existing household, based on `base_version`."""
    body = household.survey(submission_id=uuid.uuid4())
    body.update(household_id=household_id, base_version=base_version, **changes)
    return body
