"""The admin page of retention policies: settings per client, a preview and the switch."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import User
from hub.accounts.scope import Scope
from hub.cases.routes import list_scope_clients
from hub.clients.models import Client
from hub.errors import NotFoundError, ValidationError
from hub.privacy.retention import (
    PREVIEW_DEBTORS_SHOWN,
    RetentionPreview,
    get_policy,
    preview_retention,
    save_policy,
)
from hub.web.auth import requires_admin
from hub.web.htmx import is_htmx, redirect_after_post, render

RETENTION_URL = "/admin/retention"
POLICY_FIELDS = ("settled_case_years", "unmatched_inbound_days")


def section_context(preview: RetentionPreview, values: dict[str, Any] | None = None) -> dict[str, Any]:
    """Context of one client's section: its form values, errors and the preview of its saved policy."""
    policy = preview.policy
    form_values = values or {
        "enabled": policy.enabled,
        "settled_case_years": str(policy.settled_case_years),
        "unmatched_inbound_days": str(policy.unmatched_inbound_days),
    }
    return {"preview": preview, "values": form_values, "errors": {}, "saved": False, "shown": PREVIEW_DEBTORS_SHOWN}


async def page_sections(
    session: AsyncSession, clients: list[Client], saved_slug: str | None, replaced: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Return a section per client; ``replaced`` replaces its own client's section."""
    sections = []
    for client in clients:
        if replaced is not None and replaced["preview"].client.id == client.id:
            sections.append(replaced)
            continue
        section = section_context(await preview_retention(session, client))
        section["saved"] = client.slug == saved_slug
        sections.append(section)
    return sections


@get(RETENTION_URL, guards=[requires_admin])
async def show_retention(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    current_user: NamedDependency[User],
) -> Template:
    clients = await list_scope_clients(db_session, client_scope)
    sections = await page_sections(db_session, clients, request.query_params.get("saved"))
    return render("privacy/retention.html", {"current_user": current_user, "sections": sections})


def _parse_whole_number(name: str, value: str) -> int:
    if not value.strip().isdigit():
        message = f"{name} {value!r} is not a whole number: enter digits only, for example 7"
        raise ValidationError(message, {name: message})
    return int(value)


async def _client_in_scope(session: AsyncSession, scope: Scope, client_id: int) -> Client:
    client = await session.get(Client, client_id)
    if client is None or not scope.allows(client.id):
        raise NotFoundError(f"client {client_id} not found among the clients you work on: pick one on {RETENTION_URL}")
    return client


async def _invalid_policy_response(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    scope: Scope,
    current_user: User,
    client: Client,
    values: dict[str, Any],
    error: ValidationError,
) -> Template:
    """Show the client's form again with the submitted values; nothing was stored."""
    section = section_context(await preview_retention(session, client), values)
    section["errors"] = dict(error.field_errors) or {"form": str(error)}
    status = HTTP_422_UNPROCESSABLE_ENTITY
    if is_htmx(request):
        return render("privacy/_retention_client.html", section, status_code=status)
    sections = await page_sections(session, await list_scope_clients(session, scope), None, section)
    return render("privacy/retention.html", {"current_user": current_user, "sections": sections}, status_code=status)


@post(f"{RETENTION_URL}/{{client_id:int}}", guards=[requires_admin])
async def submit_retention_policy(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    current_user: NamedDependency[User],
    client_id: FromPath[int],
) -> Response[Any] | Template:
    client = await _client_in_scope(db_session, client_scope, client_id)
    form = await request.form()
    values: dict[str, Any] = {name: str(form.get(name, "")).strip() for name in POLICY_FIELDS}
    values["enabled"] = form.get("enabled") == "on"
    try:
        numbers = {name: _parse_whole_number(name, values[name]) for name in POLICY_FIELDS}
        await save_policy(db_session, current_user, client, enabled=values["enabled"], **numbers)
    except ValidationError as error:
        return await _invalid_policy_response(request, db_session, client_scope, current_user, client, values, error)
    await db_session.commit()

    if not is_htmx(request):
        return redirect_after_post(request, f"{RETENTION_URL}?saved={client.slug}#retention-{client.slug}")
    section = section_context(await preview_retention(db_session, client, await get_policy(db_session, client.id)))
    section["saved"] = True
    return render("privacy/_retention_client.html", section)


ROUTES = [show_retention, submit_retention_policy]
