"""One mapping from errors to HTTP: a small page for browsers, a flash fragment for htmx."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode, urlsplit

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_401_UNAUTHORIZED, HTTP_500_INTERNAL_SERVER_ERROR

from hub.errors import HubError
from hub.web.auth import SignInRequiredError
from hub.web.htmx import is_htmx_request
from hub.web.security import CSRF_FAILURE_DETAIL
from hub.web.sessions import session_expired

logger = logging.getLogger(__name__)

STATUS_TITLES = {
    400: "Bad request",
    401: "Sign-in required",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    422: "Invalid input",
    429: "Too many requests",
    500: "Server error",
}
CSRF_FAILURE_MESSAGE = "the form's security token is missing or out of date: reload the page and submit again"
GENERIC_MESSAGES = {
    403: "this action is not allowed: reload the page and try again",
    404: "page not found: check the address or go back to the call queue",
    500: "the server failed to handle this request: try again, and tell an admin if it keeps failing",
}


def error_response(request: Request[Any, Any, Any], status_code: int, message: str) -> Template:
    """Render the error as a flash fragment for any htmx request (into #flash) or as a small page."""
    context = {"status_code": status_code, "title": STATUS_TITLES.get(status_code, "Error"), "message": message}
    if is_htmx_request(request):
        headers = {"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"}
        return Template(template_name="errors/_error.html", context=context, status_code=status_code, headers=headers)
    return Template(template_name="errors/error.html", context=context, status_code=status_code)


def login_url(request: Request[Any, Any, Any], next_url: str) -> str:
    """Return the sign-in address that comes back to ``next_url`` and marks an expired session."""
    params = {"next": next_url}
    if session_expired(request):
        params["expired"] = "1"
    return "/login?" + urlencode(params)


def sign_in_redirect(request: Request[Any, Any, Any]) -> Response[Any]:
    """Send a signed-out caller to /login with ``next`` set to the page it was on."""
    if is_htmx_request(request):
        current = urlsplit(request.headers.get("hx-current-url", "/"))
        next_url = current.path + (f"?{current.query}" if current.query else "")
        headers = {"HX-Redirect": login_url(request, next_url)}
        return Response(content=b"", status_code=HTTP_401_UNAUTHORIZED, headers=headers)

    query = request.url.query
    next_url = request.url.path + (f"?{query}" if query else "")
    if request.method != "GET":
        next_url = "/"
    return Redirect(path=login_url(request, next_url), status_code=HTTP_303_SEE_OTHER)


def handle_hub_error(request: Request[Any, Any, Any], exc: HubError) -> Response[Any] | Template:
    if isinstance(exc, SignInRequiredError):
        return sign_in_redirect(request)
    return error_response(request, exc.status_code, str(exc))


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Template:
    if exc.detail == CSRF_FAILURE_DETAIL:
        logger.info("csrf check failed on %s %s", request.method, request.url.path)
        return error_response(request, exc.status_code, CSRF_FAILURE_MESSAGE)
    message = GENERIC_MESSAGES.get(exc.status_code, exc.detail)
    return error_response(request, exc.status_code, message)


def handle_unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Template:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(request, HTTP_500_INTERNAL_SERVER_ERROR, GENERIC_MESSAGES[500])


EXCEPTION_HANDLERS: dict[type[Exception], Any] = {
    HubError: handle_hub_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected_error,
}
