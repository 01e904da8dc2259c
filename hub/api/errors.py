"""One mapping from errors to JSON for /api/ requests.

Every error an API caller sees has the body
``{"error": {"status": 404, "message": "...", "fields": {...}}}``, where
``fields`` appears only for input errors. Page requests keep the HTML
handlers they were given.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.exceptions import ValidationException as RequestValidationException
from litestar.status_codes import HTTP_401_UNAUTHORIZED, HTTP_500_INTERNAL_SERVER_ERROR

from hub.errors import HubError, ValidationError

logger = logging.getLogger(__name__)

API_PATH_PREFIX = "/api/"
# RFC 6750: a 401 from a bearer-protected resource names the scheme the client should use.
WWW_AUTHENTICATE = 'Bearer realm="hub"'
SERVER_ERROR_MESSAGE = "the server failed to handle this request: try again, and tell an admin if it keeps failing"
HTTP_MESSAGES = {
    404: "not found: check the path against /schema/openapi.json",
    405: "method not allowed on this path: check /schema/openapi.json",
}

ExceptionHandler = Callable[[Request[Any, Any, Any], Exception], Any]


def is_api_request(request: Request[Any, Any, Any]) -> bool:
    return request.scope["path"].startswith(API_PATH_PREFIX)


def api_error_response(status_code: int, message: str, fields: dict[str, str] | None = None) -> Response[Any]:
    """Build the JSON error response; a 401 also carries ``WWW-Authenticate: Bearer``."""
    error: dict[str, Any] = {"status": status_code, "message": message}
    if fields:
        error["fields"] = fields
    headers = {"WWW-Authenticate": WWW_AUTHENTICATE} if status_code == HTTP_401_UNAUTHORIZED else {}
    return Response(content={"error": error}, status_code=status_code, headers=headers)


def _request_fields(exc: RequestValidationException) -> dict[str, str]:
    """Map Litestar's request validation details (``[{"key", "message", "source"}]``) to field messages."""
    extra = exc.extra if isinstance(exc.extra, list) else []
    keyed = [item for item in extra if isinstance(item, dict) and "key" in item]
    return {str(item["key"]): str(item.get("message", "")) for item in keyed}


def _hub_error_response(request: Request[Any, Any, Any], exc: HubError) -> Response[Any]:
    if exc.status_code >= HTTP_500_INTERNAL_SERVER_ERROR:
        logger.error("hub error %s on %s %s", type(exc).__name__, request.method, request.scope["path"])
        return api_error_response(exc.status_code, SERVER_ERROR_MESSAGE)
    fields = exc.field_errors if isinstance(exc, ValidationError) else None
    return api_error_response(exc.status_code, str(exc), fields)


def _http_exception_response(exc: HTTPException) -> Response[Any]:
    if isinstance(exc, RequestValidationException):
        return api_error_response(exc.status_code, f"invalid request: {exc.detail}", _request_fields(exc))
    message = HTTP_MESSAGES.get(exc.status_code, exc.detail)
    return api_error_response(exc.status_code, message)


def api_exception_response(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Map any exception raised while serving an API request to its JSON error response."""
    if isinstance(exc, HubError):
        return _hub_error_response(request, exc)
    if isinstance(exc, HTTPException):
        return _http_exception_response(exc)
    logger.exception("unhandled error on %s %s", request.method, request.scope["path"])
    return api_error_response(HTTP_500_INTERNAL_SERVER_ERROR, SERVER_ERROR_MESSAGE)


def _for_api_requests(page_handler: ExceptionHandler) -> ExceptionHandler:
    def handle(request: Request[Any, Any, Any], exc: Exception) -> Any:
        if is_api_request(request):
            return api_exception_response(request, exc)
        return page_handler(request, exc)

    return handle


def with_api_errors(handlers: dict[Any, Any]) -> dict[Any, Any]:
    """Return ``handlers`` with each one returning JSON for /api/ requests instead.

    The wrapping sits at the app level because an unknown path or a wrong
    method under /api/ fails before any API router handler is chosen.
    """
    return {key: _for_api_requests(handler) for key, handler in handlers.items()}
