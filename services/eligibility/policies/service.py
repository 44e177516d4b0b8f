"""Policy lifecycle (政策管理): drafts, validation, publishing, retiring, and which version applies.

A version is a draft until published; published versions never change (a change is a new
version); retiring takes a version out of use. The narrowest region wins (a county override
beats the national default), then the latest effective date, then the highest version.
"""

import datetime as dt
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import yaml
from sqlalchemy.ext.asyncio import AsyncSession

from services.eligibility import contract
from services.eligibility.models import AuditRecord, OutboxEvent, Policy
from services.eligibility.policies import repository
from services.eligibility.policies.engine import CompiledPolicy, PolicyInvalid, Scope, resolve
from services.eligibility.reassessments.service import create_run
from services.eligibility.schemas import (
    STATUS_LABELS,
    PolicyAction,
    PolicyDetail,
    PolicyDocument,
    PolicyDraftIn,
    PolicyDraftUpdate,
    PolicyOut,
    Problem,
    ValidationReport,
)
from services.kit.audit import record_audit
from services.kit.auth import Principal
from services.kit.database import utcnow
from services.kit.errors import Conflict, FieldError, Forbidden, NotFound, Unprocessable
from services.kit.outbox import publish
from services.kit.regions import region_prefix

SHIPPED = Path(__file__).parent / "shipped"
DRAFT, PUBLISHED, RETIRED = "draft", "published", "retired"
NOT_FOUND = ("No such policy.", "政策不存在。")

_compiled: OrderedDict[tuple[uuid.UUID, int], CompiledPolicy] = OrderedDict()
_CACHE_SIZE = 64


async def compiled(session: AsyncSession, policy: Policy) -> CompiledPolicy:
    """The policy's compiled form, cached per row version (published documents never change).

    Only a cache miss reads the document, so listing policies to choose one stays light.
    """
    key = (policy.id, policy.version)
    found = _compiled.get(key)
    if found is None:
        document = await repository.document_of(session, policy.id)
        found = CompiledPolicy(PolicyDocument.model_validate(document))
        _compiled[key] = found
        if len(_compiled) > _CACHE_SIZE:
            _compiled.popitem(last=False)
    _compiled.move_to_end(key)
    return found


def policy_out(policy: Policy) -> PolicyOut:
    return PolicyOut(
        id=policy.id,
        code=policy.code,
        policy_version=policy.policy_version,
        title_zh=policy.title_zh,
        title_en=policy.title_en,
        region_code=policy.region_code,
        effective_from=policy.effective_from,
        status=policy.status,
        status_label=STATUS_LABELS[policy.status],
        version=policy.version,
        published_at=policy.published_at,
        retired_at=policy.retired_at,
    )


def policy_detail(policy: Policy) -> PolicyDetail:
    return PolicyDetail(**policy_out(policy).model_dump(), document=policy.document)


def shipped_documents() -> list[PolicyDocument]:
    """The shipped YAML versions, bases before the overrides that extend them."""
    documents = [
        PolicyDocument.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        for path in sorted(SHIPPED.glob("*.yaml"))
    ]
    return sorted(documents, key=lambda document: document.extends is not None)


async def sync_shipped(session: AsyncSession) -> None:
    """Publish each shipped policy version that is not in the database yet."""
    for document in shipped_documents():
        assert document.policy_version is not None
        if await repository.get_by_code_version(session, document.code, document.policy_version):
            continue
        resolved = await resolved_document(session, document)
        CompiledPolicy(resolved)
        session.add(
            Policy(
                code=document.code,
                policy_version=document.policy_version,
                title_zh=document.title_zh,
                title_en=document.title_en,
                region_code=document.region_code,
                effective_from=document.effective_from,
                status=PUBLISHED,
                document=resolved.model_dump(mode="json"),
                published_at=utcnow(),
            )
        )
        await session.flush()


async def resolved_document(session: AsyncSession, document: PolicyDocument) -> PolicyDocument:
    """The document with the latest published version of the policy it extends merged in."""
    if document.extends is None:
        return document
    base = await repository.latest_published(session, document.extends)
    if base is None:
        raise PolicyInvalid(
            [Problem(location="extends", message=f"no published policy {document.extends!r}")]
        )
    if not document.region_code.startswith(region_prefix(base.region_code)):
        raise PolicyInvalid(
            [
                Problem(
                    location="extends",
                    message=f"{document.extends!r} does not cover region {document.region_code}",
                )
            ]
        )
    if document.extends == document.code:
        raise PolicyInvalid([Problem(location="extends", message="a policy cannot extend itself")])
    return resolve(document, PolicyDocument.model_validate(base.document))


