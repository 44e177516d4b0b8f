"""The bank simulator as a real HTTP server in its own process, shared by a test run."""

import socket
import subprocess
import sys
import time
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class BankProcess:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tools.bank_simulator", "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=0.5).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the bank simulator did not start")

    def stop(self) -> None:
        self._process.terminate()
        self._process.wait(timeout=10)


class BankControl:
    """The simulator's control API, as a test sees it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._http = httpx.AsyncClient(base_url=url, timeout=5)

    async def reset(self, callback_url: str, secret: str, **faults: Any) -> None:
        response = await self._http.post(
            "/_control/reset", json={"callback_url": callback_url, "secret": secret, "faults": faults}
        )
        response.raise_for_status()

    async def stats(self) -> dict[str, Any]:
        response = await self._http.get("/_control/stats")
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    async def aclose(self) -> None:
        await self._http.aclose()
