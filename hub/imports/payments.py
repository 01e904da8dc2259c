"""Upsert payments on (client, reference) from a bank or ERP export and allocate them to invoices."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hub.cases.priority import client_today
from hub.clients.models import Client
from hub.errors import ValidationError
from hub.imports.batches import write_in_batches
from hub.imports.mapping import Mapping, bind_columns
from hub.imports.parsing import RowError
from hub.imports.reader import CsvRow, CsvTable
from hub.imports.records import RecordBuilder
from hub.imports.report import ImportSummary, Outcome
from hub.invoices.models import PaymentSource
from hub.payments.services import REFERENCE_MAX_CHARS, PaymentData, PaymentRecorder


@dataclass
class PaymentImportSummary(ImportSummary):
    """The counts of a payments import; rows dated after the as-of date are left out and counted."""

    after_as_of: int = 0

    def as_dict(self) -> dict[str, Any]:
        counts = super().as_dict()
        del counts["not_yet_issued"]
        counts["after_as_of"] = self.after_as_of
        return counts

    def as_text(self) -> str:
        text = super().as_text()
        verdict = "; nothing changed" if text.endswith("; nothing changed") else ""
        return f"{text.removesuffix(verdict)}, after_as_of {self.after_as_of}{verdict}"


@dataclass(frozen=True)
class PaymentRow:
    row: CsvRow
    data: PaymentData


class PaymentRecordBuilder(RecordBuilder):
    """Reader of payment rows: reference, positive amount, date, and the quoted invoice and debtor if given."""

    def __init__(self, mapping: Mapping, positions: dict[str, int], header: list[str], client: Client, today: date):
        super().__init__(mapping, positions, header, client.currency, client.timezone)
        self.today = today

    def payment(self, row: CsvRow) -> PaymentData:
        currency = self._currency(row)
        reference = self._required_text(row, "payment_reference")
        if len(reference) > REFERENCE_MAX_CHARS:
            raise RowError(
                f"column {self._column('payment_reference')!r}: reference is longer than {REFERENCE_MAX_CHARS} "
                f"characters ({len(reference)})"
            )
        amount_minor = self._amount(row, currency)
        if amount_minor <= 0:
            raise RowError(
                f"column {self._column('amount')!r}: amount {row.values[self.positions['amount']].strip()!r} is not "
                "positive. Refunds and reversals are not payments, so leave them out of the payments file"
            )
        paid_on = self._required_date(row, "paid_on")
        return PaymentData(
            reference=reference,
            amount_minor=amount_minor,
            currency=currency,
            paid_on=paid_on,
            invoice_number=self._text(row, "invoice_number") or None,
            debtor_reference=self._text(row, "debtor_reference") or None,
        )


async def import_payments(
    session: AsyncSession, client: Client, table: CsvTable, mapping: Mapping, as_of: date | None, batch_size: int
) -> PaymentImportSummary:
    """Upsert and allocate every valid row of a payments file as the accounts stood on ``as_of``.

    With ``as_of``, payments dated after it are left out and counted.
    A rejected row is listed in the summary with its line and reason. The
    reasons are an invalid cell, an amount that is not positive, a date
    after today, a reference already used on an earlier row, and a debtor
    reference that contradicts the debtor of the quoted invoice.
    """
    today = client_today(client)
    positions = bind_columns(mapping, table.header, "payments")
    builder = PaymentRecordBuilder(mapping, positions, table.header, client, today)
    summary = PaymentImportSummary(kind="payments", client=client.slug, file=str(table.path), as_of=as_of)
    rows = _parse_rows(table, builder, as_of, today, summary)

    recorder = PaymentRecorder(session, client, today=today)

    async def write_batch(batch: Sequence[PaymentRow]) -> None:
        await recorder.preload(
            (item.data.reference for item in batch),
            (item.data.invoice_number for item in batch if item.data.invoice_number),
            (item.data.debtor_reference for item in batch if item.data.debtor_reference),
        )
        for item in batch:
            try:
                recorded = await recorder.record(item.data, PaymentSource.IMPORT)
            except ValidationError as error:
                summary.reject(item.row, str(error))
                continue
            summary.count(Outcome(recorded.outcome.value))
        await recorder.finish()
        recorder.clear_cache()

    await write_in_batches(session, rows, write_batch, lambda item: item.row.line, batch_size)
    return summary


def _parse_rows(
    table: CsvTable, builder: PaymentRecordBuilder, as_of: date | None, today: date, summary: PaymentImportSummary
) -> list[PaymentRow]:
    first_rows: dict[str, PaymentRow] = {}
    accepted = []
    for row in table.rows:
        summary.read += 1
        try:
            builder.check_row(row)
            data = builder.payment(row)
        except RowError as error:
            summary.reject(row, str(error))
            continue
        first = first_rows.get(data.reference)
        if first is not None:
            difference = "different values" if data != first.data else "the same values"
            summary.reject(
                row, f"duplicate payment reference {data.reference!r}: first on line {first.row.line} with {difference}"
            )
            continue
        first_rows[data.reference] = PaymentRow(row, data)
        if as_of is not None and data.paid_on > as_of:
            # NOTE: a payment stored by an earlier import with a later as-of date stays as it is.
            summary.after_as_of += 1
            continue
        if data.paid_on > today:
            summary.reject(row, f"payment date {data.paid_on} is after today ({today}): fix the date in the export")
            continue
        accepted.append(first_rows[data.reference])
    return accepted
