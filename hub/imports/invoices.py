"""Upsert invoices on (client, number) with their debtors, settlement payments and disputes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.clients.models import Client
from hub.imports.batches import assign_changed, write_in_batches
from hub.imports.debtors import DebtorStore
from hub.imports.mapping import Mapping, bind_columns
from hub.imports.parsing import RowError
from hub.imports.reader import CsvTable
from hub.imports.records import InvoiceRecord, RecordBuilder
from hub.imports.report import ImportSummary, Outcome
from hub.imports.settlement import SettlementStore
from hub.invoices.models import Invoice


@dataclass(frozen=True)
class InvoiceRow:
    line: int
    record: InvoiceRecord


def settled_as_of(record: InvoiceRecord, as_of: date | None) -> date | None:
    """Return the settled date as it stood on ``as_of``: a settlement after that day has not happened yet."""
    if as_of is not None and record.settled_date is not None and record.settled_date > as_of:
        return None
    return record.settled_date


async def import_invoices(
    session: AsyncSession,
    client: Client,
    table: CsvTable,
    mapping: Mapping,
    as_of: date | None,
    batch_size: int,
) -> ImportSummary:
    """Upsert every valid row of an invoices file as the portfolio stood on ``as_of``.

    With ``as_of``, invoices issued after it are left out and counted as not
    yet issued, and those settled after it are imported as open. Without
    it, the settled dates are taken as they are.
    """
    positions = bind_columns(mapping, table.header, "invoices")
    builder = RecordBuilder(mapping, positions, table.header, client.currency, client.timezone)
    summary = ImportSummary(kind="invoices", client=client.slug, file=str(table.path), as_of=as_of)
    rows = _parse_rows(table, builder, as_of, summary)

    writer = _InvoiceWriter(session, client, as_of, summary)
    await write_in_batches(session, rows, writer.write_batch, lambda row: row.line, batch_size)
    return summary


def _parse_rows(
    table: CsvTable, builder: RecordBuilder, as_of: date | None, summary: ImportSummary
) -> list[InvoiceRow]:
    first_rows: dict[str, InvoiceRow] = {}
    accepted = []
    for row in table.rows:
        summary.read += 1
        try:
            builder.check_row(row)
            record = builder.invoice(row)
        except RowError as error:
            summary.reject(row, str(error))
            continue
        first = first_rows.get(record.number)
        if first is not None:
            summary.reject(row, _duplicate_reason(record, first))
            continue
        first_rows[record.number] = InvoiceRow(row.line, record)
        summary.warn(row, record.debtor.warnings)
        if as_of is not None and record.issue_date is not None and record.issue_date > as_of:
            # NOTE: an invoice stored by an earlier import with a later as-of date stays as it is.
            summary.not_yet_issued += 1
            continue
        accepted.append(first_rows[record.number])
    return accepted


def _duplicate_reason(record: InvoiceRecord, first: InvoiceRow) -> str:
    difference = "different values" if record != first.record else "the same values"
    return f"duplicate invoice number {record.number!r}: first on line {first.line} with {difference}"


class _InvoiceWriter:
    """Writer of batches of invoice rows. Debtors stay cached across batches."""

    def __init__(self, session: AsyncSession, client: Client, as_of: date | None, summary: ImportSummary) -> None:
        self.session = session
        self.client_id = client.id
        self.as_of = as_of
        self.summary = summary
        self.debtors = DebtorStore(session, client.id)
        self.settlements = SettlementStore(session, client.id, client.dispute_sla_days)

    async def write_batch(self, batch: Sequence[InvoiceRow]) -> None:
        """Write debtors, then invoices, then payments and disputes, flushing between steps for their ids."""
        await self.debtors.load(row.record.debtor.reference for row in batch)
        debtors = [self.debtors.upsert(row.record.debtor) for row in batch]
        await self.session.flush()

        invoices = await self._load_invoices(batch)
        upserts = [
            self._upsert_invoice(invoices, row.record, debtor.id)
            for row, (debtor, _) in zip(batch, debtors, strict=True)
        ]
        await self.session.flush()

        numbers = [row.record.number for row in batch]
        await self.settlements.load(numbers, [invoice.id for invoice, _ in upserts])
        for row, (_, debtor_outcome), (invoice, outcome) in zip(batch, debtors, upserts, strict=True):
            changed = await self._sync_settlement(invoice, row.record)
            self.summary.count(_row_outcome(outcome, debtor_outcome, changed))
        await self.settlements.link_new_disputes()
        await self.session.flush()

    async def _load_invoices(self, batch: Sequence[InvoiceRow]) -> dict[str, Invoice]:
        numbers = [row.record.number for row in batch]
        query = select(Invoice).where(Invoice.client_id == self.client_id, Invoice.number.in_(numbers))
        return {invoice.number: invoice for invoice in await self.session.scalars(query)}

    def _upsert_invoice(
        self, invoices: dict[str, Invoice], record: InvoiceRecord, debtor_id: int
    ) -> tuple[Invoice, Outcome]:
        invoice = invoices.get(record.number)
        values = self._invoice_values(record, debtor_id, invoice)
        if invoice is None:
            invoice = Invoice(client_id=self.client_id, number=record.number, **values)
            self.session.add(invoice)
            return invoice, Outcome.INSERTED
        return invoice, Outcome.UPDATED if assign_changed(invoice, values) else Outcome.UNCHANGED

    def _invoice_values(self, record: InvoiceRecord, debtor_id: int, stored: Invoice | None) -> dict[str, Any]:
        settled_date = settled_as_of(record, self.as_of)
        # Payments allocated and credits given to a stored invoice still count against the amount in the file.
        taken = stored.paid_minor + stored.credited_minor if stored is not None else 0
        values: dict[str, Any] = {
            "debtor_id": debtor_id,
            "currency": record.currency,
            "amount_minor": record.amount_minor,
            "open_minor": 0 if settled_date is not None else record.amount_minor - taken,
            "issue_date": record.issue_date,
            "due_date": record.due_date,
            "settled_date": settled_date,
        }
        if record.paperless is not None:
            values["paperless"] = record.paperless
        return values

    async def _sync_settlement(self, invoice: Invoice, record: InvoiceRecord) -> bool:
        payment_changed = await self.settlements.sync_payment(invoice)
        dispute_changed = self.settlements.sync_dispute(invoice, record)
        return payment_changed or dispute_changed


def _row_outcome(invoice: Outcome, debtor: Outcome, settlement_changed: bool) -> Outcome:
    if invoice is Outcome.INSERTED:
        return Outcome.INSERTED
    if invoice is Outcome.UPDATED or debtor is not Outcome.UNCHANGED or settlement_changed:
        return Outcome.UPDATED
    return Outcome.UNCHANGED
