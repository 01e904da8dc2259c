"""Browser-facing protections: security headers on every response and the CSRF token cookie.

CSRF uses Litestar's signed double-submit cookie. The cookie is readable
by scripts on purpose. static/app.js copies its current value into the
``X-CSRFToken`` header of every htmx request, so the header stays right
after the token rotates at sign-in, even though hx-boost swaps only the
body and never reloads the page. The token is no secret from the page,
because every form also carries it in a hidden field.
"""

from __future__ import annotations

import hashlib
from typing import Any

from litestar import Response
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import MutableScopeHeaders
from litestar.middleware.csrf import generate_csrf_token
from litestar.types import Message, Scope

from hub.settings import Settings
from hub.web.sessions import SESSION_MAX_AGE_SECONDS, HubSessionConfig

CSRF_COOKIE_NAME = "csrftoken"
CSRF_HEADER_NAME = "x-csrftoken"
# The detail Litestar's CSRF middleware (2.x) puts on its PermissionDeniedException.
CSRF_FAILURE_DETAIL = "CSRF token verification failed"
# Handler opt read by Litestar's CSRF middleware (CSRFConfig.exclude_from_csrf_key) and by the session check.
EXCLUDE_FROM_CSRF_KEY = "exclude_from_csrf"
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
)
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}


def uses_https(settings: Settings) -> bool:
    return settings.public_url.startswith("https://")


def derive_key(settings: Settings, purpose: str) -> bytes:
    """Return a 32-byte key for ``purpose``, so the session and CSRF secrets differ from each other."""
    return hashlib.sha256(f"{purpose}:{settings.secret_key}".encode()).digest()


def session_config(settings: Settings) -> HubSessionConfig:
    return HubSessionConfig(
        secret=derive_key(settings, "session"),
        key="hub_session",
        max_age=SESSION_MAX_AGE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=uses_https(settings),
    )


def csrf_config(settings: Settings) -> CSRFConfig:
    """Double-submit CSRF cookie; pages send the token as a form field or, from htmx, the X-CSRFToken header."""
    return CSRFConfig(
        secret=derive_key(settings, "csrf").hex(),
        cookie_name=CSRF_COOKIE_NAME,
        header_name=CSRF_HEADER_NAME,
        cookie_httponly=False,
        cookie_secure=uses_https(settings),
        cookie_samesite="lax",
    )


def rotate_csrf_cookie(response: Response[Any], settings: Settings) -> str:
    """Set a fresh CSRF token cookie on ``response``, so a token planted before sign-in stops working."""
    config = csrf_config(settings)
    token = generate_csrf_token(config.secret)
    response.set_cookie(
        key=config.cookie_name,
        value=token,
        path=config.cookie_path,
        secure=config.cookie_secure,
        httponly=config.cookie_httponly,
        samesite=config.cookie_samesite,
    )
    return token


async def add_security_headers(message: Message, scope: Scope) -> None:
    """Before-send hook: add SECURITY_HEADERS to every HTTP response that does not set them itself.

    A before-send hook runs for every response of the app, including 404s for
    unknown paths and error pages, which route middleware would miss.
    """
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    for name, value in SECURITY_HEADERS.items():
        if name not in headers:
            headers[name] = value
