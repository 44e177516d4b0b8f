"""What other services may know of the registry (建档立卡): its paths, scopes, events and client."""

import datetime as dt
import uuid
from decimal import Decimal

from pydantic import BaseModel

from services.kit.http import ServiceClient

NAME = "registry"
PUBLIC_PATH_PREFIXES = (
    "/api/v1/feeds/registry",
    "/api/v1/credit-checks",
    "/api/v1/audit/registry",
    "/api/v1/households",
    "/api/v1/surveys",
    "/api/v1/members",
    "/api/v1/registry",
    "/api/v1/divisions",
    "/api/v1/cases",
    "/api/v1/deliberations",
    "/api/v1/notices",
    "/api/v1/annual-reviews",
    "/api/v1/helpers",
    "/api/v1/pairings",
    "/api/v1/visits",
    "/api/v1/measures",
    "/api/v1/quality",
)
EVENTS_SCOPE = "registry:events"
PAYEE_SCOPE = "registry:payee"
# The village ranking for deliberation and the assessment feed (latest outcomes, exit readiness) come
# from eligibility (its contract.READ_SCOPE and EVENTS_SCOPE), the money paid for the monthly report from
# subsidy (its contract.REPORTS_SCOPE); named here as text because both contracts import this one.
CLIENT_SCOPES: tuple[str, ...] = ("eligibility:read", "eligibility:events", "subsidy:reports")

HOUSEHOLD_CHANGED = "household.changed"
SURVEY_STATUS_CHANGED = "survey.status_changed"


class MemberFacts(BaseModel):
    """What eligibility needs of a member (no name, no ID number)."""

    member_id: uuid.UUID
    relation: str
    sex: str
    birth_date: dt.date
    labour_capacity: str
    labour_willing: bool | None = None
    health: str | None = None
    disability_grade: int | None = None
    schooling_stage: str | None = None
    dropout: bool = False
    medical_insurance: bool | None = None


class HouseholdChanged(BaseModel):
    """Event `household.changed`: the household as of `version`, sent for every change (status included).

    A status change (registered, exited with its exit year and grace end, revoked…) is a new version
    like any other; `status_changed` marks it.
    """

    household_id: uuid.UUID
    version: int
    village_code: str
    status: str
    member_count: int
    per_capita_net_income_fen: int
    housing_safety_grade: str | None
    members: list[MemberFacts]
    category: str | None = None
    poverty_degree: str | None = None
    transfer_fen: int | None = None
    dibao_allowance_fen: int | None = None
    housing_area_m2: Decimal | None = None
    drinking_water_safe: bool | None = None
    food_clothing_secure: bool | None = None
    education_secured: bool | None = None
    medical_secured: bool | None = None
    housing_secured: bool | None = None
    dibao: bool = False
    wubao: bool = False
    registered_on: dt.date | None = None
    exit_year: int | None = None
    exited_on: dt.date | None = None
    grace_ends_on: dt.date | None = None
    status_changed: bool = False


class SurveyStatusChanged(BaseModel):
    """Event `survey.status_changed`: a field survey was received, accepted, sent to review or rejected."""

    submission_id: uuid.UUID
    submitted_by: str
    status: str
    household_id: uuid.UUID | None
    household_version: int | None


class Payee(BaseModel):
    """Where a household's subsidies are paid (一卡通): the head's name and account."""

    household_id: uuid.UUID
    account_name: str
    bank_name: str
    account_number: str


class RegistryClient(ServiceClient):
    """Typed client for the registry's internal API; `events()` is the household feed."""

    service_name = NAME

    async def payee(self, household_id: uuid.UUID) -> Payee | None:
        response = await self._get(f"/internal/v1/households/{household_id}/payee")
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return Payee.model_validate_json(response.content)
