"""Recording payments, allocating them to invoices, and the cash received in a period.

A payment from an import or the API is upserted on (client, reference).
Recording it again with the same values changes nothing. A change of
amount, date, quoted invoice or debtor removes its allocations and
allocates it again (see hub.payments.allocation for the order).
Invoice.paid_minor is the sum of the allocations to the invoice, and
open_minor follows through Invoice.recompute_open.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.scope import Scope
from hub.cases.priority import client_today
from hub.cases.refresh import refresh_debtor_cases
from hub.cases.services import invoice_is_disputed
from hub.clients.models import Client
from hub.debtors.models import Debtor
from hub.errors import ConflictError, NotFoundError, ValidationError
from hub.imports.cells import EARLIEST_DATE
from hub.imports.parsing import MAX_MINOR_UNITS
from hub.invoices.models import Invoice, Payment, PaymentAllocation, PaymentSource
from hub.payments.allocation import clip_reason, plan_allocation
from hub.payments.checks import settle_payment_checks
from hub.promises.evaluation import evaluate_debtor_promises
from hub.text import require_plain_text
from hub.web.ids import is_row_id
from hub.web.templating import format_money

REFERENCE_MAX_CHARS: int = Payment.__table__.c.reference.type.length
INVOICE_NUMBER_MAX_CHARS: int = Invoice.__table__.c.number.type.length
DEBTOR_REFERENCE_MAX_CHARS: int = Debtor.__table__.c.reference.type.length
# Sources whose payments are allocated; settlement payments only mirror a settled date.
ALLOCATED_SOURCES = (PaymentSource.IMPORT, PaymentSource.API)
NO_PAYER_REASON = "no invoice number or debtor reference given: allocate it to an invoice by hand"


class RecordOutcome(enum.StrEnum):
    INSERTED = "inserted"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class PaymentData:
    """A payment as an export or an API caller gives it; the amount is in minor units of ``currency``."""

    reference: str
    amount_minor: int
    currency: str
    paid_on: date
    invoice_number: str | None = None
    debtor_reference: str | None = None


@dataclass(frozen=True)
class RecordedPayment:
    payment: Payment
    outcome: RecordOutcome


def _field_error(field: str, message: str) -> ValidationError:
    return ValidationError(message, {field: message})


def _clean_key(field: str, label: str, value: str | None, max_chars: int, *, required: bool) -> str | None:
    text = (value or "").strip()
    require_plain_text(field, label, text)
    if not text:
        if required:
            raise _field_error(field, f"{label} is missing: give the payment's own reference from the bank or ERP.")
        return None
    if len(text) > max_chars:
        raise _field_error(field, f"{label} {text[:20]!r}... is {len(text)} characters long: use at most {max_chars}.")
    return text


def check_payment_data(data: PaymentData, client: Client, today: date) -> PaymentData:
    """Return ``data`` with its texts stripped (empty ones as None), or raise ValidationError naming the field.

    The amount must be positive (a refund is not a payment), the currency
    the client's, and the date from 1900-01-01 up to ``today``.
    """
    reference = _clean_key("reference", "Payment reference", data.reference, REFERENCE_MAX_CHARS, required=True)
    invoice_number = _clean_key(
        "invoice_number", "Invoice number", data.invoice_number, INVOICE_NUMBER_MAX_CHARS, required=False
    )
    debtor_reference = _clean_key(
        "debtor_reference", "Debtor reference", data.debtor_reference, DEBTOR_REFERENCE_MAX_CHARS, required=False
    )
    if data.amount_minor <= 0:
        raise _field_error(
            "amount_minor",
            f"Amount {data.amount_minor} is not positive: a payment must be more than 0, and refunds are not payments.",
        )
    if data.amount_minor > MAX_MINOR_UNITS:
        raise _field_error("amount_minor", f"Amount {data.amount_minor} is too large to store: fix the amount.")
    currency = (data.currency or "").strip().upper()
    if currency != client.currency:
        raise _field_error(
            "currency",
            f"Currency {data.currency!r} differs from the currency {client.currency} of client {client.slug}: "
            "a case has one currency, so record the payment in that currency.",
        )
    if data.paid_on > today:
        raise _field_error(
            "paid_on", f"Payment date {data.paid_on.isoformat()} is after today ({today.isoformat()}): fix the date."
        )
    if data.paid_on < EARLIEST_DATE:
        raise _field_error(
            "paid_on", f"Payment date {data.paid_on.isoformat()} is before {EARLIEST_DATE.isoformat()}: fix the date."
        )
    assert reference is not None
    return replace(
        data, reference=reference, invoice_number=invoice_number, debtor_reference=debtor_reference, currency=currency
    )


class PaymentRecorder:
    """Records and allocates payments of one client, then brings cases, checks and promises up to date.

    Call ``finish`` after a set of changes (one API request, one import
    batch): it refreshes the cases of every debtor touched, closes payment
    checks that the arrived payments match, and re-evaluates promises.
    ``actor`` is the user behind the change, or None for an import or a job.
    """

    def __init__(self, session: AsyncSession, client: Client, *, actor: int | None = None, today: date | None = None):
        self.session = session
        self.client = client
        self.actor = actor
        self.today = today or client_today(client)
        self.touched_debtors: set[int] = set()
        # Payments new or changed since the last finish, each of them matched against open payment checks.
        self.arrived: list[Payment] = []
        self._payments: dict[str, Payment] = {}
        self._invoices: dict[str, Invoice] = {}
        self._debtors: dict[str, Debtor] = {}
        # Keys a preload looked up and did not find, so each is not queried again row by row.
        self._absent: set[tuple[str, str]] = set()

    async def preload(
        self, references: Iterable[str], invoice_numbers: Iterable[str], debtor_references: Iterable[str]
    ) -> None:
        """Load the stored payments, invoices and debtors a batch names, with one query each."""
        client_id = self.client.id
        payment_keys = set(references)
        payments = select(Payment).where(Payment.client_id == client_id, Payment.reference.in_(payment_keys))
        for payment in await self.session.scalars(_locked(payments)):
            self._payments[payment.reference] = payment
        self._absent |= {("payment", key) for key in payment_keys - self._payments.keys()}
        numbers = set(invoice_numbers)
        if numbers:
            invoices = select(Invoice).where(Invoice.client_id == client_id, Invoice.number.in_(numbers))
            for invoice in await self.session.scalars(_locked(invoices)):
                self._invoices[invoice.number] = invoice
            self._absent |= {("invoice", key) for key in numbers - self._invoices.keys()}
        debtor_keys = set(debtor_references)
        if debtor_keys:
            debtors = select(Debtor).where(Debtor.client_id == client_id, Debtor.reference.in_(debtor_keys))
            for debtor in await self.session.scalars(debtors):
                self._debtors[debtor.reference] = debtor
            self._absent |= {("debtor", key) for key in debtor_keys - self._debtors.keys()}

    async def record(self, data: PaymentData, source: PaymentSource) -> RecordedPayment:
        """Insert or update the payment with ``data.reference`` and allocate it; flush only.

        Raise ValidationError before changing anything when a value is
        invalid or the debtor reference contradicts the quoted invoice.
        """
        data = check_payment_data(data, self.client, self.today)
        assert data.reference is not None
        payment = await self._stored_payment(data.reference)
        if payment is not None and payment.source not in ALLOCATED_SOURCES:
            raise _field_error(
                "reference",
                f"Payment reference {data.reference!r} belongs to the payment implied by the settled date of invoice "
                f"{payment.invoice_reference}: give this payment another reference.",
            )
        quoted = await self._invoice(data.invoice_number) if data.invoice_number else None
        debtor = await self._debtor(data.debtor_reference) if data.debtor_reference else None
        if quoted is not None and data.debtor_reference is not None:
            await self._check_same_debtor(data, quoted, debtor)

        debtor_id = None
        if debtor is not None:
            debtor_id = debtor.id
        elif quoted is not None:
            debtor_id = quoted.debtor_id
        values = {
            "currency": data.currency,
            "amount_minor": data.amount_minor,
            "paid_on": data.paid_on,
            "invoice_reference": data.invoice_number,
        }
        if payment is None:
            payment = Payment(
                client_id=self.client.id, reference=data.reference, source=source, debtor_id=debtor_id, **values
            )
            self.session.add(payment)
            await self.session.flush()
            self._payments[payment.reference] = payment
            outcome = RecordOutcome.INSERTED
        else:
            # A file without the debtor keeps the debtor found earlier, for example by an allocation by hand.
            debtor_id = debtor_id if debtor_id is not None else payment.debtor_id
            same_values = all(getattr(payment, name) == value for name, value in values.items())
            # A payment whose quoted invoice has arrived since is allocated now, even with the same values.
            waiting_for_invoice = quoted is not None and payment.invoice_id is None
            if same_values and payment.debtor_id == debtor_id and not waiting_for_invoice:
                return RecordedPayment(payment, RecordOutcome.UNCHANGED)
            await self._release(payment)
            for name, value in values.items():
                setattr(payment, name, value)
            payment.debtor_id = debtor_id
            outcome = RecordOutcome.UPDATED

        await self._allocate(payment, quoted, no_debtor_reason=_no_debtor_reason(data))
        self._arrive(payment)
        return RecordedPayment(payment, outcome)

    async def allocate_by_hand(
        self, payment: Payment, invoice_number: str, amount_minor: int | None = None
    ) -> tuple[Invoice, int]:
        """Allocate up to ``amount_minor`` of the payment's unallocated remainder to an invoice.

        Return the invoice and the amount it took.

        Without ``amount_minor``, as much as the invoice has left to pay. The
        invoice may be under dispute, since a person chose it.
        """
        number = _clean_key("invoice_number", "Invoice number", invoice_number, INVOICE_NUMBER_MAX_CHARS, required=True)
        assert number is not None
        if payment.unallocated_minor <= 0:
            raise ConflictError(f"Payment {payment.reference!r} has no unallocated remainder: nothing to allocate.")
        invoice = await self._invoice(number)
        if invoice is None:
            raise _field_error("invoice_number", f"Invoice {number!r} not found for client {self.client.slug}.")
        if payment.debtor_id is not None and payment.debtor_id != invoice.debtor_id:
            payer = await self.session.get_one(Debtor, payment.debtor_id)
            owner = await self.session.get_one(Debtor, invoice.debtor_id)
            raise _field_error(
                "invoice_number",
                f"Invoice {number!r} belongs to debtor {owner.reference!r}, not to debtor {payer.reference!r} "
                "of the payment: pick an invoice of that debtor.",
            )
        left = invoice.remaining_minor()
        if left <= 0:
            raise _field_error("invoice_number", f"Invoice {number!r} has nothing left to pay: pick an open invoice.")
        taken = min(payment.unallocated_minor, left)
        if amount_minor is not None:
            if not 0 < amount_minor <= taken:
                raise _field_error(
                    "amount_minor",
                    f"Amount {amount_minor} is outside 1 to {taken}: the payment has {payment.unallocated_minor} "
                    f"unallocated and invoice {number} has {left} left to pay.",
                )
            taken = amount_minor

        allocation = await self.session.scalar(
            select(PaymentAllocation).where(
                PaymentAllocation.payment_id == payment.id, PaymentAllocation.invoice_id == invoice.id
            )
        )
        await self._add_part(payment, invoice, taken, allocation)
        newly_assigned = payment.debtor_id is None
        payment.debtor_id = invoice.debtor_id
        if payment.invoice_id is None:
            payment.invoice_id = invoice.id
        payment.unallocated_minor -= taken
        payment.unallocated_reason = (
            None
            if payment.unallocated_minor == 0
            else clip_reason(
                f"{format_money(payment.unallocated_minor, payment.currency)} left after allocating "
                f"{format_money(taken, payment.currency)} to invoice {number} by hand"
            )
        )
        self.touched_debtors.add(invoice.debtor_id)
        if newly_assigned:
            self._arrive(payment)
        await self.session.flush()
        return invoice, taken

    async def retry_quoted_invoices(self) -> int:
        """Allocate the payments whose quoted invoice was not found before and now exists; return how many.

        A payment whose debtor differs from the debtor of that invoice stays
        unallocated, with the reason saying so.
        """
        waiting = (
            select(Payment, Invoice)
            .join(Invoice, and_(Invoice.client_id == Payment.client_id, Invoice.number == Payment.invoice_reference))
            .where(
                Payment.client_id == self.client.id,
                Payment.source.in_(ALLOCATED_SOURCES),
                Payment.invoice_id.is_(None),
                Payment.unallocated_minor > 0,
                ~exists().where(PaymentAllocation.payment_id == Payment.id),
            )
            .order_by(Payment.paid_on, Payment.id)
        )
        allocated = 0
        for payment, invoice in (await self.session.execute(_locked(waiting))).all():
            if payment.debtor_id is not None and payment.debtor_id != invoice.debtor_id:
                payer = await self.session.get_one(Debtor, payment.debtor_id)
                owner = await self.session.get_one(Debtor, invoice.debtor_id)
                reason = clip_reason(
                    f"invoice {invoice.number} belongs to debtor {owner.reference}, "
                    f"not to debtor {payer.reference} of the payment"
                )
                if payment.unallocated_reason != reason:
                    payment.unallocated_reason = reason
                continue
            newly_assigned = payment.debtor_id is None
            payment.debtor_id = invoice.debtor_id
            await self._allocate(payment, invoice, no_debtor_reason=NO_PAYER_REASON)
            if newly_assigned:
                self._arrive(payment)
            allocated += 1
        return allocated

    async def finish(self) -> None:
        """Refresh the touched debtors' cases, close matched payment checks and re-evaluate promises; flush only."""
        await self.session.flush()
        debtor_ids = sorted(self.touched_debtors)
        await refresh_debtor_cases(self.session, self.client, debtor_ids)
        await settle_payment_checks(self.session, self.client, self.arrived, today=self.today, actor=self.actor)
        await evaluate_payment_promises(self.session, self.client, debtor_ids, self.today)
        self.touched_debtors = set()
        self.arrived = []

    def clear_cache(self) -> None:
        """Forget the records loaded so far, so the next batch reads them again under its own lock."""
        self._payments, self._invoices, self._debtors = {}, {}, {}
        self._absent = set()

    async def _stored_payment(self, reference: str) -> Payment | None:
        if ("payment", reference) in self._absent and reference not in self._payments:
            return None
        if reference not in self._payments:
            query = select(Payment).where(Payment.client_id == self.client.id, Payment.reference == reference)
            payment = await self.session.scalar(_locked(query))
            if payment is None:
                return None
            self._payments[reference] = payment
        return self._payments[reference]

    async def _invoice(self, number: str) -> Invoice | None:
        if ("invoice", number) in self._absent:
            return None
        if number not in self._invoices:
            query = select(Invoice).where(Invoice.client_id == self.client.id, Invoice.number == number)
            invoice = await self.session.scalar(_locked(query))
            if invoice is None:
                return None
            self._invoices[number] = invoice
        return self._invoices[number]

    async def _debtor(self, reference: str) -> Debtor | None:
        if ("debtor", reference) in self._absent:
            return None
        if reference not in self._debtors:
            query = select(Debtor).where(Debtor.client_id == self.client.id, Debtor.reference == reference)
            debtor = await self.session.scalar(query)
            if debtor is None:
                return None
            self._debtors[reference] = debtor
        return self._debtors[reference]

    async def _check_same_debtor(self, data: PaymentData, quoted: Invoice, debtor: Debtor | None) -> None:
        if debtor is not None and debtor.id == quoted.debtor_id:
            return
        owner = await self.session.get_one(Debtor, quoted.debtor_id)
        raise _field_error(
            "debtor_reference",
            f"Debtor reference {data.debtor_reference!r} contradicts invoice {quoted.number!r}, which belongs to "
            f"debtor {owner.reference!r}: fix the debtor reference or the invoice number.",
        )

    async def _release(self, payment: Payment) -> None:
        """Remove the payment's allocations and give their amounts back to the invoices."""
        parts = (
            select(PaymentAllocation, Invoice)
            .join(Invoice, Invoice.id == PaymentAllocation.invoice_id)
            .where(PaymentAllocation.payment_id == payment.id)
        )
        for allocation, invoice in (await self.session.execute(_locked(parts))).all():
            invoice.paid_minor -= allocation.amount_minor
            invoice.recompute_open()
            self.touched_debtors.add(invoice.debtor_id)
            await self.session.delete(allocation)
        if payment.debtor_id is not None:
            self.touched_debtors.add(payment.debtor_id)
        # The new allocations may name the same invoices, and (payment, invoice) is unique.
        await self.session.flush()

    async def _allocate(self, payment: Payment, quoted: Invoice | None, *, no_debtor_reason: str) -> None:
        payment.invoice_id = quoted.id if quoted is not None else None
        if payment.invoice_reference is not None and quoted is None:
            _leave_unallocated(payment, f"invoice {payment.invoice_reference} not found")
            return
        if payment.debtor_id is None:
            _leave_unallocated(payment, no_debtor_reason)
            return

        self.touched_debtors.add(payment.debtor_id)
        debtor = await self.session.get_one(Debtor, payment.debtor_id)
        others = await self._open_invoices(payment.debtor_id)
        plan = plan_allocation(payment.amount_minor, payment.currency, quoted, others, debtor_label=debtor.reference)
        for invoice, amount in plan.parts:
            await self._add_part(payment, invoice, amount)
        payment.unallocated_minor = plan.unallocated_minor
        payment.unallocated_reason = plan.reason

    async def _open_invoices(self, debtor_id: int) -> list[Invoice]:
        """Return the debtor's open, undisputed invoices with an amount left, oldest due date first."""
        query = (
            select(Invoice)
            .where(
                Invoice.client_id == self.client.id,
                Invoice.debtor_id == debtor_id,
                Invoice.currency == self.client.currency,
                Invoice.settled_date.is_(None),
                Invoice.amount_minor > 0,
                Invoice.amount_minor - Invoice.paid_minor - Invoice.credited_minor > 0,
                ~invoice_is_disputed(),
            )
            .order_by(Invoice.due_date, Invoice.id)
        )
        return list((await self.session.scalars(_locked(query))).all())

    async def _add_part(
        self, payment: Payment, invoice: Invoice, amount_minor: int, allocation: PaymentAllocation | None = None
    ) -> None:
        """Add ``amount_minor`` of the payment to the invoice, in ``allocation`` when the pair has one already."""
        if allocation is None:
            self.session.add(
                PaymentAllocation(
                    client_id=self.client.id, payment_id=payment.id, invoice_id=invoice.id, amount_minor=amount_minor
                )
            )
        else:
            allocation.amount_minor += amount_minor
        invoice.paid_minor += amount_minor
        invoice.recompute_open()
        self.touched_debtors.add(invoice.debtor_id)

    def _arrive(self, payment: Payment) -> None:
        if payment.debtor_id is not None:
            self.touched_debtors.add(payment.debtor_id)
            self.arrived.append(payment)


