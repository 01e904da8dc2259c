"""Imports in another currency than the client's, zero amounts and credit notes, and the case balances they give."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.scope import Scope
from hub.cases.models import Case, CaseStatus
from hub.cases.queue import list_call_queue
from hub.cases.services import refresh_case_balances
from hub.clients.models import Client
from hub.clients.services import add_client as add_client_row
from hub.imports.mapping import load_mapping
from hub.imports.reader import read_table
from hub.imports.services import import_table
from hub.invoices.models import Invoice
from tests.test_import_bad_input import mapping_file, write
from tests.test_import_cli import add_client, fetch, hub

HEADER = "debtor_reference,invoice_number,due_date,amount,currency"


@pytest.fixture
def acme(hub_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)
    add_client("acme")
    return hub_env


def import_file(tmp_path: Path, *rows: str, mapping: Path | None = None) -> str:
    path = write(tmp_path, "invoices.csv", "\n".join((HEADER, *rows, "")).encode())
    extra = ["--mapping", str(mapping)] if mapping else []
    return hub("import", "invoices", str(path), "--client", "acme", *extra).output


def test_import_other_currency_not_summed(acme: dict[str, str], tmp_path: Path) -> None:
    import_file(tmp_path, "M1,E1,2025-01-01,100.00,EUR", "M1,J1,2025-01-01,100,JPY")

    # 100.00 EUR plus 100 JPY is not 101.00 EUR.
    assert fetch(acme, select(Case.open_minor)) == [(10_000,)]


def test_import_rejects_other_currency_row(acme: dict[str, str], tmp_path: Path) -> None:
    import_file(tmp_path, "M1,E1,2025-01-01,100.00,EUR", "M1,J1,2025-01-01,100,JPY")

    assert fetch(acme, select(Invoice.number)) == [("E1",)]


def test_import_names_both_currencies(acme: dict[str, str], tmp_path: Path) -> None:
    import_file(tmp_path, "M1,J1,2025-01-01,100,JPY")

    report = next((tmp_path / "var" / "imports").glob("*.csv")).read_text()
    assert "currency JPY differs from the client's currency EUR" in report


def test_import_rejects_mapping_currency(acme: dict[str, str], tmp_path: Path) -> None:
    import_file(tmp_path, "M1,E1,2025-01-01,100.00,")
    mapping = mapping_file(tmp_path, 'currency = "USD"')

    output = import_file(tmp_path, "M1,E1,2025-01-01,100.00,", mapping=mapping)

    assert f'mapping {mapping}: its line currency = "USD" sets the currency of every amount in the file' in output
    assert "differs from the currency EUR of client acme" in output
    assert 'set that line to currency = "EUR" or remove it' in output
    assert "import the file into a USD client" in output
    assert output.rstrip().endswith(".")
    assert fetch(acme, select(Invoice.currency)) == [("EUR",)]


async def import_async(session: AsyncSession, tmp_path: Path, *rows: str) -> Client:
    """Create client acme and import ``rows`` through the service, for tests that run in the event loop."""
    client = await add_client_row(session, "acme", "Acme", "EUR")
    path = write(tmp_path, "invoices.csv", "\n".join((HEADER, *rows, "")).encode())
    mapping = load_mapping(None)
    await import_table(session, "invoices", "acme", read_table(path, mapping), mapping)
    return client


async def test_case_balance_skips_other_currency(session: AsyncSession, tmp_path: Path) -> None:
    client = await import_async(session, tmp_path, "M1,E1,2025-01-01,100.00,EUR")
    debtor_id = await session.scalar(select(Invoice.debtor_id))
    assert debtor_id is not None
    yen = Invoice(client_id=client.id, debtor_id=debtor_id, number="J1", currency="JPY", amount_minor=100)
    yen.open_minor, yen.due_date = 100, date(2025, 1, 1)
    session.add(yen)
    await session.flush()

    await refresh_case_balances(session, client)

    assert await session.scalar(select(Case.open_minor)) == 10_000


# Zero amounts and credit notes


def test_import_zero_amount_closed_case(acme: dict[str, str], tmp_path: Path) -> None:
    import_file(tmp_path, "Z1,N1,2025-01-01,0.00,EUR")

    assert fetch(acme, select(Invoice.amount_minor)) == [(0,)]
    assert fetch(acme, select(Case.status)) == [(CaseStatus.CLOSED,)]


def test_import_credit_note_nets_balance(acme: dict[str, str], tmp_path: Path) -> None:
    import_file(tmp_path, "C1,I1,2025-01-01,10.00,EUR", "C1,CN1,2025-01-01,-25.00,EUR")

    assert fetch(acme, select(Case.open_minor)) == [(-1_500,)]


async def test_queue_skips_credit_balance(session: AsyncSession, tmp_path: Path) -> None:
    rows = ("C1,I1,2025-01-01,10.00,EUR", "C1,CN1,2025-01-01,-25.00,EUR", "D2,I2,2025-01-01,5.00,EUR")
    client = await import_async(session, tmp_path, *rows)

    queue = await list_call_queue(session, Scope.for_client(client.id))

    assert [entry.debtor_reference for entry in queue] == ["D2"]
