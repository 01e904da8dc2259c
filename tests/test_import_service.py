from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from hub.clients.models import Client
from hub.clients.services import add_client
from hub.debtors.models import Debtor
from hub.disputes.models import Dispute, DisputeInvoice, DisputeStatus
from hub.errors import NotFoundError
from hub.imports import invoices as invoice_import
from hub.imports.batches import ImportBatchError
from hub.imports.mapping import load_mapping
from hub.imports.reader import read_table
from hub.imports.report import ImportSummary
from hub.imports.services import import_table
from hub.invoices.models import Invoice, Payment

FIXTURES = Path(__file__).parent / "fixtures" / "import"
AS_OF = date(2024, 3, 31)
WRITE_PREFIXES = ("INSERT", "UPDATE", "DELETE")
IMPORTER_TABLES = ("client", "debtor", "invoice", "payment", "dispute")


async def run_import(
    session: AsyncSession,
    name: str,
    kind: str = "invoices",
    as_of: date | None = None,
    mapping: str | None = None,
    batch_size: int = 500,
) -> ImportSummary:
    loaded = load_mapping(FIXTURES / mapping if mapping else None)
    table = read_table(FIXTURES / name, loaded)
    return await import_table(session, kind, "acme", table, loaded, as_of, batch_size)


@pytest.fixture
async def client(session: AsyncSession) -> Client:
    created = await add_client(session, "acme", "Acme", "EUR")
    await session.commit()
    return created


async def invoices_by_number(session: AsyncSession) -> dict[str, Invoice]:
    return {invoice.number: invoice for invoice in await session.scalars(select(Invoice))}


@contextmanager
def recorded_writes(session: AsyncSession) -> Iterator[list[str]]:
    """Collect the INSERT, UPDATE and DELETE statements sent to the importer's tables."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        words = statement.split()
        touches_importer_table = any(f" {table}" in statement.lower() for table in IMPORTER_TABLES)
        if words and words[0].upper() in WRITE_PREFIXES and touches_importer_table:
            statements.append(statement)

    engine = session.bind.sync_engine  # type: ignore[union-attr]
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_import_counts_as_of_rows(session: AsyncSession, client: Client) -> None:
    summary = await run_import(session, "invoices-as-of.csv", as_of=AS_OF)

    assert summary.read == 5
    assert summary.inserted == 4
    assert summary.not_yet_issued == 1
    assert summary.rejected == []


async def test_import_settles_before_as_of(session: AsyncSession, client: Client) -> None:
    await run_import(session, "invoices-as-of.csv", as_of=AS_OF)

    invoice = (await invoices_by_number(session))["0001"]
    payment = await session.scalar(select(Payment).where(Payment.invoice_id == invoice.id))
    assert invoice.open_minor == 0
    assert invoice.settled_date == date(2024, 2, 1)
    assert payment is not None
    assert payment.reference == "settled:0001"
    assert payment.paid_on == date(2024, 2, 1)
    assert payment.amount_minor == 10000


async def test_import_keeps_later_settlement_open(session: AsyncSession, client: Client) -> None:
    await run_import(session, "invoices-as-of.csv", as_of=AS_OF)

    invoice = (await invoices_by_number(session))["0002"]
    payments = (await session.scalars(select(Payment).where(Payment.invoice_id == invoice.id))).all()
    assert invoice.open_minor == 125050
    assert invoice.settled_date is None
    assert payments == []


async def test_import_leaves_out_unissued_invoice(session: AsyncSession, client: Client) -> None:
    await run_import(session, "invoices-as-of.csv", as_of=AS_OF)

    assert "0004" not in await invoices_by_number(session)
    assert (await session.get(Client, client.id)).as_of_date == AS_OF  # type: ignore[union-attr]


async def test_import_opens_and_resolves_disputes(session: AsyncSession, client: Client) -> None:
    await run_import(session, "invoices-as-of.csv", as_of=AS_OF)

    invoices = await invoices_by_number(session)
    linked = select(DisputeInvoice.invoice_id, Dispute).join(Dispute, Dispute.id == DisputeInvoice.dispute_id)
    disputes = {invoice_id: dispute for invoice_id, dispute in await session.execute(linked)}
    open_dispute = disputes[invoices["0002"].id]
    resolved = disputes[invoices["0005"].id]
    assert len(disputes) == 2
    assert open_dispute.status == DisputeStatus.OPEN
    assert open_dispute.opened_at == datetime(2024, 2, 10, tzinfo=UTC)
    assert open_dispute.resolved_at is None
    assert resolved.status == DisputeStatus.RESOLVED_CREDITOR
    assert resolved.resolved_at == datetime(2024, 2, 20, tzinfo=UTC)


async def test_import_later_as_of_settles(session: AsyncSession, client: Client) -> None:
    await run_import(session, "invoices-as-of.csv", as_of=AS_OF)

    summary = await run_import(session, "invoices-as-of.csv")

    invoice = (await invoices_by_number(session))["0002"]
    dispute = await session.scalar(
        select(Dispute)
        .join(DisputeInvoice, DisputeInvoice.dispute_id == Dispute.id)
        .where(DisputeInvoice.invoice_id == invoice.id)
    )
    assert (summary.inserted, summary.updated, summary.unchanged) == (1, 1, 3)
    assert invoice.open_minor == 0
    assert dispute is not None
    assert dispute.status == DisputeStatus.RESOLVED_CREDITOR


async def test_import_again_writes_nothing(session: AsyncSession, client: Client) -> None:
    await run_import(session, "invoices-as-of.csv", as_of=AS_OF)

    with recorded_writes(session) as statements:
        summary = await run_import(session, "invoices-as-of.csv", as_of=AS_OF)

    assert statements == []
    assert (summary.inserted, summary.updated, summary.unchanged) == (0, 0, 4)
    assert "nothing changed" in summary.as_text()


async def test_import_rejects_bad_rows_keeps_good(session: AsyncSession, client: Client) -> None:
    summary = await run_import(session, "invoices-nl-errors.csv", mapping="invoices-nl.toml")

    rejected = {row.line: row.reason for row in summary.rejected}
    invoices = await invoices_by_number(session)
    assert sorted(rejected) == [3, 4, 5, 7, 10, 11]
    assert "invalid date '29-02-2025'" in rejected[3]
    assert "invalid amount '1234.56'" in rejected[4]
    assert "duplicate invoice number 'F-1': first on line 2 with different values" in rejected[5]
    assert "expected 5 fields, found 4" in rejected[7]
    assert "column 'factuur' is empty" in rejected[10]
    assert "invalid date '32-01-2025'" in rejected[11]
    assert sorted(invoices) == ["F-1", "F-4", "F-8", "F-9"]
    assert invoices["F-4"].amount_minor == 135590
    assert invoices["F-9"].amount_minor == 100000


async def test_import_debtors_upserts_references(session: AsyncSession, client: Client) -> None:
    summary = await run_import(session, "debtors.csv", kind="debtors")

    debtors = {debtor.reference: debtor for debtor in await session.scalars(select(Debtor))}
    rejected = {row.line: row.reason for row in summary.rejected}
    warnings = {row.line: row.reason for row in summary.warnings}
    assert sorted(debtors) == ["C-1", "C-2", "C-3", "C-5"]
    assert debtors["C-1"].name == "Ada Jansen"
    assert debtors["C-1"].timezone == "Europe/Amsterdam"
    assert debtors["C-1"].phone == "+31612345678"
    assert debtors["C-2"].country_code == "US"
    assert debtors["C-3"].email is None
    assert "invalid email address 'carla-at-example'" in warnings[4]
    assert sorted(rejected) == [5, 6]
    assert "unknown time zone 'Mars/Olympus'" in rejected[5]
    assert "duplicate debtor reference 'C-1': first on line 2" in rejected[6]


async def test_import_debtors_updates_changed_name(session: AsyncSession, client: Client, tmp_path: Path) -> None:
    await run_import(session, "debtors.csv", kind="debtors")
    changed = tmp_path / "debtors.csv"
    changed.write_text((FIXTURES / "debtors.csv").read_text().replace("Bob Smith", "Robert Smith"))
    mapping = load_mapping(None)

    summary = await import_table(session, "debtors", "acme", read_table(changed, mapping), mapping)

    debtor = await session.scalar(select(Debtor).where(Debtor.reference == "C-2"))
    assert (summary.inserted, summary.updated, summary.unchanged) == (0, 1, 3)
    assert debtor is not None
    assert debtor.name == "Robert Smith"


async def test_import_unknown_client_raises(session: AsyncSession) -> None:
    with pytest.raises(NotFoundError, match="unknown client 'acme'"):
        await run_import(session, "invoices-as-of.csv")


def fail_on_invoice(number: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the database reject a statement while the row of invoice ``number`` is written."""
    original = invoice_import._InvoiceWriter._sync_settlement

    async def failing(self, invoice, record):  # type: ignore[no-untyped-def]
        if invoice.number == number:
            await self.session.execute(text("INSERT INTO no_such_table VALUES (1)"))
        return await original(self, invoice, record)

    monkeypatch.setattr(invoice_import._InvoiceWriter, "_sync_settlement", failing)


