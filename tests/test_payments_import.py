"""`hub import payments`: reading messy exports, rejected rows, idempotent re-runs and allocation from files."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.cli import main
from hub.clients.models import Client
from hub.clients.services import add_client
from hub.debtors.models import Debtor
from hub.imports.mapping import load_mapping
from hub.imports.reader import read_table
from hub.imports.report import ImportSummary
from hub.imports.services import import_table
from hub.invoices.models import Invoice, Payment, PaymentAllocation, PaymentSource
from hub.settings import PROJECT_ROOT
from tests.payments_factories import allocations_of

FIXTURES = Path(__file__).parent / "fixtures" / "payments"
BANK_MAPPING = PROJECT_ROOT / "examples" / "mappings" / "payments-bank.toml"
AS_OF = date(2025, 3, 31)
WRITE_PREFIXES = ("INSERT", "UPDATE", "DELETE")
RESCORED_ONLY = re.compile(r"UPDATE case_file SET scored_at=[^,]+ WHERE ")
WRITTEN_TABLES = (
    "client",
    "debtor",
    "invoice",
    "payment",
    "payment_allocation",
    "payment_check",
    "case_file",
    "promise",
    "audit_event",
)


@pytest.fixture
async def client(session: AsyncSession) -> Client:
    created = await add_client(session, "acme", "Acme", "EUR", "Europe/Amsterdam")
    await session.commit()
    return created


async def run_import(
    session: AsyncSession,
    path: Path,
    kind: str = "payments",
    *,
    mapping: Path | None = None,
    as_of: date | None = None,
    batch_size: int = 500,
) -> ImportSummary:
    loaded = load_mapping(mapping)
    summary = await import_table(session, kind, "acme", read_table(path, loaded), loaded, as_of, batch_size)
    await session.commit()
    return summary


async def payments_by_reference(session: AsyncSession) -> dict[str, Payment]:
    query = select(Payment).execution_options(populate_existing=True)
    return {payment.reference: payment for payment in await session.scalars(query)}


async def open_amounts(session: AsyncSession) -> dict[str, int]:
    query = select(Invoice).execution_options(populate_existing=True)
    return {invoice.number: invoice.open_minor for invoice in await session.scalars(query)}


@contextmanager
def recorded_writes(session: AsyncSession) -> Iterator[list[str]]:
    """Collect the INSERT, UPDATE and DELETE statements sent to the tables an import may change."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        words = statement.split()
        touches_table = any(f" {table}" in statement.lower() for table in WRITTEN_TABLES)
        # The full case refresh after every import stamps scored_at again, whatever the file contained.
        rescored = RESCORED_ONLY.match(statement) is not None
        if words and words[0].upper() in WRITE_PREFIXES and touches_table and not rescored:
            statements.append(statement)

    engine = session.bind.sync_engine  # type: ignore[union-attr]
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_import_counts_and_rejects_rows(session: AsyncSession, client: Client) -> None:
    await run_import(session, FIXTURES / "invoices.csv", "invoices")

    summary = await run_import(session, FIXTURES / "payments.csv")

    rejected = {row.line: row.reason for row in summary.rejected}
    assert summary.read == 14
    assert summary.inserted == 5
    assert summary.after_as_of == 0
    assert sorted(rejected) == [6, 7, 8, 9, 10, 11, 12, 13, 14]
    assert rejected[6] == "duplicate payment reference 'BANK-1': first on line 2 with the same values"
    assert rejected[7] == "duplicate payment reference 'BANK-4': first on line 5 with different values"
    assert "amount '-20.00' is not positive" in rejected[8]
    assert "Refunds and reversals are not payments" in rejected[8]
    assert "amount '0.00' is not positive" in rejected[9]
    assert "invalid date '2025-02-30'" in rejected[10]
    assert "Debtor reference 'D2' contradicts invoice 'F-101', which belongs to debtor 'D1'" in rejected[11]
    assert "currency USD differs from the client's currency EUR" in rejected[12]
    assert "invalid amount 'abc'" in rejected[13]
    assert "column 'payment_reference' is empty" in rejected[14]
    assert sorted(await payments_by_reference(session)) == ["BANK-1", "BANK-11", "BANK-2", "BANK-3", "BANK-4"]


async def test_import_allocates_file_payments(session: AsyncSession, client: Client) -> None:
    await run_import(session, FIXTURES / "invoices.csv", "invoices")

    await run_import(session, FIXTURES / "payments.csv")

    payments = await payments_by_reference(session)
    assert await open_amounts(session) == {"F-100": 55_000, "F-101": 22_500, "F-200": 0, "F-201": 0}
    assert await allocations_of(session, "BANK-2") == {"F-200": 50_000, "F-201": 8_000}
    assert payments["BANK-2"].unallocated_minor == 12_000
    assert (payments["BANK-2"].unallocated_reason or "").startswith("overpayment of €120.00: ")
    assert payments["BANK-3"].unallocated_minor == 15_000
    assert payments["BANK-3"].unallocated_reason == "invoice F-300 not found"
    assert payments["BANK-3"].debtor_id is None
    assert await allocations_of(session, "BANK-4") == {"F-100": 5_000}
    assert all(payment.source == PaymentSource.IMPORT for payment in payments.values())


