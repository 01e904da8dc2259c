"""Call queue page, "Next case" and the case workspace."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_301_MOVED_PERMANENTLY, HTTP_303_SEE_OTHER
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import User
from hub.accounts.scope import Scope
from hub.audit.services import record_case_viewed
from hub.cases.claims import Claim, release_claim, take_next_claim
from hub.cases.models import Case, CaseStatus, Segment
from hub.cases.numbers import case_numbers
from hub.cases.priority import client_today
from hub.cases.queue import count_call_queue, list_call_queue
from hub.cases.workspace import Workspace, get_case, load_workspace
from hub.clients.models import Client
from hub.disputes.panel import dispute_panel
from hub.errors import NotFoundError, ValidationError
from hub.interactions.callback import CALL_WINDOW_END, CALL_WINDOW_START
from hub.interactions.models import CallOutcome, Channel
from hub.interactions.timeline import CHANNEL_LABELS, list_timeline
from hub.payments.checks import PAYMENT_CHECK_DAYS
from hub.promises.panel import promise_panel
from hub.text import require_plain_text
from hub.web.htmx import htmx_target, is_htmx, redirect_after_post, render
from hub.web.ids import is_row_id, require_row_ids
from hub.web.sessions import remembered_client_slug
from hub.web.templating import format_clock, format_day, format_timestamp

QUEUE_URL = "/queues/call"
QUEUE_PAGE_SIZE = 100
QUEUE_RESULTS_ID = "queue-results"
# The ?from= value of a workspace opened by "Next case": a new claim, or the case the user already held.
FROM_NEXT = "next"
FROM_HELD = "held"


async def list_scope_clients(session: AsyncSession, scope: Scope) -> list[Client]:
    query = select(Client).where(Client.id.in_(scope.client_ids)).order_by(Client.name)
    return list((await session.scalars(query)).all())


def resolve_filters(
    clients: list[Client], client_slug: str | None, segment: str | None
) -> tuple[Client | None, str | None]:
    """Turn the queue's query parameters into a client in scope and a segment; empty means no filter."""
    require_plain_text("client", "Client", client_slug)
    require_plain_text("segment", "Segment", segment)
    if segment and segment not in {member.value for member in Segment}:
        raise ValidationError(f"Unknown segment {segment!r}: use high, medium or low.")
    if not client_slug:
        return None, segment or None
    client = next((client for client in clients if client.slug == client_slug), None)
    if client is None:
        raise NotFoundError(f"Client {client_slug!r} not found among the clients you work on: pick one from the list.")
    return client, segment or None


def queue_url(client: Client | None, segment: str | None, **extra: str) -> str:
    params = {"client": client.slug if client else "", "segment": segment or "", **extra}
    query = urlencode({key: value for key, value in params.items() if value})
    return f"{QUEUE_URL}?{query}" if query else QUEUE_URL


@get("/", sync_to_thread=False)
def show_home() -> Redirect:
    return Redirect(path=QUEUE_URL, status_code=HTTP_303_SEE_OTHER)


@get("/favicon.ico", exclude_from_auth=True, sync_to_thread=False)
def show_favicon() -> Redirect:
    # Browsers ask for /favicon.ico on their own; the icon itself is a vendored SVG.
    return Redirect(path="/static/favicon.svg", status_code=HTTP_301_MOVED_PERMANENTLY)


@get(QUEUE_URL)
async def show_call_queue(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    current_user: NamedDependency[User],
    client_slug: Annotated[str | None, QueryParameter(name="client")] = None,
    segment: FromQuery[str | None] = None,
    notice: FromQuery[str | None] = None,
    released: FromQuery[int | None] = None,
) -> Template:
    clients = await list_scope_clients(db_session, client_scope)
    if client_slug is None:
        # Without ?client= the queue shows the client chosen in the header's client switcher.
        client_slug = remembered_client_slug(request, {client.slug for client in clients})
    client, segment = resolve_filters(clients, client_slug, segment)
    client_id = client.id if client else None
    entries = await list_call_queue(
        db_session, client_scope, client_id=client_id, segment=segment, limit=QUEUE_PAGE_SIZE
    )
    counts = await count_call_queue(db_session, client_scope, client_id=client_id, segment=segment)

    context = {
        "current_user": current_user,
        "clients": clients,
        "selected_client": client,
        "selected_segment": segment,
        "segments": [member.value for member in Segment],
        "entries": entries,
        "counts": counts,
        "queue_empty": notice == "empty",
        "released_notice": await released_notice(db_session, client_scope, released),
    }
    # Vary keeps a browser cache from serving the table fragment for a full page load.
    headers = {"Vary": "HX-Request"}
    if is_htmx(request) and htmx_target(request) == QUEUE_RESULTS_ID:
        return render("cases/_queue_table.html", context, headers=headers)
    return render("cases/queue.html", context, headers=headers)


