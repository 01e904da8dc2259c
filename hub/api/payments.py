"""API: payments received, recording one, and allocating an unallocated remainder to an invoice.

Money is integer minor units plus an ISO 4217 currency code; dates are YYYY-MM-DD.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from litestar import Response, get, patch, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import User
from hub.accounts.scope import Scope
from hub.api.queues import resolve_client_id
from hub.api.schemas import ErrorBody, error_responses
from hub.audit.services import PAYMENT_ALLOCATED, PAYMENT_RECORDED, record_audit
from hub.clients.models import Client
from hub.errors import ConflictError, ValidationError
from hub.invoices.models import PaymentSource
from hub.payments.services import (
    PaymentData,
    PaymentView,
    RecordOutcome,
    allocate_payment_by_hand,
    describe_payments,
    get_payment_in_scope,
    list_payments,
    record_payment,
)
from hub.text import require_plain_text
from hub.web.auth import requires_supervisor

PAYMENTS_DEFAULT_LIMIT = 100
PAYMENTS_MAX_LIMIT = 1000
STATE_CONFLICT = ResponseSpec(data_container=ErrorBody, description="The payment has no unallocated remainder")

ClientSlug = Annotated[
    str | None, QueryParameter(name="client", description="Slug of one client; default: all of yours")
]
DebtorReference = Annotated[
    str | None, QueryParameter(name="debtor", description="The client's own debtor reference; default: all debtors")
]
UnallocatedOnly = Annotated[
    bool, QueryParameter(description="true: only payments with an amount no invoice took; default: all")
]


@dataclass(frozen=True)
class PaymentIn:
    """A payment to record, upserted on (client, reference).

    ``amount_minor`` is positive (a refund is not a payment) and
    ``currency`` is the client's. ``paid_on`` is YYYY-MM-DD, today or
    earlier. ``invoice_number`` is the invoice the payer quoted, and
    ``debtor_reference`` the client's own debtor key. With both, the
    debtor must be the invoice's debtor. Recording the same reference
    again with the same values changes nothing; different values
    reallocate the payment.
    """

    client: str
    reference: str
    amount_minor: int
    currency: str
    paid_on: str
    invoice_number: str | None = None
    debtor_reference: str | None = None


@dataclass(frozen=True)
class AllocationIn:
    """An invoice of the payment's debtor to take part of the unallocated remainder.

    Without ``amount_minor``, the invoice takes as much as it has left to pay.
    """

    invoice_number: str
    amount_minor: int | None = None


@dataclass(frozen=True)
class AllocationOut:
    invoice_number: str
    amount_minor: int


@dataclass(frozen=True)
class PaymentOut:
    """A payment with its allocations.

    ``source`` is import, api or settlement (a payment implied by an
    invoice's settled date, never allocated). ``invoice_reference`` is
    the invoice number the payer quoted, as given. ``invoice_number`` is
    the invoice found for it or, when none was found, the first invoice a
    person allocated the payment to. ``unallocated_minor`` is what no
    invoice took, with the reason in ``unallocated_reason``.
    """

    id: int
    client: str
    reference: str
    source: str
    currency: str
    amount_minor: int
    paid_on: date
    debtor_reference: str | None
    invoice_reference: str | None
    invoice_number: str | None
    unallocated_minor: int
    unallocated_reason: str | None
    allocations: list[AllocationOut]
    created_at: datetime


def payment_out(view: PaymentView) -> PaymentOut:
    payment = view.payment
    return PaymentOut(
        id=payment.id,
        client=view.client_slug,
        reference=payment.reference,
        source=payment.source.value,
        currency=payment.currency,
        amount_minor=payment.amount_minor,
        paid_on=payment.paid_on,
        debtor_reference=view.debtor_reference,
        invoice_reference=payment.invoice_reference,
        invoice_number=view.invoice_number,
        unallocated_minor=payment.unallocated_minor,
        unallocated_reason=payment.unallocated_reason,
        allocations=[AllocationOut(number, amount) for number, amount in view.allocations],
        created_at=payment.created_at,
    )


def parse_paid_on(text: str) -> date:
    value = (text or "").strip()
    require_plain_text("paid_on", "Payment date", value)
    try:
        return date.fromisoformat(value)
    except ValueError:
        message = f"Invalid payment date {text!r}: use YYYY-MM-DD, for example 2026-12-31."
        raise ValidationError(message, {"paid_on": message}) from None


async def _client_in_scope(session: AsyncSession, scope: Scope, slug: str) -> Client:
    require_plain_text("client", "Client", slug)
    if not slug.strip():
        message = "Client is missing: give the slug of one of your clients (see GET /api/v1/clients)."
        raise ValidationError(message, {"client": message})
    client_id = await resolve_client_id(session, scope, slug.strip())
    assert client_id is not None
    return await session.get_one(Client, client_id)


async def _payment_out(session: AsyncSession, scope: Scope, payment_id: int) -> PaymentOut:
    payment = await get_payment_in_scope(session, scope, payment_id)
    await session.refresh(payment)
    return payment_out((await describe_payments(session, [payment]))[0])


@get("/payments", responses=error_responses(400, 404, 422))
async def list_payment_rows(
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    client_slug: ClientSlug = None,
    debtor: DebtorReference = None,
    unallocated: UnallocatedOnly = False,
    limit: Annotated[
        int, QueryParameter(ge=1, le=PAYMENTS_MAX_LIMIT, description="Maximum rows")
    ] = PAYMENTS_DEFAULT_LIMIT,
) -> list[PaymentOut]:
    """List payments of the clients you work on, newest payment date first."""
    require_plain_text("debtor", "Debtor reference", debtor)
    client_id = await resolve_client_id(db_session, client_scope, client_slug)
    payments = await list_payments(
        db_session,
        client_scope,
        client_id=client_id,
        debtor_reference=(debtor or "").strip() or None,
        unallocated=unallocated,
        limit=limit,
    )
    return [payment_out(view) for view in await describe_payments(db_session, payments)]


@get("/payments/{payment_id:int}", responses=error_responses(404))
async def get_payment_detail(
    db_session: NamedDependency[AsyncSession], client_scope: NamedDependency[Scope], payment_id: FromPath[int]
) -> PaymentOut:
    """Return one payment with its allocations."""
    return await _payment_out(db_session, client_scope, payment_id)


# Payments decide whether promises are kept, so only supervisors and admins record or allocate them.
@post(
    "/payments",
    guards=[requires_supervisor],
    responses={**error_responses(400, 403, 404, 422), 409: STATE_CONFLICT},
)
async def create_payment(
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    current_user: NamedDependency[User],
    data: JSONBody[PaymentIn],
) -> Response[PaymentOut]:
    """Record a payment and allocate it: to the quoted invoice, then to the debtor's oldest open invoices.

    Returns 201 for a new reference and 200 when the reference was recorded before.
    """
    client = await _client_in_scope(db_session, client_scope, data.client)
    payment_data = PaymentData(
        reference=data.reference,
        amount_minor=data.amount_minor,
        currency=data.currency,
        paid_on=parse_paid_on(data.paid_on),
        invoice_number=data.invoice_number,
        debtor_reference=data.debtor_reference,
    )
    try:
        recorded = await record_payment(db_session, client, payment_data, PaymentSource.API, actor=current_user.id)
        payment_id = recorded.payment.id
        detail = {"outcome": recorded.outcome.value}
        await record_audit(db_session, current_user, PAYMENT_RECORDED, "payment", payment_id, client.id, detail)
        await db_session.commit()
    except IntegrityError:
        await db_session.rollback()
        raise ConflictError(
            f"Payment {data.reference!r} was recorded by another request at the same time: send it again."
        ) from None
    status = HTTP_201_CREATED if recorded.outcome == RecordOutcome.INSERTED else HTTP_200_OK
    return Response(await _payment_out(db_session, client_scope, payment_id), status_code=status)


@patch(
    "/payments/{payment_id:int}",
    guards=[requires_supervisor],
    responses={**error_responses(400, 403, 404, 422), 409: STATE_CONFLICT},
)
async def allocate_payment(
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    current_user: NamedDependency[User],
    payment_id: FromPath[int],
    data: JSONBody[AllocationIn],
) -> PaymentOut:
    """Allocate the payment's unallocated remainder, or ``amount_minor`` of it, to an invoice of its debtor."""
    payment = await get_payment_in_scope(db_session, client_scope, payment_id)
    invoice, _ = await allocate_payment_by_hand(
        db_session, payment, data.invoice_number, data.amount_minor, actor=current_user.id
    )
    detail = {"invoice_id": invoice.id}
    await record_audit(db_session, current_user, PAYMENT_ALLOCATED, "payment", payment.id, payment.client_id, detail)
    await db_session.commit()
    return await _payment_out(db_session, client_scope, payment.id)


ROUTES = [list_payment_rows, get_payment_detail, create_payment, allocate_payment]