async def check(
    session: AsyncSession, document: PolicyDocument
) -> tuple[PolicyDocument | None, ValidationReport]:
    """Resolve and compile a document; the report lists every problem (and warnings)."""
    try:
        resolved = await resolved_document(session, document)
        policy = CompiledPolicy(resolved)
    except PolicyInvalid as exc:
        return None, ValidationReport(valid=False, problems=exc.problems)
    return resolved, ValidationReport(valid=True, problems=[], warnings=policy.warnings)


def _require_region(principal: Principal, region_code: str) -> None:
    if not principal.covers(region_code):
        raise Forbidden("You may only manage policies of your own region.", "您只能管理本辖区的政策。")


async def _editable(
    session: AsyncSession, policy_id: uuid.UUID, principal: Principal, version: int
) -> Policy:
    policy = await repository.get_for_update(session, policy_id)
    if policy is None:
        raise NotFound(*NOT_FOUND)
    _require_region(principal, policy.region_code)
    if policy.version != version:
        raise Conflict(
            "The policy was changed since you read it; read it again.", "政策已被他人修改,请重新读取。"
        )
    return policy


async def create_draft(session: AsyncSession, principal: Principal, body: PolicyDraftIn) -> Policy:
    document = body.document
    _require_region(principal, document.region_code)
    existing = await repository.any_of_code(session, document.code)
    if existing is not None and existing.region_code != document.region_code:
        raise Conflict(
            f"Policy code {document.code} belongs to region {existing.region_code}.",
            f"政策代码 {document.code} 已用于区划 {existing.region_code}。",
        )
    number = await repository.next_version(session, document.code)
    document = document.model_copy(update={"policy_version": number})
    policy = Policy(
        code=document.code,
        policy_version=number,
        title_zh=document.title_zh,
        title_en=document.title_en,
        region_code=document.region_code,
        effective_from=document.effective_from,
        status=DRAFT,
        document=document.model_dump(mode="json"),
        created_by=principal.subject,
    )
    session.add(policy)
    await session.flush()
    record_audit(
        session,
        AuditRecord,
        actor=principal,
        action="policy.draft_created",
        entity_type="policy",
        entity_id=str(policy.id),
        detail={"code": policy.code, "policy_version": number},
        reason=body.reason,
    )
    return policy


async def update_draft(
    session: AsyncSession, principal: Principal, policy_id: uuid.UUID, body: PolicyDraftUpdate
) -> Policy:
    policy = await _editable(session, policy_id, principal, body.version)
    if policy.status != DRAFT:
        raise Conflict(
            "A published or retired version cannot change; create a new version.",
            "已发布或已停用的政策版本不可修改,请新建版本。",
        )
    document = body.document
    if document.code != policy.code or document.region_code != policy.region_code:
        raise Unprocessable(
            "A draft keeps its code and region.",
            "草稿的政策代码和区划不可更改。",
            fields=[FieldError(loc=["body", "document", "code"], message="code and region are fixed")],
        )
    document = document.model_copy(update={"policy_version": policy.policy_version})
    policy.document = document.model_dump(mode="json")
    policy.title_zh, policy.title_en = document.title_zh, document.title_en
    policy.effective_from = document.effective_from
    policy.version += 1
    record_audit(
        session,
        AuditRecord,
        actor=principal,
        action="policy.draft_updated",
        entity_type="policy",
        entity_id=str(policy.id),
        detail={"code": policy.code, "policy_version": policy.policy_version},
        reason=body.reason,
    )
    return policy


def _invalid(report: ValidationReport) -> Unprocessable:
    return Unprocessable(
        "The policy has problems; see fields.",
        "政策存在问题,请查看字段说明。",
        code="policy_invalid",
        fields=[
            FieldError(loc=["document", *problem.location.split(".")], message=problem.message)
            for problem in report.problems
        ],
    )