def _locked(query):  # type: ignore[no-untyped-def]
    """Lock the selected rows until the transaction ends (PostgreSQL) and read them afresh into the session."""
    return query.with_for_update().execution_options(populate_existing=True)


def _leave_unallocated(payment: Payment, reason: str) -> None:
    payment.unallocated_minor = payment.amount_minor
    payment.unallocated_reason = clip_reason(reason)


def _no_debtor_reason(data: PaymentData) -> str:
    if data.debtor_reference:
        return f"debtor {data.debtor_reference} not found: import the debtor, then import this payment again"
    return NO_PAYER_REASON


async def evaluate_payment_promises(
    session: AsyncSession, client: Client, debtor_ids: Collection[int], today: date | None = None
) -> None:
    """Re-evaluate the promises of ``debtor_ids`` after their payments changed; no call without debtors."""
    if debtor_ids:
        await evaluate_debtor_promises(session, client, debtor_ids, today)


async def record_payment(
    session: AsyncSession,
    client: Client,
    data: PaymentData,
    source: PaymentSource = PaymentSource.API,
    *,
    actor: int | None = None,
    today: date | None = None,
) -> RecordedPayment:
    """Record one payment and bring cases, payment checks and promises up to date; flush, never commit."""
    recorder = PaymentRecorder(session, client, actor=actor, today=today)
    recorded = await recorder.record(data, source)
    await recorder.finish()
    return recorded


