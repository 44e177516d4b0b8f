"""Data-quality runs (数据质量检查): requested for a region or scheduled per county, run in the
background over the whole region at once, reported per village."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import record_audit
from services.kit.auth import Principal, Role
from services.kit.errors import Forbidden, NotFound
from services.kit.regions import region_bounds, region_prefix
from services.registry.clock import Clock
from services.registry.divisions.service import is_village
from services.registry.models import AuditRecord, QualityRun
from services.registry.parameters import service as parameters
from services.registry.quality import repository
from services.registry.quality.rules import LABELS, RULES, Context
from services.registry.schemas import (
    QualityFindingOut,
    QualityRunIn,
    QualityRunOut,
    RuleCount,
    VillageQualityReport,
)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATUS_LABELS = {QUEUED: "排队中", RUNNING: "检查中", DONE: "已完成", FAILED: "失败"}
CHECKERS = (Role.CADRE, Role.VILLAGE_OFFICER, Role.TOWNSHIP_REVIEWER, Role.COUNTY_APPROVER, Role.AUDITOR)


def run_out(run: QualityRun) -> QualityRunOut:
    return QualityRunOut(
        id=run.id,
        region_code=run.region_code,
        trigger=run.trigger,
        status=run.status,
        status_label=STATUS_LABELS[run.status],
        requested_by=run.requested_by,
        requested_at=run.requested_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        households_checked=run.households_checked,
        findings_count=run.findings_count,
        error=run.error,
    )


async def request(
    session: AsyncSession, body: QualityRunIn, *, principal: Principal, clock: Clock
) -> QualityRunOut:
    if not (principal.is_admin or principal.has_role(*CHECKERS)):
        raise Forbidden("Your role may not run data-quality checks.", "您的角色无权发起数据质量检查。")
    if not principal.covers(body.region_code):
        raise NotFound("No such region in your regions.", "您的管辖范围内无此地区。")
    run = QualityRun(
        region_code=body.region_code,
        trigger="on_demand",
        status=QUEUED,
        requested_by=principal.subject,
        requested_at=clock.now(),
    )
    session.add(run)
    await session.flush()
    record_audit(
        session,
        AuditRecord,
        actor=principal,
        action="quality.request",
        entity_type="quality_run",
        entity_id=str(run.id),
        reason="数据质量检查",
        detail={"region_code": body.region_code},
    )
    return run_out(run)


async def execute(session: AsyncSession, run: QualityRun, clock: Clock) -> None:
    """Every rule over the run's region, one INSERT … SELECT each, in the caller's transaction."""
    today = clock.today()
    low, high = region_bounds(region_prefix(run.region_code))
    # Duplicates are looked for in the whole county even when a village is checked.
    county_low, county_high = region_bounds(region_prefix(run.region_code)[:6])
    context = Context(
        low=low,
        high=high,
        county_low=county_low,
        county_high=county_high,
        today=today,
        schooling_ages=await parameters.value(session, "schooling_age_ranges", run.region_code, today),
        compulsory_ages=await parameters.value(session, "compulsory_education_ages", run.region_code, today),
        parent_child_gap=await parameters.integer(
            session, "parent_child_min_age_gap", run.region_code, today
        ),
        min_income_measures=await parameters.integer(session, "min_income_measures", run.region_code, today),
    )
    total = 0
    for rule in RULES:
        total += await repository.insert_findings(session, run.id, rule.code, rule.build(context))
    run.households_checked = await repository.households_in(session, low, high)
    run.findings_count = total
    run.status = DONE
    run.finished_at = clock.now()


async def get(session: AsyncSession, run_id: uuid.UUID, principal: Principal) -> QualityRunOut:
    run = await repository.get(session, run_id, principal.region_prefixes())
    if run is None:
        raise NotFound("Data-quality run not found.", "未找到该数据质量检查。")
    return run_out(run)


async def village_report(
    session: AsyncSession, village_code: str, principal: Principal, run_id: uuid.UUID | None
) -> VillageQualityReport:
    """A village's findings from a given run, or from the newest finished run that covered it."""
    if not is_village(village_code) or not principal.covers(village_code):
        raise NotFound("No such village in your regions.", "您的管辖范围内无此村。")
    run = (
        await repository.get(session, run_id, ("",))
        if run_id is not None
        else await repository.latest_done_covering(session, village_code)
    )
    if run is None or run.status != DONE or not village_code.startswith(region_prefix(run.region_code)):
        raise NotFound("No finished data-quality run covers this village.", "该村尚无已完成的数据质量检查。")
    counts = await repository.rule_counts(session, run.id, village_code)
    findings = await repository.village_findings(session, run.id, village_code)
    return VillageQualityReport(
        run=run_out(run),
        village_code=village_code,
        households_with_findings=len({finding.household_id for finding, _head, _member in findings}),
        by_rule=[
            RuleCount(rule=rule.code, label_zh=rule.label_zh, findings=counts.get(rule.code, 0))
            for rule in RULES
        ],
        findings=[
            QualityFindingOut(
                rule=finding.rule,
                label_zh=LABELS[finding.rule],
                household_id=finding.household_id,
                head_name=head,
                member_id=finding.member_id,
                member_name=member,
                observed=finding.observed,
            )
            for finding, head, member in findings
        ],
    )
