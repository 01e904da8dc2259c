"""Sign-in state: the guards on every page, the role guards and the current user."""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import Role, User
from hub.accounts.scope import Scope
from hub.accounts.services import get_user, scope_for_user
from hub.errors import HubError
from hub.web.security import (
    CSRF_COOKIE_NAME,
    CSRF_FAILURE_DETAIL,
    EXCLUDE_FROM_CSRF_KEY,
    derive_key,
    session_config,
)
from hub.web.sessions import (
    SESSION_CSRF_KEY,
    SESSION_MAX_AGE_SECONDS,
    SESSION_USER_KEY,
    is_session_revoked,
    mark_session_expired,
    session_is_current,
)

__all__ = [
    "CURRENT_USER_STATE_KEY",
    "EXCLUDE_FROM_AUTH_KEY",
    "SESSION_MAX_AGE_SECONDS",
    "SESSION_USER_KEY",
    "RoleRequiredError",
    "SignInRequiredError",
    "derive_key",
    "load_signed_in_user",
    "provide_client_scope",
    "provide_current_user",
    "requires_admin",
    "requires_sign_in",
    "requires_supervisor",
    "safe_next_url",
    "session_config",
]

# Handlers (and routers) with this opt set to True are reachable signed out.
EXCLUDE_FROM_AUTH_KEY = "exclude_from_auth"
# Connection state key under which the signed-in User is cached for the request.
CURRENT_USER_STATE_KEY = "hub_current_user"
ROLE_RANK = {Role.AGENT: 0, Role.SUPERVISOR: 1, Role.ADMIN: 2}


class SignInRequiredError(HubError):
    """The request needs a signed-in user and has none."""

    status_code = 401


class RoleRequiredError(HubError):
    """The signed-in user's role is below the one the route needs."""

    status_code = 403


async def _read_session_user(connection: ASGIConnection[Any, Any, Any, Any], session: AsyncSession) -> User | None:
    """Return the active user of the session, or None.

    A session that signed out, or that is older than a password change, is ended.
    """
    user_id = connection.session.get(SESSION_USER_KEY)
    if not user_id:
        return None
    user = await get_user(session, int(user_id))
    if (
        user is not None
        and session_is_current(user, connection.session)
        and not await is_session_revoked(session, connection.session)
    ):
        return user
    connection.clear_session()
    mark_session_expired(connection)
    return None


async def load_signed_in_user(connection: ASGIConnection[Any, Any, Any, Any]) -> User | None:
    """Return the session's user read from the database, cached on the connection state for the request."""
    if CURRENT_USER_STATE_KEY in connection.state:
        return connection.state[CURRENT_USER_STATE_KEY]
    user = None
    if connection.session.get(SESSION_USER_KEY):
        async with connection.app.state.session_factory() as session:
            user = await _read_session_user(connection, session)
    connection.state[CURRENT_USER_STATE_KEY] = user
    return user


async def requires_sign_in(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Guard: reject a request without an active signed-in user unless its handler opts out."""
    if handler.opt.get(EXCLUDE_FROM_AUTH_KEY):
        return
    if await load_signed_in_user(connection) is None:
        raise SignInRequiredError("sign in to continue")


async def _require_role(connection: ASGIConnection[Any, Any, Any, Any], role: Role) -> None:
    user = await load_signed_in_user(connection)
    if user is None:
        raise SignInRequiredError("sign in to continue")
    if ROLE_RANK[user.role] < ROLE_RANK[role]:
        raise RoleRequiredError(f"this page needs the {role.value} role: ask an admin if you need it")


async def requires_supervisor(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Guard: let supervisors and admins through; agents get 403, signed-out callers go to /login.

    Use as ``guards=[requires_supervisor]`` on a handler, controller or router. The role is read
    from the database, not the session, so a demoted user loses access at once.
    """
    await _require_role(connection, Role.SUPERVISOR)


async def requires_admin(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Guard: let only admins through; agents and supervisors get 403, signed-out callers go to /login.

    Routes reachable signed out do not use a guard: they set ``opt={EXCLUDE_FROM_AUTH_KEY: True}``
    (``exclude_from_auth=True`` as a handler keyword), which the app-wide ``requires_sign_in`` honours.
    """
    await _require_role(connection, Role.ADMIN)


async def provide_current_user(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]) -> User:
    """Return the signed-in user attached to the request's database session, loaded once per request."""
    cached = request.state.get(CURRENT_USER_STATE_KEY)
    if cached is not None:
        return await db_session.merge(cached, load=False)
    user = await _read_session_user(request, db_session)
    if user is None:
        raise SignInRequiredError("sign in to continue")
    request.state[CURRENT_USER_STATE_KEY] = user
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


UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def requires_session_csrf_token(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Guard: on a signed-in state-changing request, the CSRF cookie must be the one issued with this session.

    Litestar's check only compares the cookie with the submitted token, so a
    token issued to another visitor, planted as a cookie by a sibling
    subdomain or over plain HTTP, would pass it.
    """
    if connection.scope["method"] not in UNSAFE_METHODS or handler.opt.get(EXCLUDE_FROM_CSRF_KEY):
        return
    # Sign-in replaces the session and sign-out ends it, so neither depends on the old session's token.
    if handler.opt.get(EXCLUDE_FROM_AUTH_KEY):
        return
    if not connection.session.get(SESSION_USER_KEY):
        return
    issued = connection.session.get(SESSION_CSRF_KEY)
    cookie = connection.cookies.get(CSRF_COOKIE_NAME)
    if not isinstance(issued, str) or cookie is None or not hmac.compare_digest(issued, cookie):
        raise PermissionDeniedException(detail=CSRF_FAILURE_DETAIL)
