"""The gateway as the CLI sees it: one token (given, or from signing in), errors as exit codes."""

import enum
import time
from typing import Any

import httpx

RETRIED_STATUSES = frozenset((429, 502, 503, 504))
ATTEMPTS = 3


class ExitCode(enum.IntEnum):
    """What a script sees: 0 done, 1 rejected or failed a check, 2 usage, 3 auth, 4 server or network."""

    OK = 0
    REJECTED = 1
    USAGE = 2
    AUTH = 3
    SERVER = 4


class CliError(Exception):
    """Stops the command with an exit code and a message (Chinese first, as the server gives it)."""

    def __init__(self, exit_code: ExitCode, message: str, body: Any = None) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.message = message
        self.body = body


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if not isinstance(body, dict):
        return f"HTTP {response.status_code}"
    detail = body.get("detail_zh") or body.get("detail") or ""
    fields = "; ".join(
        ".".join(str(part) for part in field.get("loc", []))
        + f": {field.get('message_zh') or field.get('message')}"
        for field in body.get("fields") or []
    )
    return f"HTTP {response.status_code} {body.get('error', '')}: {detail}" + (
        f" ({fields})" if fields else ""
    )


class Api:
    """Calls the gateway with a bearer token; signs in again when a password or client secret allows it."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.http = httpx.Client(base_url=url, timeout=timeout)
        self._token = token
        self._user = (username, password) if username and password else None
        self._client = (client_id, client_secret) if client_id and client_secret else None
        if token is None and self._user is None and self._client is None:
            raise CliError(
                ExitCode.AUTH,
                "未提供凭据:请设置 FUPIN_TOKEN,或给出 --username/--password 或 --client-id/--client-secret "
                "(no credentials)",
            )

    def close(self) -> None:
        self.http.close()

    def _sign_in(self) -> str:
        if self._user is not None:
            username, password = self._user
            response = self._send(
                "POST", "/api/v1/auth/login", json={"username": username, "password": password}
            )
        elif self._client is not None:
            client_id, client_secret = self._client
            response = self._send(
                "POST",
                "/api/v1/auth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": client_id,
                    "client_secret": client_secret,
                },
            )
        else:
            raise CliError(ExitCode.AUTH, "访问令牌无效或已过期 (the token was refused)")
        if response.status_code != 200:
            raise CliError(ExitCode.AUTH, f"登录失败 (sign-in failed): {_message(response)}")
        token: str = response.json()["access_token"]
        return token

    def _send(self, method: str, path: str, **options: Any) -> httpx.Response:
        """One request, retried on network errors and 429/502/503/504 (callers send repeatable requests)."""
        for attempt in range(ATTEMPTS):
            try:
                response = self.http.request(method, path, **options)
            except httpx.HTTPError as exc:
                if attempt == ATTEMPTS - 1:
                    raise CliError(
                        ExitCode.SERVER, f"无法连接服务器 (cannot reach {self.http.base_url}): {exc}"
                    ) from exc
                time.sleep(2**attempt)
                continue
            if response.status_code not in RETRIED_STATUSES or attempt == ATTEMPTS - 1:
                return response
            time.sleep(float(response.headers.get("retry-after", 2**attempt)))
        raise AssertionError("unreachable")

    def request(
        self, method: str, path: str, *, allow: tuple[int, ...] = (), **options: Any
    ) -> httpx.Response:
        """The response, or CliError: 401/403 exit 3, other 4xx exit 1, 5xx and network exit 4."""
        if self._token is None:
            self._token = self._sign_in()
        headers = {**options.pop("headers", {}), "authorization": f"Bearer {self._token}"}
        response = self._send(method, path, headers=headers, **options)
        if response.status_code == 401 and (self._user or self._client):
            self._token = self._sign_in()
            headers["authorization"] = f"Bearer {self._token}"
            response = self._send(method, path, headers=headers, **options)
        if response.is_success or response.status_code in allow:
            return response
        if response.status_code in (401, 403):
            raise CliError(ExitCode.AUTH, _message(response), _body(response))
        if response.status_code < 500:
            raise CliError(ExitCode.REJECTED, _message(response), _body(response))
        raise CliError(ExitCode.SERVER, _message(response), _body(response))


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
