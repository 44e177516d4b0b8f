"""What other services may know of subsidy (扶贫资金): paths, scopes, events, client."""

import datetime as dt
import uuid

from pydantic import BaseModel

from services.eligibility import contract as eligibility
from services.kit.http import ServiceClient
from services.registry import contract as registry

NAME = "subsidy"
PUBLIC_PATH_PREFIXES = ("/api/v1/programs", "/api/v1/payments", "/api/v1/bank")
EVENTS_SCOPE = "subsidy:events"
CLIENT_SCOPES: tuple[str, ...] = (eligibility.EVENTS_SCOPE, registry.PAYEE_SCOPE)

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
