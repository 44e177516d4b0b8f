"""Append-only audit trail, hash-chained: each sealed record holds the hash of the one before."""

import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import logging
import zlib
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlalchemy import String, Text, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from services.kit.auth import Principal, Role, require_roles
from services.kit.database import BigIntId, Database, utcnow
from services.kit.observability import current_request_id

logger = logging.getLogger("fupin.audit")
GENESIS = "0" * 64


class AuditMixin:
    """Who did what to which record, when, from which request, and how it ended."""

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    actor_roles: Mapped[str] = mapped_column(Text, default="")
    actor_regions: Mapped[str] = mapped_column(Text, default="")
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(32), default="ok")
    reason: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]]
    request_id: Mapped[str] = mapped_column(String(128), default="-")
    chain_position: Mapped[int | None] = mapped_column(BigIntId, unique=True)
    previous_hash: Mapped[str | None] = mapped_column(String(64))
    record_hash: Mapped[str | None] = mapped_column(String(64))


Record = TypeVar("Record", bound=AuditMixin)


def record_audit(
    session: AsyncSession,
    model: type[AuditMixin],
    *,
    actor: Principal | None,
    action: str,
    entity_type: str,
    entity_id: str,
    detail: dict[str, Any] | None = None,
    outcome: str = "ok",
    reason: str = "",
    actor_name: str | None = None,
) -> None:
    """Add an audit record to the current transaction (it commits or rolls back with the change)."""
    session.add(
        audit_row(
            model,
            actor=actor,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            detail=detail,
            outcome=outcome,
            reason=reason,
            actor_name=actor_name,
        )
    )


def audit_row(
    model: type[Record],
    *,
    actor: Principal | None,
    action: str,
    entity_type: str,
    entity_id: str,
    detail: dict[str, Any] | None = None,
    outcome: str = "ok",
    reason: str = "",
    actor_name: str | None = None,
) -> Record:
    """An audit record of the current request, not yet in any session."""
    return model(  # type: ignore[call-arg]
        **_actor_values(actor, actor_name),
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        detail=detail or {},
        outcome=outcome,
        reason=reason,
        request_id=current_request_id(),
    )


def _actor_values(actor: Principal | None, actor_name: str | None = None) -> dict[str, str]:
    return {
        "actor": actor_name or (actor.subject if actor else "anonymous"),
        "actor_roles": ",".join(sorted(actor.roles)) if actor else "",
        "actor_regions": ",".join(actor.regions) if actor else "",
    }


async def record_audits(
    session: AsyncSession,
    model: type[AuditMixin],
    *,
    actor: Principal,
    action: str,
    entity_type: str,
    reason: str,
    entries: list[tuple[str, dict[str, Any]]],
) -> None:
    """Add many records of one action (entity id, detail) in one bulk insert, in the current transaction."""
    if not entries:
        return
    common = {
        **_actor_values(actor),
        "action": action,
        "entity_type": entity_type,
        "outcome": "ok",
        "reason": reason,
        "request_id": current_request_id(),
        "at": utcnow(),
    }
    await session.execute(
        insert(model.__table__),  # type: ignore[attr-defined]
        [{**common, "entity_id": entity_id, "detail": detail} for entity_id, detail in entries],
    )


def _canonical(row: AuditMixin) -> bytes:
    content = {
        "id": row.id,
        "at": row.at.astimezone(dt.UTC).isoformat(),
        "actor": row.actor,
        "actor_roles": row.actor_roles,
        "actor_regions": row.actor_regions,
        "action": row.action,
        "entity_type": row.entity_type,
        "entity_id": row.entity_id,
        "outcome": row.outcome,
        "reason": row.reason,
        "detail": row.detail,
        "request_id": row.request_id,
        "chain_position": row.chain_position,
    }
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def chain_hash(previous_hash: str, row: AuditMixin) -> str:
    return hashlib.sha256(previous_hash.encode() + _canonical(row)).hexdigest()


