"""API: disputes of a case, one dispute and its status changes, and the dispute queue.

Money is integer minor units of the client's currency; dates are YYYY-MM-DD
and timestamps ISO 8601 in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Annotated, Any

from litestar import Request, get, patch, post
from litestar.di import NamedDependency
from litestar.exceptions import ValidationException as RequestValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import User
from hub.accounts.scope import Scope
from hub.api.queues import ClientSlug, resolve_client_id
from hub.api.schemas import ErrorBody, error_responses
from hub.cases.workspace import get_case
from hub.disputes.details import DisputeDetail, list_case_disputes, load_dispute_detail
from hub.disputes.queue import DisputeQueueEntry, DisputeQueueFilter, list_dispute_queue, parse_queue_status
from hub.disputes.services import (
    DisputeChange,
    assignable_users,
    change_dispute,
    get_dispute_in_scope,
    parse_status,
    record_dispute,
)
from hub.errors import ValidationError

QUEUE_DEFAULT_LIMIT = 100
QUEUE_MAX_LIMIT = 1000
CONFLICT = ResponseSpec(
    data_container=ErrorBody,
    description="Another user has an unexpired claim on the case, or the dispute's status does not allow the change",
)


def change_responses() -> dict[int, ResponseSpec]:
    return {**error_responses(400, 404, 422), 409: CONFLICT}


async def reject_unknown_fields(request: Request[Any, Any, Any], body_type: type) -> None:
    """Raise a 400 naming each key of the JSON body that ``body_type`` has no field for, with the accepted ones.

    Litestar drops unknown keys when it builds a dataclass body. Without this
    check a misspelt field would leave the dispute unchanged and return 200.
    """
    body = await request.json()
    if not isinstance(body, dict):
        return
    accepted = [item.name for item in fields(body_type)]
    unknown = [str(key) for key in body if key not in accepted]
    if not unknown:
        return
    choices = ", ".join(accepted)
    names = ", ".join(repr(name) for name in unknown)
    raise RequestValidationException(
        detail=f"unknown field(s) {names}: this body takes only {choices}",
        extra=[
            {"key": name, "message": f"Unknown field {name!r}: use one of {choices}.", "source": "body"}
            for name in unknown
        ],
    )


@dataclass(frozen=True)
class DisputeIn:
    """A dispute raised in a contact, with the checks of the workspace form.

    ``reason`` is not_received, wrong_amount, quality, already_paid,
    not_ordered or other. ``invoice_numbers`` are open invoices of the
    case's debtor that are in no open dispute. ``channel`` is call, email,
    sms or letter.
    """

    reason: str
    invoice_numbers: list[str]
    channel: str = "call"
    note: str | None = None


@dataclass(frozen=True)
class DisputePatchIn:
    """A change of a dispute; every field is optional and an absent one stays as it is.

    ``status`` moves an open dispute to under_review, resolved_debtor or
    resolved_creditor, and an under-review one to a resolution. A resolved
    dispute is final. ``credit_minor`` applies with resolved_debtor only and
    defaults to the full open amount of the dispute's invoices, credited
    oldest due date first. ``owner_id`` is a user who works on the client.
    """

    status: str | None = None
    owner_id: int | None = None
    resolution_note: str | None = None
    credit_minor: int | None = None


@dataclass(frozen=True)
class DisputeOwnerOut:
    """A user who may own the dispute: the client's active users and the admins bound to no client."""

    id: int
    display_name: str
    role: str


@dataclass(frozen=True)
class DisputeInvoiceOut:
    number: str
    currency: str
    amount_minor: int
    open_minor: int
    credited_minor: int
    due_date: date
    settled_date: date | None