async def portfolio_state(session: AsyncSession) -> dict[str, list[tuple[object, ...]]]:
    debtors = await session.execute(select(Debtor.reference, Debtor.name).order_by(Debtor.reference))
    invoices = await session.execute(
        select(Invoice.number, Invoice.amount_minor, Invoice.open_minor, Invoice.settled_date).order_by(Invoice.number)
    )
    payments = await session.execute(select(Payment.reference, Payment.amount_minor).order_by(Payment.reference))
    disputes = await session.execute(
        select(DisputeInvoice.invoice_id, Dispute.status)
        .join(Dispute, Dispute.id == DisputeInvoice.dispute_id)
        .order_by(DisputeInvoice.invoice_id)
    )
    return {
        "debtors": [tuple(row) for row in debtors],
        "invoices": [tuple(row) for row in invoices],
        "payments": [tuple(row) for row in payments],
        "disputes": [tuple(row) for row in disputes],
    }


async def test_import_batch_error_rolls_back_batch(
    session: AsyncSession, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    fail_on_invoice("0003", monkeypatch)

    with pytest.raises(ImportBatchError, match="batch of lines 4-5"):
        await run_import(session, "invoices-as-of.csv", batch_size=2)

    state = await portfolio_state(session)
    assert [row[0] for row in state["invoices"]] == ["0001", "0002"]
    assert [row[0] for row in state["debtors"]] == ["D1"]


async def test_import_batch_error_keeps_prior_state(
    session: AsyncSession, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    await run_import(session, "invoices-as-of.csv", as_of=AS_OF)
    before = await portfolio_state(session)
    # Without the as-of date the batch settles 0002 and inserts 0004 before the last row fails.
    fail_on_invoice("0005", monkeypatch)

    with pytest.raises(ImportBatchError, match="batch of lines 2-6"):
        await run_import(session, "invoices-as-of.csv")

    assert await portfolio_state(session) == before
