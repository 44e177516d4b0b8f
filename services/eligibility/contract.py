"""What other services may know of eligibility (精准识别): paths, scopes, events, client."""

import datetime as dt
import uuid

from pydantic import BaseModel

from services.kit.http import ServiceClient
from services.registry import contract as registry

NAME = "eligibility"
PUBLIC_PATH_PREFIXES = (
    "/api/v1/feeds/eligibility",
    "/api/v1/audit/eligibility",
    "/api/v1/assessments",
    "/api/v1/policies",
    "/api/v1/rankings",
    "/api/v1/reassessments",
)
EVENTS_SCOPE = "eligibility:events"
READ_SCOPE = "eligibility:read"
"""Internal reads (the village ranking) by other services' clients."""
CLIENT_SCOPES: tuple[str, ...] = (registry.EVENTS_SCOPE,)

ASSESSMENT_RECORDED = "assessment.recorded"
POLICY_PUBLISHED = "policy.published"
POLICY_RETIRED = "policy.retired"


class AssessmentRecorded(BaseModel):
    """Event `assessment.recorded`: a household's newest assessment, sent only when its outcome changed.

    `programs` maps each program the household qualifies for (e.g. `elderly_direct_subsidy`) to
    how many people or units it qualifies for; programs it does not qualify for are absent.
    """

    assessment_id: uuid.UUID
    household_id: uuid.UUID
    household_version: int
    village_code: str
    policy_code: str
    policy_version: int
    category: str
    poor: bool
    assessed_at: dt.datetime
    as_of: dt.date | None = None
    degree: str | None = None
    extreme_poverty: bool = False
    exit_ready: bool = False
    programs: dict[str, int] = {}
    score: float | None = None
    run_id: uuid.UUID | None = None


class PolicyChanged(BaseModel):
    """Events `policy.published` and `policy.retired`."""

    policy_id: uuid.UUID
    code: str
    policy_version: int
    region_code: str
    effective_from: dt.date
    status: str
    reassessment_id: uuid.UUID | None = None


class RankingEntry(BaseModel):
    """One household in a village ranking; rank 1 is the poorest by score."""

    rank: int
    household_id: uuid.UUID
    household_version: int
    score: float
    category: str
    category_label: str
    per_capita_net_income_fen: int
    member_count: int
    assessment_id: uuid.UUID


class VillageRanking(BaseModel):
    """A village's households by score, poorest first (排队打分), for the deliberation meeting."""

    village_code: str
    tie_break: str
    households: list[RankingEntry]


class EligibilityClient(ServiceClient):
    """Typed client for the eligibility service's internal API; `events()` is the assessment feed."""

    service_name = NAME

    async def village_ranking(self, village_code: str) -> VillageRanking:
        """The village's current ranking by score (needs the eligibility:read scope)."""
        response = await self._get(f"/internal/v1/rankings/villages/{village_code}")
        response.raise_for_status()
        return VillageRanking.model_validate_json(response.content)
