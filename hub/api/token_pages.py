"""The /account/tokens page: create, list and revoke the signed-in user's API tokens."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template
from litestar.status_codes import HTTP_201_CREATED, HTTP_422_UNPROCESSABLE_ENTITY
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import User
from hub.accounts.tokens import create_token as create_api_token
from hub.accounts.tokens import list_tokens, revoke_token
from hub.errors import ValidationError
from hub.web.htmx import is_htmx, redirect_after_post, render

TOKENS_URL = "/account/tokens"
# The response that shows a new token must not be kept by the browser or a proxy.
NO_STORE_HEADERS = {"Cache-Control": "no-store"}


def parse_expires_in_days(value: str) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        message = f"invalid expiry {value!r}: give a whole number of days, or leave it empty for no expiry"
        raise ValidationError(message, {"expires_in_days": message}) from None


async def tokens_context(session: AsyncSession, user: User, **extra: Any) -> dict[str, Any]:
    """Context of the page and its fragments: the user's tokens, the form's values and errors, a new token."""
    context: dict[str, Any] = {
        "current_user": user,
        "tokens": await list_tokens(session, user.id),
        "now": datetime.now(UTC),
        "values": {"name": "", "expires_in_days": ""},
        "errors": {},
        "new_token": None,
    }
    return context | extra


@get(TOKENS_URL)
async def show_tokens(db_session: NamedDependency[AsyncSession], current_user: NamedDependency[User]) -> Template:
    return render("accounts/tokens.html", await tokens_context(db_session, current_user))


async def _invalid_token_form(
    request: Request[Any, Any, Any], session: AsyncSession, user: User, values: dict[str, str], error: ValidationError
) -> Template:
    errors = dict(error.field_errors) or {"form": str(error)}
    context = await tokens_context(session, user, values=values, errors=errors)
    template = "accounts/_token_form.html" if is_htmx(request) else "accounts/tokens.html"
    return render(template, context, status_code=HTTP_422_UNPROCESSABLE_ENTITY)


@post(TOKENS_URL)
async def submit_new_token(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession], current_user: NamedDependency[User]
) -> Template:
    """Create a token and show it once; the page cannot show it again after this response."""
    form = await request.form()
    values = {name: str(form.get(name, "")).strip() for name in ("name", "expires_in_days")}
    try:
        expires_in_days = parse_expires_in_days(values["expires_in_days"])
        record, token = await create_api_token(db_session, current_user, values["name"], expires_in_days)
    except ValidationError as error:
        return await _invalid_token_form(request, db_session, current_user, values, error)
    await db_session.commit()

    context = await tokens_context(db_session, current_user, new_token=token, new_token_name=record.name)
    template = "accounts/_token_created.html" if is_htmx(request) else "accounts/tokens.html"
    return render(template, context, status_code=HTTP_201_CREATED, headers=NO_STORE_HEADERS)


@post(f"{TOKENS_URL}/{{token_id:int}}/revoke")
async def submit_token_revoke(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    current_user: NamedDependency[User],
    token_id: FromPath[int],
) -> Response[Any] | Template:
    await revoke_token(db_session, current_user.id, token_id)
    await db_session.commit()

    if not is_htmx(request):
        return redirect_after_post(request, TOKENS_URL)
    return render("accounts/_token_list.html", await tokens_context(db_session, current_user))


ROUTES = [show_tokens, submit_new_token, submit_token_revoke]