async def test_import_again_writes_nothing(session: AsyncSession, client: Client) -> None:
    await run_import(session, FIXTURES / "invoices.csv", "invoices")
    await run_import(session, FIXTURES / "payments.csv")
    before = await open_amounts(session)

    with recorded_writes(session) as statements:
        summary = await run_import(session, FIXTURES / "payments.csv")

    assert statements == []
    assert (summary.inserted, summary.updated, summary.unchanged) == (0, 0, 5)
    assert "nothing changed" in summary.as_text()
    assert await open_amounts(session) == before


async def test_invoice_import_again_writes_nothing(session: AsyncSession, client: Client) -> None:
    await run_import(session, FIXTURES / "invoices.csv", "invoices")
    await run_import(session, FIXTURES / "payments.csv")

    with recorded_writes(session) as statements:
        summary = await run_import(session, FIXTURES / "invoices.csv", "invoices")

    assert statements == []
    assert summary.unchanged == 4


async def test_changed_row_is_reallocated(session: AsyncSession, client: Client, tmp_path: Path) -> None:
    await run_import(session, FIXTURES / "invoices.csv", "invoices")
    await run_import(session, FIXTURES / "payments.csv")
    changed = tmp_path / "payments.csv"
    text = (FIXTURES / "payments.csv").read_text()
    changed.write_text(text.replace("BANK-1,2025-02-10,400.00", "BANK-1,2025-02-10,900.00", 1))

    summary = await run_import(session, changed)

    assert (summary.inserted, summary.updated, summary.unchanged) == (0, 1, 4)
    assert await allocations_of(session, "BANK-1") == {"F-100": 90_000}
    assert (await open_amounts(session))["F-100"] == 100_000 - 90_000 - 5_000


async def test_payment_before_its_invoice(session: AsyncSession, client: Client) -> None:
    await run_import(session, FIXTURES / "invoices.csv", "invoices")
    await run_import(session, FIXTURES / "payments.csv")

    summary = await run_import(session, FIXTURES / "invoices-late.csv", "invoices")

    payment = (await payments_by_reference(session))["BANK-3"]
    debtor = await session.scalar(select(Debtor).where(Debtor.reference == "D1"))
    assert summary.inserted == 1
    assert debtor is not None
    assert payment.debtor_id == debtor.id
    assert payment.unallocated_minor == 0
    assert payment.unallocated_reason is None
    assert await allocations_of(session, "BANK-3") == {"F-300": 15_000}
    assert (await open_amounts(session))["F-300"] == 15_000


async def test_payments_before_any_invoice(session: AsyncSession, client: Client) -> None:
    await run_import(session, FIXTURES / "payments.csv")

    await run_import(session, FIXTURES / "invoices.csv", "invoices")
    await run_import(session, FIXTURES / "invoices-late.csv", "invoices")

    payments = await payments_by_reference(session)
    assert await allocations_of(session, "BANK-1") == {"F-100": 40_000}
    assert await allocations_of(session, "BANK-3") == {"F-300": 15_000}
    # Without a quoted invoice or a known debtor, the payment waits for a person or a re-import.
    assert payments["BANK-4"].unallocated_minor == 5_000
    assert payments["BANK-4"].unallocated_reason == (
        "debtor D1 not found: import the debtor, then import this payment again"
    )


async def test_reimport_after_debtor_arrives(session: AsyncSession, client: Client) -> None:
    await run_import(session, FIXTURES / "payments.csv")
    await run_import(session, FIXTURES / "invoices.csv", "invoices")

    summary = await run_import(session, FIXTURES / "payments.csv")

    assert summary.updated == 1
    assert await allocations_of(session, "BANK-4") == {"F-100": 5_000}


async def test_as_of_leaves_out_later_payments(session: AsyncSession, client: Client) -> None:
    await run_import(session, FIXTURES / "invoices.csv", "invoices")

    summary = await run_import(session, FIXTURES / "payments.csv", as_of=AS_OF)

    assert summary.after_as_of == 1
    assert summary.inserted == 4
    assert summary.as_dict()["after_as_of"] == 1
    assert "not_yet_issued" not in summary.as_dict()
    assert "rejected 9, after_as_of 1" in summary.as_text()
    assert "BANK-11" not in await payments_by_reference(session)
    assert (await session.get_one(Client, client.id, populate_existing=True)).as_of_date == AS_OF


