import asyncio
import csv
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select
from sqlalchemy.sql import Select

from hub.cli import main
from hub.clients.models import Client
from hub.db import create_engine
from hub.debtors.models import Debtor
from hub.disputes.models import Dispute, DisputeStatus
from hub.imports.mapping import load_mapping
from hub.imports.reader import read_table
from hub.invoices.models import Invoice, Payment
from hub.settings import PROJECT_ROOT

FIXTURES = Path(__file__).parent / "fixtures" / "import"
MAPPINGS = PROJECT_ROOT / "examples" / "mappings"
IBM_AS_OF = date(2013, 9, 30)
DUTCH_HEADER = ["dossiernummer", "naam", "telefoon", "bedrag", "vervaldatum"]


def fetch(hub_env: dict[str, str], query: Select[Any]) -> list[Any]:
    """Run ``query`` on the test database from a synchronous CLI test."""

    async def run() -> list[Any]:
        engine = create_engine(hub_env["HUB_DATABASE_URL"])
        try:
            async with engine.connect() as connection:
                return list((await connection.execute(query)).all())
        finally:
            await engine.dispose()

    return asyncio.run(run())


def hub(*arguments: str) -> Result:
    return CliRunner().invoke(main, list(arguments))


def add_client(slug: str, currency: str = "EUR") -> None:
    result = hub("client", "add", slug, "--name", slug.upper(), "--currency", currency)
    assert result.exit_code == 0, result.output


