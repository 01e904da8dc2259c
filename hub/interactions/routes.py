"""Logging an outcome from the case workspace, and the timeline fragment the workspace reloads."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_422_UNPROCESSABLE_ENTITY
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import User
from hub.accounts.scope import Scope
from hub.audit.services import record_interaction_created
from hub.cases.routes import head_context, outcome_form_context, workspace_context
from hub.cases.workspace import get_case, load_workspace
from hub.errors import ValidationError
from hub.interactions.fields import parse_amount_text, parse_day, parse_time_of_day
from hub.interactions.models import CallOutcome
from hub.interactions.services import PaidClaim, log_call_outcome
from hub.interactions.timeline import DEFAULT_FILTER, TIMELINE_FILTERS, list_timeline, parse_timeline_filter
from hub.web.htmx import is_htmx, render
from hub.web.ids import require_row_ids

OUTCOME_FIELDS = (
    "channel",
    "outcome",
    "note",
    "next_action_on",
    "next_action_time",
    "paid_on",
    "paid_amount",
    "paid_reference",
)
# The outcome select's value for "no outcome", which only a note may have. The service receives it as empty.
NO_OUTCOME = "none"
# The id of the timeline's filter form; htmx sends it as HX-Trigger when a filter button is pressed.
TIMELINE_FILTER_FORM_ID = "timeline-filter"


def parse_next_action_on(value: str) -> date | None:
    return parse_day("next_action_on", "Next action date", value)


async def read_outcome_form(request: Request[Any, Any, Any]) -> dict[str, str]:
    form = await request.form()
    return {name: str(form.get(name, "")).strip() for name in OUTCOME_FIELDS}


async def invalid_outcome_response(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    scope: Scope,
    case_id: int,
    current_user: User,
    values: dict[str, str],
    error: ValidationError,
) -> Template:
    """Show the form again with the submitted values and an error next to each invalid field."""
    workspace = await load_workspace(session, scope, case_id)
    form = outcome_form_context(case_id, values, error, contact_zone=workspace.contact_zone)
    if is_htmx(request):
        headers = {"HX-Retarget": "#outcome-form", "HX-Reswap": "outerHTML"}
        return render("cases/_outcome_form.html", {"form": form}, status_code=422, headers=headers)
    context = await workspace_context(session, scope, case_id, current_user, form)
    return render("cases/workspace.html", context, status_code=HTTP_422_UNPROCESSABLE_ENTITY)


@post("/cases/{case_id:int}/outcomes", guards=[require_row_ids])
async def submit_call_outcome(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    current_user: NamedDependency[User],
    case_id: FromPath[int],
) -> Response[Any] | Template:
    case = await get_case(db_session, client_scope, case_id)
    currency = case.currency
    values = await read_outcome_form(request)
    try:
        paid = PaidClaim(
            paid_on=parse_day("paid_on", "Paid on", values["paid_on"]),
            amount_minor=parse_amount_text("paid_amount", "Amount paid", values["paid_amount"], currency),
            reference=values["paid_reference"] or None,
        )
        interaction = await log_call_outcome(
            db_session,
            client_scope,
            case_id,
            current_user.id,
            outcome="" if values["outcome"] == NO_OUTCOME else values["outcome"],
            note=values["note"] or None,
            next_action_on=parse_next_action_on(values["next_action_on"]),
            channel=values["channel"] or "call",
            next_action_time=parse_time_of_day("next_action_time", "Call-back time", values["next_action_time"]),
            paid=paid,
        )
    except ValidationError as error:
        # Rolling back expires every loaded object, so the user is reloaded before the page uses it.
        await db_session.rollback()
        await db_session.refresh(current_user)
        return await invalid_outcome_response(request, db_session, client_scope, case_id, current_user, values, error)
    await db_session.commit()
    await record_interaction_created(db_session, current_user, interaction)

    if not is_htmx(request):
        return Redirect(path=f"/cases/{case_id}", status_code=HTTP_303_SEE_OTHER)
    outcome = CallOutcome(interaction.outcome) if interaction.outcome else None
    workspace = await load_workspace(db_session, client_scope, case_id)
    context = {
        **head_context(workspace, current_user),
        "form": outcome_form_context(case_id, contact_zone=workspace.contact_zone),
        "debtor": workspace.debtor,
        "logged_outcome": outcome,
        "logged_channel": interaction.channel,
        "timeline": await list_timeline(db_session, client_scope, case_id, current_timeline_kind(request)),
        # Rendered with the page's own filter, so the swapped-in section need not reload itself.
        "timeline_fresh": True,
    }
    return render("cases/_outcome_saved.html", context)


def current_timeline_kind(request: Request[Any, Any, Any]) -> str:
    """Return the timeline filter in the ?kind= of the page that sent an htmx request, or "all".

    The filter buttons push their filter into the page address, so a reload
    triggered by an event keeps the filter the agent chose. A value that is not
    a filter name counts as "all" rather than failing the reload.
    """
    query = urlsplit(request.headers.get("hx-current-url", "")).query
    kind = parse_qs(query).get("kind", [DEFAULT_FILTER])[0]
    return kind if kind in TIMELINE_FILTERS else DEFAULT_FILTER


def workspace_url(case_id: int, kind: str) -> str:
    query = f"?{urlencode({'kind': kind})}" if kind != DEFAULT_FILTER else ""
    return f"/cases/{case_id}{query}"


# The timeline section (templates/cases/_timeline.html, id "timeline") reloads itself
# through this route when the "timeline-changed" event reaches the page body.
# A panel that adds a promise, dispute or payment fires it with the response
# header `HX-Trigger: timeline-changed`, and the numbers panel listens for it too.
@get("/cases/{case_id:int}/timeline", guards=[require_row_ids])
async def show_timeline(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    case_id: FromPath[int],
    kind: FromQuery[str | None] = None,
) -> Response[Any] | Template:
    """Return the timeline section for htmx; a plain browser request goes to the workspace with the filter.

    Without ?kind= the filter of the page that sent the request applies.
    """
    name = parse_timeline_filter(kind) if kind is not None else current_timeline_kind(request)
    if not is_htmx(request):
        await get_case(db_session, client_scope, case_id)
        return Redirect(path=f"{workspace_url(case_id, name)}#timeline", status_code=HTTP_303_SEE_OTHER)
    context = {"timeline": await list_timeline(db_session, client_scope, case_id, name)}
    headers = {"Vary": "HX-Request"}
    if request.headers.get("hx-trigger") == TIMELINE_FILTER_FORM_ID:
        # A filter button keeps a real address in the location bar, so reload and back work.
        headers["HX-Push-Url"] = workspace_url(case_id, name)
    return render("cases/_timeline.html", context, headers=headers)


ROUTES = [submit_call_outcome, show_timeline]