async def retry_unallocated_payments(session: AsyncSession, client: Client) -> int:
    """Allocate the payments that quoted an invoice an import has brought since; return how many; flush only."""
    recorder = PaymentRecorder(session, client)
    allocated = await recorder.retry_quoted_invoices()
    await recorder.finish()
    return allocated


async def get_payment_in_scope(session: AsyncSession, scope: Scope, payment_id: int) -> Payment:
    """Return the payment, or raise NotFoundError when it does not exist or lies outside ``scope``."""
    payment = None
    if is_row_id(payment_id):
        query = select(Payment).where(Payment.id == payment_id, Payment.client_id.in_(scope.client_ids))
        payment = await session.scalar(query)
    if payment is None:
        raise NotFoundError(
            f"Payment {payment_id} not found: it does not exist or belongs to a client you do not work on."
        )
    return payment


async def allocate_payment_by_hand(
    session: AsyncSession,
    payment: Payment,
    invoice_number: str,
    amount_minor: int | None = None,
    *,
    actor: int | None = None,
) -> tuple[Invoice, int]:
    """Allocate part of the payment's remainder to ``invoice_number`` and bring cases up to date; flush only.

    Return the invoice and the amount it took.
    """
    client = await session.get_one(Client, payment.client_id)
    recorder = PaymentRecorder(session, client, actor=actor)
    payment = await session.get_one(Payment, payment.id, with_for_update=True, populate_existing=True)
    allocated = await recorder.allocate_by_hand(payment, invoice_number, amount_minor)
    await recorder.finish()
    return allocated


