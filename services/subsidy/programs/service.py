"""Program rules: a program's budget comes from one fund source of its county (专款专用)."""

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import record_audit
from services.kit.auth import Principal
from services.kit.errors import Conflict, Forbidden, Unprocessable
from services.kit.regions import county_of
from services.subsidy.catalogue import repository as catalogue
from services.subsidy.funds import repository as funds
from services.subsidy.ledger import repository as ledger_repository
from services.subsidy.ledger.service import (
    Leg,
    budget_account,
    committed_account,
    fund_account,
    paid_account,
    post,
    reserved_account,
)
from services.subsidy.models import AuditRecord, Program
from services.subsidy.programs import repository
from services.subsidy.schemas import ProgramCreate, ProgramOut


async def program_out(session: AsyncSession, program: Program) -> ProgramOut:
    accounts = [
        budget_account(program.id),
        reserved_account(program.id),
        committed_account(program.id),
        paid_account(program.id),
    ]
    budget, reserved, committed, paid = (await ledger_repository.balances(session, accounts)).values()
    return ProgramOut(
        id=program.id,
        code=program.code,
        name_zh=program.name_zh,
        kind=program.kind,
        scheme_code=program.scheme_code,
        fund_source=program.fund_source,
        county_code=program.county_code,
        year=program.year,
        budget_fen=program.budget_fen,
        remaining_fen=budget,
        reserved_fen=reserved,
        committed_fen=committed,
        paid_fen=paid,
    )


async def create_program(session: AsyncSession, body: ProgramCreate, *, actor: Principal) -> Program:
    if not actor.covers(body.county_code):
        raise Forbidden("The county is outside your regions.", "该县不在您的管辖范围内。")
    source = await funds.get(session, body.fund_source)
    if source is None or source.county_code != county_of(body.county_code):
        raise Unprocessable(
            f"Fund source {body.fund_source} is not registered for this county.",
            f"资金来源 {body.fund_source} 未在该县登记,请先登记资金来源。",
            code="fund_source_unknown",
        )
    if body.scheme_code is not None:
        scheme = await catalogue.get_scheme(session, body.scheme_code)
        if scheme is None:
            raise Unprocessable(f"Scheme {body.scheme_code} is not in the catalogue.", "目录中无此项目。")
        if scheme.kind != body.kind:
            raise Unprocessable(
                f"Scheme {scheme.code} is of kind {scheme.kind}.", f"该目录项目类型为 {scheme.kind}。"
            )
    if source.allowed_schemes and body.scheme_code not in source.allowed_schemes:
        raise Unprocessable(
            "This fund source is earmarked for other programs.",
            "该资金为专款,只能用于指定项目(专款专用)。",
            code="earmarked_elsewhere",
        )
    conflict = Conflict(f"Program code {body.code} is taken.", f"项目编码 {body.code} 已存在。")
    if await repository.code_taken(session, body.code):
        raise conflict
    program = Program(**body.model_dump())
    program.county_code = county_of(body.county_code)
    session.add(program)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise conflict from exc
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
