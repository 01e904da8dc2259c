"""Payments and disputes that an invoice row implies through its settled date and disputed flag."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.disputes.models import OPEN_DISPUTE_STATUSES, Dispute, DisputeInvoice, DisputeStatus
from hub.disputes.sla import add_working_days
from hub.imports.batches import assign_changed
from hub.imports.records import InvoiceRecord
from hub.invoices.models import Invoice, Payment, PaymentSource

PAYMENT_REFERENCE_PREFIX = "settled:"
PAYMENT_REFERENCE_LENGTH = 64
# Marks the disputes the importer owns, so agents' own disputes on the same invoice are left alone.
IMPORTED_DISPUTE_NOTE = "Opened from the disputed flag of an imported invoice file."


def settlement_payment_reference(invoice_number: str) -> str:
    """Return the reference of the payment that settles ``invoice_number`` in full (same input, same reference)."""
    reference = PAYMENT_REFERENCE_PREFIX + invoice_number
    if len(reference) <= PAYMENT_REFERENCE_LENGTH:
        return reference
    digest = hashlib.sha256(invoice_number.encode()).hexdigest()
    return PAYMENT_REFERENCE_PREFIX + digest[: PAYMENT_REFERENCE_LENGTH - len(PAYMENT_REFERENCE_PREFIX)]


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


class SettlementStore:
    """The settlement payments and imported disputes of the invoices in one batch."""

    def __init__(self, session: AsyncSession, client_id: int, dispute_sla_days: int) -> None:
        self.session = session
        self.client_id = client_id
        self.dispute_sla_days = dispute_sla_days
        self.payments: dict[str, Payment] = {}
        self.disputes: dict[int, Dispute] = {}
        # Disputes added in this batch, with their invoice, waiting for an id to link them.
        self.unlinked: list[tuple[Dispute, int]] = []

    async def load(self, invoice_numbers: Iterable[str], invoice_ids: Iterable[int]) -> None:
        references = [settlement_payment_reference(number) for number in invoice_numbers]
        payments = select(Payment).where(Payment.client_id == self.client_id, Payment.reference.in_(references))
        self.payments = {payment.reference: payment for payment in await self.session.scalars(payments)}
        disputes = (
            select(DisputeInvoice.invoice_id, Dispute)
            .join(Dispute, Dispute.id == DisputeInvoice.dispute_id)
            .where(
                Dispute.client_id == self.client_id,
                DisputeInvoice.invoice_id.in_(list(invoice_ids)),
                Dispute.note == IMPORTED_DISPUTE_NOTE,
            )
        )
        self.disputes = {invoice_id: dispute for invoice_id, dispute in await self.session.execute(disputes)}

    async def sync_payment(self, invoice: Invoice) -> bool:
        """Add the full payment of a settled invoice or delete it from an open one.

        Return whether anything changed.
        """
        reference = settlement_payment_reference(invoice.number)
        payment = self.payments.get(reference)
        if invoice.settled_date is None:
            if payment is None:
                return False
            await self.session.delete(payment)
            del self.payments[reference]
            return True

        values = _payment_values(invoice)
        if payment is None:
            self.payments[reference] = Payment(client_id=self.client_id, reference=reference, **values)
            self.session.add(self.payments[reference])
            return True
        return assign_changed(payment, values)

    def sync_dispute(self, invoice: Invoice, record: InvoiceRecord) -> bool:
        """Create or update the imported dispute of a disputed invoice and return whether it changed.

        The dispute is open while the invoice is open and resolved once it is settled.

        NOTE: a dispute opened by an earlier import stays when the flag later reads "No".
        """
        if not record.disputed:
            return False
        dispute = self.disputes.get(invoice.id)
        values = _dispute_values(invoice, record, dispute)
        if dispute is None:
            dispute = Dispute(client_id=self.client_id, note=IMPORTED_DISPUTE_NOTE, **values)
            dispute.sla_due_on = add_working_days(values["opened_at"].date(), self.dispute_sla_days)
            self.session.add(dispute)
            self.disputes[invoice.id] = dispute
            self.unlinked.append((dispute, invoice.id))
            return True
        return assign_changed(dispute, values)

    async def link_new_disputes(self) -> None:
        """Link the disputes added since the last call to their invoices."""
        if not self.unlinked:
            return
        await self.session.flush()
        self.session.add_all(
            DisputeInvoice(dispute_id=dispute.id, invoice_id=invoice_id, client_id=self.client_id)
            for dispute, invoice_id in self.unlinked
        )
        self.unlinked = []


def _payment_values(invoice: Invoice) -> dict[str, Any]:
    return {
        "debtor_id": invoice.debtor_id,
        "invoice_id": invoice.id,
        "currency": invoice.currency,
        "amount_minor": invoice.amount_minor,
        "paid_on": invoice.settled_date,
        "source": PaymentSource.SETTLEMENT,
        "invoice_reference": invoice.number,
    }


def _dispute_values(invoice: Invoice, record: InvoiceRecord, dispute: Dispute | None) -> dict[str, Any]:
    values: dict[str, Any] = {
        "debtor_id": invoice.debtor_id,
        "opened_at": start_of_day(record.issue_date or record.due_date),
    }
    if invoice.settled_date is not None:
        values["status"] = DisputeStatus.RESOLVED_CREDITOR
        values["resolved_at"] = start_of_day(invoice.settled_date)
    elif dispute is None or dispute.status not in OPEN_DISPUTE_STATUSES:
        # An agent may have moved an open dispute to under review, and that status stays.
        values["status"] = DisputeStatus.OPEN
        values["resolved_at"] = None
    return values
