"""What other services may know of eligibility (精准识别): paths, scopes, events, client."""

import datetime as dt
import uuid

from pydantic import BaseModel

from services.kit.http import ServiceClient
from services.registry import contract as registry

NAME = "eligibility"
PUBLIC_PATH_PREFIXES = ("/api/v1/assessments", "/api/v1/policies")
EVENTS_SCOPE = "eligibility:events"
CLIENT_SCOPES: tuple[str, ...] = (registry.EVENTS_SCOPE,)

ASSESSMENT_RECORDED = "assessment.recorded"


class AssessmentRecorded(BaseModel):
    """Event `assessment.recorded`: a household's newest assessment."""

    assessment_id: uuid.UUID
    household_id: uuid.UUID
    household_version: int
    village_code: str
    policy_code: str
    policy_version: int
    category: str
    poor: bool
    assessed_at: dt.datetime


class EligibilityClient(ServiceClient):
    """Typed client for the eligibility service's internal API; `events()` is the assessment feed."""

    service_name = NAME
