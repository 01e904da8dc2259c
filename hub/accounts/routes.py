"""Sign-in and sign-out pages."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.services import authenticate
from hub.web.auth import EXCLUDE_FROM_AUTH_KEY, SESSION_USER_KEY, safe_next_url
from hub.web.htmx import render

HOME_URL = "/queues/call"
INVALID_SIGN_IN_MESSAGE = "Invalid email or password."


@get("/login", opt={EXCLUDE_FROM_AUTH_KEY: True})
async def show_login(
    request: Request[Any, Any, Any], next_url: Annotated[str | None, QueryParameter(name="next")] = None
) -> Response[Any] | Template:
    next_url = safe_next_url(next_url, HOME_URL)
    if request.session.get(SESSION_USER_KEY):
        return Redirect(path=next_url, status_code=HTTP_303_SEE_OTHER)
    return render("accounts/login.html", {"next_url": next_url, "email": "", "error": None})


@post("/login", opt={EXCLUDE_FROM_AUTH_KEY: True})
async def submit_login(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
) -> Response[Any] | Template:
    form = await request.form()
    email = str(form.get("email", ""))
    next_url = safe_next_url(str(form.get("next", "")), HOME_URL)
    user = await authenticate(db_session, email, str(form.get("password", "")))
    if user is None:
        context = {"next_url": next_url, "email": email, "error": INVALID_SIGN_IN_MESSAGE}
        return render("accounts/login.html", context, status_code=HTTP_400_BAD_REQUEST)

    await db_session.commit()
    request.set_session({SESSION_USER_KEY: user.id})
    return Redirect(path=next_url, status_code=HTTP_303_SEE_OTHER)


@post("/logout", opt={EXCLUDE_FROM_AUTH_KEY: True})
async def submit_logout(request: Request[Any, Any, Any]) -> Response[Any]:
    request.clear_session()
    return Redirect(path="/login", status_code=HTTP_303_SEE_OTHER)


ROUTES = [show_login, submit_login, submit_logout]
