"""Gateway (网关): signs people and partner systems in, and routes the public API to the services."""

from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.middleware import Middleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from services.gateway.auth.passwords import Passwords
from services.gateway.auth.router import router as auth_router
from services.gateway.bootstrap import register_service_clients
from services.gateway.clients.router import router as clients_router
from services.gateway.config import GatewaySettings
from services.gateway.keys.ring import KeyRing
from services.gateway.keys.router import router as keys_router
from services.gateway.models import AuditRecord
from services.gateway.reloader import StateReloader
from services.gateway.routing.guard import AccessGuard
from services.gateway.routing.openapi import install_merged_openapi
from services.gateway.routing.proxy import forward, is_workbook_export
from services.gateway.routing.table import DOWNSTREAMS
from services.gateway.sessions.revocations import Revocations
from services.gateway.sessions.router import router as sessions_router
from services.gateway.users.router import router as users_router
from services.kit.app import build_service_app
from services.kit.audit import AuditSealer, audit_router
from services.kit.http import ServiceLinks
from services.kit.limits import RateLimiter
from services.kit.tokens import TokenVerifier

DESCRIPTION = """Fupin (扶贫) public API: the single entry point for the cadres' mobile app,
reviewers, finance staff, partner banks and admin scripts.

精准扶贫业务平台对外接口:移动采集端、审核人员、财务人员、合作银行与管理脚本的统一入口。"""


def create_app(settings: GatewaySettings, links: ServiceLinks | None = None) -> FastAPI:
    key_ring = KeyRing(settings.access_token_seconds)
    revocations = Revocations(settings.access_token_seconds)

    async def load_keys_and_clients(app: FastAPI) -> None:
        async with app.state.database.sessionmaker() as session, session.begin():
            await register_service_clients(session, settings.service_clients)
        await app.state.reloader.reload()

    app = build_service_app(
        name="gateway",
        title="Fupin gateway / 扶贫平台网关",
        description=DESCRIPTION,
        settings=settings,
        links=links,
        downstream_urls={
            "registry": settings.registry_url,
            "eligibility": settings.eligibility_url,
            "subsidy": settings.subsidy_url,
        },
        on_startup=[load_keys_and_clients],
        serve_openapi=False,
        middleware=[Middleware(AccessGuard)],
    )

    async def own_keys() -> dict[str, Any]:
        return key_ring.jwks()

    app.state.key_ring = key_ring
    app.state.revocations = revocations
    app.state.passwords = Passwords(settings)
    app.state.rate_limiter = RateLimiter(settings.rate_limit_storage_uri)
    # The gateway's own keys are in memory: reading them again on an unknown kid costs nothing.
    app.state.token_verifier = TokenVerifier(
        settings.token_issuer,
        settings.token_audience,
        own_keys,
        refetch_seconds=0,
        max_age_seconds=settings.state_reload_seconds,
    )
    app.state.reloader = StateReloader(
        app.state.database, key_ring, revocations, settings.state_reload_seconds
    )
    app.state.workers.extend([AuditSealer(app.state.database, AuditRecord), app.state.reloader])
    app.include_router(auth_router)
    app.include_router(sessions_router)
    app.include_router(users_router)
    app.include_router(clients_router)
    app.include_router(keys_router)
    app.include_router(audit_router(AuditRecord, "gateway"))
    install_merged_openapi(app, app.state.links, tuple(contract.NAME for contract in DOWNSTREAMS))

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi(request: Request) -> JSONResponse:
        return JSONResponse(await request.app.state.build_openapi())

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="Fupin API / 扶贫平台接口")

    @app.api_route(
        "/api/v1/{path:path}",
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )
    async def proxy(request: Request) -> Response:
        timeout = (
            settings.export_timeout_seconds
            if is_workbook_export(request)
            else settings.downstream_timeout_seconds
        )
        return await forward(request, request.app.state.links, timeout)

    return app


def app_from_env() -> FastAPI:
    """Separate mode (uvicorn --factory …:app_from_env): settings from GATEWAY_* variables."""
    return create_app(GatewaySettings())
