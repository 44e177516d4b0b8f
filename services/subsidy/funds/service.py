"""Fund sources (资金来源): a county's earmarked grants; programs draw their budgets from them."""

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import record_audit
from services.kit.auth import Principal
from services.kit.errors import Conflict, Forbidden
from services.kit.regions import county_of
from services.subsidy.funds import repository
from services.subsidy.ledger import repository as ledger_repository
from services.subsidy.ledger.service import Leg, fund_account, post, treasury_account
from services.subsidy.models import AuditRecord, FundSource
from services.subsidy.schemas import FundSourceCreate, FundSourceOut


def visible_counties(principal: Principal) -> set[str] | None:
    """Counties the caller sees: those of the caller's regions (None: everywhere)."""
    if "" in principal.region_prefixes():
        return None
    return {county_of(code) for code in principal.regions}


async def fund_source_out(session: AsyncSession, source: FundSource) -> FundSourceOut:
    return FundSourceOut(
        code=source.code,
        name_zh=source.name_zh,
        level=source.level,
        county_code=source.county_code,
        year=source.year,
        document_no=source.document_no,
        granted_fen=source.granted_fen,
        allowed_schemes=list(source.allowed_schemes),
        unallocated_fen=await ledger_repository.balance(session, fund_account(source.code)),
    )


async def create_fund_source(
    session: AsyncSession, body: FundSourceCreate, *, actor: Principal
) -> FundSource:
    """Register a grant: the treasury account gives, the fund account holds it for programs."""
    if not actor.covers(body.county_code):
        raise Forbidden("The county is outside your regions.", "该县不在您的管辖范围内。")
    conflict = Conflict(f"Fund source {body.code} exists.", f"资金来源 {body.code} 已存在。")
    if await repository.get(session, body.code) is not None:
        raise conflict
    source = FundSource(**body.model_dump(), created_by=actor.subject)
    source.county_code = county_of(body.county_code)
    try:
        async with session.begin_nested():
            session.add(source)
            await session.flush()
    except IntegrityError as exc:
        raise conflict from exc
    await post(
        session,
        "fund_grant",
        f"{source.code} {source.document_no}",
        [
            Leg(treasury_account(source.code), -source.granted_fen),
            Leg(fund_account(source.code), source.granted_fen),
        ],
    )
    record_audit(
        session,
        AuditRecord,
        actor=actor,
        action="fund_source.create",
        entity_type="fund_source",
        entity_id=source.code,
        detail=body.model_dump(mode="json"),
    )
    return source