@dataclass(frozen=True)
class DisputeOut:
    """A dispute; ``sla_state`` (breached, at_risk or within) is null once it is resolved."""

    id: int
    reference: str | None
    case_id: int | None
    debtor_id: int
    debtor_reference: str
    reason: str
    status: str
    owner_id: int | None
    owner_name: str | None
    note: str | None
    opened_at: datetime
    opened_on: date
    age_working_days: int
    sla_due_on: date | None
    sla_state: str | None
    reviewed_at: datetime | None
    resolved_at: datetime | None
    resolved_by_id: int | None
    resolution_note: str | None
    currency: str
    open_minor: int
    credited_minor: int
    interaction_id: int | None
    invoices: list[DisputeInvoiceOut] = field(default_factory=list)


@dataclass(frozen=True)
class DisputeQueueRowOut:
    """One dispute queue row: the keys of `hub queue dispute --json`; ``open_minor`` is what its invoices have open."""

    case_id: int | None
    debtor_reference: str
    risk_score: int | None
    priority: float
    open_minor: int
    currency: str
    dispute_id: int
    reason: str
    status: str
    opened_on: date
    age_working_days: int
    sla_due_on: date | None
    sla_state: str | None
    owner: str | None
    invoices: list[str]


def dispute_out(detail: DisputeDetail) -> DisputeOut:
    dispute = detail.dispute
    return DisputeOut(
        id=dispute.id,
        reference=dispute.reference,
        case_id=detail.case_id,
        debtor_id=detail.debtor.id,
        debtor_reference=detail.debtor.reference,
        reason=dispute.reason_code,
        status=detail.status.value,
        owner_id=dispute.owner_id,
        owner_name=detail.owner_name,
        note=dispute.note,
        opened_at=dispute.opened_at,
        opened_on=detail.opened_on,
        age_working_days=detail.age_working_days,
        sla_due_on=dispute.sla_due_on,
        sla_state=detail.sla.value if detail.sla is not None else None,
        reviewed_at=dispute.reviewed_at,
        resolved_at=dispute.resolved_at,
        resolved_by_id=dispute.resolved_by_id,
        resolution_note=dispute.resolution_note,
        currency=detail.currency,
        open_minor=detail.open_minor,
        credited_minor=dispute.credited_minor,
        interaction_id=dispute.interaction_id,
        invoices=[
            DisputeInvoiceOut(
                number=invoice.number,
                currency=invoice.currency,
                amount_minor=invoice.amount_minor,
                open_minor=invoice.open_minor,
                credited_minor=invoice.credited_minor,
                due_date=invoice.due_date,
                settled_date=invoice.settled_date,
            )
            for invoice in detail.invoices
        ],
    )


def queue_row_out(entry: DisputeQueueEntry) -> DisputeQueueRowOut:
    return DisputeQueueRowOut(
        case_id=entry.case_id,
        debtor_reference=entry.debtor_reference,
        risk_score=entry.risk_score,
        priority=round(entry.priority, 2),
        open_minor=entry.amount_minor,
        currency=entry.currency,
        dispute_id=entry.dispute_id,
        reason=entry.reason,
        status=entry.status,
        opened_on=entry.opened_on,
        age_working_days=entry.age_working_days,
        sla_due_on=entry.sla_due_on,
        sla_state=entry.sla_state,
        owner=entry.owner_name,
        invoices=list(entry.invoice_numbers),
    )


@get("/cases/{case_id:int}/disputes", responses=error_responses(404))
async def list_disputes(
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    case_id: FromPath[int],
) -> list[DisputeOut]:
    """List the disputes of the case's debtor: open ones by resolve-by day, then resolved ones, newest first."""
    return [dispute_out(detail) for detail in await list_case_disputes(db_session, client_scope, case_id)]


@post("/cases/{case_id:int}/disputes", status_code=HTTP_201_CREATED, responses=change_responses())
async def create_dispute(
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    current_user: NamedDependency[User],
    request: Request[Any, Any, Any],
    case_id: FromPath[int],
    data: JSONBody[DisputeIn],
) -> DisputeOut:
    """Record a dispute with its interaction (outcome disputes_debt); its invoices leave the collectible balance."""
    await reject_unknown_fields(request, DisputeIn)
    await get_case(db_session, client_scope, case_id)
    dispute = await record_dispute(
        db_session,
        client_scope,
        case_id,
        current_user.id,
        reason=data.reason,
        invoice_numbers=data.invoice_numbers,
        channel=data.channel,
        note=data.note,
    )
    return dispute_out(await load_dispute_detail(db_session, client_scope, dispute.id))


