"""Run one import of a CSV file for a client and bring the client's cases up to date."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from hub.cases.refresh import refresh_client
from hub.clients.services import get_client_by_slug
from hub.imports.batches import BATCH_SIZE_ROWS
from hub.imports.debtors import import_debtors
from hub.imports.invoices import import_invoices
from hub.imports.mapping import Mapping
from hub.imports.reader import CsvTable
from hub.imports.report import ImportSummary

IMPORT_KINDS = ("debtors", "invoices")


async def import_table(
    session: AsyncSession,
    kind: str,
    client_slug: str,
    table: CsvTable,
    mapping: Mapping,
    as_of: date | None = None,
    batch_size: int = BATCH_SIZE_ROWS,
) -> ImportSummary:
    """Import ``table`` as debtors or invoices of the client, then refresh its cases.

    ``as_of`` is stored as the client's as-of date, the day aging counts
    from. Rows are committed in batches of ``batch_size`` (see write_in_batches),
    and the case refresh runs afterwards in the caller's transaction.
    """
    client = await get_client_by_slug(session, client_slug)
    if as_of is not None and client.as_of_date != as_of:
        client.as_of_date = as_of
    if kind == "debtors":
        summary = await import_debtors(session, client, table, mapping, batch_size)
        summary.as_of = as_of
    else:
        summary = await import_invoices(session, client, table, mapping, as_of, batch_size)
    await refresh_client(session, client)
    return summary
