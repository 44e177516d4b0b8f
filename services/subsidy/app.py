"""Subsidy service (扶贫资金) app."""

import httpx
from fastapi import FastAPI

from services.eligibility import contract as eligibility
from services.kit.app import build_service_app
from services.kit.audit import AuditSealer, audit_router
from services.kit.http import ServiceLinks, ServiceTokenProvider
from services.kit.outbox import FeedConsumer, feed_router
from services.registry import contract as registry
from services.subsidy import contract
from services.subsidy.applications.router import router as applications_router
from services.subsidy.bank.router import router as bank_router
from services.subsidy.beneficiaries.service import apply_assessment_event, apply_household_event
from services.subsidy.catalogue.router import router as catalogue_router
from services.subsidy.catalogue.service import sync_shipped
from services.subsidy.config import SubsidySettings
from services.subsidy.funds.router import router as funds_router
from services.subsidy.jobs.router import router as jobs_router
from services.subsidy.loans.router import router as loans_router
from services.subsidy.models import AuditRecord, ConsumerCursor, OutboxEvent
from services.subsidy.payments.bank_client import BankClient
from services.subsidy.payments.dispatcher import PaymentDispatcher
from services.subsidy.payments.router import batches_router
from services.subsidy.payments.router import router as payments_router
from services.subsidy.programs.router import router as programs_router
from services.subsidy.reconciliation.router import router as reconciliation_router
from services.subsidy.reports.router import internal_router as reports_internal_router
from services.subsidy.reports.router import router as reports_router


async def load_catalogue(app: FastAPI) -> None:
    async with app.state.database.sessionmaker() as session, session.begin():
        await sync_shipped(session)


def create_app(settings: SubsidySettings, links: ServiceLinks | None = None) -> FastAPI:
    app = build_service_app(
        name=contract.NAME,
        title="Fupin subsidy / 扶贫资金",
        description=(
            "Program catalogue, fund sources and budgets, applications, ledger, bank payments and "
            "reconciliation. 项目目录、资金来源与预算、项目申报、资金台账、银行支付与对账。"
        ),
        settings=settings,
        links=links,
        downstream_urls={registry.NAME: settings.registry_url, eligibility.NAME: settings.eligibility_url},
        on_startup=[load_catalogue],
    )
    service_links: ServiceLinks = app.state.links
    tokens = ServiceTokenProvider(service_links, settings.client_id, settings.client_secret)
    bank_http = httpx.AsyncClient(base_url=settings.bank_url, timeout=settings.bank_timeout_seconds)
    app.state.registry_client = registry.RegistryClient(service_links, tokens)
    app.state.assessment_consumer = FeedConsumer(
        feed=eligibility.NAME,
        database=app.state.database,
        cursor_model=ConsumerCursor,
        fetch_page=eligibility.EligibilityClient(service_links, tokens).events,
        handle=apply_assessment_event,
        poll_seconds=settings.feed_poll_seconds,
    )
    app.state.household_consumer = FeedConsumer(
        feed=registry.NAME,
        database=app.state.database,
        cursor_model=ConsumerCursor,
        fetch_page=app.state.registry_client.events,
        handle=apply_household_event,
        poll_seconds=settings.feed_poll_seconds,
    )
    app.state.bank = BankClient(bank_http)
    app.state.dispatcher = PaymentDispatcher(
        app.state.database,
        app.state.bank,
        app.state.registry_client,
        interval_seconds=settings.dispatch_interval_seconds,
        batch_size=settings.dispatch_batch_size,
        retry_seconds=settings.dispatch_retry_seconds,
        poll_after_seconds=settings.poll_after_seconds,
        lookup_concurrency=settings.payee_lookup_concurrency,
        parallel=settings.dispatch_parallel_batches,
    )
    app.state.resources.append(bank_http)
    app.state.workers.extend(
        [
            app.state.assessment_consumer,
            app.state.household_consumer,
            app.state.dispatcher,
            AuditSealer(app.state.database, AuditRecord),
        ]
    )
    for router in (
        catalogue_router,
        funds_router,
        programs_router,
        applications_router,
        jobs_router,
        loans_router,
        payments_router,
        batches_router,
        bank_router,
        reconciliation_router,
        reports_router,
        reports_internal_router,
    ):
        app.include_router(router)
    app.include_router(audit_router(AuditRecord, contract.NAME))
    app.include_router(
        feed_router(OutboxEvent, contract.NAME, contract.EVENTS_SCOPE, "Payment feed / 支付事件流")
    )
    return app


def app_from_env() -> FastAPI:
    """Separate mode (uvicorn --factory …:app_from_env): settings from SUBSIDY_* variables."""
    return create_app(SubsidySettings())
