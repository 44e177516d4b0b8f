"""Likely duplicates (疑似重复人员): same name and birth date in one county, flagged for review, not refused.

The reviewer says whether the two are distinct people or one person under two numbers; the household
files are then corrected through surveys or corrections, which keep their own history.
"""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import record_audit
from services.kit.auth import Principal, Role
from services.kit.errors import Conflict, Forbidden, NotFound
from services.registry.clock import Clock
from services.registry.duplicates import repository
from services.registry.models import AuditRecord
from services.registry.schemas import DuplicateFlagOut, DuplicateResolve

REVIEWERS = (Role.VILLAGE_OFFICER, Role.TOWNSHIP_REVIEWER, Role.COUNTY_APPROVER)


def _county_prefixes(principal: Principal) -> tuple[str, ...]:
    """Flags belong to a county: anyone working within it sees the county's flags."""
    return tuple(prefix[:6] for prefix in principal.region_prefixes())


async def listing(session: AsyncSession, principal: Principal, status: str | None) -> list[DuplicateFlagOut]:
    return [
        DuplicateFlagOut.model_validate(flag)
        for flag in await repository.listing(session, _county_prefixes(principal), status)
    ]


async def resolve(
    session: AsyncSession, flag_id: uuid.UUID, body: DuplicateResolve, *, principal: Principal, clock: Clock
) -> DuplicateFlagOut:
    if not (principal.is_admin or principal.has_role(*REVIEWERS)):
        raise Forbidden("Your role may not review duplicates.", "您的角色无权核实疑似重复人员。")
    flag = await repository.get(session, flag_id, _county_prefixes(principal))
    if flag is None:
        raise NotFound("Flag not found.", "未找到该疑似重复记录。")
    if flag.status != "open":
        raise Conflict("The flag is already reviewed.", "该记录已核实。", code="flag_resolved")
    flag.status = body.outcome
    flag.resolution = body.reason
    flag.resolved_by = principal.subject
    flag.resolved_at = clock.now()
    record_audit(
        session,
        AuditRecord,
        actor=principal,
        action="duplicate.resolve",
        entity_type="duplicate_flag",
        entity_id=str(flag.id),
        reason=body.reason,
        detail={"outcome": body.outcome},
    )
    return DuplicateFlagOut.model_validate(flag)
