"""Dispute pages: the dispute queue, a dispute's page with its actions, and recording one from the workspace."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_422_UNPROCESSABLE_ENTITY
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import User
from hub.accounts.scope import Scope
from hub.audit.services import CASE_VIEWED, record_audit
from hub.cases.routes import list_scope_clients, workspace_context
from hub.cases.workspace import get_case, load_workspace
from hub.clients.models import Client
from hub.disputes.details import DisputeDetail, load_dispute_detail
from hub.disputes.forms import parse_owner_id, read_dispute_form, read_fields, resolve_change
from hub.disputes.models import OPEN_DISPUTE_STATUSES, DisputeStatus
from hub.disputes.panel import dispute_panel
from hub.disputes.queue import DisputeQueueFilter, SlaState, count_dispute_queue, list_dispute_queue
from hub.disputes.services import (
    DisputeChange,
    assignable_users,
    change_dispute,
    get_dispute_in_scope,
    record_dispute,
)
from hub.errors import NotFoundError, ValidationError
from hub.text import require_plain_text
from hub.web.htmx import htmx_target, is_htmx, render
from hub.web.ids import require_row_ids
from hub.web.sessions import remembered_client_slug

DISPUTE_QUEUE_URL = "/queues/dispute"
DISPUTE_QUEUE_PAGE_SIZE = 200
DISPUTE_QUEUE_RESULTS_ID = "dispute-queue-results"
DISPUTE_DETAIL_ID = "dispute-detail"
RESOLVE_FIELDS = ("outcome", "credit", "resolution_note")
TIMELINE_CHANGED_EVENT = "timeline-changed"


def resolve_queue_filters(
    clients: list[Client], client_slug: str | None, status: str | None
) -> tuple[Client | None, DisputeStatus | None]:
    """Turn the queue's client and status parameters into a client in scope and an open status."""
    require_plain_text("client", "Client", client_slug)
    require_plain_text("status", "Status", status)
    chosen_status = None
    if status:
        if status not in {member.value for member in OPEN_DISPUTE_STATUSES}:
            raise ValidationError(f"Unknown queue status {status!r}: use open or under_review.")
        chosen_status = DisputeStatus(status)
    if not client_slug:
        return None, chosen_status
    client = next((client for client in clients if client.slug == client_slug), None)
    if client is None:
        raise NotFoundError(f"Client {client_slug!r} not found among the clients you work on: pick one from the list.")
    return client, chosen_status


@get(DISPUTE_QUEUE_URL)
async def show_dispute_queue(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    current_user: NamedDependency[User],
    client_slug: Annotated[str | None, QueryParameter(name="client")] = None,
    status: FromQuery[str | None] = None,
    mine: FromQuery[str | None] = None,
) -> Template:
    clients = await list_scope_clients(db_session, client_scope)
    if client_slug is None:
        client_slug = remembered_client_slug(request, {client.slug for client in clients})
    client, chosen_status = resolve_queue_filters(clients, client_slug, status)
    only_mine = bool(mine)
    queue_filter = DisputeQueueFilter(
        client_id=client.id if client else None,
        status=chosen_status,
        owner_id=current_user.id if only_mine else None,
    )
    entries = await list_dispute_queue(db_session, client_scope, queue_filter, limit=DISPUTE_QUEUE_PAGE_SIZE)
    counts = await count_dispute_queue(db_session, client_scope, queue_filter)
    context = {
        "current_user": current_user,
        "clients": clients,
        "selected_client": client,
        "selected_status": chosen_status.value if chosen_status else "",
        "only_mine": only_mine,
        "statuses": list(OPEN_DISPUTE_STATUSES),
        "sla_states": list(SlaState),
        "entries": entries,
        "counts": counts,
        "page_size": DISPUTE_QUEUE_PAGE_SIZE,
    }
    headers = {"Vary": "HX-Request"}
    if is_htmx(request) and htmx_target(request) == DISPUTE_QUEUE_RESULTS_ID:
        return render("disputes/_queue_table.html", context, headers=headers)
    return render("disputes/queue.html", context, headers=headers)


async def invalid_dispute_response(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    scope: Scope,
    case_id: int,
    current_user: User,
    values: dict[str, Any],
    error: ValidationError,
) -> Template:
    """Show the dispute form again with the submitted values and an error next to each invalid field."""
    if is_htmx(request):
        workspace = await load_workspace(session, scope, case_id)
        panel = await dispute_panel(session, workspace, current_user, values=values, error=error)
        headers = {"HX-Retarget": "#dispute-panel", "HX-Reswap": "outerHTML"}
        return render("disputes/_panel.html", {"disputes": panel}, status_code=422, headers=headers)
    context = await workspace_context(session, scope, case_id, current_user)
    context["disputes"] = await dispute_panel(session, context["workspace"], current_user, values=values, error=error)
    return render("cases/workspace.html", context, status_code=HTTP_422_UNPROCESSABLE_ENTITY)


