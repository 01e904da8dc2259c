"""Admin screens for user accounts: list, create, change role and clients, deactivate."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Template
from litestar.status_codes import HTTP_409_CONFLICT
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import Role, User
from hub.accounts.services import find_user, list_users, set_user_active
from hub.admin.forms import errors_of, read_choices, read_form
from hub.admin.pages import (
    NO_STORE_HEADERS,
    pop_flash,
    pop_new_password,
    remember_new_password,
    render_form,
    set_flash,
)
from hub.admin.services import change_access, create_user, list_all_clients
from hub.clients.models import Client
from hub.errors import ConflictError, NotFoundError, ValidationError
from hub.web.auth import requires_admin
from hub.web.htmx import htmx_target, is_htmx, redirect_after_post, render

logger = logging.getLogger(__name__)

USERS_URL = "/admin/users"
USERS_RESULTS_ID = "users-results"
NEW_USER_FIELDS = ("email", "name", "role", "password")
ADMIN_GUARDS = [requires_admin]


def user_url(user_id: int) -> str:
    return f"{USERS_URL}/{user_id}"


def resolve_role(role: str | None) -> Role | None:
    if not role:
        return None
    if role not in {member.value for member in Role}:
        raise ValidationError(f"unknown role {role!r}: filter by agent, supervisor or admin")
    return Role(role)


def resolve_client(clients: list[Client], slug: str | None) -> Client | None:
    if not slug:
        return None
    client = next((client for client in clients if client.slug == slug), None)
    if client is None:
        raise NotFoundError(f"unknown client {slug!r}: choose a client from the filter list")
    return client


@get(USERS_URL, guards=ADMIN_GUARDS)
async def show_users(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    current_user: NamedDependency[User],
    role: Annotated[str | None, QueryParameter(name="role")] = None,
    client_slug: Annotated[str | None, QueryParameter(name="client")] = None,
) -> Template:
    clients = await list_all_clients(db_session)
    selected_role, selected_client = resolve_role(role), resolve_client(clients, client_slug)
    client_id = selected_client.id if selected_client else None
    users = await list_users(db_session, role=selected_role, client_id=client_id)

    context = {
        "current_user": current_user,
        "users": users,
        "clients": clients,
        "roles": list(Role),
        "selected_role": selected_role,
        "selected_client": selected_client,
        "flash": pop_flash(request),
    }
    headers = {"Vary": "HX-Request"}
    if is_htmx(request) and htmx_target(request) == USERS_RESULTS_ID:
        return render("admin/_users_table.html", context, headers=headers)
    return render("admin/users.html", context, headers=headers)


async def new_user_context(session: AsyncSession, current_user: User, form: dict[str, Any]) -> dict[str, Any]:
    clients = await list_all_clients(session)
    return {"current_user": current_user, "clients": clients, "roles": list(Role), "form": form}


@get(f"{USERS_URL}/new", guards=ADMIN_GUARDS)
async def show_new_user(db_session: NamedDependency[AsyncSession], current_user: NamedDependency[User]) -> Template:
    values = {"email": "", "name": "", "role": Role.AGENT.value, "password": "", "clients": []}
    context = await new_user_context(db_session, current_user, {"values": values, "errors": {}})
    return render("admin/user_new.html", context)


@post(USERS_URL, guards=ADMIN_GUARDS)
async def submit_new_user(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession], current_user: NamedDependency[User]
) -> Response[Any] | Template:
    values = await read_form(request, NEW_USER_FIELDS)
    client_slugs = await read_choices(request, "clients")
    try:
        created = await create_user(db_session, values, client_slugs)
    except ValidationError as error:
        # The typed password is never sent back into the page.
        form = {"values": {**values, "password": "", "clients": client_slugs}, "errors": errors_of(error)}
        context = await new_user_context(db_session, current_user, form)
        return render_form(request, "admin/user_new.html", "admin/_user_new_form.html", context, 422)
    await db_session.commit()
    logger.info("user %s created by user %s", created.user.id, current_user.id)

    if created.generated_password:
        remember_new_password(request, created.user.id, created.generated_password)
    set_flash(request, f"User {created.user.email} created.")
    return redirect_after_post(request, user_url(created.user.id))


async def user_context(session: AsyncSession, current_user: User, user: User, **extra: Any) -> dict[str, Any]:
    """Context of the user page: the access form (values from ``user`` unless given) and the status panel."""
    clients = await list_all_clients(session)
    values = {"role": user.role.value, "clients": [client.slug for client in user.clients]}
    context = {
        "current_user": current_user,
        "user": user,
        "clients": clients,
        "roles": list(Role),
        "form": {"values": values, "errors": {}},
        "status_error": None,
        "flash": None,
        "new_password": None,
    }
    context.update(extra)
    return context


@get(f"{USERS_URL}/{{user_id:int}}", guards=ADMIN_GUARDS)
async def show_user(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    current_user: NamedDependency[User],
    user_id: FromPath[int],
) -> Template:
    user = await find_user(db_session, user_id)
    new_password = pop_new_password(request, user.id)
    context = await user_context(db_session, current_user, user, flash=pop_flash(request), new_password=new_password)

    headers = NO_STORE_HEADERS if new_password else {}
    return render("admin/user_edit.html", context, headers=headers)


@post(f"{USERS_URL}/{{user_id:int}}", guards=ADMIN_GUARDS)
async def submit_user_access(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    current_user: NamedDependency[User],
    user_id: FromPath[int],
) -> Response[Any] | Template:
    user = await find_user(db_session, user_id)
    values = {**await read_form(request, ("role",)), "clients": await read_choices(request, "clients")}
    try:
        await change_access(db_session, user, values["role"], values["clients"])
    except ValidationError as error:
        form = {"values": values, "errors": errors_of(error)}
        context = await user_context(db_session, current_user, user, form=form)
        return render_form(request, "admin/user_edit.html", "admin/_user_access_form.html", context, 422)
    except ConflictError as error:
        logger.info("role change of user %s rejected: last active admin", user.id)
        form = {"values": values, "errors": {"role": str(error)}}
        context = await user_context(db_session, current_user, user, form=form)
        return render_form(request, "admin/user_edit.html", "admin/_user_access_form.html", context, 409)
    await db_session.commit()
    logger.info("role and clients of user %s changed by user %s", user.id, current_user.id)

    message = f"Role and clients of {user.email} saved."
    if not is_htmx(request):
        set_flash(request, message)
        return redirect_after_post(request, user_url(user.id))
    context = await user_context(db_session, current_user, user, flash=message)
    return render("admin/_user_access_form.html", {**context, "oob_flash": True})


async def change_active(
    request: Request[Any, Any, Any], session: AsyncSession, current_user: User, user_id: int, active: bool
) -> Response[Any] | Template:
    """Deactivate or reactivate a user, then respond with the status panel, the page or a redirect."""
    user = await find_user(session, user_id)
    try:
        await set_user_active(session, user, active)
    except ConflictError as error:
        logger.info("status change of user %s rejected: last active admin", user.id)
        context = await user_context(session, current_user, user, status_error=str(error))
        return render_form(request, "admin/user_edit.html", "admin/_user_status.html", context, HTTP_409_CONFLICT)
    await session.commit()
    logger.info("user %s %s by user %s", user.id, "reactivated" if active else "deactivated", current_user.id)

    message = f"{user.email} {'reactivated' if active else 'deactivated'}."
    if user.id == current_user.id and not active:
        request.clear_session()
        return redirect_after_post(request, "/login")
    if not is_htmx(request):
        set_flash(request, message)
        return redirect_after_post(request, user_url(user.id))
    context = await user_context(session, current_user, user, flash=message)
    return render("admin/_user_status.html", {**context, "oob_flash": True})


@post(f"{USERS_URL}/{{user_id:int}}/deactivate", guards=ADMIN_GUARDS)
async def deactivate_user(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    current_user: NamedDependency[User],
    user_id: FromPath[int],
) -> Response[Any] | Template:
    return await change_active(request, db_session, current_user, user_id, active=False)


@post(f"{USERS_URL}/{{user_id:int}}/reactivate", guards=ADMIN_GUARDS)
async def reactivate_user(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    current_user: NamedDependency[User],
    user_id: FromPath[int],
) -> Response[Any] | Template:
    return await change_active(request, db_session, current_user, user_id, active=True)


USER_ROUTES = [
    show_users,
    show_new_user,
    submit_new_user,
    show_user,
    submit_user_access,
    deactivate_user,
    reactivate_user,
]
