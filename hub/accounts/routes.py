"""Sign-in, sign-out, password change and the client switcher."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST, HTTP_429_TOO_MANY_REQUESTS
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import User
from hub.accounts.passwords import NEW_PASSWORD_MIN_LENGTH, change_password
from hub.accounts.scope import Scope
from hub.accounts.services import authenticate
from hub.accounts.throttle import (
    ThrottleKind,
    ThrottleState,
    check_sign_in_allowed,
    record_failed_sign_in,
    reset_account_failures,
)
from hub.clients.models import Client
from hub.db import utcnow
from hub.errors import NotFoundError, ValidationError
from hub.settings import Settings
from hub.web.auth import EXCLUDE_FROM_AUTH_KEY, load_signed_in_user, safe_next_url
from hub.web.htmx import redirect_after_post, render
from hub.web.security import rotate_csrf_cookie
from hub.web.sessions import ALL_CLIENTS, SESSION_CLIENT_KEY, SESSION_CSRF_KEY, new_session, revoke_session

logger = logging.getLogger(__name__)

HOME_URL = "/queues/call"
PASSWORD_URL = "/account/password"
INVALID_SIGN_IN_MESSAGE = "Invalid email or password."
EXPIRED_SESSION_MESSAGE = "Your session expired: sign in again."
PASSWORD_CHANGED_MESSAGE = "Password changed. Other browsers signed in as you are now signed out."


def client_address(request: Request[Any, Any, Any]) -> str:
    # NOTE: behind a reverse proxy this is the proxy's address; the app reads no X-Forwarded-For.
    return request.client.host if request.client else "unknown"


def throttle_message(state: ThrottleState, now: datetime) -> str:
    if state.kind == ThrottleKind.ADDRESS:
        minutes = max(1, round(state.retry_after_seconds(now) / 60))
        return f"Too many failed sign-ins from your network: try again in {minutes} minutes."
    assert state.retry_at is not None
    return f"Too many failed sign-ins; try again after {state.retry_at:%H:%M} UTC."


def login_page(next_url: str, email: str = "", error: str | None = None, status_code: int = 200) -> Template:
    context = {"next_url": next_url, "email": email, "error": error}
    return render("accounts/login.html", context, status_code=status_code)


def throttled_login_page(next_url: str, email: str, state: ThrottleState, now: datetime) -> Template:
    # The log names no email or address, only which throttle applied and until when.
    logger.info("sign-in throttled by %s limit until %s", state.kind, state.retry_at)
    page = login_page(next_url, email, throttle_message(state, now), HTTP_429_TOO_MANY_REQUESTS)
    page.headers["Retry-After"] = str(state.retry_after_seconds(now))
    return page


def throttled_password_page(current_user: User, state: ThrottleState, now: datetime) -> Template:
    logger.info("password change throttled by %s limit until %s", state.kind, state.retry_at)
    errors = {"current_password": throttle_message(state, now)}
    page = password_page(current_user, errors, HTTP_429_TOO_MANY_REQUESTS)
    page.headers["Retry-After"] = str(state.retry_after_seconds(now))
    return page


@get("/login", opt={EXCLUDE_FROM_AUTH_KEY: True})
async def show_login(
    request: Request[Any, Any, Any],
    next_url: Annotated[str | None, QueryParameter(name="next")] = None,
    expired: Annotated[str | None, QueryParameter(name="expired")] = None,
) -> Response[Any] | Template:
    next_url = safe_next_url(next_url, HOME_URL)
    if await load_signed_in_user(request) is not None:
        return Redirect(path=next_url, status_code=HTTP_303_SEE_OTHER)
    return login_page(next_url, error=EXPIRED_SESSION_MESSAGE if expired else None)


async def sign_in_response(
    request: Request[Any, Any, Any], session: AsyncSession, settings: Settings, user: User, next_url: str
) -> Response[Any]:
    """Start a new session for ``user`` and rotate the CSRF token, so nothing set before sign-in carries over."""
    await reset_account_failures(session, user.email)
    await session.commit()
    response = Redirect(path=next_url, status_code=HTTP_303_SEE_OTHER)
    csrf_token = rotate_csrf_cookie(response, settings)
    request.set_session(new_session(user, csrf_token))
    return response


@post("/login", opt={EXCLUDE_FROM_AUTH_KEY: True})
async def submit_login(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession], settings: NamedDependency[Settings]
) -> Response[Any] | Template:
    form = await request.form()
    email = str(form.get("email", ""))
    next_url = safe_next_url(str(form.get("next", "")), HOME_URL)
    address, now = client_address(request), utcnow()
    throttled = await check_sign_in_allowed(db_session, email, address, now)
    if throttled.retry_at is not None:
        return throttled_login_page(next_url, email, throttled, now)

    user = await authenticate(db_session, email, str(form.get("password", "")))
    if user is not None:
        return await sign_in_response(request, db_session, settings, user, next_url)
    locked = await record_failed_sign_in(db_session, email, address, now)
    await db_session.commit()
    if locked.retry_at is not None:
        return throttled_login_page(next_url, email, locked, now)
    return login_page(next_url, email, INVALID_SIGN_IN_MESSAGE, HTTP_400_BAD_REQUEST)


@post("/logout", opt={EXCLUDE_FROM_AUTH_KEY: True})
async def submit_logout(
    request: Request[Any, Any, Any], settings: NamedDependency[Settings], db_session: NamedDependency[AsyncSession]
) -> Response[Any]:
    await revoke_session(db_session, request.session)
    request.clear_session()
    response = Redirect(path="/login", status_code=HTTP_303_SEE_OTHER)
    rotate_csrf_cookie(response, settings)
    return response


def password_page(current_user: User, errors: dict[str, str] | None = None, status_code: int = 200) -> Template:
    context = {
        "current_user": current_user,
        "errors": errors or {},
        "min_length": NEW_PASSWORD_MIN_LENGTH,
        "notice": None,
    }
    return render("accounts/password.html", context, status_code=status_code)


@get(PASSWORD_URL)
async def show_password_form(current_user: NamedDependency[User], changed: FromQuery[str | None] = None) -> Template:
    page = password_page(current_user)
    page.context["notice"] = PASSWORD_CHANGED_MESSAGE if changed else None
    return page


@post(PASSWORD_URL)
async def submit_password_change(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession], current_user: NamedDependency[User]
) -> Response[Any] | Template:
    form = await request.form()
    fields = ("current_password", "new_password", "confirm_password")
    current, new, confirmation = (str(form.get(name, "")) for name in fields)
    # Wrong current passwords count toward the sign-in lock, so a borrowed
    # session cannot guess the password here without limit.
    address, now = client_address(request), utcnow()
    throttled = await check_sign_in_allowed(db_session, current_user.email, address, now)
    if throttled.retry_at is not None:
        return throttled_password_page(current_user, throttled, now)
    try:
        await change_password(db_session, current_user, current, new, confirmation)
    except ValidationError as error:
        await db_session.rollback()
        await db_session.refresh(current_user)
        if "current_password" in error.field_errors:
            await record_failed_sign_in(db_session, current_user.email, address, now)
            await db_session.commit()
        return password_page(current_user, dict(error.field_errors), HTTP_400_BAD_REQUEST)
    await db_session.commit()

    # A new session for this browser, signed in after the change, keeps it signed in.
    csrf_token = str(request.session.get(SESSION_CSRF_KEY, ""))
    request.set_session(new_session(current_user, csrf_token, request.session.get(SESSION_CLIENT_KEY)))
    return redirect_after_post(request, f"{PASSWORD_URL}?changed=1")


async def scope_client_slugs(session: AsyncSession, scope: Scope) -> set[str]:
    query = select(Client.slug).where(Client.id.in_(scope.client_ids))
    return set((await session.scalars(query)).all())


@post("/account/client")
async def switch_client(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession], client_scope: NamedDependency[Scope]
) -> Response[Any]:
    """Remember the client whose queue this user works now, or all of them."""
    form = await request.form()
    slug = str(form.get("client", "")).strip() or ALL_CLIENTS
    if slug != ALL_CLIENTS and slug not in await scope_client_slugs(db_session, client_scope):
        raise NotFoundError(f"client {slug!r} not found among the clients you work on: pick one from the list")

    request.set_session({**request.session, SESSION_CLIENT_KEY: slug})
    return redirect_after_post(request, safe_next_url(str(form.get("next", "")), HOME_URL))


ROUTES = [show_login, submit_login, submit_logout, show_password_form, submit_password_change, switch_client]