async def released_notice(
    session: AsyncSession, scope: Scope, case_id: int | None, now: datetime | None = None
) -> str | None:
    """Return the notice for a released case: back in the queue, due again later, or out of the queue.

    A claim released after an outcome, promise or dispute is usually on a case
    scheduled for later, so "back in the queue" would be untrue for it. A case
    outside ``scope`` gets no notice.
    """
    if case_id is None or not is_row_id(case_id):
        return None
    case = await session.scalar(select(Case).where(Case.id == case_id, Case.client_id.in_(scope.client_ids)))
    if case is None:
        return None
    moment = now or datetime.now(UTC)
    prefix = f"Case {case.id} released"
    if case.status != CaseStatus.OPEN or case.open_minor <= 0:
        return f"{prefix}: it has nothing open to collect, so it is not in the call queue."
    if case.next_action_at is not None:
        if case.next_action_at > moment:
            due = format_timestamp(case.next_action_at)
            return f"{prefix}: it is scheduled for a call-back and is due again at {due}."
    elif case.next_action_on is not None:
        client = await session.get_one(Client, case.client_id)
        if case.next_action_on > client_today(client, moment):
            return f"{prefix}: it is scheduled for later and is due again on {format_day(case.next_action_on)}."
    return f"{prefix}: it is back in the queue for any agent."


@post(f"{QUEUE_URL}/next")
async def take_next_case(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    current_user: NamedDependency[User],
) -> Response[Any] | Template:
    form = await request.form()
    clients = await list_scope_clients(db_session, client_scope)
    client, segment = resolve_filters(clients, str(form.get("client", "")), str(form.get("segment", "")))
    client_id = client.id if client else None
    claim = await take_next_claim(db_session, client_scope, current_user.id, client_id=client_id, segment=segment)
    await db_session.commit()

    if claim is not None:
        return redirect_after_post(request, claimed_case_url(claim))
    if not is_htmx(request):
        return Redirect(path=queue_url(client, segment, notice="empty"), status_code=HTTP_303_SEE_OTHER)
    counts = await count_call_queue(db_session, client_scope, client_id=client_id, segment=segment)
    return render("cases/_queue_empty.html", {"counts": counts})


def claimed_case_url(claim: Claim) -> str:
    origin = FROM_HELD if claim.already_held else FROM_NEXT
    return f"/cases/{claim.case_id}?{urlencode({'from': origin})}"


OUTCOME_FORM_DEFAULTS = {
    "channel": Channel.CALL.value,
    "outcome": "",
    "note": "",
    "next_action_on": "",
    "next_action_time": "",
    "paid_on": "",
    "paid_amount": "",
    "paid_reference": "",
}


def outcome_form_context(
    case_id: int,
    values: dict[str, str] | None = None,
    error: ValidationError | None = None,
    *,
    locked_reason: str | None = None,
    autofocus: bool = False,
    contact_zone: str = "UTC",
) -> dict[str, Any]:
    """Context of the outcome form: choices, the values to show again and the errors per field.

    ``locked_reason`` disables the form and is shown as the reason; ``autofocus`` puts the
    focus on the outcome select when the page loads. ``contact_zone`` is the time zone a
    call-back time is read in.
    """
    field_errors = dict(error.field_errors) if error else {}
    if error and not field_errors:
        field_errors["form"] = str(error)
    return {
        "case_id": case_id,
        "channels": [(channel.value, CHANNEL_LABELS[channel]) for channel in Channel],
        "outcomes": list(CallOutcome),
        "values": OUTCOME_FORM_DEFAULTS | (values or {}),
        "errors": field_errors,
        "locked_reason": locked_reason,
        "autofocus": autofocus and locked_reason is None,
        "contact_zone": contact_zone,
        "window_start": f"{CALL_WINDOW_START:%H:%M}",
        "window_end": f"{CALL_WINDOW_END:%H:%M}",
        "check_days": PAYMENT_CHECK_DAYS,
    }


