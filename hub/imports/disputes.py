"""Import disputes already running when a portfolio is taken over, with their original opening dates.

A file row names one disputed invoice. Rows that share a dispute_reference
form one dispute over several invoices. Without that column (or with an
empty cell) each row is a dispute of its own, keyed on invoice number and
opening date. A re-run of the same file changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.audit.services import DISPUTES_IMPORTED, record_audit
from hub.cases.priority import client_today
from hub.clients.models import Client
from hub.debtors.models import Debtor
from hub.disputes.models import (
    DISPUTE_REASON_LABELS,
    DISPUTE_STATUS_LABELS,
    OPEN_DISPUTE_STATUSES,
    Dispute,
    DisputeInvoice,
    DisputeReason,
    DisputeStatus,
)
from hub.disputes.sla import add_working_days
from hub.errors import ValidationError
from hub.imports.batches import assign_changed, write_in_batches
from hub.imports.mapping import CODE_FIELDS, Mapping, bind_columns
from hub.imports.parsing import RowError
from hub.imports.reader import CsvRow, CsvTable
from hub.imports.records import RecordBuilder
from hub.imports.report import ImportSummary, Outcome
from hub.imports.settlement import IMPORTED_DISPUTE_NOTE
from hub.interactions.services import clean_note
from hub.invoices.models import Invoice

RESOLVED_STATUSES = (DisputeStatus.RESOLVED_DEBTOR, DisputeStatus.RESOLVED_CREDITOR)
# Spaces and hyphens in a status or reason cell read as the underscores of the hub's codes ("under review").
CODE_SEPARATORS = re.compile(r"[\s-]+")
# The end of ImportSummary.as_text() for a run that stored nothing.
NOTHING_CHANGED = "; nothing changed"


@dataclass
class DisputeImportSummary(ImportSummary):
    """The counts of a disputes import: rows as in every import, and the disputes those rows created or changed.

    Several rows can form one dispute, so the row counts alone do not tell how
    many disputes an import stored. Rows opened after the as-of date are
    left out and counted.
    """

    after_as_of: int = 0
    created_dispute_ids: set[int] = field(default_factory=set)
    updated_dispute_ids: set[int] = field(default_factory=set)

    @property
    def disputes_created(self) -> int:
        return len(self.created_dispute_ids)

    @property
    def disputes_updated(self) -> int:
        return len(self.updated_dispute_ids - self.created_dispute_ids)

    def as_dict(self) -> dict[str, Any]:
        counts = super().as_dict()
        del counts["not_yet_issued"]
        counts["after_as_of"] = self.after_as_of
        counts["disputes_created"] = self.disputes_created
        counts["disputes_updated"] = self.disputes_updated
        return counts

    def as_text(self) -> str:
        text = super().as_text()
        verdict = NOTHING_CHANGED if text.endswith(NOTHING_CHANGED) else ""
        counted = text.removesuffix(verdict)
        counted += f", disputes created {self.disputes_created}, disputes updated {self.disputes_updated}"
        if self.after_as_of:
            counted += f", opened after the as-of date {self.after_as_of}"
        return counted + verdict


@dataclass(frozen=True)
class DisputeRecord:
    """One row of a disputes file: the invoice it names and the fields of the dispute it belongs to."""

    reference: str | None
    invoice_number: str
    debtor_reference: str | None
    reason: DisputeReason
    status: DisputeStatus
    opened_on: date
    note: str | None


@dataclass(frozen=True)
class DisputeRow:
    row: CsvRow
    record: DisputeRecord


@dataclass
class DisputeGroup:
    """The rows of one dispute. The first row sets the dispute's reason, status, opening date and note."""

    rows: list[DisputeRow] = field(default_factory=list)

    @property
    def first(self) -> DisputeRecord:
        return self.rows[0].record

    @property
    def line(self) -> int:
        return self.rows[0].row.line