async def seal(session: AsyncSession, model: type[AuditMixin], schema: str, batch: int = 5000) -> int:
    """Chain committed, unsealed records in id order under a lock; returns how many were sealed."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(zlib.crc32(f"{schema}.audit".encode()))))
    last = (
        await session.execute(
            select(model.chain_position, model.record_hash)
            .where(model.chain_position.is_not(None))
            .order_by(model.chain_position.desc())
            .limit(1)
        )
    ).first()
    position = int(last[0] or 0) if last else 0
    previous = str(last[1]) if last else GENESIS
    rows = (
        (
            await session.execute(
                select(model).where(model.chain_position.is_(None)).order_by(model.id).limit(batch)
            )
        )
        .scalars()
        .all()
    )
    updates = []
    for row in rows:
        position += 1
        row.chain_position = position
        digest = chain_hash(previous, row)
        updates.append(
            {"id": row.id, "chain_position": position, "previous_hash": previous, "record_hash": digest}
        )
        previous = digest
    for row in rows:
        session.expunge(row)
    if updates:
        await session.execute(update(model), updates)
    return len(updates)


async def verify_chain(session: AsyncSession, model: type[AuditMixin]) -> tuple[int, int | None]:
    """Walk the sealed chain; returns (records checked, id of the first broken record or None)."""
    previous = GENESIS
    checked = 0
    expected_position = 1
    stream = await session.stream_scalars(
        select(model).where(model.chain_position.is_not(None)).order_by(model.chain_position)
    )
    async for row in stream:
        if (
            row.chain_position != expected_position
            or row.previous_hash != previous
            or row.record_hash != chain_hash(previous, row)
        ):
            return checked, row.id
        previous = row.record_hash or ""
        expected_position += 1
        checked += 1
    return checked, None


class AuditSealer:
    """Background worker that keeps the chain sealed shortly after records commit."""

    def __init__(self, database: Database, model: type[AuditMixin], interval_seconds: float = 1.0) -> None:
        self.database = database
        self.model = model
        self.interval_seconds = interval_seconds
        self._task: asyncio.Task[None] | None = None

    async def seal_now(self) -> int:
        total = 0
        while True:
            async with self.database.sessionmaker() as session, session.begin():
                sealed = await seal(session, self.model, self.database.schema)
            total += sealed
            if sealed == 0:
                return total

    async def _loop(self) -> None:
        while True:
            try:
                await self.seal_now()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("sealing the audit chain failed; will retry")
            await asyncio.sleep(self.interval_seconds)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="audit-sealer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


class ChainReport(BaseModel):
    """Result of walking a service's audit chain: how many records hold, and the first that does not."""

    service: str
    sealed_now: int
    records_checked: int
    first_broken_id: int | None
    intact: bool


def audit_router(model: type[AuditMixin], service: str) -> APIRouter:
    """GET /api/v1/audit/<service>/verify (admins, auditors): seal what is pending, then walk the chain."""
    router = APIRouter(prefix=f"/api/v1/audit/{service}", tags=["audit / 审计"])

    @router.get(
        "/verify",
        response_model=ChainReport,
        summary=f"Verify the {service} audit chain / 校验审计哈希链",
        description=(
            "Seals pending records, then checks every hash link; reports the first broken record. "
            "先封存待处理记录,再逐条校验哈希链,报告第一条被篡改的记录。"
        ),
    )
    async def verify(
        request: Request,
        _principal: Annotated[Principal, Depends(require_roles(Role.AUDITOR))],
    ) -> ChainReport:
        database: Database = request.app.state.database
        sealed = await AuditSealer(database, model).seal_now()
        async with database.sessionmaker() as session:
            checked, broken = await verify_chain(session, model)
        return ChainReport(
            service=service,
            sealed_now=sealed,
            records_checked=checked,
            first_broken_id=broken,
            intact=broken is None,
        )

    return router
