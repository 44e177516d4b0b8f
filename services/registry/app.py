"""Registry service (建档立卡) app."""

from fastapi import FastAPI

from services.eligibility import contract as eligibility
from services.kit.app import build_service_app
from services.kit.audit import AuditSealer, audit_router
from services.kit.http import ServiceLinks, ServiceTokenProvider
from services.kit.outbox import FeedConsumer, feed_router
from services.registry import contract
from services.registry.assessments.service import apply_assessment_event
from services.registry.attachments.router import router as attachments_router
from services.registry.cases.router import router as cases_router
from services.registry.clock import Clock
from services.registry.config import RegistrySettings
from services.registry.credit_checks.router import router as credit_checks_router
from services.registry.deliberations.router import router as deliberations_router
from services.registry.divisions.router import router as divisions_router
from services.registry.duplicates.router import router as duplicates_router
from services.registry.forms.router import router as forms_router
from services.registry.forms.service import sync_shipped as sync_shipped_forms
from services.registry.households.identity import PiiVault
from services.registry.households.router import internal_router as households_internal
from services.registry.households.router import members_router
from services.registry.households.router import router as households_router
from services.registry.imports.router import router as imports_router
from services.registry.measures.router import household_router as measures_household_router
from services.registry.measures.router import router as measures_router
from services.registry.models import AuditRecord, ConsumerCursor, OutboxEvent
from services.registry.notices.router import router as notices_router
from services.registry.pairings.router import helpers_router, pairings_router, visits_router
from services.registry.parameters.router import router as parameters_router
from services.registry.parameters.service import sync_shipped
from services.registry.quality.router import router as quality_router
from services.registry.quality.worker import QualityWorker
from services.registry.records.router import card_router, roster_router
from services.registry.reports.router import router as reports_router
from services.registry.reviews.router import router as reviews_router
from services.registry.surveys.applier import SurveyApplier
from services.registry.surveys.router import router as surveys_router
from services.registry.surveys.service import Context as SurveyContext
from services.registry.sync.router import router as sync_router
from services.registry.sync.service import projector as sync_projector
from services.subsidy import contract as subsidy


def create_app(settings: RegistrySettings, links: ServiceLinks | None = None) -> FastAPI:
    async def load_parameters(app: FastAPI) -> None:
        async with app.state.database.sessionmaker() as session, session.begin():
            await sync_shipped(session)
            await sync_shipped_forms(session)

    app = build_service_app(
        name=contract.NAME,
        title="Fupin registry / 建档立卡",
        description="Households, members and door-to-door surveys. 农户、成员与入户调查。",
        settings=settings,
        links=links,
        downstream_urls={eligibility.NAME: settings.eligibility_url, subsidy.NAME: settings.subsidy_url},
        on_startup=[load_parameters],
    )
    app.state.clock = Clock(settings.local_timezone)
    service_links: ServiceLinks = app.state.links
    tokens = ServiceTokenProvider(service_links, settings.client_id, settings.client_secret)
    app.state.eligibility = eligibility.EligibilityClient(service_links, tokens)
    app.state.subsidy = subsidy.SubsidyClient(service_links, tokens)
    app.state.assessment_consumer = FeedConsumer(
        feed=eligibility.NAME,
        database=app.state.database,
        cursor_model=ConsumerCursor,
        fetch_page=app.state.eligibility.events,
        handle=apply_assessment_event,
        poll_seconds=settings.feed_poll_seconds,
    )
    app.state.workers.append(app.state.assessment_consumer)
    app.state.quality_worker = QualityWorker(
        app.state.database,
        app.state.clock,
        interval_hours=settings.quality_check_interval_hours,
        poll_seconds=settings.quality_poll_seconds,
    )
    app.state.workers.append(app.state.quality_worker)
    app.state.vault = PiiVault(settings.pii_encryption_key, settings.pii_index_key)
    app.state.workers.append(AuditSealer(app.state.database, AuditRecord))
    app.state.sync_projector = sync_projector(
        app.state.database, settings.assignment_removed_statuses, settings.feed_poll_seconds
    )
    app.state.workers.append(app.state.sync_projector)
    app.state.survey_applier = SurveyApplier(
        app.state.database,
        SurveyContext(vault=app.state.vault, settings=settings, clock=app.state.clock),
        settings.feed_poll_seconds,
    )
    app.state.workers.append(app.state.survey_applier)
    app.include_router(surveys_router)
    app.include_router(forms_router)
    app.include_router(attachments_router)
    app.include_router(sync_router)
    app.include_router(credit_checks_router)
    app.include_router(audit_router(AuditRecord, contract.NAME))
    app.include_router(imports_router)
    app.include_router(households_router)
    app.include_router(households_internal)
    app.include_router(members_router)
    app.include_router(parameters_router)
    app.include_router(divisions_router)
    app.include_router(cases_router)
    app.include_router(deliberations_router)
    app.include_router(notices_router)
    app.include_router(reviews_router)
    app.include_router(helpers_router)
    app.include_router(pairings_router)
    app.include_router(visits_router)
    app.include_router(measures_household_router)
    app.include_router(measures_router)
    app.include_router(card_router)
    app.include_router(roster_router)
    app.include_router(reports_router)
    app.include_router(quality_router)
    app.include_router(duplicates_router)
    app.include_router(
        feed_router(
            OutboxEvent, contract.NAME, contract.EVENTS_SCOPE, "Household change feed / 农户变更事件流"
        )
    )
    return app


def app_from_env() -> FastAPI:
    """Separate mode (uvicorn --factory …:app_from_env): settings from REGISTRY_* variables."""
    return create_app(RegistrySettings())
