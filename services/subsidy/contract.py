"""What other services may know of subsidy (扶贫资金): paths, scopes, events, client."""

import datetime as dt
import uuid

from pydantic import BaseModel

from services.eligibility import contract as eligibility
from services.kit.http import ServiceClient
from services.registry import contract as registry

NAME = "subsidy"
PUBLIC_PATH_PREFIXES = (
    "/api/v1/audit/subsidy",
    "/api/v1/programs",
    "/api/v1/payments",
    "/api/v1/payment-batches",
    "/api/v1/bank",
    "/api/v1/catalogue",
    "/api/v1/fund-sources",
    "/api/v1/applications",
    "/api/v1/loans",
    "/api/v1/reconciliation",
    "/api/v1/reports",
)
EVENTS_SCOPE = "subsidy:events"
CLIENT_SCOPES: tuple[str, ...] = (eligibility.EVENTS_SCOPE, registry.EVENTS_SCOPE, registry.PAYEE_SCOPE)

PAYMENT_STATUS_CHANGED = "payment.status_changed"


class PaymentStatusChanged(BaseModel):
    """Event `payment.status_changed`."""

    payment_id: uuid.UUID
    household_id: uuid.UUID
    program_code: str
    amount_fen: int
    status: str
    changed_at: dt.datetime


class SubsidyClient(ServiceClient):
    """Typed client for the subsidy service's internal API; `events()` is the payment feed."""

    service_name = NAME