@post("/cases/{case_id:int}/disputes", guards=[require_row_ids])
async def submit_dispute(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    current_user: NamedDependency[User],
    case_id: FromPath[int],
) -> Response[Any] | Template:
    await get_case(db_session, client_scope, case_id)
    values = await read_dispute_form(request)
    try:
        dispute = await record_dispute(
            db_session,
            client_scope,
            case_id,
            current_user.id,
            reason=values["reason"],
            invoice_numbers=values["invoices"],
            channel=values["channel"],
            note=values["note"],
        )
    except ValidationError as error:
        # Rolling back expires every loaded object, so the user is reloaded before the page uses it.
        await db_session.rollback()
        await db_session.refresh(current_user)
        return await invalid_dispute_response(request, db_session, client_scope, case_id, current_user, values, error)

    if not is_htmx(request):
        return Redirect(path=f"/cases/{case_id}#dispute-panel", status_code=HTTP_303_SEE_OTHER)
    context = await workspace_context(db_session, client_scope, case_id, current_user)
    context["recorded"] = await load_dispute_detail(db_session, client_scope, dispute.id)
    # The event makes the workspace panels that listen for it (timeline, case numbers) reload themselves.
    return render("disputes/_recorded.html", context, headers={"HX-Trigger": TIMELINE_CHANGED_EVENT})


async def detail_context(
    session: AsyncSession,
    scope: Scope,
    dispute_id: int,
    current_user: User,
    *,
    form: str | None = None,
    values: dict[str, str] | None = None,
    error: ValidationError | None = None,
) -> dict[str, Any]:
    """Context of the dispute page; ``form`` names the action form that ``values`` and ``error`` belong to."""
    detail = await load_dispute_detail(session, scope, dispute_id)
    field_errors = dict(error.field_errors) if error else {}
    if error and not field_errors:
        field_errors["form"] = str(error)
    users = await assignable_users(session, detail.client.id) if detail.is_open else []
    return {
        "current_user": current_user,
        "detail": detail,
        "dispute": detail.dispute,
        "users": users,
        "form_name": form,
        "form_values": values or {},
        "errors": field_errors,
    }


def detail_url(dispute_id: int) -> str:
    return f"/disputes/{dispute_id}"


@get("/disputes/{dispute_id:int}", guards=[require_row_ids])
async def show_dispute(
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    current_user: NamedDependency[User],
    dispute_id: FromPath[int],
) -> Template:
    context = await detail_context(db_session, client_scope, dispute_id, current_user)
    detail: DisputeDetail = context["detail"]
    if detail.case_id is not None:
        audit_detail = {"debtor_id": detail.debtor.id, "dispute_id": detail.dispute.id}
        await record_audit(
            db_session, current_user, CASE_VIEWED, "case", detail.case_id, detail.client.id, audit_detail
        )
        await db_session.commit()
    return render("disputes/detail.html", context)


async def apply_dispute_action(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    scope: Scope,
    current_user: User,
    dispute_id: int,
    form: str,
    values: dict[str, str],
    build_change: Any,
) -> Response[Any] | Template:
    """Apply the change that ``build_change()`` returns, then show the dispute page or the form with its errors."""
    try:
        change: DisputeChange = build_change()
        await change_dispute(session, scope, dispute_id, current_user.id, change)
    except ValidationError as error:
        await session.rollback()
        await session.refresh(current_user)
        context = await detail_context(session, scope, dispute_id, current_user, form=form, values=values, error=error)
        if is_htmx(request):
            headers = {"HX-Retarget": f"#{DISPUTE_DETAIL_ID}", "HX-Reswap": "outerHTML"}
            return render("disputes/_detail.html", context, status_code=422, headers=headers)
        return render("disputes/detail.html", context, status_code=HTTP_422_UNPROCESSABLE_ENTITY)

    if not is_htmx(request):
        return Redirect(path=detail_url(dispute_id), status_code=HTTP_303_SEE_OTHER)
    context = await detail_context(session, scope, dispute_id, current_user)
    context["saved_notice"] = SAVED_NOTICES[form]
    return render("disputes/_detail_saved.html", context)


SAVED_NOTICES = {
    "review": "Review started.",
    "resolve": "Dispute resolved.",
    "owner": "Owner changed.",
}


@post("/disputes/{dispute_id:int}/review", guards=[require_row_ids])
async def submit_review(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    current_user: NamedDependency[User],
    dispute_id: FromPath[int],
) -> Response[Any] | Template:
    await get_dispute_in_scope(db_session, client_scope, dispute_id)

    def build_change() -> DisputeChange:
        return DisputeChange(status=DisputeStatus.UNDER_REVIEW)

    return await apply_dispute_action(
        request, db_session, client_scope, current_user, dispute_id, "review", {}, build_change
    )


@post("/disputes/{dispute_id:int}/resolve", guards=[require_row_ids])
async def submit_resolution(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    current_user: NamedDependency[User],
    dispute_id: FromPath[int],
) -> Response[Any] | Template:
    dispute = await get_dispute_in_scope(db_session, client_scope, dispute_id)
    client = await db_session.get_one(Client, dispute.client_id)
    currency = client.currency
    values = await read_fields(request, RESOLVE_FIELDS)

    def build_change() -> DisputeChange:
        return resolve_change(values, currency)

    return await apply_dispute_action(
        request, db_session, client_scope, current_user, dispute_id, "resolve", values, build_change
    )


@post("/disputes/{dispute_id:int}/owner", guards=[require_row_ids])
async def submit_owner(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    current_user: NamedDependency[User],
    dispute_id: FromPath[int],
) -> Response[Any] | Template:
    await get_dispute_in_scope(db_session, client_scope, dispute_id)
    values = await read_fields(request, ("owner",))

    def build_change() -> DisputeChange:
        return DisputeChange(owner_id=parse_owner_id(values["owner"]))

    return await apply_dispute_action(
        request, db_session, client_scope, current_user, dispute_id, "owner", values, build_change
    )


ROUTES = [show_dispute_queue, submit_dispute, show_dispute, submit_review, submit_resolution, submit_owner]
