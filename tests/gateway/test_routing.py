"""Forwarding: explicit timeouts, 503 for a service that is down, 504 for one too slow, and a
downstream failure's body never reaches the caller; every answer in the error envelope."""

import asyncio
import uuid

import httpx
import uvicorn
from starlette.types import Receive, Scope, Send

from services.kit.http import KEEPALIVE_SECONDS, ServiceLinks
from tests.gateway.conftest import VILLAGE_A, Gateway
from tests.support.bank import free_port
from tests.support.system import auth, eventually

SECRET = "Traceback: password=hunter2 at db.internal"


async def slow_service(scope: Scope, receive: Receive, send: Send) -> None:
    await asyncio.sleep(5)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def slowish_workbook_service(scope: Scope, receive: Receive, send: Send) -> None:
    await asyncio.sleep(0.6)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"PK"})


async def failing_service(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 500, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": SECRET.encode()})


async def test_down_slow_and_failing_services(gateway: Gateway) -> None:
    cadre = await gateway.person("cadre.route", ["cadre"], [VILLAGE_A])
    path = f"/api/v1/households/{uuid.uuid4()}"
    real_links = gateway.app.state.links
    try:
        down = ServiceLinks({"registry": f"http://127.0.0.1:{free_port()}"})
        gateway.app.state.links = down
        response = await gateway.http.get(path, headers=auth(cadre))
        assert (response.status_code, response.json()["error"]) == (503, "service_unavailable")
        await down.aclose()

        slow = ServiceLinks()
        slow.attach_app("registry", slow_service)
        gateway.app.state.links = slow
        gateway.settings.downstream_timeout_seconds = 0.3
        response = await gateway.http.get(path, headers=auth(cadre))
        assert (response.status_code, response.json()["error"]) == (504, "gateway_timeout")
        assert response.json()["request_id"] == response.headers["x-request-id"]
        await slow.aclose()

        failing = ServiceLinks()
        failing.attach_app("registry", failing_service)
        gateway.app.state.links = failing
        response = await gateway.http.get(path, headers=auth(cadre))
        assert (response.status_code, response.json()["error"]) == (502, "bad_gateway")
        assert "hunter2" not in response.text
        await failing.aclose()
    finally:
        gateway.app.state.links = real_links
    assert (await gateway.http.get(path, headers=auth(cadre))).status_code == 404


async def test_workbook_exports_get_the_longer_export_timeout(gateway: Gateway) -> None:
    """A county archive takes tens of seconds to write; other calls keep the short timeout."""
    officer = await gateway.person("officer.export", ["village_officer"], [VILLAGE_A])
    real_links, slow = gateway.app.state.links, ServiceLinks()
    slow.attach_app("registry", slowish_workbook_service)
    gateway.app.state.links = slow
    gateway.settings.downstream_timeout_seconds = 0.3
    try:
        roster = await gateway.http.get(f"/api/v1/divisions/{VILLAGE_A}/roster.xlsx", headers=auth(officer))
        assert roster.status_code == 200
        report = f"/api/v1/registry/monthly-reports/{VILLAGE_A}"
        workbook = await gateway.http.get(report, params={"format": "xlsx"}, headers=auth(officer))
        assert workbook.status_code == 200
        assert (await gateway.http.get(report, headers=auth(officer))).status_code == 504
    finally:
        gateway.app.state.links = real_links
        await slow.aclose()


async def answer_ok(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "http":
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


async def test_a_connection_is_not_reused_when_the_service_may_be_closing_it() -> None:
    # uvicorn closes a connection idle for its keep-alive time; a request sent on it just then fails.
    assert uvicorn.Config(answer_ok).timeout_keep_alive > KEEPALIVE_SECONDS
    server_keepalive = 0.2  # seconds; the client's keep-alive scaled to match (2 s of uvicorn's 5)
    port = free_port()
    config = uvicorn.Config(answer_ok, host="127.0.0.1", port=port, log_level="error")
    config.timeout_keep_alive = server_keepalive  # type: ignore[assignment]  # a float works; typed int
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    links = ServiceLinks(
        {"registry": f"http://127.0.0.1:{port}"}, keepalive_seconds=server_keepalive * KEEPALIVE_SECONDS / 5
    )
    try:
        await eventually(lambda: asyncio.sleep(0.01, server.started), within=10)
        statuses: list[int | str] = []
        # Idle for about the server's keep-alive time, a little less to a little more: when it closes.
        for offset_ms in range(-10, 11):
            await asyncio.sleep(server_keepalive + offset_ms / 1000)
            try:
                statuses.append((await links.client("registry").post("/", content=b"x")).status_code)
            except httpx.TransportError as exc:
                statuses.append(repr(exc))
        assert statuses == [200] * 21
    finally:
        await links.aclose()
        server.should_exit = True
        await serving
