"""The one error envelope: {"error", "detail", "request_id"} on every failure, never a stack trace."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.kit.observability import current_request_id

logger = logging.getLogger("fupin.errors")


class FieldError(BaseModel):
    """One invalid field: where it is and what is wrong, in English and Chinese."""

    loc: list[str | int]
    message: str
    message_zh: str | None = None
    type: str | None = None


class ErrorEnvelope(BaseModel):
    """Body of every error response."""

    error: str
    detail: str
    detail_zh: str | None = None
    request_id: str
    fields: list[FieldError] | None = None


class AppError(Exception):
    """A failure the caller can act on; subclasses fix the status code and the error code."""

    status_code = 400
    code = "bad_request"

    def __init__(
        self,
        detail: str,
        detail_zh: str | None = None,
        *,
        code: str | None = None,
        fields: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.detail_zh = detail_zh
        if code is not None:
            self.code = code
        self.fields = fields
        self.headers = headers

    def to_response(self) -> JSONResponse:
        """The envelope as a response, for handlers that must still commit (say, a failed-login audit)."""
        return error_response(
            self.status_code, self.code, self.detail, self.detail_zh, self.fields, self.headers
        )


class BadRequest(AppError):
    status_code = 400
    code = "bad_request"


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"


class NotFound(AppError):
    status_code = 404
    code = "not_found"


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class PayloadTooLarge(AppError):
    status_code = 413
    code = "payload_too_large"


class Unprocessable(AppError):
    status_code = 422
    code = "validation_failed"


class TooManyRequests(AppError):
    status_code = 429
    code = "too_many_requests"


class BadGateway(AppError):
    status_code = 502
    code = "bad_gateway"


class ServiceUnavailable(AppError):
    status_code = 503
    code = "service_unavailable"


class GatewayTimeout(AppError):
    status_code = 504
    code = "gateway_timeout"


def error_response(
    status_code: int,
    code: str,
    detail: str,
    detail_zh: str | None = None,
    fields: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    envelope = ErrorEnvelope(
        error=code,
        detail=detail,
        detail_zh=detail_zh,
        request_id=current_request_id(),
        fields=fields,
    )
    return JSONResponse(envelope.model_dump(exclude_none=True), status_code=status_code, headers=headers)


_STATUS_CODES = {
    400: ("bad_request", "请求有误"),
    401: ("unauthorized", "未登录或凭证无效"),
    403: ("forbidden", "无权执行此操作"),
    404: ("not_found", "未找到"),
    405: ("method_not_allowed", "不支持该请求方法"),
    409: ("conflict", "数据冲突"),
    413: ("payload_too_large", "请求体过大"),
    415: ("unsupported_media_type", "不支持的内容类型"),
    422: ("validation_failed", "数据校验未通过"),
    429: ("too_many_requests", "请求过于频繁"),
}


_VALIDATION_ZH = {
    "missing": "此项为必填项。",
    "extra_forbidden": "不允许提交此字段。",
    "string_type": "须为文本。",
    "string_too_short": "长度不能少于 {min_length} 个字符。",
    "string_too_long": "长度不能超过 {max_length} 个字符。",
    "string_pattern_mismatch": "格式不正确。",
    "int_type": "须为整数。",
    "int_parsing": "须为整数。",
    "int_from_float": "须为整数。",
    "float_type": "须为数字。",
    "float_parsing": "须为数字。",
    "decimal_type": "须为数字。",
    "decimal_parsing": "须为数字。",
    "decimal_max_digits": "数字位数过多。",
    "decimal_max_places": "小数位数过多。",
    "bool_type": "须为 true 或 false。",
    "bool_parsing": "须为 true 或 false。",
    "greater_than": "须大于 {gt}。",
    "greater_than_equal": "不能小于 {ge}。",
    "less_than": "须小于 {lt}。",
    "less_than_equal": "不能大于 {le}。",
    "enum": "取值须为:{expected}。",
    "literal_error": "取值须为:{expected}。",
    "date_type": "日期格式不正确(应为 YYYY-MM-DD)。",
    "date_parsing": "日期格式不正确(应为 YYYY-MM-DD)。",
    "date_from_datetime_parsing": "日期格式不正确(应为 YYYY-MM-DD)。",
    "datetime_type": "时间格式不正确。",
    "datetime_parsing": "时间格式不正确。",
    "datetime_from_date_parsing": "时间格式不正确。",
    "timezone_aware": "时间须带时区(例如 +08:00)。",
    "uuid_type": "须为 UUID。",
    "uuid_parsing": "须为 UUID。",
    "list_type": "须为列表。",
    "too_short": "至少需要 {min_length} 项。",
    "too_long": "最多 {max_length} 项。",
    "dict_type": "须为对象。",
    "model_type": "须为对象。",
    "model_attributes_type": "须为对象。",
    "json_invalid": "不是有效的 JSON。",
}


def validation_field_errors(errors: Any, prefix: list[str | int] | None = None) -> list[FieldError]:
    """Pydantic's errors as FieldErrors in English and Chinese; `prefix` is put before each location."""
    fields = []
    for err in errors:
        loc = [*(prefix or []), *(part for part in err.get("loc", ()) if isinstance(part, str | int))]
        template = _VALIDATION_ZH.get(str(err.get("type")), "取值无效。")
        try:
            message_zh = template.format(**(err.get("ctx") or {}))
        except (KeyError, IndexError):
            message_zh = "取值无效。"
        fields.append(
            FieldError(loc=loc, message=str(err.get("msg", "")), message_zh=message_zh, type=err.get("type"))
        )
    return fields


def install_error_handlers(app: FastAPI) -> None:
    """Turn every exception into the envelope; unknown ones become a bare 500."""

    async def app_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AppError)
        return exc.to_response()

    async def validation_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return error_response(
            422,
            "validation_failed",
            "The request is not valid; see fields.",
            "请求数据校验未通过,请查看字段说明。",
            validation_field_errors(exc.errors()),
        )

    async def http_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code, zh = _STATUS_CODES.get(exc.status_code, ("error", "请求失败"))
        detail = exc.detail if isinstance(exc.detail, str) else code
        return error_response(exc.status_code, code, detail, zh, headers=dict(exc.headers or {}))

    async def database_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DBAPIError)
        if not exc.connection_invalidated:
            raise exc
        # The pool takes no test query per request (database.py): a connection the server dropped
        # (a restart, a failover) fails where it is next used and the whole pool is replaced, so
        # the client's retry runs on fresh connections (writes that matter are idempotent by key).
        logger.warning("database connection lost: %s", exc.orig)
        return ServiceUnavailable(
            "The database connection was lost; retry the request.",
            "数据库连接中断,请稍后重试。",
            code="database_unavailable",
            headers={"retry-after": "1"},
        ).to_response()

    app.add_exception_handler(AppError, app_error)
    app.add_exception_handler(DBAPIError, database_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_middleware(UnhandledErrorMiddleware)


class UnhandledErrorMiddleware:
    """A bug becomes a bare 500 envelope with the request id; its details go to the log only."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            logger.exception("unhandled error")
            if started or scope["type"] != "http":
                raise
            response = error_response(500, "internal_error", "Internal error.", "系统内部错误。")
            await response(scope, receive, send)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorEnvelope, "description": description}
    for status, description in {
        400: "Bad request / 请求有误",
        401: "Not authenticated / 未登录",
        403: "Forbidden / 无权限",
        404: "Not found / 未找到",
        409: "Conflict / 数据冲突",
        422: "Validation failed / 数据校验未通过",
        429: "Too many requests / 请求过于频繁",
    }.items()
}