@get("/disputes/{dispute_id:int}", responses=error_responses(404))
async def get_dispute(
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    dispute_id: FromPath[int],
) -> DisputeOut:
    """Return one dispute with its invoices, owner and SLA state."""
    return dispute_out(await load_dispute_detail(db_session, client_scope, dispute_id))


@patch("/disputes/{dispute_id:int}", responses=change_responses())
async def update_dispute(
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    current_user: NamedDependency[User],
    request: Request[Any, Any, Any],
    dispute_id: FromPath[int],
    data: JSONBody[DisputePatchIn],
) -> DisputeOut:
    """Start the review, resolve, or reassign a dispute; 409 names the current status when the move is not allowed.

    Resolving needs a ``resolution_note``. ``owner_id`` must be one of the
    users that GET /api/v1/disputes/{dispute_id}/owners lists.
    """
    await reject_unknown_fields(request, DisputePatchIn)
    detail = await load_dispute_detail(db_session, client_scope, dispute_id)
    if data.owner_id is not None:
        owners = await assignable_users(db_session, detail.client.id)
        if all(user.id != data.owner_id for user in owners):
            message = (
                f"User {data.owner_id} does not work on client {detail.client.slug}: pick one of the users "
                f"that GET /api/v1/disputes/{dispute_id}/owners lists."
            )
            raise ValidationError(message, {"owner": message})
    change = DisputeChange(
        status=parse_status(data.status) if data.status is not None else None,
        owner_id=data.owner_id,
        resolution_note=data.resolution_note,
        credit_minor=data.credit_minor,
    )
    await change_dispute(db_session, client_scope, dispute_id, current_user.id, change)
    return dispute_out(await load_dispute_detail(db_session, client_scope, dispute_id))


@get("/disputes/{dispute_id:int}/owners", responses=error_responses(404))
async def list_dispute_owners(
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    dispute_id: FromPath[int],
) -> list[DisputeOwnerOut]:
    """List the users who may own the dispute, for ``owner_id`` in PATCH: the active users of its client, by name."""
    dispute = await get_dispute_in_scope(db_session, client_scope, dispute_id)
    users = await assignable_users(db_session, dispute.client_id)
    return [DisputeOwnerOut(id=user.id, display_name=user.display_name, role=user.role.value) for user in users]


@get("/queues/dispute", responses=error_responses(400, 404, 422))
async def list_dispute_queue_rows(
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    current_user: NamedDependency[User],
    client_slug: ClientSlug = None,
    status: Annotated[str | None, QueryParameter(description="open or under_review; default: both")] = None,
    mine: Annotated[bool, QueryParameter(description="Only disputes owned by the token's user")] = False,
    limit: Annotated[int, QueryParameter(ge=1, le=QUEUE_MAX_LIMIT, description="Maximum rows")] = QUEUE_DEFAULT_LIMIT,
) -> list[DisputeQueueRowOut]:
    """List open and under-review disputes, nearest resolve-by day first, in the order of `hub queue dispute`."""
    client_id = await resolve_client_id(db_session, client_scope, client_slug)
    chosen = parse_queue_status(status)
    queue_filter = DisputeQueueFilter(client_id=client_id, status=chosen, owner_id=current_user.id if mine else None)
    entries = await list_dispute_queue(db_session, client_scope, queue_filter, limit=limit)
    return [queue_row_out(entry) for entry in entries]


ROUTES = [list_disputes, create_dispute, get_dispute, update_dispute, list_dispute_owners, list_dispute_queue_rows]