def import_json(*arguments: str) -> dict[str, Any]:
    result = hub("import", *arguments, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


# The IBM Accounts Receivable sample, read independently with the csv module.


def ibm_file(shared_dir: Path) -> Path:
    return shared_dir / "data" / "ar" / "WA_Fn-UseC_-Accounts-Receivable.csv"


def us_date(text: str) -> date:
    return datetime.strptime(text, "%m/%d/%Y").date()


def expected_ibm_counts(path: Path) -> dict[str, int]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    issued = [row for row in rows if us_date(row["InvoiceDate"]) <= IBM_AS_OF]
    open_rows = [row for row in issued if us_date(row["SettledDate"]) > IBM_AS_OF]
    return {
        "read": len(rows),
        "issued": len(issued),
        "not_yet_issued": len(rows) - len(issued),
        "open": len(open_rows),
        "settled": len(issued) - len(open_rows),
        "open_disputes": sum(row["Disputed"] == "Yes" for row in open_rows),
        "disputes": sum(row["Disputed"] == "Yes" for row in issued),
        "amount_minor": int(sum(Decimal(row["InvoiceAmount"]) for row in issued) * 100),
        "debtors": len({row["customerID"] for row in issued}),
    }


def import_ibm(shared_dir: Path) -> dict[str, Any]:
    mapping = str(MAPPINGS / "ibm-ar.toml")
    as_of = IBM_AS_OF.isoformat()
    return import_json("invoices", str(ibm_file(shared_dir)), "--client", "ibm", "--mapping", mapping, "--as-of", as_of)


@pytest.fixture
def ibm_imported(hub_env: dict[str, str], shared_dir: Path) -> dict[str, Any]:
    add_client("ibm", "USD")
    return import_ibm(shared_dir)


def test_import_ibm_rejects_nothing(ibm_imported: dict[str, Any], shared_dir: Path) -> None:
    expected = expected_ibm_counts(ibm_file(shared_dir))

    assert ibm_imported["rejected"] == 0
    assert ibm_imported["read"] == expected["read"]
    assert ibm_imported["inserted"] == expected["issued"]
    assert ibm_imported["not_yet_issued"] == expected["not_yet_issued"]
    assert ibm_imported["report"] is None


def test_import_ibm_applies_as_of(ibm_imported: dict[str, Any], hub_env: dict[str, str], shared_dir: Path) -> None:
    expected = expected_ibm_counts(ibm_file(shared_dir))

    open_count = fetch(hub_env, select(func.count()).select_from(Invoice).where(Invoice.open_minor != 0))[0][0]
    payments = fetch(hub_env, select(func.count()).select_from(Payment))[0][0]
    open_disputes = fetch(
        hub_env, select(func.count()).select_from(Dispute).where(Dispute.status == DisputeStatus.OPEN)
    )[0][0]
    assert open_count == expected["open"]
    assert payments == expected["settled"]
    assert open_disputes == expected["open_disputes"]
    assert fetch(hub_env, select(func.count()).select_from(Dispute))[0][0] == expected["disputes"]
    assert fetch(hub_env, select(Client.as_of_date))[0][0] == IBM_AS_OF


def test_import_ibm_keeps_values(ibm_imported: dict[str, Any], hub_env: dict[str, str], shared_dir: Path) -> None:
    expected = expected_ibm_counts(ibm_file(shared_dir))

    total, currency = fetch(hub_env, select(func.sum(Invoice.amount_minor), func.max(Invoice.currency)))[0]
    numbers = {row[0] for row in fetch(hub_env, select(Invoice.number))}
    assert total == expected["amount_minor"]
    assert currency == "USD"
    assert "0000611365" in numbers
    assert fetch(hub_env, select(func.count()).select_from(Debtor))[0][0] == expected["debtors"]


def test_import_ibm_again_changes_nothing(ibm_imported: dict[str, Any], shared_dir: Path) -> None:
    second = import_ibm(shared_dir)

    assert second["inserted"] == 0
    assert second["updated"] == 0
    assert second["unchanged"] == ibm_imported["inserted"]


def test_import_text_says_nothing_changed(ibm_imported: dict[str, Any], shared_dir: Path) -> None:
    mapping = str(MAPPINGS / "ibm-ar.toml")

    as_of = IBM_AS_OF.isoformat()

    result = hub(
        "import", "invoices", str(ibm_file(shared_dir)), "--client", "ibm", "--mapping", mapping, "--as-of", as_of
    )

    assert result.exit_code == 0, result.output
    assert "inserted 0, updated 0," in result.output
    assert result.output.rstrip().endswith("; nothing changed")


# The Dutch Excel export: BOM, semicolons, decimal commas, dd-mm-yyyy dates.


def dutch_variants(shared_dir: Path, tmp_path: Path) -> dict[str, Path]:
    """Write the Excel CSV as saved with a BOM, without one, and as windows-1252 with an accented name."""
    original = (shared_dir / "cases" / "B28.csv").read_bytes()
    text = original.decode("utf-8-sig")
    accented = text.replace("Jan de Vries", "André de Vries")
    variants = {
        "bom": original,
        "no-bom": text.encode("utf-8"),
        "utf-8-accented": accented.encode("utf-8"),
        "windows-1252": accented.encode("windows-1252"),
    }
    paths = {}
    for name, data in variants.items():
        paths[name] = tmp_path / f"dossiers-{name}.csv"
        paths[name].write_bytes(data)
    return paths


def test_dutch_file_has_clean_header(shared_dir: Path) -> None:
    mapping = load_mapping(MAPPINGS / "excel-nl-dossiers.toml")

    table = read_table(shared_dir / "cases" / "B28.csv", load_mapping(None))

    assert table.header == DUTCH_HEADER
    assert table.delimiter == ";"
    assert read_table(shared_dir / "cases" / "B28.csv", mapping).header == DUTCH_HEADER


@pytest.mark.parametrize("variant", ["bom", "no-bom", "utf-8-accented", "windows-1252"])
def test_import_dutch_file_variants(
    variant: str, hub_env: dict[str, str], shared_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    add_client("acme-nl")
    path = dutch_variants(shared_dir, tmp_path)[variant]
    mapping = str(MAPPINGS / "excel-nl-dossiers.toml")

    summary = import_json("invoices", str(path), "--client", "acme-nl", "--mapping", mapping)

    rows = fetch(
        hub_env,
        select(Invoice.number, Invoice.amount_minor, Invoice.due_date, Debtor.reference, Debtor.name)
        .join(Debtor, Debtor.id == Invoice.debtor_id)
        .order_by(Invoice.number),
    )
    first_name = "Jan de Vries" if variant in ("bom", "no-bom") else "André de Vries"
    assert (summary["inserted"], summary["rejected"]) == (2, 0)
    assert rows[0] == ("2024-0815", 123456, date(2025, 4, 1), "2024-0815", first_name)
    assert rows[1] == ("2024-0816", -1250, date(2024, 12, 31), "2024-0816", "Anna Bakker")


def test_import_rejected_rows_report(hub_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    add_client("acme")
    arguments = ["invoices", str(FIXTURES / "invoices-nl-errors.csv"), "--client", "acme"]

    result = hub("import", *arguments, "--mapping", str(FIXTURES / "invoices-nl.toml"))

    reports = list((tmp_path / "var" / "imports").glob("invoices-nl-errors-*.rejected.csv"))
    assert result.exit_code == 0, result.output
    assert "inserted 4" in result.output
    assert "rejected 6" in result.output
    assert len(reports) == 1
    assert str(reports[0].relative_to(tmp_path)) in result.output
    with reports[0].open(newline="", encoding="utf-8") as handle:
        lines = list(csv.DictReader(handle))
    assert [row["line"] for row in lines] == ["3", "4", "5", "7", "10", "11"]
    assert "invalid date '29-02-2025'" in lines[0]["reason"]
    assert lines[0]["factuur"] == "F-2"


def test_import_report_option_sets_path(hub_env: dict[str, str], tmp_path: Path) -> None:
    add_client("acme")
    report = tmp_path / "out" / "rejected.csv"
    mapping = str(FIXTURES / "invoices-nl.toml")
    summary = import_json(
        "invoices",
        str(FIXTURES / "invoices-nl-errors.csv"),
        "--client",
        "acme",
        "--mapping",
        mapping,
        "--report",
        str(report),
    )

    assert summary["report"] == str(report)
    assert report.is_file()


def test_import_writes_no_report_without_rejects(
    hub_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    add_client("acme")

    summary = import_json("invoices", str(FIXTURES / "invoices-as-of.csv"), "--client", "acme")

    assert summary["rejected"] == 0
    assert not (tmp_path / "var" / "imports").exists()


def test_import_errors_exit_with_message(hub_env: dict[str, str], tmp_path: Path) -> None:
    add_client("acme")
    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_text("[columns\n", encoding="utf-8")
    wrong_column = tmp_path / "wrong.toml"
    wrong_column.write_text(
        (FIXTURES / "invoices-nl.toml").read_text(encoding="utf-8").replace('"bedrag"', '"Bedrag"'), encoding="utf-8"
    )
    source = str(FIXTURES / "invoices-nl-errors.csv")
    cases = [
        (["--client", "nobody", "--mapping", str(FIXTURES / "invoices-nl.toml")], "unknown client 'nobody'"),
        (["--client", "acme", "--mapping", str(bad_toml)], "invalid TOML"),
        (["--client", "acme", "--mapping", str(tmp_path / "none.toml")], "mapping file"),
        (["--client", "acme", "--mapping", str(wrong_column)], "column 'Bedrag' is not in the file's header"),
        (["--client", "acme"], "has no column for debtor_reference, invoice_number, due_date, amount"),
    ]
    for arguments, message in cases:
        result = hub("import", "invoices", source, *arguments)
        assert result.exit_code == 1, arguments
        assert message in result.output, result.output
        assert result.output.count("Error:") == 1, result.output


def test_import_missing_file_exits(hub_env: dict[str, str], tmp_path: Path) -> None:
    add_client("acme")

    result = hub("import", "invoices", str(tmp_path / "missing.csv"), "--client", "acme")

    assert result.exit_code == 1
    assert "missing.csv' not found: check the path" in result.output


def test_import_debtors_command_counts(hub_env: dict[str, str], tmp_path: Path) -> None:
    add_client("acme")
    report = str(tmp_path / "rejected.csv")

    summary = import_json("debtors", str(FIXTURES / "debtors.csv"), "--client", "acme", "--report", report)

    assert (summary["read"], summary["inserted"], summary["rejected"]) == (6, 4, 2)
    assert summary["warnings"] == 1