def claim_lock_reason(workspace: Workspace, current_user: User) -> str | None:
    """Return why the outcome form is disabled (another user has an unexpired claim), or None."""
    claim = workspace.claim
    if claim is None or claim.user_id == current_user.id:
        return None
    until = format_clock(claim.until)
    return f"Claimed by {claim.name} until {until}: log an outcome once they release the case or the claim lapses."


def holds_claim(workspace: Workspace, user: User) -> bool:
    return workspace.claim is not None and workspace.claim.user_id == user.id


def head_context(workspace: Workspace, user: User) -> dict[str, Any]:
    """Context of the case header's actions (templates/cases/_head_actions.html): the claim and "Next case"."""
    return {"case": workspace.case, "workspace": workspace, "held_by_me": holds_claim(workspace, user)}


async def workspace_context(
    session: AsyncSession,
    scope: Scope,
    case_id: int,
    current_user: User,
    form: dict[str, Any] | None = None,
    *,
    origin: str | None = None,
    timeline_kind: str | None = None,
) -> dict[str, Any]:
    """Context of the workspace page.

    ``origin`` is the ?from= value when "Next case" opened it, and ``timeline_kind``
    the ?kind= filter of the timeline (empty for all events).
    """
    workspace = await load_workspace(session, scope, case_id)
    timeline = await list_timeline(session, scope, case_id, timeline_kind)
    locked_reason = claim_lock_reason(workspace, current_user)
    held_by_me = holds_claim(workspace, current_user)
    opened_by_next = origin in {FROM_NEXT, FROM_HELD}
    default_form = outcome_form_context(
        case_id, locked_reason=locked_reason, autofocus=opened_by_next, contact_zone=workspace.contact_zone
    )
    return {
        "current_user": current_user,
        "workspace": workspace,
        "case": workspace.case,
        "timeline": timeline,
        "numbers": await case_numbers(session, workspace.case, workspace.client),
        "held_by_me": held_by_me,
        "still_held_notice": origin == FROM_HELD and held_by_me,
        "form": form or default_form,
        "promises": await promise_panel(session, workspace, current_user),
        "disputes": await dispute_panel(session, workspace, current_user),
    }


@get("/cases/{case_id:int}", guards=[require_row_ids])
async def show_case(
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    current_user: NamedDependency[User],
    case_id: FromPath[int],
    origin: Annotated[str | None, QueryParameter(name="from")] = None,
    kind: FromQuery[str | None] = None,
) -> Template:
    context = await workspace_context(
        db_session, client_scope, case_id, current_user, origin=origin, timeline_kind=kind
    )
    await record_case_viewed(db_session, current_user, context["case"])
    return render("cases/workspace.html", context)


# The numbers panel (templates/cases/_numbers.html, id "case-numbers") reloads itself through
# this route on the "timeline-changed" event, like the timeline.
@get("/cases/{case_id:int}/numbers", guards=[require_row_ids])
async def show_case_numbers(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    case_id: FromPath[int],
) -> Response[Any] | Template:
    """Return the numbers panel for htmx; a plain browser request goes to the workspace."""
    case = await get_case(db_session, client_scope, case_id)
    if not is_htmx(request):
        return Redirect(path=f"/cases/{case_id}#case-numbers", status_code=HTTP_303_SEE_OTHER)
    client = await db_session.get_one(Client, case.client_id)
    numbers = await case_numbers(db_session, case, client)
    return render("cases/_numbers.html", {"case": case, "numbers": numbers}, headers={"Vary": "HX-Request"})


@post("/cases/{case_id:int}/release", guards=[require_row_ids])
async def release_case(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    current_user: NamedDependency[User],
    case_id: FromPath[int],
) -> Response[Any]:
    await release_claim(db_session, client_scope, case_id, current_user.id)
    return redirect_after_post(request, f"{QUEUE_URL}?{urlencode({'released': case_id})}")


ROUTES = [show_home, show_favicon, show_call_queue, take_next_case, show_case, show_case_numbers, release_case]