async def publish_policy(
    session: AsyncSession, principal: Principal, policy_id: uuid.UUID, action: PolicyAction
) -> Policy:
    policy = await _editable(session, policy_id, principal, action.version)
    if policy.status != DRAFT:
        raise Conflict("Only a draft can be published.", "只有草稿可以发布。")
    resolved, report = await check(session, PolicyDocument.model_validate(policy.document))
    if resolved is None:
        raise _invalid(report)
    policy.document = resolved.model_dump(mode="json")
    policy.status = PUBLISHED
    policy.published_at = utcnow()
    policy.version += 1
    await _announce(session, principal, policy, "policy.published", contract.POLICY_PUBLISHED, action)
    return policy


async def retire_policy(
    session: AsyncSession, principal: Principal, policy_id: uuid.UUID, action: PolicyAction
) -> Policy:
    policy = await _editable(session, policy_id, principal, action.version)
    if policy.status != PUBLISHED:
        raise Conflict("Only a published version can be retired.", "只有已发布的政策可以停用。")
    policy.status = RETIRED
    policy.retired_at = utcnow()
    policy.version += 1
    await _announce(session, principal, policy, "policy.retired", contract.POLICY_RETIRED, action)
    return policy


async def _announce(
    session: AsyncSession, principal: Principal, policy: Policy, action: str, event: str, body: PolicyAction
) -> None:
    """Audit and publish a lifecycle change, and queue the region's reassessment if asked."""
    run_id = None
    if body.reassess:
        run = await create_run(
            session,
            principal,
            policy.region_code,
            dt.date.today(),
            f"{action} {policy.code} v{policy.policy_version}",
        )
        run_id = run.id
    record_audit(
        session,
        AuditRecord,
        actor=principal,
        action=action,
        entity_type="policy",
        entity_id=str(policy.id),
        detail={"code": policy.code, "policy_version": policy.policy_version, "reassessment": str(run_id)},
        reason=body.reason,
    )
    publish(
        session,
        OutboxEvent,
        event,
        policy.code,
        contract.PolicyChanged(
            policy_id=policy.id,
            code=policy.code,
            policy_version=policy.policy_version,
            region_code=policy.region_code,
            effective_from=policy.effective_from,
            status=policy.status,
            reassessment_id=run_id,
        ).model_dump(mode="json"),
    )


async def get(session: AsyncSession, policy_id: uuid.UUID) -> Policy:
    policy = await repository.get(session, policy_id)
    if policy is None:
        raise NotFound(*NOT_FOUND)
    return policy


def scopes(policies: Sequence[Policy], region_code: str, on: dt.date) -> list[Scope]:
    """Where each published policy applies in a region on a date (none applies outside every scope)."""
    # Precedence: the narrowest region, then the latest effective date, then the highest version.
    region = region_prefix(region_code)
    order = sorted(
        (index for index, policy in enumerate(policies) if policy.effective_from <= on),
        key=lambda index: _precedence(policies[index]),
    )
    found = []
    for position, index in enumerate(order):
        prefix = region_prefix(policies[index].region_code)
        if not (prefix.startswith(region) or region.startswith(prefix)):
            continue
        overriding = {region_prefix(policies[later].region_code) for later in order[position + 1 :]}
        if any(prefix.startswith(other) or region.startswith(other) for other in overriding):
            continue  # a policy of the same or a wider region, or one covering the whole region, wins
        excluded = sorted(
            other for other in overriding if other.startswith(prefix) and other.startswith(region)
        )
        found.append(Scope(index, prefix, tuple(excluded)))
    return found


def applicable_among(policies: Sequence[Policy], village_code: str, on: dt.date) -> Policy | None:
    """The published policy for a village on a date (see `scopes`)."""
    found = scopes(policies, village_code, on)
    return policies[found[0].index] if found else None


def _precedence(policy: Policy) -> tuple[int, dt.date, int]:
    return (len(region_prefix(policy.region_code)), policy.effective_from, policy.policy_version)


def assign_policies(
    policies: Sequence[Policy], villages: npt.NDArray[np.str_], region_code: str, on: dt.date
) -> npt.NDArray[np.int64]:
    """For each village code of a region, the index in `policies` of the one that applies (-1: none)."""
    chosen = np.full(len(villages), -1, np.int64)
    for scope in scopes(policies, region_code, on):
        chosen[scope.covers(villages)] = scope.index
    return chosen
