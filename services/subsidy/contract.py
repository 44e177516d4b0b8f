"""What other services may know of subsidy (扶贫资金): paths, scopes, events, client."""

import datetime as dt
import uuid

from pydantic import BaseModel

from services.eligibility import contract as eligibility
from services.kit.http import ServiceClient
from services.registry import contract as registry

NAME = "subsidy"
PUBLIC_PATH_PREFIXES = (
    "/api/v1/feeds/subsidy",
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
REPORTS_SCOPE = "subsidy:reports"
"""Internal reads of paid totals (the registry's monthly report) by other services' clients."""
CLIENT_SCOPES: tuple[str, ...] = (eligibility.EVENTS_SCOPE, registry.EVENTS_SCOPE, registry.PAYEE_SCOPE)

PAYMENT_STATUS_CHANGED = "payment.status_changed"
PAID_BY_PROGRAM_PATH = "/internal/v1/reports/paid-by-program"


class PaymentStatusChanged(BaseModel):
    """Event `payment.status_changed`."""

    payment_id: uuid.UUID
    household_id: uuid.UUID
    program_code: str
    amount_fen: int
    status: str
    changed_at: dt.datetime


class ProgramMonthPaid(BaseModel):
    """What one program paid (已支付, settled) into a region in one month (YYYY-MM, China time)."""

    program_code: str
    program_name_zh: str
    month: str
    payments: int
    paid_fen: int


class SubsidyClient(ServiceClient):
    """Typed client for the subsidy service's internal API; `events()` is the payment feed."""

    service_name = NAME

    async def paid_by_program(
        self, region_code: str, first_month: str, last_month: str
    ) -> list[ProgramMonthPaid]:
        """Paid totals in fen per program and month for a region, months inclusive (subsidy:reports)."""
        response = await self._get(
            PAID_BY_PROGRAM_PATH,
            {"region_code": region_code, "from_month": first_month, "to_month": last_month},
        )
        response.raise_for_status()
        return [ProgramMonthPaid.model_validate(row) for row in response.json()]