async def test_future_payment_is_rejected(session: AsyncSession, client: Client, tmp_path: Path) -> None:
    future = date.today() + timedelta(days=3)
    path = tmp_path / "future.csv"
    path.write_text(f"payment_reference,paid_on,amount,debtor_reference\nP-1,{future.isoformat()},10.00,D1\n")

    summary = await run_import(session, path)

    assert summary.rejected[0].line == 2
    assert f"payment date {future.isoformat()} is after today" in summary.rejected[0].reason


async def test_small_batches_give_same_result(session: AsyncSession, client: Client) -> None:
    await run_import(session, FIXTURES / "invoices.csv", "invoices")

    summary = await run_import(session, FIXTURES / "payments.csv", batch_size=2)

    assert summary.inserted == 5
    assert len(summary.rejected) == 9
    assert await open_amounts(session) == {"F-100": 55_000, "F-101": 22_500, "F-200": 0, "F-201": 0}


async def test_paid_minor_equals_allocations(session: AsyncSession, client: Client) -> None:
    await run_import(session, FIXTURES / "invoices.csv", "invoices")
    await run_import(session, FIXTURES / "payments.csv")
    await run_import(session, FIXTURES / "invoices-late.csv", "invoices")

    invoices = (await session.scalars(select(Invoice).execution_options(populate_existing=True))).all()
    allocations = (await session.scalars(select(PaymentAllocation))).all()
    for invoice in invoices:
        allocated = sum(item.amount_minor for item in allocations if item.invoice_id == invoice.id)
        assert invoice.paid_minor == allocated, invoice.number
        assert invoice.open_minor == invoice.amount_minor - allocated, invoice.number


@pytest.mark.parametrize("encoding", ["windows-1252", "utf-8-sig"])
async def test_bank_mapping_reads_dutch_export(
    session: AsyncSession, client: Client, tmp_path: Path, encoding: str
) -> None:
    await run_import(session, FIXTURES / "invoices.csv", "invoices")
    path = tmp_path / "bank.csv"
    text = (FIXTURES / "bank-nl.csv").read_bytes().decode("windows-1252")
    path.write_bytes(text.encode(encoding))

    summary = await run_import(session, path, mapping=BANK_MAPPING)

    payments = await payments_by_reference(session)
    rejected = {row.line: row.reason for row in summary.rejected}
    assert summary.read == 4
    assert summary.inserted == 3
    assert sorted(rejected) == [4]
    assert "amount '-75,00' is not positive" in rejected[4]
    assert payments["000000000000001001"].amount_minor == 100_000
    assert payments["000000000000001001"].paid_on == date(2025, 2, 10)
    assert payments["000000000000001002"].amount_minor == 25_050
    assert payments["000000000000001004"].amount_minor == 123_456
    assert payments["000000000000001004"].unallocated_reason == "invoice F-999 not found"
    assert await allocations_of(session, "000000000000001001") == {"F-100": 100_000}
    assert await allocations_of(session, "000000000000001002") == {"F-200": 25_050}


def hub(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(arguments))
    return result.exit_code, result.output


def test_cli_imports_and_writes_report(hub_env: dict[str, str], tmp_path: Path) -> None:
    assert hub("client", "add", "acme", "--name", "Acme")[0] == 0
    code, output = hub("import", "invoices", str(FIXTURES / "invoices.csv"), "--client", "acme")
    assert code == 0, output
    report = tmp_path / "rejected.csv"

    code, output = hub(
        "import", "payments", str(FIXTURES / "payments.csv"), "--client", "acme", "--json", "--report", str(report)
    )

    assert code == 0, output
    summary = json.loads(output)
    assert summary["kind"] == "payments"
    assert (summary["read"], summary["inserted"], summary["rejected"]) == (14, 5, 9)
    assert summary["report"] == str(report)
    with report.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:3] == ["line", "reason", "payment_reference"]
    assert [row[0] for row in rows[1:]] == ["6", "7", "8", "9", "10", "11", "12", "13", "14"]


def test_cli_prints_as_of_count(hub_env: dict[str, str], tmp_path: Path) -> None:
    assert hub("client", "add", "acme", "--name", "Acme")[0] == 0

    code, output = hub(
        "import",
        "payments",
        str(FIXTURES / "payments.csv"),
        "--client",
        "acme",
        "--as-of",
        AS_OF.isoformat(),
        "--report",
        str(tmp_path / "rejected.csv"),
    )

    assert code == 0, output
    assert "payments from" in output
    assert "inserted 5" in output
    assert "after_as_of 1" in output


def test_cli_reports_missing_mapping_column(hub_env: dict[str, str], tmp_path: Path) -> None:
    assert hub("client", "add", "acme", "--name", "Acme")[0] == 0
    path = tmp_path / "payments.csv"
    path.write_text("reference,amount\nP-1,10.00\n")

    code, output = hub("import", "payments", str(path), "--client", "acme")

    assert code == 1
    assert "has no column for payment_reference, paid_on" in output
