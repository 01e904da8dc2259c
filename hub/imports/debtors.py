"""Upsert debtors on (client, reference), from a debtors file or from the debtor columns of invoices."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.clients.models import Client
from hub.debtors.models import Debtor
from hub.imports.batches import assign_changed, write_in_batches
from hub.imports.mapping import Mapping, bind_columns
from hub.imports.parsing import RowError
from hub.imports.reader import CsvTable
from hub.imports.records import DebtorRecord, RecordBuilder
from hub.imports.report import ImportSummary, Outcome


class DebtorStore:
    """The client's debtors touched by one import, loaded on demand and kept across batches.

    A debtor usually appears on many invoice rows. For each attribute the
    first non-empty value in the file wins and later rows do not overwrite
    it, so a re-import never flips a value back and forth. An empty cell
    never erases a value the hub already has.
    """

    def __init__(self, session: AsyncSession, client_id: int) -> None:
        self.session = session
        self.client_id = client_id
        self.by_reference: dict[str, Debtor] = {}
        self.filled: dict[str, set[str]] = {}

    async def load(self, references: Iterable[str]) -> None:
        missing = set(references) - set(self.by_reference)
        if not missing:
            return
        query = select(Debtor).where(Debtor.client_id == self.client_id, Debtor.reference.in_(missing))
        for debtor in await self.session.scalars(query):
            self.by_reference[debtor.reference] = debtor

    def upsert(self, record: DebtorRecord) -> tuple[Debtor, Outcome]:
        """Insert the debtor or fill in the attributes this file sets first. Call ``load`` before."""
        debtor = self.by_reference.get(record.reference)
        filled = self.filled.setdefault(record.reference, set())
        fresh = {name: value for name, value in record.attributes.items() if name not in filled}
        filled.update(fresh)
        if debtor is None:
            debtor = Debtor(client_id=self.client_id, reference=record.reference, **fresh)
            self.session.add(debtor)
            self.by_reference[record.reference] = debtor
            return debtor, Outcome.INSERTED
        return debtor, Outcome.UPDATED if assign_changed(debtor, fresh) else Outcome.UNCHANGED


@dataclass(frozen=True)
class DebtorRow:
    line: int
    record: DebtorRecord


async def import_debtors(
    session: AsyncSession, client: Client, table: CsvTable, mapping: Mapping, batch_size: int
) -> ImportSummary:
    """Upsert every valid row of a debtors file and list the rejected rows in the summary."""
    positions = bind_columns(mapping, table.header, "debtors")
    builder = RecordBuilder(mapping, positions, table.header, client.currency, client.timezone)
    summary = ImportSummary(kind="debtors", client=client.slug, file=str(table.path))
    rows = _parse_rows(table, builder, summary)
    store = DebtorStore(session, client.id)

    async def write_batch(batch: Sequence[DebtorRow]) -> None:
        await store.load(row.record.reference for row in batch)
        for row in batch:
            summary.count(store.upsert(row.record)[1])
        await session.flush()

    await write_in_batches(session, rows, write_batch, lambda row: row.line, batch_size)
    return summary


def _parse_rows(table: CsvTable, builder: RecordBuilder, summary: ImportSummary) -> list[DebtorRow]:
    accepted: dict[str, DebtorRow] = {}
    for row in table.rows:
        summary.read += 1
        try:
            builder.check_row(row)
            record = builder.debtor(row)
        except RowError as error:
            summary.reject(row, str(error))
            continue
        first = accepted.get(record.reference)
        if first is not None:
            summary.reject(row, f"duplicate debtor reference {record.reference!r}: first on line {first.line}")
            continue
        summary.warn(row, record.warnings)
        accepted[record.reference] = DebtorRow(row.line, record)
    return list(accepted.values())
