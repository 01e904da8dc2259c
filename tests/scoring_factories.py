"""Rows for scoring tests: clients, debtors, invoices and disputes, and the public receivables sample.

The sample is the IBM Watson Analytics "Accounts Receivable" CSV: one row
per invoice with customerID, M/D/YYYY dates, InvoiceAmount in dollars,
Disputed Yes/No and PaperlessBill Paper/Electronic.
"""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.cases.models import Case, CaseStatus
from hub.clients.models import Client
from hub.debtors.models import Debtor
from hub.disputes.models import Dispute, DisputeStatus
from hub.invoices.models import Invoice
from tests.factories import add_dispute

AR_SAMPLE = Path("data/ar/WA_Fn-UseC_-Accounts-Receivable.csv")
TERM_DAYS = 30


async def add_client_row(session: AsyncSession, slug: str, as_of: date | None = None) -> Client:
    client = Client(slug=slug, name=slug.title(), currency="USD", as_of_date=as_of)
    session.add(client)
    await session.flush()
    return client


async def add_debtor(session: AsyncSession, client: Client, reference: str) -> Debtor:
    debtor = Debtor(client_id=client.id, reference=reference)
    session.add(debtor)
    await session.flush()
    return debtor


async def add_open_case(session: AsyncSession, client: Client, debtor: Debtor) -> Case:
    case = Case(client_id=client.id, debtor_id=debtor.id, currency=client.currency, status=CaseStatus.OPEN)
    session.add(case)
    await session.flush()
    return case


async def add_invoice(
    session: AsyncSession,
    debtor: Debtor,
    number: str,
    issued: date,
    settled: date | None = None,
    amount_minor: int = 10_000,
    paperless: bool | None = True,
    disputed: bool = False,
) -> Invoice:
    """Insert an invoice with 30-day terms, open for its whole amount unless ``settled`` is given."""
    invoice = Invoice(
        client_id=debtor.client_id,
        debtor_id=debtor.id,
        number=number,
        currency="USD",
        amount_minor=amount_minor,
        open_minor=0 if settled else amount_minor,
        issue_date=issued,
        due_date=issued + timedelta(days=TERM_DAYS),
        settled_date=settled,
        paperless=paperless,
    )
    session.add(invoice)
    await session.flush()
    if disputed:
        await _add_dispute_for(
            session, invoice, DisputeStatus.OPEN if settled is None else DisputeStatus.RESOLVED_CREDITOR
        )
    return invoice


async def add_payment_history(
    session: AsyncSession, debtor: Debtor, first_issue: date, late_flags: list[bool], prefix: str
) -> None:
    """Insert one settled invoice a month, paid 10 days late or 5 days early following ``late_flags``."""
    for index, late in enumerate(late_flags):
        issued = first_issue + timedelta(days=30 * index)
        settled = issued + timedelta(days=TERM_DAYS + 10 if late else TERM_DAYS - 5)
        await add_invoice(session, debtor, f"{prefix}-{index}", issued, settled)


async def _add_dispute_for(session: AsyncSession, invoice: Invoice, status: DisputeStatus) -> Dispute:
    opened = datetime.combine(invoice.issue_date or invoice.due_date, datetime.min.time(), tzinfo=UTC)
    return await add_dispute(session, [invoice], status=status, opened_at=opened)


def _parse_day(text: str) -> date:
    return datetime.strptime(text, "%m/%d/%Y").date()


def read_ar_rows(path: Path, as_of: date | None, keep_late_settlements: bool = False) -> list[dict[str, object]]:
    """Read the sample as invoice fields, cut at ``as_of`` as an import with an as-of date stores it.

    Invoices issued after ``as_of`` are left out. Invoices settled after it
    are open for their whole amount, and keep their settled date only when
    ``keep_late_settlements`` is true.
    """
    rows = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for raw in csv.DictReader(handle):
            issued, settled = _parse_day(raw["InvoiceDate"]), _parse_day(raw["SettledDate"])
            if as_of is not None and issued > as_of:
                continue
            is_open = as_of is not None and settled > as_of
            amount_minor = int(Decimal(raw["InvoiceAmount"]) * 100)
            rows.append(
                {
                    "customer": raw["customerID"],
                    "number": raw["invoiceNumber"],
                    "amount_minor": amount_minor,
                    "open_minor": amount_minor if is_open else 0,
                    "issue_date": issued,
                    "due_date": _parse_day(raw["DueDate"]),
                    "settled_date": settled if (keep_late_settlements or not is_open) else None,
                    "paperless": raw["PaperlessBill"] == "Electronic",
                    "disputed": raw["Disputed"] == "Yes",
                }
            )
    return rows


async def load_ar_sample(
    session: AsyncSession, shared_dir: Path, client: Client, keep_late_settlements: bool = False
) -> int:
    """Insert the sample's debtors, invoices and disputes for ``client`` and return the invoice count."""
    rows = read_ar_rows(shared_dir / AR_SAMPLE, client.as_of_date, keep_late_settlements)
    customers = sorted({str(row["customer"]) for row in rows})
    await session.execute(insert(Debtor), [{"client_id": client.id, "reference": ref} for ref in customers])
    debtor_rows = await session.execute(select(Debtor.reference, Debtor.id).where(Debtor.client_id == client.id))
    debtor_ids = {reference: debtor_id for reference, debtor_id in debtor_rows}
    invoice_rows = [_invoice_values(row, client, debtor_ids) for row in rows]
    await session.execute(insert(Invoice), invoice_rows)
    await _insert_sample_disputes(session, client, rows)
    await session.flush()
    return len(rows)


def _invoice_values(row: dict[str, object], client: Client, debtor_ids: dict[str, int]) -> dict[str, object]:
    values = {key: value for key, value in row.items() if key not in ("customer", "disputed")}
    return {**values, "client_id": client.id, "debtor_id": debtor_ids[str(row["customer"])], "currency": "USD"}


async def _insert_sample_disputes(session: AsyncSession, client: Client, rows: list[dict[str, object]]) -> None:
    disputed_numbers = {row["number"] for row in rows if row["disputed"]}
    invoices = (await session.scalars(select(Invoice).where(Invoice.client_id == client.id))).all()
    for invoice in invoices:
        if invoice.number in disputed_numbers:
            await _add_dispute_for(
                session, invoice, DisputeStatus.OPEN if invoice.open_minor else DisputeStatus.RESOLVED_CREDITOR
            )
