"""Imports given malformed input: NUL bytes, year 9999, mixed encodings, other currencies, odd mappings."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from hub.clients.models import Client
from hub.debtors.models import Debtor
from hub.invoices.models import Invoice
from tests.test_cli_bad_input import execute
from tests.test_import_cli import add_client, fetch, hub

HEADER = "debtor_reference,debtor_name,invoice_number,issue_date,due_date,amount"
GOOD_ROW = "D1,Ann,I1,2025-01-01,2025-01-31,10.00"
COLUMNS = (
    '[columns]\ndebtor_reference = "debtor_reference"\n'
    'invoice_number = "invoice_number"\ndue_date = "due_date"\namount = "amount"\n'
)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def rows_file(tmp_path: Path, *rows: str) -> Path:
    return write(tmp_path, "invoices.csv", "\n".join((HEADER, *rows, "")).encode())


def mapping_file(tmp_path: Path, top: str) -> Path:
    path = tmp_path / "mapping.toml"
    path.write_text(top + "\n" + COLUMNS)
    return path


def has_no_traceback(exception: BaseException | None) -> bool:
    """True when the command ended normally or through a clean exit (click's error message)."""
    return exception is None or isinstance(exception, SystemExit)


def import_rows(tmp_path: Path, *rows: str) -> dict[str, object]:
    result = hub("import", "invoices", str(rows_file(tmp_path, *rows)), "--client", "acme", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def invoice_numbers(hub_env: dict[str, str]) -> list[str]:
    return [number for (number,) in fetch(hub_env, select(Invoice.number).order_by(Invoice.number))]


def report_text(summary: dict[str, object]) -> str:
    return Path(str(summary["report"])).read_text(encoding="utf-8")


@pytest.fixture
def acme(hub_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)
    add_client("acme")
    return hub_env


# The as-of date


def test_import_rejects_as_of_year_9999(acme: dict[str, str], tmp_path: Path) -> None:
    path = rows_file(tmp_path, GOOD_ROW)

    result = hub("import", "invoices", str(path), "--client", "acme", "--as-of", "9999-12-31")

    assert has_no_traceback(result.exception), result.output
    assert result.exit_code != 0
    assert "9999-12-31" in result.output


def test_import_rejected_as_of_not_stored(acme: dict[str, str], tmp_path: Path) -> None:
    path = rows_file(tmp_path, GOOD_ROW)
    hub("import", "invoices", str(path), "--client", "acme", "--as-of", "9999-12-31")

    result = hub("import", "invoices", str(path), "--client", "acme")

    assert result.exit_code == 0, result.output
    assert fetch(acme, select(Client.as_of_date)) == [(None,)]


def test_import_rejects_future_as_of(acme: dict[str, str], tmp_path: Path) -> None:
    path = rows_file(tmp_path, GOOD_ROW)
    # Two days ahead is after today in every time zone.
    future = (date.today() + timedelta(days=2)).isoformat()

    result = hub("import", "invoices", str(path), "--client", "acme", "--as-of", future)

    assert "after today" in result.output


def test_import_failed_run_keeps_as_of(acme: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object) -> None:
        raise RuntimeError("refresh failed")

    monkeypatch.setattr("hub.imports.services.refresh_client", fail)
    path = rows_file(tmp_path, GOOD_ROW)

    hub("import", "invoices", str(path), "--client", "acme", "--as-of", "2025-02-01")

    assert fetch(acme, select(Client.as_of_date)) == [(None,)]


def test_score_survives_as_of_date_max(acme: dict[str, str], tmp_path: Path) -> None:
    import_rows(tmp_path, GOOD_ROW)
    execute(acme, update(Client).values(as_of_date=date.max))

    result = hub("score", "--client", "acme")

    assert has_no_traceback(result.exception), result.output


# Dates inside the file


def test_import_rejects_year_9999_due_date(acme: dict[str, str], tmp_path: Path) -> None:
    summary = import_rows(tmp_path, GOOD_ROW, "D2,Bob,I2,2025-01-01,9999-12-31,10.00")

    assert "'9999-12-31' is outside 1900-01-01 to 2199-12-31" in report_text(summary)


def test_import_rejects_year_1066_issue_date(acme: dict[str, str], tmp_path: Path) -> None:
    import_rows(tmp_path, GOOD_ROW, "D2,Bob,I2,1066-10-14,2025-01-31,10.00")

    assert invoice_numbers(acme) == ["I1"]


def test_import_rejects_due_before_issue(acme: dict[str, str], tmp_path: Path) -> None:
    summary = import_rows(tmp_path, GOOD_ROW, "D2,Bob,I2,2025-03-01,2025-01-31,10.00")

    assert "due date 2025-01-31 is before issue date 2025-03-01" in report_text(summary)


def test_import_rejects_settled_before_issue(acme: dict[str, str], tmp_path: Path) -> None:
    data = (
        "debtor_reference,invoice_number,issue_date,due_date,settled_date,amount\n"
        "D1,I1,2025-01-01,2025-01-31,2025-01-15,1.00\nD2,I2,2025-03-01,2025-03-31,2025-02-01,1.00\n"
    )
    path = write(tmp_path, "settled.csv", data.encode())

    hub("import", "invoices", str(path), "--client", "acme")

    assert invoice_numbers(acme) == ["I1"]


# Mapping values of the wrong type


@pytest.mark.parametrize(
    ("top", "key"),
    [('delimiter = [","]', "delimiter"), ("delimiter = { a = 1 }", "delimiter"), ("encoding = 8", "encoding")],
)
def test_import_rejects_mapping_value_type(acme: dict[str, str], tmp_path: Path, top: str, key: str) -> None:
    path = rows_file(tmp_path, GOOD_ROW)
    mapping = mapping_file(tmp_path, top)

    result = hub("import", "invoices", str(path), "--client", "acme", "--mapping", str(mapping))

    assert has_no_traceback(result.exception), result.output
    assert f"{key} = " in result.output


def test_import_rejects_list_thousands_separator(acme: dict[str, str], tmp_path: Path) -> None:
    path = rows_file(tmp_path, GOOD_ROW)
    mapping = mapping_file(tmp_path, 'thousands_separator = ["."]')

    result = hub("import", "invoices", str(path), "--client", "acme", "--mapping", str(mapping))

    assert "must be a string" in result.output


# Control characters and encodings


def test_import_rejects_nul_byte_row(acme: dict[str, str], tmp_path: Path) -> None:
    summary = import_rows(tmp_path, GOOD_ROW, "D2,B\x00b,I2,2025-01-01,2025-01-31,10.00")

    assert summary["rejected"] == 1
    assert invoice_numbers(acme) == ["I1"]


def test_import_names_nul_column(acme: dict[str, str], tmp_path: Path) -> None:
    summary = import_rows(tmp_path, GOOD_ROW, "D2,B\x00b,I2,2025-01-01,2025-01-31,10.00")

    assert "NUL character in column 'debtor_name'" in report_text(summary)


def test_import_rejects_escape_character(acme: dict[str, str], tmp_path: Path) -> None:
    import_rows(tmp_path, GOOD_ROW, "D2,Bob,I\x1b2,2025-01-01,2025-01-31,10.00")

    assert invoice_numbers(acme) == ["I1"]


def test_import_joins_name_line_break(acme: dict[str, str], tmp_path: Path) -> None:
    import_rows(tmp_path, GOOD_ROW, 'D2,"Bob\nSmith",I2,2025-01-01,2025-01-31,10.00')

    assert fetch(acme, select(Debtor.name).where(Debtor.reference == "D2")) == [("Bob Smith",)]


def test_import_mixed_encoding_not_garbled(acme: dict[str, str], tmp_path: Path) -> None:
    data = (
        (HEADER + "\n").encode()
        + "D1,José,I1,2025-01-01,2025-01-31,1.00\n".encode()
        + "D2,René,I2,2025-01-01,2025-01-31,1.00\n".encode("windows-1252")
    )
    path = write(tmp_path, "mixed.csv", data)

    result = hub("import", "invoices", str(path), "--client", "acme")

    assert "line 3" in result.output
    assert fetch(acme, select(Debtor.name)) == []


def test_import_reads_windows_1252_file(acme: dict[str, str], tmp_path: Path) -> None:
    data = (HEADER + "\nD2,René,I2,2025-01-01,2025-01-31,1.00\n").encode("windows-1252")
    path = write(tmp_path, "ansi.csv", data)

    hub("import", "invoices", str(path), "--client", "acme")

    assert fetch(acme, select(Debtor.name)) == [("René",)]


# Oversized fields


def test_import_rejects_oversized_field_row(acme: dict[str, str], tmp_path: Path) -> None:
    summary = import_rows(tmp_path, GOOD_ROW, f"D2,{'x' * 200_000},I2,2025-01-01,2025-01-31,10.00")

    assert invoice_numbers(acme) == ["I1"]
    assert "longer than 200 characters" in report_text(summary)


def test_import_rejects_oversized_amount_row(acme: dict[str, str], tmp_path: Path) -> None:
    summary = import_rows(tmp_path, GOOD_ROW, f"D2,Bob,I2,2025-01-01,2025-01-31,{'9' * 5000}")

    assert summary["rejected"] == 1


def test_import_huge_field_error_hints_fix(
    acme: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("hub.imports.reader.MAX_FIELD_CHARS", 1000)
    path = rows_file(tmp_path, GOOD_ROW, f'D2,"{"x" * 2000}",I2,2025-01-01,2025-01-31,10.00')

    result = hub("import", "invoices", str(path), "--client", "acme")

    assert "quote" in result.output
