"""Bulk reassessment runs (批量重新评估): asked for on demand or when a policy is published."""

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.eligibility.models import AuditRecord, ReassessmentRun
from services.eligibility.reassessments import repository
from services.eligibility.schemas import ReassessmentIn, ReassessmentOut
from services.kit.audit import record_audit
from services.kit.auth import Principal
from services.kit.errors import Forbidden, NotFound

QUEUED, RUNNING, COMPLETED, FAILED = "queued", "running", "completed", "failed"
RUN_LABELS = {QUEUED: "排队中", RUNNING: "进行中", COMPLETED: "已完成", FAILED: "失败"}


async def create_run(
    session: AsyncSession, principal: Principal, region_code: str, as_of: dt.date, reason: str
) -> ReassessmentRun:
    """Queue a run over every household of a region; the background worker carries it out."""
    run = ReassessmentRun(
        region_code=region_code,
        status=QUEUED,
        as_of=as_of,
        reason=reason[:500],
        requested_by=principal.subject,
        total=await repository.count_households(session, region_code),
    )
    session.add(run)
    await session.flush()
    record_audit(
        session,
        AuditRecord,
        actor=principal,
        action="reassessment.queued",
        entity_type="reassessment",
        entity_id=str(run.id),
        detail={"region_code": region_code, "as_of": as_of.isoformat(), "households": run.total},
        reason=reason,
    )
    return run


async def request_run(session: AsyncSession, principal: Principal, body: ReassessmentIn) -> ReassessmentRun:
    if not principal.covers(body.region_code):
        raise Forbidden("You may only reassess your own region.", "您只能对本辖区重新评估。")
    return await create_run(session, principal, body.region_code, body.as_of or dt.date.today(), body.reason)


def run_out(run: ReassessmentRun) -> ReassessmentOut:
    return ReassessmentOut(
        id=run.id,
        region_code=run.region_code,
        status=run.status,
        status_label=RUN_LABELS[run.status],
        as_of=run.as_of,
        total=run.total,
        processed=run.processed,
        changed=run.changed,
        reason=run.reason,
        started_at=run.started_at,
        finished_at=run.finished_at,
        error=run.error,
    )


async def get(session: AsyncSession, principal: Principal, run_id: uuid.UUID) -> ReassessmentRun:
    run = await session.get(ReassessmentRun, run_id)
    if run is None or not principal.covers(run.region_code):
        raise NotFound("No such reassessment.", "重新评估任务不存在。")
    return run
