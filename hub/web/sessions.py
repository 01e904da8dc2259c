"""The encrypted session cookie: its lifetime, rotation on sign-in and what an unreadable cookie means.

A session contains the user id, a random session id and the sign-in time.
A cookie that is expired, tampered with or sealed with another secret
reads as an empty session, and the request is marked so the sign-in
page can say that the session expired.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware.session.client_side import ClientSideSessionBackend, CookieBackendConfig
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import RevokedSession, User
from hub.db import utcnow

SESSION_USER_KEY = "user_id"
SESSION_ID_KEY = "sid"
SESSION_SIGNED_IN_AT_KEY = "signed_in_at"
# The CSRF token issued with this session; state-changing requests must carry it.
SESSION_CSRF_KEY = "csrf"
# The client whose queue a multi-client user works now: a client slug, or ALL_CLIENTS.
SESSION_CLIENT_KEY = "client"
ALL_CLIENTS = "all"
# A session ends 12 hours after sign-in (one long shift), however active it is.
SESSION_MAX_AGE_SECONDS = 12 * 60 * 60
# Connection state flag set when the request carried a session cookie that could not be used.
SESSION_EXPIRED_STATE_KEY = "hub_session_expired"


def mark_session_expired(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    connection.scope.setdefault("state", {})[SESSION_EXPIRED_STATE_KEY] = True  # type: ignore[typeddict-item]


def session_expired(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    return bool(connection.scope.get("state", {}).get(SESSION_EXPIRED_STATE_KEY))


def is_past_lifetime(data: dict[str, Any], now: float) -> bool:
    signed_in_at = data.get(SESSION_SIGNED_IN_AT_KEY)
    if not isinstance(signed_in_at, int | float):
        return True
    return now - signed_in_at > SESSION_MAX_AGE_SECONDS


class HubSessionBackend(ClientSideSessionBackend):
    """Cookie sessions that treat any unreadable or outlived cookie as signed out."""

    async def load_from_connection(self, connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any]:
        cookie_keys = self.get_cookie_keys(connection)
        if not cookie_keys:
            return {}
        try:
            data = self.load_data([connection.cookies[key].encode("utf-8") for key in cookie_keys])
        except Exception:  # noqa: BLE001 - a forged cookie can fail in base64, AES-GCM or JSON decoding
            data = {}
        if not isinstance(data, dict) or not data or is_past_lifetime(data, time.time()):
            mark_session_expired(connection)
            return {}
        return data


@dataclass
class HubSessionConfig(CookieBackendConfig):
    _backend_class = HubSessionBackend  # type: ignore[assignment]


def new_session(user: User, csrf_token: str, client: str | None = None) -> dict[str, Any]:
    """Return the contents of a fresh session for ``user``, with a new random session id and its CSRF token."""
    data: dict[str, Any] = {
        SESSION_USER_KEY: user.id,
        SESSION_ID_KEY: secrets.token_urlsafe(16),
        SESSION_SIGNED_IN_AT_KEY: time.time(),
        SESSION_CSRF_KEY: csrf_token,
    }
    if client:
        data[SESSION_CLIENT_KEY] = client
    return data


def session_is_current(user: User, session: dict[str, Any]) -> bool:
    """False when the user's password changed after this session signed in."""
    if user.password_changed_at is None:
        return True
    signed_in_at = session.get(SESSION_SIGNED_IN_AT_KEY, 0)
    return float(signed_in_at) >= user.password_changed_at.timestamp()


async def revoke_session(db_session: AsyncSession, session: dict[str, Any]) -> None:
    """Record the session's id as signed out, so a copy of its cookie no longer signs anyone in.

    Cookie sessions live in the browser, so clearing the cookie alone would
    leave any copy of it valid until it expires.
    """
    session_id = session.get(SESSION_ID_KEY)
    user_id = session.get(SESSION_USER_KEY)
    if not isinstance(session_id, str) or not isinstance(user_id, int):
        return
    signed_in_at = float(session.get(SESSION_SIGNED_IN_AT_KEY, 0))
    expires_at = datetime.fromtimestamp(signed_in_at + SESSION_MAX_AGE_SECONDS, UTC)
    await db_session.execute(delete(RevokedSession).where(RevokedSession.expires_at < utcnow()))
    if await db_session.get(RevokedSession, session_id) is None:
        db_session.add(RevokedSession(session_id=session_id, user_id=user_id, expires_at=expires_at))
    await db_session.commit()


async def is_session_revoked(db_session: AsyncSession, session: dict[str, Any]) -> bool:
    session_id = session.get(SESSION_ID_KEY)
    if not isinstance(session_id, str):
        return True
    query = select(RevokedSession.session_id).where(RevokedSession.session_id == session_id)
    return await db_session.scalar(query) is not None


def remembered_client_slug(connection: ASGIConnection[Any, Any, Any, Any], allowed_slugs: set[str]) -> str | None:
    """Return the session's current client slug when it is still among ``allowed_slugs``; None means all."""
    slug = connection.session.get(SESSION_CLIENT_KEY)
    return slug if slug in allowed_slugs else None
