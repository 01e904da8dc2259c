"""Admin screens for clients (creditors): list, create, edit settings and queue priority weights."""

from __future__ import annotations

import logging
from typing import Any
from zoneinfo import available_timezones

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import User
from hub.admin.forms import FieldErrors, errors_of, read_form
from hub.admin.pages import pop_flash, render_form, set_flash
from hub.admin.services import (
    WEIGHT_FIELDS,
    change_client_details,
    change_priority_weights,
    create_client,
    list_client_rows,
)
from hub.cases.models import Case, CaseStatus
from hub.cases.priority import PriorityWeights
from hub.clients.models import Client
from hub.errors import NotFoundError, ValidationError
from hub.web.auth import requires_admin
from hub.web.htmx import is_htmx, redirect_after_post, render

logger = logging.getLogger(__name__)

CLIENTS_URL = "/admin/clients"
NEW_CLIENT_FIELDS = ("slug", "name", "currency", "timezone", "language")
DETAIL_FIELDS = ("name", "timezone", "language")
ADMIN_GUARDS = [requires_admin]
RULE_FIELDS = ("promise_grace_days", "dispute_sla_days")
# The whole days each follow-up rule may be set to, with the name an error message uses.
RULE_LIMITS = {"promise_grace_days": (0, 30, "Promise grace"), "dispute_sla_days": (1, 60, "Dispute SLA")}
TIMEZONES = sorted(available_timezones())


def client_url(client_id: int) -> str:
    return f"{CLIENTS_URL}/{client_id}"


async def find_client(session: AsyncSession, client_id: int) -> Client:
    client = await session.get(Client, client_id)
    if client is None:
        raise NotFoundError(f"client {client_id} not found: pick a client from the list of clients")
    return client


@get(CLIENTS_URL, guards=ADMIN_GUARDS)
async def show_clients(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession], current_user: NamedDependency[User]
) -> Template:
    rows = await list_client_rows(db_session)
    context = {"current_user": current_user, "rows": rows, "flash": pop_flash(request)}
    return render("admin/clients.html", context)


def new_client_context(current_user: User, form: dict[str, Any]) -> dict[str, Any]:
    return {"current_user": current_user, "form": form, "timezones": TIMEZONES}


@get(f"{CLIENTS_URL}/new", guards=ADMIN_GUARDS, sync_to_thread=False)
def show_new_client(current_user: NamedDependency[User]) -> Template:
    values = {"slug": "", "name": "", "currency": "EUR", "timezone": "UTC", "language": "en"}
    return render("admin/client_new.html", new_client_context(current_user, {"values": values, "errors": {}}))


@post(CLIENTS_URL, guards=ADMIN_GUARDS)
async def submit_new_client(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession], current_user: NamedDependency[User]
) -> Response[Any] | Template:
    values = await read_form(request, NEW_CLIENT_FIELDS)
    try:
        client = await create_client(db_session, values)
    except ValidationError as error:
        context = new_client_context(current_user, {"values": values, "errors": errors_of(error)})
        return render_form(request, "admin/client_new.html", "admin/_client_new_form.html", context, 422)
    await db_session.commit()
    logger.info("client %s created by user %s", client.id, current_user.id)

    set_flash(request, f"Client {client.slug} created.")
    return redirect_after_post(request, client_url(client.id))


async def count_open_cases(session: AsyncSession, client: Client) -> int:
    query = select(func.count(Case.id)).where(Case.client_id == client.id, Case.status == CaseStatus.OPEN)
    return await session.scalar(query) or 0


def client_values(client: Client) -> dict[str, str]:
    return {
        "name": client.name,
        "timezone": client.timezone,
        "language": client.language,
        "weight_risk": f"{client.weight_risk:g}",
        "weight_exposure": f"{client.weight_exposure:g}",
        "weight_urgency": f"{client.weight_urgency:g}",
        "promise_grace_days": str(client.promise_grace_days),
        "dispute_sla_days": str(client.dispute_sla_days),
    }


async def client_context(session: AsyncSession, current_user: User, client: Client, **extra: Any) -> dict[str, Any]:
    """Context of the client page: both forms show the stored values unless ``extra`` replaces them."""
    context = {
        "current_user": current_user,
        "client": client,
        "open_cases": await count_open_cases(session, client),
        "shares": PriorityWeights.for_client(client),
        "timezones": TIMEZONES,
        "details": {"values": client_values(client), "errors": {}},
        "weights": {"values": client_values(client), "errors": {}},
        "rules": {"values": client_values(client), "errors": {}},
        "flash": None,
    }
    context.update(extra)
    return context


