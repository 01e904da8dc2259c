import re
from datetime import date
from pathlib import Path

import pytest

from hub.errors import ValidationError
from hub.imports.mapping import bind_columns, load_mapping
from hub.imports.parsing import NumberFormat, RowError, parse_amount, parse_date, parse_flag
from hub.imports.reader import detect_delimiter

NL = NumberFormat.for_locale("nl")
EN = NumberFormat.for_locale("en")


@pytest.mark.parametrize(
    ("text", "number_format", "currency", "expected"),
    [
        ("1.234,56", NL, "EUR", 123456),
        ("-12,50", NL, "EUR", -1250),
        ("9,99", NL, "EUR", 999),
        ("1.355,90", NL, "EUR", 135590),
        ("€ 1.234,56", NL, "EUR", 123456),
        ("1.000", NL, "EUR", 100000),
        ("12,50-", NL, "EUR", -1250),
        ("(12,50)", NL, "EUR", -1250),
        ("1,234.56", EN, "USD", 123456),
        ("USD 55.94", EN, "USD", 5594),
        ("55.9400", EN, "USD", 5594),
        ("1,234", EN, "JPY", 1234),
        ("12.0", EN, "JPY", 12),
        ("7", EN, "USD", 700),
    ],
)
def test_parse_amount_accepts(text: str, number_format: NumberFormat, currency: str, expected: int) -> None:
    assert parse_amount(text, number_format, currency) == expected


@pytest.mark.parametrize(
    ("text", "number_format", "currency", "message"),
    [
        ("1234.56", NL, "EUR", "invalid amount '1234.56'"),
        ("1.000", EN, "USD", "ambiguous amount '1.000'"),
        ("55,940", NL, "EUR", "ambiguous amount '55,940'"),
        ("1,5", EN, "USD", "invalid amount '1,5'"),
        ("12.5", EN, "JPY", "more decimals than JPY allows (0)"),
        ("1.2345", EN, "USD", "more decimals than USD allows (2)"),
        ("", EN, "USD", "missing amount"),
        ("n/a", EN, "USD", "invalid amount 'n/a'"),
        ("99999999999999999999", EN, "USD", "too large"),
    ],
)
def test_parse_amount_rejects(text: str, number_format: NumberFormat, currency: str, message: str) -> None:
    with pytest.raises(RowError, match=re.escape(message)):
        parse_amount(text, number_format, currency)


def test_parse_amount_never_returns_float() -> None:
    assert type(parse_amount("0,10", NL, "EUR")) is int


@pytest.mark.parametrize(
    ("text", "date_format", "expected"),
    [
        ("01-04-2025", "%d-%m-%Y", date(2025, 4, 1)),
        ("31-12-2024", "%d-%m-%Y", date(2024, 12, 31)),
        ("1/2/2013", "%m/%d/%Y", date(2013, 1, 2)),
        (" 2024-02-29 ", "%Y-%m-%d", date(2024, 2, 29)),
    ],
)
def test_parse_date_reads_format(text: str, date_format: str, expected: date) -> None:
    assert parse_date(text, date_format) == expected


def test_parse_date_rejects_february_29() -> None:
    with pytest.raises(RowError) as raised:
        parse_date("29-02-2025", "%d-%m-%Y")

    assert str(raised.value).startswith("invalid date '29-02-2025': February 2025 has 28 days")
    assert "%" not in str(raised.value)


@pytest.mark.parametrize(
    ("text", "date_format", "expected"),
    [
        ("31-11-2026", "%d-%m-%Y", "invalid date '31-11-2026': November 2026 has 30 days"),
        ("11/31/2026", "%m/%d/%Y", "invalid date '11/31/2026': November 2026 has 30 days"),
        ("2026-04-31", "%Y-%m-%d", "invalid date '2026-04-31': April 2026 has 30 days"),
        ("32-01-2026", "%d-%m-%Y", "invalid date '32-01-2026': January 2026 has 31 days"),
        ("00-01-2026", "%d-%m-%Y", "invalid date '00-01-2026': day 00 does not exist"),
        ("15-13-2026", "%d-%m-%Y", "invalid date '15-13-2026': month 13 does not exist"),
        ("31.11.26", "%d.%m.%y", "invalid date '31.11.26': November 2026 has 30 days"),
    ],
)
def test_parse_date_impossible_day(text: str, date_format: str, expected: str) -> None:
    with pytest.raises(RowError) as raised:
        parse_date(text, date_format)

    message = str(raised.value)
    assert message.startswith(expected)
    assert "%" not in message
    assert "expected format" not in message


def test_parse_date_impossible_names_pattern() -> None:
    with pytest.raises(RowError) as raised:
        parse_date("15-13-2026", "%d-%m-%Y")

    assert "DD-MM-YYYY" in str(raised.value)


