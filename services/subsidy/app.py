"""Subsidy service (扶贫资金) app."""

import httpx
from fastapi import FastAPI

from services.eligibility import contract as eligibility
from services.kit.app import build_service_app
from services.kit.audit import AuditSealer
from services.kit.http import ServiceLinks, ServiceTokenProvider
from services.kit.outbox import FeedConsumer, feed_router
from services.registry import contract as registry
from services.subsidy import contract
from services.subsidy.bank.router import router as bank_router
from services.subsidy.beneficiaries.service import apply_assessment_event
from services.subsidy.config import SubsidySettings
from services.subsidy.models import AuditRecord, ConsumerCursor, OutboxEvent
from services.subsidy.payments.bank_client import BankClient
from services.subsidy.payments.dispatcher import PaymentDispatcher
from services.subsidy.payments.router import router as payments_router
from services.subsidy.programs.router import router as programs_router


def create_app(settings: SubsidySettings, links: ServiceLinks | None = None) -> FastAPI:
    app = build_service_app(
        name=contract.NAME,
        title="Fupin subsidy / 扶贫资金",
        description="Programs, ledger and bank payments. 扶贫项目、资金台账与银行支付。",
        settings=settings,
        links=links,
        downstream_urls={registry.NAME: settings.registry_url, eligibility.NAME: settings.eligibility_url},
    )
    service_links: ServiceLinks = app.state.links
    tokens = ServiceTokenProvider(service_links, settings.client_id, settings.client_secret)
    bank_http = httpx.AsyncClient(base_url=settings.bank_url, timeout=settings.bank_timeout_seconds)
    app.state.assessment_consumer = FeedConsumer(
        feed=eligibility.NAME,
        database=app.state.database,
        cursor_model=ConsumerCursor,
        fetch_page=eligibility.EligibilityClient(service_links, tokens).events,
        handle=apply_assessment_event,
        poll_seconds=settings.feed_poll_seconds,
    )
    app.state.dispatcher = PaymentDispatcher(
        app.state.database,
        BankClient(bank_http),
        registry.RegistryClient(service_links, tokens),
        interval_seconds=settings.dispatch_interval_seconds,
        batch_size=settings.dispatch_batch_size,
        retry_seconds=settings.dispatch_retry_seconds,
    )
    app.state.resources.append(bank_http)
    app.state.workers.extend(
        [app.state.assessment_consumer, app.state.dispatcher, AuditSealer(app.state.database, AuditRecord)]
    )
    app.include_router(programs_router)
    app.include_router(payments_router)
    app.include_router(bank_router)
    app.include_router(feed_router(OutboxEvent, contract.EVENTS_SCOPE, "Payment feed / 支付事件流"))
    return app


def app_from_env() -> FastAPI:
    """Separate mode (uvicorn --factory …:app_from_env): settings from SUBSIDY_* variables."""
    return create_app(SubsidySettings())