async def cash_received(session: AsyncSession, client_id: int, debtor_id: int | None, start: date, end: date) -> int:
    """Return the minor units received from ``start`` to ``end`` inclusive, for one debtor or the whole client.

    Payments from imports and the API count in full. A settlement payment,
    which only records that the export marks the invoice settled, counts for
    the part of its invoice that no recorded payment or credit explains, so
    a bank payment and the settled date of the same invoice are not counted
    twice.
    """
    in_period = [
        Payment.client_id == client_id,
        Payment.paid_on >= start,
        Payment.paid_on <= end,
        Payment.currency == Client.currency,
    ]
    if debtor_id is not None:
        in_period.append(Payment.debtor_id == debtor_id)

    recorded = select(func.coalesce(func.sum(Payment.amount_minor), 0)).join(Client, Client.id == Payment.client_id)
    recorded = recorded.where(*in_period, Payment.source.in_(ALLOCATED_SOURCES))
    unexplained = Invoice.amount_minor - Invoice.paid_minor - Invoice.credited_minor
    settled = (
        select(func.coalesce(func.sum(unexplained), 0))
        .select_from(Payment)
        .join(Client, Client.id == Payment.client_id)
        .join(Invoice, Invoice.id == Payment.invoice_id)
        .where(*in_period, Payment.source == PaymentSource.SETTLEMENT, unexplained > 0)
    )
    return int(await session.scalar(recorded) or 0) + int(await session.scalar(settled) or 0)


