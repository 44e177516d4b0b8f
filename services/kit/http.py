"""httpx clients between services: over the network, or in-process in the embedded mode."""

import asyncio
import time
from typing import Any

import httpx
from starlette.types import ASGIApp

from services.kit.observability import current_request_id
from services.kit.outbox import FeedPage


async def _forward_request_id(request: httpx.Request) -> None:
    request_id = current_request_id()
    if request_id != "-" and "x-request-id" not in request.headers:
        request.headers["x-request-id"] = request_id


# An idle connection is dropped before the service drops it (uvicorn: after 5 s): a request sent on a
# connection the server is closing fails (ReadError, answered 503), 2 in 9,000 survey resends here.
KEEPALIVE_SECONDS = 2.0


class ServiceLinks:
    """Named downstream services and one pooled client for each."""

    def __init__(
        self,
        urls: dict[str, str] | None = None,
        timeout_seconds: float = 5.0,
        keepalive_seconds: float = KEEPALIVE_SECONDS,
    ) -> None:
        self._urls = dict(urls or {})
        self._apps: dict[str, ASGIApp] = {}
        self._clients: dict[str, httpx.AsyncClient] = {}
        self.timeout_seconds = timeout_seconds
        self.keepalive_seconds = keepalive_seconds

    def attach_app(self, name: str, app: ASGIApp) -> None:
        """Embedded mode: reach this service through its ASGI app instead of a socket."""
        self._apps[name] = app
        self._urls.setdefault(name, f"http://{name}")

    def set_url(self, name: str, url: str) -> None:
        self._urls[name] = url

    def client(self, name: str) -> httpx.AsyncClient:
        client = self._clients.get(name)
        if client is None:
            if name not in self._urls:
                raise LookupError(f"no address configured for service {name!r}")
            app = self._apps.get(name)
            transport: httpx.AsyncBaseTransport | None = (
                httpx.ASGITransport(app=app, raise_app_exceptions=False) if app is not None else None
            )
            client = httpx.AsyncClient(
                base_url=self._urls[name],
                transport=transport,
                timeout=httpx.Timeout(self.timeout_seconds, connect=min(2.0, self.timeout_seconds)),
                event_hooks={"request": [_forward_request_id]},
                limits=httpx.Limits(
                    max_connections=100, max_keepalive_connections=50, keepalive_expiry=self.keepalive_seconds
                ),
            )
            self._clients[name] = client
        return client

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()


class ServiceTokenProvider:
    """Gets and caches this service's own access token (OAuth2 client credentials at the gateway)."""

    def __init__(self, links: ServiceLinks, client_id: str, client_secret: str) -> None:
        self._links = links
        self._client_id = client_id
        self._client_secret = client_secret
        self._token = ""
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    async def token(self) -> str:
        if time.monotonic() < self._expires_at:
            return self._token
        async with self._lock:
            if time.monotonic() >= self._expires_at:
                response = await self._links.client("gateway").post(
                    "/api/v1/auth/token",
                    data={
                        "grant_type": "client_credentials",
                        "client_id": self._client_id,
                        "client_secret": self._client_secret,
                    },
                )
                response.raise_for_status()
                body = response.json()
                self._token = body["access_token"]
                self._expires_at = time.monotonic() + int(body["expires_in"]) - 60
        return self._token

    async def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.token()}"}


def jwks_source(links: ServiceLinks) -> Any:
    """The gateway's public keys, fetched over the same link as everything else."""

    async def fetch() -> dict[str, Any]:
        response = await links.client("gateway").get("/api/v1/auth/jwks")
        response.raise_for_status()
        document: dict[str, Any] = response.json()
        return document

    return fetch


class ServiceClient:
    """Base of the typed clients in each service's `contract` module, calling as this service."""

    service_name = ""

    def __init__(self, links: ServiceLinks, auth: ServiceTokenProvider) -> None:
        self._links = links
        self._auth = auth

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**kwargs.pop("headers", {}), **(await self._auth.headers())}
        return await self._links.client(self.service_name).request(method, path, headers=headers, **kwargs)

    async def _get(self, path: str, params: dict[str, Any] | None = None) -> httpx.Response:
        return await self._request("GET", path, params=params)

    async def events(self, after: int, limit: int) -> FeedPage:
        """The callee's event feed after a cursor."""
        response = await self._get("/internal/v1/events", {"after": after, "limit": limit})
        response.raise_for_status()
        return FeedPage.model_validate_json(response.content)
