"""Load a client's invoices for scoring in one query."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.clients.models import Client
from hub.disputes.models import DisputeInvoice
from hub.invoices.models import Invoice
from hub.scoring.features import InvoiceRecord


async def load_invoice_records(session: AsyncSession, client: Client) -> list[InvoiceRecord]:
    """Return every invoice of ``client`` with a flag for whether it was ever disputed."""
    disputed = (
        exists().where(DisputeInvoice.invoice_id == Invoice.id, DisputeInvoice.client_id == client.id).label("disputed")
    )
    query = select(
        Invoice.id,
        Invoice.debtor_id,
        Invoice.issue_date,
        Invoice.due_date,
        Invoice.settled_date,
        Invoice.amount_minor,
        Invoice.open_minor,
        Invoice.paperless,
        disputed,
    ).where(Invoice.client_id == client.id)
    rows = (await session.execute(query)).all()
    return [
        InvoiceRecord(
            id=row.id,
            debtor_id=row.debtor_id,
            # NOTE: an invoice without an issue date is featured as of its due
            # date, so its history may include invoices settled during its term.
            start_date=row.issue_date or row.due_date,
            due_date=row.due_date,
            settled_date=row.settled_date,
            amount_minor=row.amount_minor,
            open_minor=row.open_minor,
            paperless=row.paperless,
            disputed=bool(row.disputed),
        )
        for row in rows
    ]
