"""Email addresses and phone numbers of imported debtors: stored normalised, or left out with a warning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from hub.debtors.models import Debtor
from hub.invoices.models import Invoice
from tests.test_import_cli import add_client, fetch, hub

HEADER = "debtor_reference,invoice_number,due_date,amount,email,phone,country"


@pytest.fixture
def acme(hub_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)
    add_client("acme")
    return hub_env


def import_contacts(tmp_path: Path, *rows: str) -> dict[str, object]:
    path = tmp_path / "invoices.csv"
    path.write_text("\n".join((HEADER, *rows, "")))
    result = hub("import", "invoices", str(path), "--client", "acme", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def contact(hub_env: dict[str, str], reference: str) -> tuple[str | None, str | None]:
    rows = fetch(hub_env, select(Debtor.email, Debtor.phone).where(Debtor.reference == reference))
    return rows[0][0], rows[0][1]


def test_import_stores_phone_e164(acme: dict[str, str], tmp_path: Path) -> None:
    import_contacts(tmp_path, "D1,I1,2025-01-31,1.00,,06 1234 5678,NL")

    assert contact(acme, "D1") == (None, "+31612345678")


def test_import_reads_phone_in_client_region(acme: dict[str, str], tmp_path: Path) -> None:
    hub("client", "add", "acme-nl", "--name", "Acme NL", "--timezone", "Europe/Amsterdam")
    path = tmp_path / "nl.csv"
    path.write_text(f"{HEADER}\nD1,I1,2025-01-31,1.00,,020 555 1234,\n")

    hub("import", "invoices", str(path), "--client", "acme-nl")

    assert contact(acme, "D1") == (None, "+31205551234")


def test_import_keeps_row_without_bad_phone(acme: dict[str, str], tmp_path: Path) -> None:
    summary = import_contacts(tmp_path, "D1,I1,2025-01-31,1.00,ann@example.com,12,NL")

    assert fetch(acme, select(Invoice.number)) == [("I1",)]
    assert contact(acme, "D1") == ("ann@example.com", None)
    assert summary["warnings"] == 1


def test_import_reports_bad_phone(acme: dict[str, str], tmp_path: Path) -> None:
    summary = import_contacts(tmp_path, "D1,I1,2025-01-31,1.00,,call me,NL")

    report = Path(str(summary["report"])).read_text()
    assert "warning: invalid phone number 'call me' in region NL: phone left empty" in report


@pytest.mark.parametrize("email", ["ann@", "ann@example", "ann example@x.com", "a@@x.com", "ann@x..com"])
def test_import_drops_invalid_email(acme: dict[str, str], tmp_path: Path, email: str) -> None:
    summary = import_contacts(tmp_path, f"D1,I1,2025-01-31,1.00,{email},,")

    assert contact(acme, "D1") == (None, None)
    assert summary["warnings"] == 1


def test_import_phone_without_region_needs_plus(acme: dict[str, str], tmp_path: Path) -> None:
    summary = import_contacts(
        tmp_path, "D1,I1,2025-01-31,1.00,,020 555 1234,", "D2,I2,2025-01-31,1.00,,+1 212 555 0142,"
    )

    assert contact(acme, "D1") == (None, None)
    assert contact(acme, "D2") == (None, "+12125550142")
    assert summary["warnings"] == 1
