"""Helpers that let one handler respond to both htmx requests and plain browser requests."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_200_OK, HTTP_303_SEE_OTHER


def is_htmx_request(request: Request[Any, Any, Any]) -> bool:
    """True for any request htmx sent, boosted links and forms included."""
    return request.headers.get("hx-request") == "true"


def is_boosted(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-boosted") == "true"


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    """True when htmx expects a fragment; a boosted link or form expects the whole page, as without htmx."""
    return is_htmx_request(request) and not is_boosted(request)


def htmx_target(request: Request[Any, Any, Any]) -> str | None:
    return request.headers.get("hx-target")


def redirect_after_post(request: Request[Any, Any, Any], url: str) -> Response[Any]:
    """Send the browser to ``url``: HX-Redirect for htmx, 303 See Other for a plain form post."""
    if is_htmx(request):
        return Response(content=b"", status_code=HTTP_200_OK, headers={"HX-Redirect": url})
    return Redirect(path=url, status_code=HTTP_303_SEE_OTHER)


def render(
    template_name: str,
    context: dict[str, Any],
    *,
    status_code: int = HTTP_200_OK,
    headers: dict[str, str] | None = None,
) -> Template:
    return Template(template_name=template_name, context=context, status_code=status_code, headers=headers or {})
