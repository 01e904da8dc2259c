"""Column mapping files: which CSV column contains which field, and how its values are written.

A mapping is a TOML file (see examples/mappings/). Without one, the
file's header must use the field names themselves.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from babel.numbers import get_currency_name

from hub.disputes.models import DisputeReason, DisputeStatus
from hub.errors import ValidationError
from hub.imports.parsing import NumberFormat

FIELDS = (
    "debtor_reference",
    "debtor_name",
    "email",
    "phone",
    "language",
    "timezone",
    "country",
    "invoice_number",
    "issue_date",
    "due_date",
    "amount",
    "currency",
    "settled_date",
    "disputed",
    "paperless",
    "payment_reference",
    "paid_on",
    "dispute_reference",
    "reason",
    "opened_date",
    "status",
    "note",
)
REQUIRED_FIELDS = {
    "debtors": ("debtor_reference",),
    "invoices": ("debtor_reference", "invoice_number", "due_date", "amount"),
    "payments": ("payment_reference", "amount", "paid_on"),
    "disputes": ("invoice_number", "opened_date"),
}
# Header names a file without a mapping may use besides the field names.
HEADER_ALIASES = {"reference": "debtor_reference", "name": "debtor_name", "country_code": "country"}
FLAG_FIELDS = ("disputed", "paperless")
# Fields whose cells hold codes, with the hub's own codes; [values.<field>] maps a file's codes to them.
CODE_FIELDS = {
    "reason": tuple(reason.value for reason in DisputeReason),
    "status": tuple(status.value for status in DisputeStatus),
}
DEFAULT_TRUE_VALUES = ("yes", "y", "true", "1", "ja", "j")
DEFAULT_FALSE_VALUES = ("no", "n", "false", "0", "nee")
DELIMITERS = {",": ",", ";": ";", "tab": "\t", "\t": "\t", "|": "|"}
TOP_LEVEL_KEYS = (
    "columns",
    "values",
    "delimiter",
    "encoding",
    "date_format",
    "number_locale",
    "decimal_separator",
    "thousands_separator",
    "currency",
)

# TOML type of each top-level key; [columns] and [values] are tables, every other key is a string.
TABLE_KEYS = ("columns", "values")

Flags = tuple[tuple[str, ...], tuple[str, ...]]


@dataclass(frozen=True)
class Mapping:
    """Reading rules for one kind of export. ``columns`` maps field names to header names."""

    source: str
    columns: dict[str, str] = field(default_factory=dict)
    delimiter: str | None = None
    encoding: str = "auto"
    date_format: str = "%Y-%m-%d"
    number_format: NumberFormat = NumberFormat(".", ",")
    currency: str | None = None
    flags: dict[str, Flags] = field(default_factory=dict)
    # For each code field, the file's values (stripped and case-folded) and the hub's code each one stands for.
    codes: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def is_default(self) -> bool:
        return self.source == "default"

    def code_values(self, name: str) -> dict[str, str]:
        return self.codes.get(name, {})

    def flag_values(self, name: str) -> Flags:
        return self.flags.get(name, (DEFAULT_TRUE_VALUES, DEFAULT_FALSE_VALUES))

    def fail(self, problem: str) -> ValidationError:
        return ValidationError(f"mapping {self.source}: {problem}")


def load_mapping(path: Path | None) -> Mapping:
    """Read and check the mapping file at ``path``, or return the default mapping for ``None``."""
    if path is None:
        return Mapping(source="default")
    if not path.is_file():
        raise ValidationError(f"mapping file {str(path)!r} not found: check the --mapping path")

    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ValidationError(f"mapping {path}: invalid TOML ({error}): fix the syntax at that line") from None
    return _build_mapping(str(path), document)


def _build_mapping(source: str, document: dict[str, Any]) -> Mapping:
    stub = Mapping(source=source)
    _reject_unknown(stub, document, TOP_LEVEL_KEYS, "key")
    _check_types(stub, document)
    return Mapping(
        source=source,
        columns=_read_columns(stub, document.get("columns")),
        delimiter=_read_delimiter(stub, document.get("delimiter", "auto")),
        encoding=_read_encoding(stub, document.get("encoding", "auto")),
        date_format=_read_date_format(stub, document.get("date_format", "%Y-%m-%d")),
        number_format=_read_number_format(stub, document),
        currency=_read_currency(stub, document.get("currency")),
        flags=_read_flags(stub, document.get("values", {})),
        codes=_read_codes(stub, document.get("values", {})),
    )


def _reject_unknown(mapping: Mapping, table: dict[str, Any], allowed: tuple[str, ...], what: str) -> None:
    for key in table:
        if key not in allowed:
            raise mapping.fail(f"unknown {what} {key!r}: use one of {', '.join(allowed)}")


def _check_types(mapping: Mapping, document: dict[str, Any]) -> None:
    for key, value in document.items():
        expected, described = (dict, f"a table such as [{key}]") if key in TABLE_KEYS else (str, "a string")
        if not isinstance(value, expected):
            raise mapping.fail(f"{key} = {value!r} must be {described}, not a TOML {_toml_type(value)}")


def _toml_type(value: Any) -> str:
    names = {dict: "table", list: "array", str: "string", bool: "boolean", int: "integer", float: "float"}
    return names.get(type(value), "date or time")


def _read_text(mapping: Mapping, value: Any, key: str) -> str:
    if not isinstance(value, str) or not value:
        raise mapping.fail(f"{key} = {value!r} must be a non-empty string")
    return value


def _read_columns(mapping: Mapping, columns: Any) -> dict[str, str]:
    if not isinstance(columns, dict) or not columns:
        raise mapping.fail('missing [columns] table: add lines such as invoice_number = "Invoice No"')
    _reject_unknown(mapping, columns, FIELDS, "field in [columns]")
    return {name: _read_text(mapping, header, f"columns.{name}") for name, header in columns.items()}


def _read_delimiter(mapping: Mapping, value: Any) -> str | None:
    if value == "auto":
        return None
    if value not in DELIMITERS:
        raise mapping.fail(f'delimiter {value!r} is not supported: use ",", ";", "tab", "|" or "auto"')
    return DELIMITERS[value]


def _read_encoding(mapping: Mapping, value: Any) -> str:
    encoding = _read_text(mapping, value, "encoding")
    if encoding == "auto":
        return encoding
    try:
        "".encode(encoding)
    except LookupError:
        raise mapping.fail(f"unknown encoding {encoding!r}: use auto, utf-8 or windows-1252") from None
    return encoding


def _read_date_format(mapping: Mapping, value: Any) -> str:
    date_format = _read_text(mapping, value, "date_format")
    sample = date(2025, 12, 31)
    try:
        round_trip = datetime.strptime(sample.strftime(date_format), date_format).date()
    except ValueError:
        round_trip = None
    if round_trip != sample:
        raise mapping.fail(f"date_format {date_format!r} cannot read back a full date: use one such as %d-%m-%Y")
    return date_format


def _read_number_format(mapping: Mapping, document: dict[str, Any]) -> NumberFormat:
    locale_name = _read_text(mapping, document.get("number_locale", "en"), "number_locale")
    try:
        number_format = NumberFormat.for_locale(locale_name)
    except ValueError as error:
        raise mapping.fail(str(error)) from None
    if "decimal_separator" not in document and "thousands_separator" not in document:
        return number_format
    decimal = document.get("decimal_separator", number_format.decimal)
    thousands = document.get("thousands_separator", number_format.thousands)
    if decimal not in (".", ",") or thousands not in (".", ",", " ", "'", "") or decimal == thousands:
        raise mapping.fail(
            f"decimal_separator {decimal!r} and thousands_separator {thousands!r} do not fit: "
            'use "." or "," for decimals and a different thousands separator'
        )
    return NumberFormat(decimal, thousands)


def _read_currency(mapping: Mapping, value: Any) -> str | None:
    if value is None:
        return None
    currency = _read_text(mapping, value, "currency").upper()
    if len(currency) != 3 or get_currency_name(currency, locale="en") == currency:
        raise mapping.fail(f"unknown currency {value!r}: use an ISO 4217 code such as EUR or USD")
    return currency


def _read_flags(mapping: Mapping, values: Any) -> dict[str, Flags]:
    if not isinstance(values, dict):
        raise mapping.fail("[values] must be a table such as [values.disputed]")
    _reject_unknown(mapping, values, (*FLAG_FIELDS, *CODE_FIELDS), "field in [values]")
    return {name: _read_flag_table(mapping, name, table) for name, table in values.items() if name in FLAG_FIELDS}


def _read_codes(mapping: Mapping, values: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {name: _read_code_table(mapping, name, values[name]) for name in CODE_FIELDS if name in values}


def _read_code_table(mapping: Mapping, name: str, table: Any) -> dict[str, str]:
    """Return the file's values of [values.<name>], case-folded, each with the hub's code it is listed under."""
    allowed = CODE_FIELDS[name]
    if not isinstance(table, dict) or not table:
        raise mapping.fail(f'[values.{name}] needs lines such as {allowed[0]} = ["the file\'s code"]')
    codes: dict[str, str] = {}
    for code, items in table.items():
        if code not in allowed:
            raise mapping.fail(f"unknown {name} {code!r} in [values.{name}]: use one of {', '.join(allowed)}")
        listed = [items] if isinstance(items, str) else items
        if not isinstance(listed, list) or not all(isinstance(item, str) and item.strip() for item in listed):
            raise mapping.fail(f"values.{name}.{code} must be a non-empty string or a list of them")
        for item in listed:
            key = item.strip().casefold()
            if codes.get(key, code) != code:
                raise mapping.fail(f"value {item!r} in [values.{name}] is listed under both {codes[key]} and {code}")
            codes[key] = code
    return codes


def _read_flag_table(mapping: Mapping, name: str, table: Any) -> Flags:
    if not isinstance(table, dict) or set(table) != {"true", "false"}:
        raise mapping.fail(f'[values.{name}] needs exactly two keys: true = ["Yes"] and false = ["No"]')
    lists = []
    for key in ("true", "false"):
        items = table[key]
        if isinstance(items, str):
            items = [items]
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            raise mapping.fail(f"values.{name}.{key} must be a string or a list of strings")
        lists.append(tuple(items))
    return lists[0], lists[1]


def bind_columns(mapping: Mapping, header: list[str], kind: str) -> dict[str, int]:
    """Return each mapped field's position in ``header`` after checking that the required fields are mapped."""
    columns = _default_columns(header) if mapping.is_default else mapping.columns
    positions = {name: _header_position(mapping, header, column) for name, column in columns.items()}
    missing = [name for name in REQUIRED_FIELDS[kind] if name not in positions]
    if missing:
        raise _missing_fields_error(mapping, missing, header, kind)
    return positions


def _default_columns(header: list[str]) -> dict[str, str]:
    columns = {}
    for column in header:
        name = HEADER_ALIASES.get(column, column)
        if name in FIELDS:
            columns.setdefault(name, column)
    return columns


def _header_position(mapping: Mapping, header: list[str], column: str) -> int:
    if header.count(column) > 1:
        raise mapping.fail(f"column {column!r} appears more than once in the header: rename one of them in the file")
    if column in header:
        return header.index(column)
    raise mapping.fail(f"column {column!r} is not in the file's header ({_list(header)}): fix the mapping or the file")


def _missing_fields_error(mapping: Mapping, missing: list[str], header: list[str], kind: str) -> ValidationError:
    if mapping.is_default:
        return ValidationError(
            f"the header ({_list(header)}) has no column for {', '.join(missing)}: "
            f"rename the columns or pass --mapping FILE.toml (see examples/mappings/)"
        )
    return mapping.fail(f"missing required field(s) for {kind}: {', '.join(missing)}. Add them under [columns]")


def _list(header: list[str]) -> str:
    return ", ".join(repr(column) for column in header)
