"""Forwarding public requests to the service that owns them, with timeouts and clean failures."""

import asyncio
import logging

import httpx
from fastapi import Request, Response

from services.gateway.routing.table import service_for
from services.kit.errors import BadGateway, GatewayTimeout, NotFound, ServiceUnavailable
from services.kit.http import ServiceLinks

logger = logging.getLogger("fupin.gateway.proxy")

FORWARDED_REQUEST_HEADERS = (
    "authorization",
    "content-type",
    "accept",
    "accept-language",
    "idempotency-key",
    "if-match",
    "user-agent",
    "x-device-id",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
)
_FORWARDED_NAMES = frozenset(name.encode() for name in FORWARDED_REQUEST_HEADERS)
FORWARDED_RESPONSE_HEADERS = ("content-type", "location", "retry-after", "etag", "content-disposition")


def is_workbook_export(request: Request) -> bool:
    """A GET of an XLSX (roster, book, archive, a report as a workbook): slow by nature, read-only."""
    return request.method == "GET" and (
        request.url.path.endswith(".xlsx") or request.query_params.get("format") == "xlsx"
    )


async def forward(request: Request, links: ServiceLinks, timeout_seconds: float) -> Response:
    """Send the request on unchanged; a 5xx body from downstream is never passed to the caller."""
    service = service_for(request.url.path)
    if service is None:
        raise NotFound("No such endpoint.", "接口不存在。")
    # The raw bytes, not decoded strings: httpx encodes a str value as ASCII, so a header with other
    # bytes (obs-text) raised here; the owning service judges the value (a 401 for such a token).
    headers = [(name, value) for name, value in request.scope["headers"] if name in _FORWARDED_NAMES]
    try:
        # httpx's own timeout does not bound an in-process (ASGI) call, so bound the whole exchange.
        async with asyncio.timeout(timeout_seconds):
            upstream = await links.client(service).request(
                request.method,
                request.url.path,
                params=request.query_params.multi_items(),  # type: ignore[arg-type]  # list is accepted
                content=await request.body(),
                headers=headers,
                timeout=timeout_seconds,
            )
    except (httpx.TimeoutException, TimeoutError) as exc:
        raise GatewayTimeout(f"The {service} service did not answer in time.", "下游服务响应超时。") from exc
    except httpx.TransportError as exc:
        logger.warning("%s unreachable for %s %s: %r", service, request.method, request.url.path, exc)
        raise ServiceUnavailable(f"The {service} service is unavailable.", "下游服务暂不可用。") from exc
    if upstream.status_code >= 500:
        logger.warning(
            "%s answered %s for %s %s", service, upstream.status_code, request.method, request.url.path
        )
        if upstream.status_code == 503:
            retry = upstream.headers.get("retry-after")
            raise ServiceUnavailable(
                f"The {service} service is unavailable.",
                "下游服务暂不可用。",
                headers={"retry-after": retry} if retry else None,
            )
        raise BadGateway(f"The {service} service failed.", "下游服务出错。")
    response_headers = {
        name: value for name, value in upstream.headers.items() if name in FORWARDED_RESPONSE_HEADERS
    }
    return Response(content=upstream.content, status_code=upstream.status_code, headers=response_headers)
