"""Request caps: body size and JSON nesting depth before any handler parses a body; rate limits."""

import math
import re
import time
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import Query
from limits import RateLimitItemPerSecond
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.kit.errors import error_response

# A string with its escapes, written so the regex engine runs over plain text without backtracking.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = bytes(sorted(set(range(256)) - set(b"[]{}")))
_OPENING = frozenset(b"[{")


def json_depth_exceeds(body: bytes, limit: int) -> bool:
    """True when arrays/objects nest deeper than `limit` (strings are skipped, so '[' in text is fine)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    # Strings out, then every byte but the brackets: only the brackets are walked in Python.
    for byte in _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKET):
        if byte in _OPENING:
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


_NUL_IN_URL = re.compile(rb"%00|\x00")


def has_nul_character(scope: Scope) -> bool:
    """A NUL in the path or query: no text column can hold it (PostgreSQL refuses it outright)."""
    return "\x00" in scope["path"] or bool(_NUL_IN_URL.search(scope.get("query_string", b"")))


_CONTROL_IN_PATH = re.compile(r"[\x01-\x1f\x7f]")


def has_control_character_in_path(scope: Scope) -> bool:
    """A control character in the path: no resource is named so, and no URL may carry it onward."""
    return bool(_CONTROL_IN_PATH.search(scope["path"]))


def json_has_nul_character(body: bytes) -> bool:
    return b"\x00" in body or b"\\u0000" in body


class RequestLimitsMiddleware:
    """413 for bodies over `max_body_bytes`, 400 for JSON nested deeper than `max_json_depth`,
    400 for a NUL character in the path, the query or a JSON body (no database can store it)
    and for any other control character in the path."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, max_json_depth: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_json_depth = max_json_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if has_nul_character(scope):
            await self._nul_character(scope, receive, send)
            return
        if has_control_character_in_path(scope):
            response = error_response(
                400, "control_character", "The path contains a control character.", "路径中含有控制字符。"
            )
            await response(scope, receive, send)
            return
        if scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and _above(declared, self.max_body_bytes):
            await self._too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        content_type = headers.get(b"content-type", b"")
        if b"json" in content_type and json_has_nul_character(body):
            await self._nul_character(scope, receive, send)
            return
        if b"json" in content_type and json_depth_exceeds(body, self.max_json_depth):
            response = error_response(
                400,
                "json_too_deep",
                f"JSON nests deeper than {self.max_json_depth} levels.",
                f"JSON 嵌套层数超过 {self.max_json_depth} 层。",
            )
            await response(scope, receive, send)
            return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    @staticmethod
    async def _nul_character(scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            400, "nul_character", "The request contains a NUL character.", "请求中含有非法的空字符(NUL)。"
        )
        await response(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413,
            "payload_too_large",
            f"Request body exceeds {self.max_body_bytes} bytes.",
            f"请求体超过 {self.max_body_bytes} 字节上限。",
        )
        await response(scope, receive, send)


class RateLimiter:
    """Requests per key in a sliding window, weighted from two fixed windows' counters (the `limits` library).

    Not the library's moving window: its in-process store re-sorts every key's timestamps in a
    worker thread on each request, a thread hop per key (most of the gateway's CPU under load).

    The storage is in-process by default ("async+memory://"); replicas behind a load balancer
    share counts by pointing every replica at the same store, e.g. "async+redis://host:6379".
    """

    def __init__(self, storage_uri: str = "async+memory://") -> None:
        self._limiter = SlidingWindowCounterRateLimiter(storage_from_string(storage_uri))

    async def hit(self, key: str, amount: int, window_seconds: int) -> int | None:
        """Count one request; None when allowed, else the seconds to wait (for Retry-After)."""
        item = RateLimitItemPerSecond(amount, window_seconds)
        if await self._limiter.hit(item, key):
            return None
        stats = await self._limiter.get_window_stats(item, key)
        return max(1, math.ceil(stats.reset_time - time.time()))


PAGE_SIZE_PARAMETERS = ("limit", "page_size")
PAGE_SIZE_HELP = "page size, capped by the gateway (max_page_size, 500) / 每页条数,上限 500"
PageOffset = Annotated[int, Query(ge=0, le=10_000_000, description="rows to skip / 跳过的条数")]
"""A list's offset, bounded so no database is asked to skip past what a bigint or a page walk can reach."""


def _above(digits: bytes, cap: int) -> bool:
    """Whether ASCII digits count more than `cap`; other text is left to the parameter's own check."""
    # Length first: int() refuses thousands of digits, and "²" passes str.isdigit() but not int().
    if not digits.isdigit():
        return False
    significant = digits.lstrip(b"0")
    return len(significant) > len(str(cap)) or int(significant or b"0") > cap


def oversized_page(query_string: bytes, cap: int) -> str | None:
    """The name of a page-size parameter asking for more than `cap` rows, if any."""
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if name in PAGE_SIZE_PARAMETERS and _above(value.strip().encode("utf-8"), cap):
            return name
    return None