@get(f"{CLIENTS_URL}/{{client_id:int}}", guards=ADMIN_GUARDS)
async def show_client(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    current_user: NamedDependency[User],
    client_id: FromPath[int],
) -> Template:
    client = await find_client(db_session, client_id)
    context = await client_context(db_session, current_user, client, flash=pop_flash(request))
    return render("admin/client_edit.html", context)


async def saved_response(
    request: Request[Any, Any, Any], session: AsyncSession, current_user: User, client: Client, fragment: str
) -> Response[Any] | Template:
    """Commit, then redirect a plain form post or send htmx the refreshed fragment with a flash."""
    await session.commit()
    logger.info("settings of client %s changed by user %s", client.id, current_user.id)
    message = f"Settings of {client.slug} saved."
    if not is_htmx(request):
        set_flash(request, message)
        return redirect_after_post(request, client_url(client.id))
    context = await client_context(session, current_user, client, flash=message)
    return render(fragment, {**context, "oob_flash": True})


@post(f"{CLIENTS_URL}/{{client_id:int}}", guards=ADMIN_GUARDS)
async def submit_client_details(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    current_user: NamedDependency[User],
    client_id: FromPath[int],
) -> Response[Any] | Template:
    client = await find_client(db_session, client_id)
    values = await read_form(request, DETAIL_FIELDS)
    try:
        await change_client_details(db_session, client, values)
    except ValidationError as error:
        details = {"values": values, "errors": errors_of(error)}
        context = await client_context(db_session, current_user, client, details=details)
        return render_form(request, "admin/client_edit.html", "admin/_client_details_form.html", context, 422)
    return await saved_response(request, db_session, current_user, client, "admin/_client_details_form.html")


@post(f"{CLIENTS_URL}/{{client_id:int}}/weights", guards=ADMIN_GUARDS)
async def submit_client_weights(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    current_user: NamedDependency[User],
    client_id: FromPath[int],
) -> Response[Any] | Template:
    client = await find_client(db_session, client_id)
    values = await read_form(request, WEIGHT_FIELDS)
    try:
        await change_priority_weights(db_session, client, values)
    except ValidationError as error:
        weights = {"values": values, "errors": errors_of(error)}
        context = await client_context(db_session, current_user, client, weights=weights)
        return render_form(request, "admin/client_edit.html", "admin/_client_weights_form.html", context, 422)
    return await saved_response(request, db_session, current_user, client, "admin/_client_weights_form.html")


def parse_rule_days(field: str, raw: str) -> int:
    """Return a follow-up rule typed into the form as whole days, or raise ValidationError naming the bounds."""
    low, high, label = RULE_LIMITS[field]
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ValidationError(f"{label} {raw!r} is invalid: enter a whole number of days from {low} to {high}")
    return int(raw)


def change_follow_up_rules(client: Client, values: dict[str, str]) -> None:
    """Set the promise grace days and the dispute SLA in working days; raise ValidationError per invalid field."""
    errors = FieldErrors()
    parsed = {field: errors.check(field, parse_rule_days, field, values[field]) for field in RULE_FIELDS}
    errors.raise_if_any()
    client.promise_grace_days = parsed["promise_grace_days"]  # type: ignore[assignment]
    client.dispute_sla_days = parsed["dispute_sla_days"]  # type: ignore[assignment]


@post(f"{CLIENTS_URL}/{{client_id:int}}/rules", guards=ADMIN_GUARDS)
async def submit_client_rules(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    current_user: NamedDependency[User],
    client_id: FromPath[int],
) -> Response[Any] | Template:
    client = await find_client(db_session, client_id)
    values = await read_form(request, RULE_FIELDS)
    try:
        change_follow_up_rules(client, values)
    except ValidationError as error:
        rules = {"values": values, "errors": errors_of(error)}
        context = await client_context(db_session, current_user, client, rules=rules)
        return render_form(request, "admin/client_edit.html", "admin/_client_rules_form.html", context, 422)
    return await saved_response(request, db_session, current_user, client, "admin/_client_rules_form.html")


CLIENT_ROUTES = [
    show_clients,
    show_new_client,
    submit_new_client,
    show_client,
    submit_client_details,
    submit_client_weights,
    submit_client_rules,
]