def _code_lookup(enum_type: type[DisputeReason] | type[DisputeStatus], labels: dict[Any, str]) -> dict[str, str]:
    """Return the hub's codes and labels, case-folded, each with its code."""
    lookup = {member.value: member.value for member in enum_type}
    lookup.update({label.casefold(): member.value for member, label in labels.items()})
    return lookup


OWN_CODES = {
    "reason": _code_lookup(DisputeReason, DISPUTE_REASON_LABELS),
    "status": _code_lookup(DisputeStatus, DISPUTE_STATUS_LABELS),
}


class DisputeRecordBuilder(RecordBuilder):
    """Reader of dispute rows: invoice number, opening date, and the reference, reason, status and note if given."""

    def dispute(self, row: CsvRow) -> DisputeRecord:
        return DisputeRecord(
            reference=self._text(row, "dispute_reference") or None,
            invoice_number=self._required_text(row, "invoice_number"),
            debtor_reference=self._text(row, "debtor_reference") or None,
            reason=DisputeReason(self._code(row, "reason", DisputeReason.OTHER.value)),
            status=DisputeStatus(self._code(row, "status", DisputeStatus.OPEN.value)),
            opened_on=self._required_date(row, "opened_date"),
            note=self._note(row),
        )

    def _code(self, row: CsvRow, name: str, default: str) -> str:
        """Read a reason or status cell: the mapping's [values.<name>] first, then the hub's own codes and labels."""
        text = self._text(row, name)
        if not text:
            return default
        key = text.casefold()
        mapped = self.mapping.code_values(name).get(key)
        if mapped is not None:
            return mapped
        own = OWN_CODES[name].get(key) or OWN_CODES[name].get(CODE_SEPARATORS.sub("_", key))
        if own is not None:
            return own
        raise RowError(
            f"column {self._column(name)!r}: unknown {name} {text!r}: use one of {', '.join(CODE_FIELDS[name])}, "
            f"or list the file's value under [values.{name}] in the mapping"
        )

    def _note(self, row: CsvRow) -> str | None:
        if "note" not in self.positions:
            return None
        try:
            return clean_note(row.values[self.positions["note"]])
        except ValidationError as error:
            raise RowError(f"column {self._column('note')!r}: {error}") from None


def start_of_day(day: date) -> datetime:
    """Return 00:00 UTC on ``day``, which marks a time known only by its date."""
    return datetime.combine(day, time(0), UTC)


async def import_disputes(
    session: AsyncSession, client: Client, table: CsvTable, mapping: Mapping, as_of: date | None, batch_size: int
) -> DisputeImportSummary:
    """Upsert every valid row of a disputes file as the portfolio stood on ``as_of``.

    With ``as_of``, disputes opened after it are left out and counted. A
    rejected row is listed with its line and reason. A row is rejected for
    an invalid cell, an opening date after today, a repeat, or a reason,
    status or opening date other than its dispute's first row. It is also
    rejected for an unknown invoice, an invoice of another debtor, a settled
    invoice, or an invoice already in another open dispute.
    """
    today = client_today(client)
    positions = bind_columns(mapping, table.header, "disputes")
    builder = DisputeRecordBuilder(mapping, positions, table.header, client.currency, client.timezone)
    summary = DisputeImportSummary(kind="disputes", client=client.slug, file=str(table.path), as_of=as_of)
    groups = _group_rows(table, builder, as_of, today, summary)

    writer = _DisputeWriter(session, client, as_of or today, summary)
    await write_in_batches(session, groups, writer.write_batch, lambda group: group.line, batch_size)
    if summary.changed:
        detail = {"inserted": summary.inserted, "updated": summary.updated, "rejected": len(summary.rejected)}
        await record_audit(session, None, DISPUTES_IMPORTED, "client", client.id, client.id, detail)
    return summary


def _group_key(record: DisputeRecord) -> tuple[str, ...]:
    if record.reference is not None:
        return ("reference", record.reference)
    return ("invoice", record.invoice_number, record.opened_on.isoformat())


