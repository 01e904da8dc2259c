"""The audit log page, where supervisors and admins browse and filter it; no route changes it."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import Role, User
from hub.accounts.scope import Scope
from hub.audit.queries import AuditFilter, AuditPage, list_audit_events, list_audit_users
from hub.audit.services import ACTIONS, TARGET_TYPES
from hub.cases.routes import list_scope_clients
from hub.clients.models import Client
from hub.errors import ValidationError
from hub.web.auth import requires_supervisor
from hub.web.htmx import htmx_target, is_htmx, render

AUDIT_URL = "/audit"
AUDIT_RESULTS_ID = "audit-results"
FILTER_PARAMS = ("user", "action", "client", "from", "to", "target_type", "target_id")


def _parse_int(params: dict[str, str], name: str) -> int | None:
    value = params.get(name, "")
    if not value:
        return None
    if not value.isdigit():
        raise ValidationError(f"invalid {name} {value!r}: use a whole number such as 42", {name: "use a number"})
    return int(value)


def _parse_day(params: dict[str, str], name: str) -> date | None:
    value = params.get(name, "")
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        message = f"invalid date {value!r} for {name}: use YYYY-MM-DD, for example 2026-12-31"
        raise ValidationError(message, {name: message}) from None


def _parse_choice(params: dict[str, str], name: str, choices: tuple[str, ...]) -> str | None:
    value = params.get(name, "")
    if value and value not in choices:
        raise ValidationError(f"unknown {name} {value!r}: use one of {', '.join(choices)}")
    return value or None


def _client_id(clients: list[Client], slug: str) -> int | None:
    if not slug:
        return None
    for client in clients:
        if client.slug == slug:
            return client.id
    raise ValidationError(f"client {slug!r} not found among the clients you work on: pick one from the list")


def parse_filters(params: dict[str, str], clients: list[Client]) -> AuditFilter:
    """Turn the page's query parameters into filters; an empty parameter means no filter."""
    return AuditFilter(
        user_id=_parse_int(params, "user"),
        action=_parse_choice(params, "action", ACTIONS),
        client_id=_client_id(clients, params.get("client", "")),
        date_from=_parse_day(params, "from"),
        date_to=_parse_day(params, "to"),
        target_type=_parse_choice(params, "target_type", TARGET_TYPES),
        target_id=_parse_int(params, "target_id"),
    )


def page_url(params: dict[str, str], page: int) -> str:
    """Return the audit URL with the current filters and ``page``."""
    query = {name: params[name] for name in FILTER_PARAMS if params.get(name)}
    if page > 1:
        query["page"] = str(page)
    return f"{AUDIT_URL}?{urlencode(query)}" if query else AUDIT_URL


def _pagination(params: dict[str, str], page: AuditPage) -> dict[str, str | None]:
    previous_url = page_url(params, page.page - 1) if page.page > 1 else None
    next_url = page_url(params, page.page + 1) if page.page < page.page_count else None
    return {"previous": previous_url, "next": next_url}


def _query_params(request: Request[Any, Any, Any]) -> dict[str, str]:
    return {name: str(request.query_params.get(name, "")).strip() for name in (*FILTER_PARAMS, "page")}


@get(AUDIT_URL, guards=[requires_supervisor])
async def show_audit_log(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    current_user: NamedDependency[User],
) -> Template:
    params = _query_params(request)
    clients = await list_scope_clients(db_session, client_scope)
    filters = parse_filters(params, clients)
    is_admin = current_user.role == Role.ADMIN
    page_number = _parse_int(params, "page") or 1
    page = await list_audit_events(db_session, client_scope, filters, page_number, include_unscoped=is_admin)

    context = {
        "current_user": current_user,
        "is_admin": is_admin,
        "params": params,
        "clients": clients,
        "users": await list_audit_users(db_session, client_scope, is_admin),
        "actions": ACTIONS,
        "target_types": TARGET_TYPES,
        "page": page,
        "pagination": _pagination(params, page),
    }
    headers = {"Vary": "HX-Request", "Cache-Control": "no-store"}
    if is_htmx(request) and htmx_target(request) == AUDIT_RESULTS_ID:
        return render("audit/_events.html", context, headers=headers)
    return render("audit/log.html", context, headers=headers)


ROUTES = [show_audit_log]
