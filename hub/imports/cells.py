"""Checks on the raw text of CSV cells and on the dates read from them, before any value reaches the database."""

from __future__ import annotations

import re
from datetime import date

from hub.debtors.models import Debtor
from hub.disputes.models import Dispute
from hub.imports.parsing import RowError
from hub.invoices.models import Invoice


def _length(column: object) -> int:
    return column.type.length  # type: ignore[attr-defined, no-any-return]


# Lengths of the debtor and invoice string columns each field is stored in.
MAX_LENGTHS = {
    "debtor_reference": _length(Debtor.reference),
    "debtor_name": _length(Debtor.name),
    "email": _length(Debtor.email),
    "phone": _length(Debtor.phone),
    "country": _length(Debtor.country_code),
    "language": _length(Debtor.language),
    "timezone": _length(Debtor.timezone),
    "invoice_number": _length(Invoice.number),
    "dispute_reference": _length(Dispute.reference),
    # The limit of an agent's note, hub.interactions.services.NOTE_MAX_CHARS.
    "note": 2000,
}
# Amounts, dates, flags and currency codes are short, so a longer cell is a shifted or broken row.
MAX_OTHER_CELL_CHARS = 100
# C0 control characters and DEL. Tab, CR and LF are left out because single_line turns them into spaces.
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
LINE_BREAKS = re.compile(r"[\t\r\n]+")
# Invoice dates outside this range are typing errors or placeholders such as 9999-12-31.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)


def check_cell(column: str, field: str, value: str) -> None:
    """Raise RowError when a mapped cell contains a control character or is longer than its column allows."""
    control = CONTROL_CHARACTER.search(value)
    if control is not None:
        name = "NUL character" if control.group() == "\x00" else f"control character U+{ord(control.group()):04X}"
        raise RowError(f"{name} in column {column!r}: remove it from the export")
    limit = MAX_LENGTHS.get(field, MAX_OTHER_CELL_CHARS)
    if len(value.strip()) > limit:
        raise RowError(f"column {column!r}: value is longer than {limit} characters ({len(value.strip())})")


def single_line(value: str) -> str:
    """Return ``value`` stripped, with each run of tabs and line breaks replaced by one space."""
    return LINE_BREAKS.sub(" ", value).strip()


def check_date_range(day: date) -> date:
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise RowError(
            f"date '{day.isoformat()}' is outside {EARLIEST_DATE} to {LATEST_DATE}: fix the date in the export"
        )
    return day


def check_date_order(issue_date: date | None, due_date: date, settled_date: date | None) -> None:
    """Raise RowError when the due or settled date comes before the issue date."""
    if issue_date is None:
        return
    if due_date < issue_date:
        raise RowError(f"due date {due_date} is before issue date {issue_date}: fix the dates in the export")
    if settled_date is not None and settled_date < issue_date:
        raise RowError(f"settled date {settled_date} is before issue date {issue_date}: fix the dates in the export")
