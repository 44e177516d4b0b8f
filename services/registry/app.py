"""Registry service (建档立卡) app."""

from fastapi import FastAPI

from services.kit.app import build_service_app
from services.kit.audit import AuditSealer, audit_router
from services.kit.http import ServiceLinks
from services.kit.outbox import feed_router
from services.registry import contract
from services.registry.clock import Clock
from services.registry.config import RegistrySettings
from services.registry.credit_checks.router import router as credit_checks_router
from services.registry.households.identity import PiiVault
from services.registry.households.router import internal_router as households_internal
from services.registry.households.router import members_router
from services.registry.households.router import router as households_router
from services.registry.models import AuditRecord, OutboxEvent
from services.registry.parameters.router import router as parameters_router
from services.registry.parameters.service import sync_shipped
from services.registry.surveys.router import router as surveys_router


def create_app(settings: RegistrySettings, links: ServiceLinks | None = None) -> FastAPI:
    async def load_parameters(app: FastAPI) -> None:
        async with app.state.database.sessionmaker() as session, session.begin():
            await sync_shipped(session)

    app = build_service_app(
        name=contract.NAME,
        title="Fupin registry / 建档立卡",
        description="Households, members and door-to-door surveys. 农户、成员与入户调查。",
        settings=settings,
        links=links,
        on_startup=[load_parameters],
    )
    app.state.vault = PiiVault(settings.pii_encryption_key, settings.pii_index_key)
    app.state.clock = Clock(settings.local_timezone)
    app.state.workers.append(AuditSealer(app.state.database, AuditRecord))
    app.include_router(surveys_router)
    app.include_router(credit_checks_router)
    app.include_router(audit_router(AuditRecord, contract.NAME))
    app.include_router(households_router)
    app.include_router(households_internal)
    app.include_router(members_router)
    app.include_router(parameters_router)
    app.include_router(
        feed_router(OutboxEvent, contract.EVENTS_SCOPE, "Household change feed / 农户变更事件流")
    )
    return app


def app_from_env() -> FastAPI:
    """Separate mode (uvicorn --factory …:app_from_env): settings from REGISTRY_* variables."""
    return create_app(RegistrySettings())
