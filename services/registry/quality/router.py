"""Data-quality endpoints: request a run, follow it, read a village's report."""

import uuid

from fastapi import APIRouter, Request, Response

from services.kit.auth import PrincipalDep
from services.kit.database import SessionDep
from services.kit.schemas import DivisionCode
from services.registry.clock import ClockDep
from services.registry.idempotency import IdempotencyKey, run_once
from services.registry.quality import service
from services.registry.schemas import QualityRunIn, QualityRunOut, VillageQualityReport

router = APIRouter(prefix="/api/v1/quality", tags=["data quality / 数据质量"])


@router.post(
    "/runs",
    response_model=QualityRunOut,
    status_code=202,
    summary="Run the data-quality rules over a region / 发起数据质量检查",
    description="Queued and run in the background (each county also on a schedule). Idempotency-Key.",
)
async def request_run(
    body: QualityRunIn,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    clock: ClockDep,
    idempotency_key: IdempotencyKey = None,
) -> QualityRunOut:
    result, created = await run_once(
        session,
        principal=principal,
        key=idempotency_key,
        operation="quality.request",
        body=body,
        result_type=QualityRunOut,
        create=lambda: service.request(session, body, principal=principal, clock=clock),
    )
    if created:
        # The run is committed after this handler returns; the worker looks again on its next poll too.
        request.app.state.quality_worker.wake()
    else:
        response.status_code = 200
    return result


@router.get("/runs/{run_id}", response_model=QualityRunOut, summary="A data-quality run / 检查进度")
async def get_run(run_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> QualityRunOut:
    return await service.get(session, run_id, principal)


@router.get(
    "/villages/{village_code}",
    response_model=VillageQualityReport,
    summary="A village's data-quality report / 村数据质量报告",
    description="From `run_id`, or from the newest finished run that covered the village.",
)
async def village_report(
    village_code: DivisionCode, session: SessionDep, principal: PrincipalDep, run_id: uuid.UUID | None = None
) -> VillageQualityReport:
    return await service.village_report(session, village_code, principal, run_id)
