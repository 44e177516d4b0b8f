"""Policy rules: shipped versions are loaded as data; the most specific published one applies."""

import datetime as dt
from pathlib import Path

import yaml
from sqlalchemy.ext.asyncio import AsyncSession

from services.eligibility.models import Policy
from services.eligibility.policies import repository
from services.eligibility.policies.engine import CompiledPolicy
from services.eligibility.schemas import PolicyDocument
from services.kit.database import utcnow
from services.kit.regions import region_prefix

SHIPPED = Path(__file__).parent / "shipped"
PUBLISHED = "published"


def shipped_documents() -> list[PolicyDocument]:
    return [
        PolicyDocument.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        for path in sorted(SHIPPED.glob("*.yaml"))
    ]


async def sync_shipped(session: AsyncSession) -> None:
    """Publish each shipped policy version that is not in the database yet."""
    for document in shipped_documents():
        CompiledPolicy(document)
        if await repository.get_by_code_version(session, document.code, document.policy_version):
            continue
        session.add(
            Policy(
                code=document.code,
                policy_version=document.policy_version,
                title_zh=document.title_zh,
                title_en=document.title_en,
                region_code=document.region_code,
                effective_from=document.effective_from,
                status=PUBLISHED,
                document=document.model_dump(mode="json"),
                published_at=utcnow(),
            )
        )
    await session.flush()


async def applicable_policy(session: AsyncSession, village_code: str, on: dt.date) -> Policy:
    """The published policy for a village on a date: the narrowest region, then the latest version."""
    candidates = [
        policy
        for policy in await repository.published(session)
        if village_code.startswith(region_prefix(policy.region_code)) and policy.effective_from <= on
    ]
    if not candidates:
        raise LookupError(f"no published policy covers {village_code} on {on}")
    return max(
        candidates, key=lambda p: (len(region_prefix(p.region_code)), p.effective_from, p.policy_version)
    )