def _conflict(record: DisputeRecord, group: DisputeGroup) -> str | None:
    """Return why ``record`` cannot join ``group`` (a repeated invoice or other dispute fields), or None."""
    first = group.first
    for member in group.rows:
        if member.record.invoice_number == record.invoice_number:
            return (
                f"duplicate invoice {record.invoice_number!r} in dispute {record.reference!r}: "
                f"first on line {member.row.line}"
            )
    differences = [
        (name, getattr(record, name), getattr(first, name))
        for name in ("reason", "status", "opened_on")
        if getattr(record, name) != getattr(first, name)
    ]
    if record.note is not None and first.note is not None and record.note != first.note:
        differences.append(("note", "this row's note", "another note"))
    if not differences:
        return None
    name, value, expected = differences[0]
    return (
        f"dispute {record.reference!r}: {name} {str(value)!r} differs from line {group.line} ({expected}). "
        "The rows of one dispute share its reason, status, opening date and note: fix the export"
    )


def _group_rows(
    table: CsvTable, builder: DisputeRecordBuilder, as_of: date | None, today: date, summary: DisputeImportSummary
) -> list[DisputeGroup]:
    groups: dict[tuple[str, ...], DisputeGroup] = {}
    for row in table.rows:
        summary.read += 1
        try:
            builder.check_row(row)
            record = builder.dispute(row)
        except RowError as error:
            summary.reject(row, str(error))
            continue
        if as_of is not None and record.opened_on > as_of:
            summary.after_as_of += 1
            continue
        if record.opened_on > today:
            summary.reject(row, f"opening date {record.opened_on} is after today ({today}): fix the date in the export")
            continue
        key = _group_key(record)
        group = groups.get(key)
        if group is None:
            groups[key] = DisputeGroup([DisputeRow(row, record)])
            continue
        if record.reference is None:
            summary.reject(
                row,
                f"duplicate dispute on invoice {record.invoice_number!r} opened {record.opened_on}: "
                f"first on line {group.line}",
            )
            continue
        conflict = _conflict(record, group)
        if conflict is not None:
            summary.reject(row, conflict)
            continue
        group.rows.append(DisputeRow(row, record))
    return list(groups.values())


@dataclass
class _BatchState:
    """The records one batch reads from the database, loaded in a few queries."""

    invoices: dict[str, Invoice]
    debtor_references: dict[int, str]
    by_reference: dict[str, Dispute]
    by_invoice_day: dict[tuple[int, datetime], Dispute]
    links: dict[int, set[int]]
    open_dispute_of: dict[int, int]


