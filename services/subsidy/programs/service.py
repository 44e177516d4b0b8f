"""Program rules: a program is funded from its own source at creation (专款专用)."""

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import record_audit
from services.kit.auth import Principal
from services.kit.errors import Conflict, Forbidden
from services.kit.regions import county_of
from services.subsidy.ledger import repository as ledger_repository
from services.subsidy.ledger.service import (
    Leg,
    budget_account,
    committed_account,
    fund_account,
    paid_account,
    post,
)
from services.subsidy.models import AuditRecord, Program
from services.subsidy.programs import repository
from services.subsidy.schemas import ProgramCreate, ProgramOut


def visible_counties(principal: Principal) -> set[str] | None:
    """Counties whose programs the caller sees: those of the caller's regions (None: everywhere)."""
    if "" in principal.region_prefixes():
        return None
    return {county_of(code) for code in principal.regions}


async def program_out(session: AsyncSession, program: Program) -> ProgramOut:
    remaining = await ledger_repository.balance(session, budget_account(program.id))
    return ProgramOut(
        id=program.id,
        code=program.code,
        name_zh=program.name_zh,
        kind=program.kind,
        fund_source=program.fund_source,
        county_code=program.county_code,
        year=program.year,
        budget_fen=program.budget_fen,
        remaining_fen=remaining,
    )


async def create_program(session: AsyncSession, body: ProgramCreate, *, actor: Principal) -> Program:
    if not actor.covers(body.county_code):
        raise Forbidden("The county is outside your regions.", "该县不在您的管辖范围内。")
    conflict = Conflict(f"Program code {body.code} is taken.", f"项目编码 {body.code} 已存在。")
    if await repository.code_taken(session, body.code):
        raise conflict
    program = Program(**body.model_dump())
    session.add(program)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise conflict from exc
    await ledger_repository.ensure_accounts(
        session, {budget_account(program.id), committed_account(program.id), paid_account(program.id)}
    )
    await post(
        session,
        "budget_allocation",
        f"{program.code} {program.year} budget",
        [
            Leg(fund_account(program.fund_source), -program.budget_fen, program.id),
            Leg(budget_account(program.id), program.budget_fen, program.id),
        ],
    )
    record_audit(
        session,
        AuditRecord,
        actor=actor,
        action="program.create",
        entity_type="program",
        entity_id=str(program.id),
        detail=body.model_dump(mode="json"),
    )
    return program