@pytest.mark.parametrize(
    ("text", "date_format", "pattern", "example"),
    [
        ("2026/11/30", "%d-%m-%Y", "DD-MM-YYYY", "31-12-2025"),
        ("yesterday", "%Y-%m-%d", "YYYY-MM-DD", "2025-12-31"),
        ("30 Nov 2026", "%d/%m/%y", "DD/MM/YY", "31/12/25"),
        ("30-11", "%d %b %Y", "DD Mon YYYY", "31 Dec 2025"),
    ],
)
def test_parse_date_malformed_text(text: str, date_format: str, pattern: str, example: str) -> None:
    with pytest.raises(RowError) as raised:
        parse_date(text, date_format)

    message = str(raised.value)
    assert message == f"invalid date {text!r}: expected format {pattern} (for example {example})"


def test_parse_date_impossible_with_month_name() -> None:
    with pytest.raises(RowError) as raised:
        parse_date("31 Nov 2026", "%d %b %Y")

    message = str(raised.value)
    assert message.startswith("invalid date '31 Nov 2026': ")
    assert "not a real date" in message
    assert "DD Mon YYYY" in message


def test_parse_flag_maps_values() -> None:
    values = (("Electronic",), ("Paper",))

    assert parse_flag("electronic", *values) is True
    assert parse_flag("Paper", *values) is False
    assert parse_flag("", *values) is None
    with pytest.raises(RowError, match="invalid value 'Fax'"):
        parse_flag("Fax", *values)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a;b;c\r\n1;2,5;3\r\n", ";"),
        ("a,b,c\n1,2,3\n", ","),
        ("a\tb\n1\t2\n", "\t"),
        ("a|b\n1|2\n", "|"),
        ("single\nvalue\n", ","),
    ],
)
def test_detect_delimiter_finds_candidate(text: str, expected: str) -> None:
    assert detect_delimiter(text) == expected


def write_mapping(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mapping.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('delimter = ";"\n[columns]\namount = "a"\n', "unknown key 'delimter'"),
        ('[columns]\nammount = "a"\n', "unknown field in [columns] 'ammount'"),
        ('date_format = "%Y"\n[columns]\namount = "a"\n', "date_format '%Y' cannot read back a full date"),
        ('number_locale = "xx-yy"\n[columns]\namount = "a"\n', "unknown number locale 'xx-yy'"),
        ('currency = "EURO"\n[columns]\namount = "a"\n', "unknown currency 'EURO'"),
        ('delimiter = ":"\n[columns]\namount = "a"\n', "delimiter ':' is not supported"),
        ('encoding = "klingon"\n[columns]\namount = "a"\n', "unknown encoding 'klingon'"),
        ('[columns]\namount = "a"\n[values.disputed]\ntrue = "J"\n', "[values.disputed] needs exactly two keys"),
        ('date_format = "%d-%m-%Y"\n', "missing [columns] table"),
        ("[columns\n", "invalid TOML"),
    ],
)
def test_load_mapping_names_problem(tmp_path: Path, text: str, message: str) -> None:
    path = write_mapping(tmp_path, text)

    with pytest.raises(ValidationError) as raised:
        load_mapping(path)

    assert message in str(raised.value)
    assert str(path) in str(raised.value)


def test_bind_columns_requires_invoice_fields(tmp_path: Path) -> None:
    mapping = load_mapping(write_mapping(tmp_path, '[columns]\ndebtor_reference = "klant"\n'))

    with pytest.raises(ValidationError, match="missing required field.*invoice_number, due_date, amount"):
        bind_columns(mapping, ["klant"], "invoices")


def test_bind_columns_names_absent_column(tmp_path: Path) -> None:
    mapping = load_mapping(write_mapping(tmp_path, '[columns]\ndebtor_reference = "Klant"\n'))

    with pytest.raises(ValidationError, match="column 'Klant' is not in the file's header \\('klant'\\)"):
        bind_columns(mapping, ["klant"], "debtors")


def test_bind_columns_defaults_to_field_names() -> None:
    mapping = load_mapping(None)

    positions = bind_columns(mapping, ["name", "reference", "email"], "debtors")

    assert positions == {"debtor_name": 0, "debtor_reference": 1, "email": 2}


def test_bind_columns_rejects_repeated_column(tmp_path: Path) -> None:
    mapping = load_mapping(write_mapping(tmp_path, '[columns]\ndebtor_reference = "klant"\n'))

    with pytest.raises(ValidationError, match="column 'klant' appears more than once in the header"):
        bind_columns(mapping, ["klant", "naam", "klant"], "debtors")
