"""Turn one CSV row into checked debtor and invoice records, or a RowError naming the bad cell."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.numbers import get_currency_name

from hub.imports.cells import check_cell, check_date_order, check_date_range, single_line
from hub.imports.contacts import normalise_email, normalise_phone, phone_region
from hub.imports.mapping import Mapping
from hub.imports.parsing import RowError, parse_amount, parse_date, parse_flag
from hub.imports.reader import CsvRow

T = TypeVar("T")

# Debtor model attributes filled from each mapped field.
DEBTOR_ATTRIBUTES = {
    "debtor_name": "name",
    "email": "email",
    "phone": "phone",
    "country": "country_code",
    "language": "language",
    "timezone": "timezone",
}


@dataclass(frozen=True)
class DebtorRecord:
    """A debtor's reference and the contact fields the row fills (empty cells are left out)."""

    reference: str
    attributes: dict[str, str] = field(default_factory=dict)
    # Contact values left out because they are invalid, each with the reason.
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class InvoiceRecord:
    debtor: DebtorRecord
    number: str
    currency: str
    amount_minor: int
    due_date: date
    issue_date: date | None
    settled_date: date | None
    disputed: bool
    # None when the file has no paperless column or the cell is empty.
    paperless: bool | None


class RecordBuilder:
    """Reader of row cells through a mapping whose fields are bound to header positions.

    ``currency`` is the client's: a case has one currency, so rows in
    another one are rejected. ``timezone`` is the client's and sets the
    region of phone numbers written without a country code.
    """

    def __init__(
        self, mapping: Mapping, positions: dict[str, int], header: list[str], currency: str, timezone: str | None = None
    ) -> None:
        self.mapping = mapping
        self.positions = positions
        self.header = header
        self.currency = currency
        self.timezone = timezone

    def check_row(self, row: CsvRow) -> None:
        """Raise RowError for a row of the wrong width, a NUL in any cell, or a bad mapped cell."""
        extra = row.values[len(self.header) :]
        if len(row.values) < len(self.header) or any(value.strip() for value in extra):
            raise RowError(f"expected {len(self.header)} fields, found {len(row.values)}")
        for column, value in zip(self.header, row.values, strict=False):
            if "\x00" in value:
                raise RowError(f"NUL character in column {column!r}: remove it from the export")
        for name, position in self.positions.items():
            check_cell(self.header[position], name, row.values[position])

    def debtor(self, row: CsvRow) -> DebtorRecord:
        reference = self._required_text(row, "debtor_reference")
        attributes = {}
        for name, attribute in DEBTOR_ATTRIBUTES.items():
            value = self._text(row, name)
            if value:
                attributes[attribute] = value
        _check_language(attributes.get("language"))
        _check_timezone(attributes.get("timezone"))
        warnings = self._normalise_contacts(attributes)
        return DebtorRecord(reference=reference, attributes=attributes, warnings=warnings)

    def invoice(self, row: CsvRow) -> InvoiceRecord:
        currency = self._currency(row)
        debtor = self.debtor(row)
        number = self._required_text(row, "invoice_number")
        amount_minor = self._amount(row, currency)
        due_date = self._required_date(row, "due_date")
        issue_date = self._optional_date(row, "issue_date")
        settled_date = self._optional_date(row, "settled_date")
        check_date_order(issue_date, due_date, settled_date)
        return InvoiceRecord(
            debtor=debtor,
            number=number,
            currency=currency,
            amount_minor=amount_minor,
            due_date=due_date,
            issue_date=issue_date,
            settled_date=settled_date,
            disputed=bool(self._flag(row, "disputed")),
            paperless=self._flag(row, "paperless"),
        )

    def _normalise_contacts(self, attributes: dict[str, str]) -> tuple[str, ...]:
        """Store the email as it is and the phone in E.164, leaving out an invalid one with a warning."""
        region = phone_region(attributes.get("country_code"), attributes.get("timezone"), self.timezone)
        normalisers = {"email": normalise_email, "phone": lambda value: normalise_phone(value, region)}
        warnings = []
        for attribute, normalise in normalisers.items():
            if attribute not in attributes:
                continue
            try:
                attributes[attribute] = normalise(attributes[attribute])
            except RowError as error:
                del attributes[attribute]
                warnings.append(f"{error}: {attribute} left empty")
        return tuple(warnings)

    def _amount(self, row: CsvRow, currency: str) -> int:
        number_format = self.mapping.number_format
        return self._parse(row, "amount", lambda text: parse_amount(text, number_format, currency))

    def _text(self, row: CsvRow, name: str) -> str:
        if name not in self.positions:
            return ""
        return single_line(row.values[self.positions[name]])

    def _required_text(self, row: CsvRow, name: str) -> str:
        value = self._text(row, name)
        if not value:
            raise RowError(f"column {self._column(name)!r} is empty")
        return value

    def _parse(self, row: CsvRow, name: str, parser: Callable[[str], T]) -> T:
        try:
            return parser(row.values[self.positions[name]])
        except RowError as error:
            raise RowError(f"column {self._column(name)!r}: {error}") from None

    def _required_date(self, row: CsvRow, name: str) -> date:
        return self._parse(row, name, lambda text: check_date_range(parse_date(text, self.mapping.date_format)))

    def _optional_date(self, row: CsvRow, name: str) -> date | None:
        if not self._text(row, name):
            return None
        return self._required_date(row, name)

    def _flag(self, row: CsvRow, name: str) -> bool | None:
        if name not in self.positions:
            return None
        true_values, false_values = self.mapping.flag_values(name)
        return self._parse(row, name, lambda text: parse_flag(text, true_values, false_values))

    def _currency(self, row: CsvRow) -> str:
        code = self._text(row, "currency").upper()
        if not code:
            return self.currency
        if len(code) != 3 or get_currency_name(code, locale="en") == code:
            raise RowError(f"column {self._column('currency')!r}: unknown currency {code!r}")
        if code != self.currency:
            raise RowError(
                f"currency {code} differs from the client's currency {self.currency}: a case has one currency, "
                f"so import {code} invoices into a separate client or convert the amounts in the export"
            )
        return code

    def _column(self, name: str) -> str:
        return self.header[self.positions[name]]


def _check_language(language: str | None) -> None:
    if language is None:
        return
    try:
        Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        raise RowError(f"unknown language {language!r}: use a code such as en or nl") from None


def _check_timezone(timezone: str | None) -> None:
    if timezone is None:
        return
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise RowError(f"unknown time zone {timezone!r}: use an IANA name such as Europe/Amsterdam") from None
