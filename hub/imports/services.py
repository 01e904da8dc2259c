"""Run one import of a CSV file for a client and bring the client's cases up to date."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from hub.cases.refresh import refresh_client
from hub.clients.models import Client
from hub.clients.services import get_client_by_slug
from hub.errors import ValidationError
from hub.imports.batches import BATCH_SIZE_ROWS
from hub.imports.cells import EARLIEST_DATE
from hub.imports.debtors import import_debtors
from hub.imports.disputes import import_disputes
from hub.imports.invoices import import_invoices
from hub.imports.mapping import Mapping
from hub.imports.payments import import_payments
from hub.imports.reader import CsvTable
from hub.imports.report import ImportSummary
from hub.payments.services import retry_unallocated_payments
from hub.promises.evaluation import debtors_with_open_promises, evaluate_debtor_promises

IMPORT_KINDS = ("debtors", "invoices", "payments", "disputes")


async def import_table(
    session: AsyncSession,
    kind: str,
    client_slug: str,
    table: CsvTable,
    mapping: Mapping,
    as_of: date | None = None,
    batch_size: int = BATCH_SIZE_ROWS,
) -> ImportSummary:
    """Import ``table`` as debtors, invoices, payments or disputes of the client, then refresh its cases.

    ``as_of`` is stored as the client's as-of date, the day aging counts
    from. Rows are committed in batches of ``batch_size`` (see write_in_batches).
    The as-of date and the case refresh are written afterwards in the
    caller's transaction, so a run that fails leaves the as-of date as it was.
    """
    client = await get_client_by_slug(session, client_slug)
    check_as_of(client, as_of)
    check_mapping_currency(client, mapping)
    if kind == "debtors":
        summary = await import_debtors(session, client, table, mapping, batch_size)
        summary.as_of = as_of
    elif kind == "payments":
        summary = await import_payments(session, client, table, mapping, as_of, batch_size)
    elif kind == "disputes":
        summary = await import_disputes(session, client, table, mapping, as_of, batch_size)
    else:
        summary = await import_invoices(session, client, table, mapping, as_of, batch_size)
        # Payments that quoted an invoice this file brings are allocated now.
        await retry_unallocated_payments(session, client)
        # Settled dates in the file count as payments toward promises.
        await evaluate_debtor_promises(session, client, await debtors_with_open_promises(session, client))

    if as_of is not None and client.as_of_date != as_of:
        client.as_of_date = as_of
    await refresh_client(session, client)
    return summary


def check_as_of(client: Client, as_of: date | None) -> None:
    """Raise ValidationError unless ``as_of`` is between 1900-01-01 and today in the client's time zone."""
    if as_of is None:
        return
    today = datetime.now(ZoneInfo(client.timezone)).date()
    if as_of > today:
        raise ValidationError(
            f"as-of date {as_of} is after today ({today} in {client.timezone}): "
            "pass the day the export describes, today or earlier"
        )
    if as_of < EARLIEST_DATE:
        raise ValidationError(f"as-of date {as_of} is before {EARLIEST_DATE}: pass the day the export describes")


def check_mapping_currency(client: Client, mapping: Mapping) -> None:
    """Raise ValidationError when the mapping's ``currency`` line names another currency than the client's."""
    if mapping.currency is not None and mapping.currency != client.currency:
        raise ValidationError(
            f'mapping {mapping.source}: its line currency = "{mapping.currency}" sets the currency of every amount '
            f"in the file to {mapping.currency}, which differs from the currency {client.currency} of client "
            f"{client.slug}. A case has one currency: if the amounts are in {client.currency}, set that line to "
            f'currency = "{client.currency}" or remove it. Otherwise import the file into a {mapping.currency} '
            "client, or convert the amounts in the export."
        )