class _DisputeWriter:
    """Writer of batches of dispute groups."""

    def __init__(self, session: AsyncSession, client: Client, resolved_on: date, summary: DisputeImportSummary):
        self.session = session
        self.client = client
        self.resolved_at = start_of_day(resolved_on)
        self.summary = summary

    async def write_batch(self, batch: Sequence[DisputeGroup]) -> None:
        state = await self._load(batch)
        for group in batch:
            await self._write_group(state, group)
        await self.session.flush()

    async def _load(self, batch: Sequence[DisputeGroup]) -> _BatchState:
        client_id = self.client.id
        numbers = {member.record.invoice_number for group in batch for member in group.rows}
        invoice_rows = await self.session.execute(
            select(Invoice, Debtor.reference)
            .join(Debtor, Debtor.id == Invoice.debtor_id)
            .where(Invoice.client_id == client_id, Invoice.number.in_(numbers))
        )
        invoices: dict[str, Invoice] = {}
        debtor_references: dict[int, str] = {}
        for invoice, debtor_reference in invoice_rows:
            invoices[invoice.number] = invoice
            debtor_references[invoice.debtor_id] = debtor_reference
        invoice_ids = [invoice.id for invoice in invoices.values()]

        references = {group.first.reference for group in batch if group.first.reference is not None}
        by_reference = {
            dispute.reference: dispute
            for dispute in await self.session.scalars(
                select(Dispute).where(Dispute.client_id == client_id, Dispute.reference.in_(references))
            )
            if dispute.reference is not None
        }
        # Disputes keyed on invoice and opening day; those the invoice import opens from its disputed flag are its own.
        unreferenced = await self.session.execute(
            select(DisputeInvoice.invoice_id, Dispute)
            .join(Dispute, Dispute.id == DisputeInvoice.dispute_id)
            .where(
                Dispute.client_id == client_id,
                DisputeInvoice.invoice_id.in_(invoice_ids),
                Dispute.reference.is_(None),
                or_(Dispute.note.is_(None), Dispute.note != IMPORTED_DISPUTE_NOTE),
            )
        )
        by_invoice_day = {(invoice_id, dispute.opened_at): dispute for invoice_id, dispute in unreferenced}

        known = [*by_reference.values(), *by_invoice_day.values()]
        missing_debtors = {dispute.debtor_id for dispute in known} - set(debtor_references)
        if missing_debtors:
            debtor_rows = await self.session.execute(
                select(Debtor.id, Debtor.reference).where(Debtor.id.in_(missing_debtors))
            )
            debtor_references.update(dict(debtor_rows.all()))
        known_ids = {dispute.id for dispute in known}
        links: dict[int, set[int]] = {dispute_id: set() for dispute_id in known_ids}
        link_rows = await self.session.execute(
            select(DisputeInvoice.dispute_id, DisputeInvoice.invoice_id).where(DisputeInvoice.dispute_id.in_(known_ids))
        )
        for dispute_id, invoice_id in link_rows:
            links[dispute_id].add(invoice_id)

        open_rows = await self.session.execute(
            select(DisputeInvoice.invoice_id, Dispute.id)
            .join(Dispute, Dispute.id == DisputeInvoice.dispute_id)
            .where(
                Dispute.client_id == client_id,
                DisputeInvoice.invoice_id.in_(invoice_ids),
                Dispute.status.in_(OPEN_DISPUTE_STATUSES),
            )
        )
        open_dispute_of = {invoice_id: dispute_id for invoice_id, dispute_id in open_rows}
        return _BatchState(invoices, debtor_references, by_reference, by_invoice_day, links, open_dispute_of)

    def _existing(self, state: _BatchState, group: DisputeGroup) -> Dispute | None:
        first = group.first
        if first.reference is not None:
            return state.by_reference.get(first.reference)
        invoice = state.invoices.get(first.invoice_number)
        if invoice is None:
            return None
        return state.by_invoice_day.get((invoice.id, start_of_day(first.opened_on)))

    def _row_invoice(self, state: _BatchState, member: DisputeRow, debtor_id: int | None) -> Invoice:
        """Return the row's invoice, or raise RowError when it is unknown or of another debtor."""
        record = member.record
        invoice = state.invoices.get(record.invoice_number)
        if invoice is None:
            raise RowError(
                f"invoice {record.invoice_number!r} not found for client {self.client.slug}: "
                "import the invoices first, or fix the number"
            )
        debtor_reference = state.debtor_references[invoice.debtor_id]
        if record.debtor_reference is not None and record.debtor_reference != debtor_reference:
            raise RowError(
                f"invoice {record.invoice_number!r} belongs to debtor {debtor_reference!r}, "
                f"not to {record.debtor_reference!r} as this row says"
            )
        if debtor_id is not None and invoice.debtor_id != debtor_id:
            raise RowError(
                f"invoice {record.invoice_number!r} belongs to debtor {debtor_reference!r}, but dispute "
                f"{record.reference!r} covers invoices of debtor {state.debtor_references.get(debtor_id)!r}: "
                "one dispute covers the invoices of one debtor"
            )
        return invoice

    def _check_new_link(self, state: _BatchState, invoice: Invoice, dispute_id: int | None, open_status: bool) -> None:
        if not open_status:
            return
        if invoice.settled_date is not None or invoice.open_minor <= 0:
            raise RowError(f"invoice {invoice.number!r} has nothing open: an open dispute needs an open invoice")
        other = state.open_dispute_of.get(invoice.id)
        if other is not None and other != dispute_id:
            raise RowError(
                f"invoice {invoice.number!r} is already in open dispute {other}: "
                "resolve that dispute in the hub first, or leave the row out"
            )

    def _target_status(self, dispute: Dispute | None, record: DisputeRecord, member: DisputeRow) -> DisputeStatus:
        """Return the status to store: the file's, except that a resolved dispute stays as it is.

        A dispute an agent has moved to under review stays there when the file still reads open.
        """
        if dispute is None:
            return record.status
        current = DisputeStatus(dispute.status)
        if current in RESOLVED_STATUSES:
            if record.status != current:
                self.summary.warn(
                    member.row,
                    (
                        f"dispute {dispute.id} is {current.value} in the hub and a resolved dispute is final, "
                        f"so the file's status {record.status.value} is ignored",
                    ),
                )
            return current
        if record.status == DisputeStatus.OPEN:
            return current
        return record.status

    def _dispute_values(self, record: DisputeRecord, status: DisputeStatus, dispute: Dispute | None) -> dict[str, Any]:
        opened_at = start_of_day(record.opened_on)
        values: dict[str, Any] = {"reason_code": record.reason.value, "status": status, "opened_at": opened_at}
        # The SLA is fixed when a dispute opens, so a later change of the client's SLA days leaves it.
        if dispute is None or dispute.opened_at != opened_at:
            values["sla_due_on"] = add_working_days(record.opened_on, self.client.dispute_sla_days)
        if record.note is not None:
            values["note"] = record.note
        # The file gives no review or resolution time: a review start stays unknown, and a resolution
        # is dated on the as-of day (else today) when this import first stores it.
        changes_status = dispute is None or DisputeStatus(dispute.status) != status
        if changes_status and status in RESOLVED_STATUSES:
            values["resolved_at"] = self.resolved_at
        return values

    async def _write_group(self, state: _BatchState, group: DisputeGroup) -> None:
        dispute = self._existing(state, group)
        first = group.first
        status = self._target_status(dispute, first, group.rows[0])
        is_open = status in OPEN_DISPUTE_STATUSES
        linked = state.links.get(dispute.id, set()) if dispute is not None else set()

        debtor_id = dispute.debtor_id if dispute is not None else None
        accepted: list[tuple[DisputeRow, Invoice, bool]] = []
        for member in group.rows:
            try:
                invoice = self._row_invoice(state, member, debtor_id)
                is_new_link = invoice.id not in linked
                if is_new_link:
                    self._check_new_link(state, invoice, dispute.id if dispute is not None else None, is_open)
            except RowError as error:
                self.summary.reject(member.row, str(error))
                continue
            debtor_id = invoice.debtor_id
            accepted.append((member, invoice, is_new_link))
        if not accepted:
            return

        values = self._dispute_values(first, status, dispute)
        if dispute is None:
            dispute = Dispute(client_id=self.client.id, debtor_id=debtor_id, reference=first.reference, **values)
            self.session.add(dispute)
            await self.session.flush()
            changed = True
            self.summary.created_dispute_ids.add(dispute.id)
        else:
            changed = assign_changed(dispute, values)
            if changed or any(is_new_link for _, _, is_new_link in accepted):
                self.summary.updated_dispute_ids.add(dispute.id)
        for _, invoice, is_new_link in accepted:
            if is_new_link:
                self.session.add(DisputeInvoice(dispute_id=dispute.id, invoice_id=invoice.id, client_id=self.client.id))
            if is_open:
                state.open_dispute_of[invoice.id] = dispute.id
            self.summary.count(_row_outcome(is_new_link, changed))


def _row_outcome(is_new_link: bool, dispute_changed: bool) -> Outcome:
    if is_new_link:
        return Outcome.INSERTED
    return Outcome.UPDATED if dispute_changed else Outcome.UNCHANGED
