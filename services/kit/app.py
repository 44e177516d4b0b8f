"""The common shape of a service app: middleware, errors, health, token verification, lifespan."""

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Protocol

from fastapi import FastAPI, Request
from fastapi.middleware import Middleware
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from services.kit.database import Database
from services.kit.errors import ERROR_RESPONSES, install_error_handlers
from services.kit.http import ServiceLinks, jwks_source
from services.kit.limits import RequestLimitsMiddleware
from services.kit.observability import RequestIdMiddleware
from services.kit.settings import ServiceSettings
from services.kit.tokens import TokenVerifier


class BackgroundWorker(Protocol):
    def start(self) -> None: ...

    async def stop(self) -> None: ...


class Health(BaseModel):
    status: str
    service: str


Hook = Callable[[FastAPI], Awaitable[None]]


def build_service_app(
    *,
    name: str,
    title: str,
    description: str,
    settings: ServiceSettings,
    links: ServiceLinks | None,
    downstream_urls: dict[str, str] | None = None,
    on_startup: list[Hook] | None = None,
    serve_openapi: bool = True,
    middleware: Sequence[Middleware] = (),
) -> FastAPI:
    """A FastAPI app wired the way every Fupin service is; the caller adds routers and workers."""
    own_links = links is None
    service_links = links or ServiceLinks(
        {"gateway": settings.gateway_url, **(downstream_urls or {})},
        timeout_seconds=settings.http_timeout_seconds,
    )
    database = Database(settings.database_url, settings.db_schema, settings.db_pool_size)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with database.exclusively("startup"):
            for hook in on_startup or []:
                await hook(app)
        workers: list[BackgroundWorker] = app.state.workers
        if settings.run_background_tasks:
            for worker in workers:
                worker.start()
        try:
            yield
        finally:
            for worker in workers:
                await worker.stop()
            for resource in app.state.resources:
                await resource.aclose()
            if own_links:
                await service_links.aclose()
            await database.dispose()

    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
        openapi_url="/openapi.json" if serve_openapi else None,
    )
    app.state.name = name
    app.state.settings = settings
    app.state.database = database
    app.state.links = service_links
    app.state.workers = []
    app.state.resources = []
    app.state.token_verifier = TokenVerifier(
        settings.token_issuer,
        settings.token_audience,
        jwks_source(service_links),
        refetch_seconds=settings.jwks_refetch_seconds,
        max_age_seconds=settings.jwks_max_age_seconds,
    )
    app.add_middleware(
        RequestLimitsMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_json_depth=settings.max_json_depth,
    )
    # Service-specific guards sit inside the request id and error handling, outside the body limits.
    for extra in reversed(middleware):
        app.add_middleware(extra.cls, *extra.args, **extra.kwargs)
    install_error_handlers(app)
    app.add_middleware(RequestIdMiddleware)

    @app.get("/health", response_model=Health, tags=["health"], summary="Liveness and database / 健康检查")
    async def health(request: Request) -> Health | JSONResponse:
        try:
            async with database.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            return JSONResponse({"status": "database_unavailable", "service": name}, status_code=503)
        return Health(status="ok", service=name)

    return app
