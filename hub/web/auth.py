"""Sign-in state: the session cookie, the guard on every page and the current user."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.session.client_side import CookieBackendConfig
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import User
from hub.accounts.scope import Scope
from hub.accounts.services import get_user, scope_for_user
from hub.errors import HubError
from hub.settings import Settings

SESSION_USER_KEY = "user_id"
SESSION_MAX_AGE_SECONDS = 12 * 60 * 60
# Handlers (and routers) with this opt set to True are reachable signed out.
EXCLUDE_FROM_AUTH_KEY = "exclude_from_auth"


class SignInRequiredError(HubError):
    """The request needs a signed-in user and has none."""

    status_code = 401


def derive_key(settings: Settings, purpose: str) -> bytes:
    """Return a 32-byte key for ``purpose``, so the session and CSRF secrets differ from each other."""
    return hashlib.sha256(f"{purpose}:{settings.secret_key}".encode()).digest()


def session_config(settings: Settings) -> CookieBackendConfig:
    return CookieBackendConfig(
        secret=derive_key(settings, "session"),
        key="hub_session",
        max_age=SESSION_MAX_AGE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=settings.public_url.startswith("https://"),
    )


def requires_sign_in(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Guard: reject a request without a signed-in user unless its handler opts out."""
    if handler.opt.get(EXCLUDE_FROM_AUTH_KEY):
        return
    if not connection.session.get(SESSION_USER_KEY):
        raise SignInRequiredError("sign in to continue")


async def provide_current_user(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]) -> User:
    user_id = request.session.get(SESSION_USER_KEY)
    user = await get_user(db_session, int(user_id)) if user_id else None
    if user is None:
        request.clear_session()
        raise SignInRequiredError("sign in to continue")
    return user


async def provide_client_scope(db_session: NamedDependency[AsyncSession], current_user: NamedDependency[User]) -> Scope:
    return await scope_for_user(db_session, current_user)


def safe_next_url(candidate: str | None, default: str = "/") -> str:
    """Return ``candidate`` when it is a path on this site, else ``default`` (no open redirects)."""
    if not candidate or not candidate.startswith("/") or candidate.startswith("//") or "\\" in candidate:
        return default
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc:
        return default
    return candidate
