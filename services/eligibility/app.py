"""Eligibility service (精准识别) app."""

from fastapi import FastAPI

from services.eligibility import contract
from services.eligibility.assessments.router import router as assessments_router
from services.eligibility.config import EligibilitySettings
from services.eligibility.household_inputs.service import apply_registry_event
from services.eligibility.models import AuditRecord, ConsumerCursor, OutboxEvent
from services.eligibility.policies.router import router as policies_router
from services.eligibility.policies.service import sync_shipped
from services.eligibility.rankings.router import router as rankings_router
from services.eligibility.reassessments.router import router as reassessments_router
from services.eligibility.reassessments.runner import ReassessmentWorker
from services.kit.app import build_service_app
from services.kit.audit import AuditSealer, audit_router
from services.kit.http import ServiceLinks, ServiceTokenProvider
from services.kit.outbox import FeedConsumer, feed_router
from services.registry import contract as registry


def create_app(settings: EligibilitySettings, links: ServiceLinks | None = None) -> FastAPI:
    async def load_policies(app: FastAPI) -> None:
        async with app.state.database.sessionmaker() as session, session.begin():
            await sync_shipped(session)

    app = build_service_app(
        name=contract.NAME,
        title="Fupin eligibility / 精准识别",
        description=(
            "Policies as versioned data, explained assessments, village ranking, bulk reassessment and "
            "what-if simulation. 政策数据化、可解释的识别评估、排队打分、批量重新评估与政策模拟。"
        ),
        settings=settings,
        links=links,
        downstream_urls={registry.NAME: settings.registry_url},
        on_startup=[load_policies],
    )
    service_links: ServiceLinks = app.state.links
    tokens = ServiceTokenProvider(service_links, settings.client_id, settings.client_secret)
    registry_client = registry.RegistryClient(service_links, tokens)
    app.state.registry_consumer = FeedConsumer(
        feed=registry.NAME,
        database=app.state.database,
        cursor_model=ConsumerCursor,
        fetch_page=registry_client.events,
        handle=apply_registry_event,
        poll_seconds=settings.feed_poll_seconds,
    )
    app.state.reassessment_worker = ReassessmentWorker(app.state.database)
    app.state.workers.extend(
        [
            app.state.registry_consumer,
            app.state.reassessment_worker,
            AuditSealer(app.state.database, AuditRecord),
        ]
    )
    app.include_router(assessments_router)
    app.include_router(policies_router)
    app.include_router(audit_router(AuditRecord, contract.NAME))
    app.include_router(rankings_router)
    app.include_router(reassessments_router)
    app.include_router(
        feed_router(OutboxEvent, contract.NAME, contract.EVENTS_SCOPE, "Assessment feed / 评估事件流")
    )
    return app


def app_from_env() -> FastAPI:
    """Separate mode (uvicorn --factory …:app_from_env): settings from ELIGIBILITY_* variables."""
    return create_app(EligibilitySettings())
