"""Credit check for partner banks (扶贫小额信贷身份核验): is this borrower in a registered poor household?"""

from sqlalchemy.ext.asyncio import AsyncSession
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from services.kit.audit import record_audit
from services.kit.auth import Principal
from services.kit.errors import FieldError, Unprocessable
from services.registry.credit_checks import repository
from services.registry.credit_checks.schemas import CreditCheckResult
from services.registry.households.identity import PiiVault
from services.registry.models import AuditRecord
from services.registry.vocabulary import HouseholdCategory, HouseholdStatus


async def check(
    session: AsyncSession, id_number: str, *, principal: Principal, vault: PiiVault
) -> CreditCheckResult:
    """Eligible only while the household is registered (建档立卡); anyone else, known or not, is not."""
    try:
        normalised = ric.validate(id_number)
    except ValidationError as exc:
        raise Unprocessable(
            "ID number is not valid (GB 11643).",
            "身份证号码无效。",
            fields=[FieldError(loc=["body", "id_number"], message="invalid check digit or birth date")],
        ) from exc
    index = vault.blind_index(normalised)
    standing = await repository.household_standing(session, index)
    eligible = standing is not None and standing[0] == HouseholdStatus.REGISTERED.value
    result = CreditCheckResult(eligible=eligible)
    if standing is not None and eligible:
        result.category = standing[1]
        result.category_label = HouseholdCategory(standing[1]).label_zh
    # Which bank asked about whom is itself personal data: keep it, keyed by the blind index only.
    record_audit(
        session,
        AuditRecord,
        actor=principal,
        action="credit_check",
        entity_type="person",
        entity_id=index[:32],
        detail={"eligible": eligible},
    )
    return result
