"""Bodies of the credit check; kept with the feature because they are all a bank ever sees of the registry."""

from typing import Annotated

from pydantic import BaseModel, Field

from services.kit.schemas import RequestModel


class CreditCheckRequest(RequestModel):
    """The borrower's resident ID number (sent in the body, never in a URL that ends up in logs)."""

    id_number: Annotated[
        str, Field(pattern=r"^[0-9]{17}[0-9Xx]$", description="18-digit resident ID / 身份证号码")
    ]


class CreditCheckResult(BaseModel):
    """Eligible or not, and the household's category: nothing else about the household or the person."""

    eligible: bool
    category: str | None = None
    category_label: str | None = None
