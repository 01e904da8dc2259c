"""Parsing the text fields of an outcome (form or API) into dates, times, amounts and references.

Each parser raises ValidationError on its own field with a message that names
the value and the expected form.
"""

from __future__ import annotations

import re
from datetime import date, time

from babel.numbers import get_currency_precision

from hub.errors import ValidationError
from hub.text import require_plain_text

TIME_PATTERN = re.compile(r"([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?")
# Digits with at most one decimal separator, point or comma: 1234.56 or 1234,56.
AMOUNT_PATTERN = re.compile(r"(\d+)(?:[.,](\d+))?")
# The range of the BIGINT money columns.
MAX_MINOR_UNITS = 2**63 - 1
# Length of PaymentCheck.claimed_reference.
REFERENCE_MAX_CHARS = 64


def field_error(field: str, message: str) -> ValidationError:
    return ValidationError(message, {field: message})


def parse_day(field: str, label: str, value: str | None) -> date | None:
    """Parse YYYY-MM-DD, or return None for an empty value."""
    text = (value or "").strip()
    require_plain_text(field, label, text)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        message = f"Invalid {label.lower()} {text!r}: use YYYY-MM-DD, for example 2026-12-31."
        raise field_error(field, message) from None


def parse_time_of_day(field: str, label: str, value: str | None) -> time | None:
    """Parse HH:MM on a 24-hour clock, or return None for an empty value.

    Seconds, which browsers may send, are accepted and dropped.
    """
    text = (value or "").strip()
    require_plain_text(field, label, text)
    if not text:
        return None
    match = TIME_PATTERN.fullmatch(text)
    if match is None:
        message = f"Invalid {label.lower()} {text!r}: use HH:MM on a 24-hour clock, for example 14:30."
        raise field_error(field, message)
    return time(int(match.group(1)), int(match.group(2)))


def parse_amount_text(field: str, label: str, value: str | None, currency: str) -> int | None:
    """Parse a typed amount such as 1234.56 or 1234,56 into minor units of ``currency``, or None when empty."""
    text = (value or "").strip()
    require_plain_text(field, label, text)
    if not text:
        return None
    digits = get_currency_precision(currency)
    match = AMOUNT_PATTERN.fullmatch(text)
    if match is None:
        example = "1234.56" if digits else "1234"
        message = f"Invalid {label.lower()} {text!r}: type digits and an optional decimal point, such as {example}."
        raise field_error(field, message)
    whole, fraction = match.group(1), match.group(2) or ""
    if len(fraction) > digits:
        message = f"{label} {text!r} has more decimals than {currency} allows: round it to {digits} decimals."
        raise field_error(field, message)
    minor = int(whole) * 10**digits + int(fraction.ljust(digits, "0") or "0")
    return check_amount_minor(field, label, minor)


def check_amount_minor(field: str, label: str, amount_minor: int | None) -> int | None:
    if amount_minor is None:
        return None
    if amount_minor <= 0:
        raise field_error(field, f"{label} must be more than zero: leave it empty when the debtor did not say.")
    if amount_minor > MAX_MINOR_UNITS:
        raise field_error(field, f"{label} {amount_minor} is too large to store: check the number.")
    return amount_minor


def clean_reference(field: str, label: str, value: str | None) -> str | None:
    """Return the stripped reference, or None when empty. It may have at most REFERENCE_MAX_CHARS characters."""
    text = (value or "").strip()
    require_plain_text(field, label, text)
    if len(text) > REFERENCE_MAX_CHARS:
        message = f"{label} is {len(text)} characters long: shorten it to at most {REFERENCE_MAX_CHARS}."
        raise field_error(field, message)
    return text or None
