"""Bearer-token sign-in for the JSON API.

The API accepts only ``Authorization: Bearer <token>``, and a session
cookie does not authenticate an API request. That is why the API router
may skip the CSRF check: a cross-site page can make a browser send the
hub's cookies, but not an Authorization header, because that header needs
a CORS preflight that the hub does not allow.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import User
from hub.accounts.tokens import InvalidTokenError, authenticate_token
from hub.web.auth import CURRENT_USER_STATE_KEY

BEARER_SCHEME = "bearer"
MISSING_TOKEN_MESSAGE = "an API token is required: send the header Authorization: Bearer <token>"


def read_bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """Return the token of the Authorization header, or raise InvalidTokenError when there is none."""
    scheme, _, token = connection.headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() != BEARER_SCHEME or not token.strip():
        raise InvalidTokenError(MISSING_TOKEN_MESSAGE)
    return token.strip()


async def requires_api_token(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Guard: let a request through only with a valid bearer token, and cache its user for the request.

    The user goes under the same state key the session guards use, so the
    role guards (``requires_supervisor``, ``requires_admin``) work on API
    routes too.
    """
    token = read_bearer_token(connection)
    async with connection.app.state.session_factory() as session:
        user = await authenticate_token(session, token)
        await session.commit()
    connection.state[CURRENT_USER_STATE_KEY] = user


async def provide_api_user(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]) -> User:
    """Return the token's user, attached to the request's database session."""
    user = request.state.get(CURRENT_USER_STATE_KEY)
    if user is None:
        raise InvalidTokenError(MISSING_TOKEN_MESSAGE)
    return await db_session.merge(user, load=False)