@dataclass(frozen=True)
class PaymentView:
    """A payment with its client's slug, its debtor's reference and its allocations as (invoice number, amount)."""

    payment: Payment
    client_slug: str
    debtor_reference: str | None
    invoice_number: str | None
    allocations: list[tuple[str, int]]


async def list_payments(
    session: AsyncSession,
    scope: Scope,
    *,
    client_id: int | None = None,
    debtor_reference: str | None = None,
    unallocated: bool = False,
    limit: int = 100,
) -> list[Payment]:
    """Return the payments in ``scope``, newest payment day first, filtered by client, debtor and remainder."""
    query = select(Payment).where(Payment.client_id.in_(scope.client_ids))
    if client_id is not None:
        query = query.where(Payment.client_id == client_id)
    if debtor_reference:
        query = query.join(Debtor, Debtor.id == Payment.debtor_id).where(Debtor.reference == debtor_reference)
    if unallocated:
        query = query.where(Payment.unallocated_minor > 0)
    query = query.order_by(Payment.paid_on.desc(), Payment.id.desc()).limit(limit)
    return list((await session.scalars(query)).all())


async def describe_payments(session: AsyncSession, payments: Sequence[Payment]) -> list[PaymentView]:
    """Return a view of each payment, loading clients, debtors, invoices and allocations with one query each."""
    if not payments:
        return []
    client_ids = {payment.client_id for payment in payments}
    debtor_ids = {payment.debtor_id for payment in payments if payment.debtor_id is not None}
    invoice_ids = {payment.invoice_id for payment in payments if payment.invoice_id is not None}
    slugs = dict((await session.execute(select(Client.id, Client.slug).where(Client.id.in_(client_ids)))).all())
    debtors = dict((await session.execute(select(Debtor.id, Debtor.reference).where(Debtor.id.in_(debtor_ids)))).all())
    numbers = dict((await session.execute(select(Invoice.id, Invoice.number).where(Invoice.id.in_(invoice_ids)))).all())
    parts = await session.execute(
        select(PaymentAllocation.payment_id, Invoice.number, PaymentAllocation.amount_minor)
        .join(Invoice, Invoice.id == PaymentAllocation.invoice_id)
        .where(PaymentAllocation.payment_id.in_([payment.id for payment in payments]))
        .order_by(Invoice.due_date, Invoice.id)
    )
    allocations: dict[int, list[tuple[str, int]]] = {}
    for payment_id, number, amount in parts.all():
        allocations.setdefault(payment_id, []).append((number, amount))
    return [
        PaymentView(
            payment=payment,
            client_slug=slugs[payment.client_id],
            debtor_reference=debtors.get(payment.debtor_id) if payment.debtor_id is not None else None,
            invoice_number=numbers.get(payment.invoice_id) if payment.invoice_id is not None else None,
            allocations=allocations.get(payment.id, []),
        )
        for payment in payments
    ]
