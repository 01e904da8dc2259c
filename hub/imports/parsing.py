"""Parse the text of one CSV cell into amounts, dates and flags.

Every parser raises RowError with a message that names the value, so the
importer can reject the row and carry on with the next one.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.numbers import get_currency_precision, get_decimal_symbol, get_group_symbol

# The range of the BIGINT money columns.
MAX_MINOR_UNITS = 2**63 - 1
# Characters that format a number: digits, signs, brackets and separators.
NUMBER_CHARACTERS = set("0123456789-+()., '\u00a0\u202f")
SPACE_SEPARATORS = (" ", "\u00a0", "\u202f")
# The pattern a date error shows for each strptime directive, so the reader sees DD-MM-YYYY in place of %d-%m-%Y.
DATE_DIRECTIVE_PATTERNS = {
    "d": "DD",
    "m": "MM",
    "Y": "YYYY",
    "y": "YY",
    "b": "Mon",
    "B": "Month",
    "j": "DDD",
    "H": "hh",
    "M": "mm",
    "S": "ss",
    "%": "%",
}
# Digits each numeric date directive reads, as strptime reads them.
NUMERIC_DATE_DIRECTIVES = {"d": r"\d{1,2}", "m": r"\d{1,2}", "Y": r"\d{4}", "y": r"\d{2}"}
DIRECTIVE = re.compile(r"%(.)")
# strptime reads a two-digit year below this as 20YY and from it on as 19YY (POSIX).
TWO_DIGIT_YEAR_PIVOT = 69


class RowError(ValueError):
    """A cell that cannot be parsed. The message names the value and the expected form."""


@dataclass(frozen=True)
class NumberFormat:
    """The separators of amounts in a file, as a locale writes them (``en``: 1,234.56; ``nl``: 1.234,56)."""

    decimal: str
    thousands: str

    @classmethod
    def for_locale(cls, name: str) -> NumberFormat:
        """Return the separators of locale ``name``, or raise ValueError for an unknown locale."""
        try:
            locale = Locale.parse(name)
        except (UnknownLocaleError, ValueError):
            raise ValueError(f"unknown number locale {name!r}: use a code such as en or nl") from None
        return cls(get_decimal_symbol(locale), get_group_symbol(locale))

    def describe(self) -> str:
        return f"decimal separator {self.decimal!r}, thousands separator {self.thousands!r}"


def currency_exponent(currency: str) -> int:
    """Return the number of minor-unit digits of ``currency`` (EUR 2, JPY 0)."""
    return get_currency_precision(currency)


def parse_amount(text: str, number_format: NumberFormat, currency: str) -> int:
    """Parse ``text`` into integer minor units of ``currency`` ('9,99' EUR is 999), never through a float."""
    if not text.strip():
        raise RowError("missing amount")
    exponent = currency_exponent(currency)
    cleaned = _strip_currency(text)
    negative, digits = _split_sign(cleaned, text)
    whole, fraction, grouped = _split_number(digits, number_format, text)
    fraction = _fit_fraction(whole, fraction, grouped, exponent, text, number_format)
    if len(fraction) > exponent:
        raise RowError(f"amount {text!r} has more decimals than {currency} allows ({exponent})")

    minor = int(Decimal(f"{whole}.{fraction or '0'}").scaleb(exponent))
    if minor > MAX_MINOR_UNITS:
        raise RowError(f"amount {text!r} is too large to store")
    return -minor if negative else minor


def _strip_currency(text: str) -> str:
    """Drop a currency symbol or code before or after the number ('€ 1.234,56', '12.00 USD')."""
    stripped = text.strip()
    start = 0
    while start < len(stripped) and stripped[start] not in NUMBER_CHARACTERS:
        start += 1
    end = len(stripped)
    while end > start and stripped[end - 1] not in NUMBER_CHARACTERS:
        end -= 1
    return stripped[start:end].strip()


def _split_sign(cleaned: str, text: str) -> tuple[bool, str]:
    """Return (negative, unsigned text) for '-12,50', '+5', '12,50-' and '(12,50)'."""
    if not cleaned:
        raise RowError(f"invalid amount {text!r}: no digits")
    if cleaned.startswith("(") and cleaned.endswith(")"):
        return True, cleaned[1:-1].strip()
    if cleaned[0] in "+-":
        return cleaned[0] == "-", cleaned[1:].strip()
    if cleaned[-1] == "-":
        return True, cleaned[:-1].strip()
    return False, cleaned


def _split_number(digits: str, number_format: NumberFormat, text: str) -> tuple[str, str, bool]:
    """Split into whole digits, fraction digits and whether thousands separators were used.

    Thousands separators are allowed only between groups of three digits.
    """
    thousands = re.escape(number_format.thousands)
    if number_format.thousands in SPACE_SEPARATORS:
        thousands = "[ \u00a0\u202f]"
    decimal = re.escape(number_format.decimal)
    pattern = rf"(\d{{1,3}}(?:{thousands}\d{{3}})+|\d+)(?:{decimal}(\d+))?"
    match = re.fullmatch(pattern, digits)
    if match is None:
        raise RowError(f"invalid amount {text!r}: expected {number_format.describe()}")
    grouped = match.group(1)
    whole = re.sub(r"\D", "", grouped)
    return whole, match.group(2) or "", grouped != whole


def _fit_fraction(
    whole: str, fraction: str, grouped: bool, exponent: int, text: str, number_format: NumberFormat
) -> str:
    """Drop trailing zeros that the currency cannot hold, and reject values that another locale reads differently."""
    if len(fraction) <= exponent:
        return fraction
    # '1.000' or '55,940': one separator followed by exactly three digits is a
    # thousands group in the other common notation, so the value is a guess either way.
    if len(fraction) == 3 and len(whole) <= 3 and not grouped:
        raise RowError(
            f"ambiguous amount {text!r}: with {number_format.describe()} it has 3 decimals, "
            "but it may be a thousands group. Check the number locale of the mapping or fix the value"
        )
    if fraction[exponent:].strip("0"):
        return fraction
    return fraction[:exponent]


def describe_date_format(date_format: str) -> str:
    """Return the strptime ``date_format`` as a person writes it: '%d-%m-%Y' is 'DD-MM-YYYY'."""
    return DIRECTIVE.sub(lambda match: DATE_DIRECTIVE_PATTERNS.get(match.group(1), match.group()), date_format)


def parse_date(text: str, date_format: str) -> date:
    """Parse ``text`` with the strptime ``date_format`` ('%d-%m-%Y' reads '01-04-2025' as 1 April).

    Text in the right shape naming a day that does not exist, such as
    31-11-2026, gets a message naming the month's length. Other text gets
    the expected pattern with an example.
    """
    value = text.strip()
    try:
        return datetime.strptime(value, date_format).date()
    except ValueError as error:
        pattern = describe_date_format(date_format)
        impossible = _impossible_date_reason(value, date_format)
        # CPython's strptime raises "day is out of range for month" when the text fits the format but the day does not.
        if impossible is None and "out of range" in str(error):
            impossible = "not a real date"
        if impossible is not None:
            raise RowError(
                f"invalid date {text!r}: {impossible} (read as {pattern}), so fix the date in the export"
            ) from None
        example = date(2025, 12, 31).strftime(date_format)
        raise RowError(f"invalid date {text!r}: expected format {pattern} (for example {example})") from None


def _impossible_date_reason(value: str, date_format: str) -> str | None:
    """Return why ``value`` names no real date when it has the digits of a numeric ``date_format``, else None.

    Only formats built from %d, %m, %Y or %y and literal text are checked.
    For other formats the caller falls back to the error of strptime.
    """
    parts: list[str] = []
    position = 0
    for match in DIRECTIVE.finditer(date_format):
        parts.append(re.escape(date_format[position : match.start()]))
        directive = match.group(1)
        if directive == "%":
            parts.append("%")
        elif directive in NUMERIC_DATE_DIRECTIVES and f"(?P<{directive}>" not in "".join(parts):
            parts.append(f"(?P<{directive}>{NUMERIC_DATE_DIRECTIVES[directive]})")
        else:
            return None
        position = match.end()
    parts.append(re.escape(date_format[position:]))
    found = re.fullmatch("".join(parts), value)
    if found is None:
        return None
    fields = found.groupdict()
    if not {"d", "m"} <= fields.keys() or not fields.keys() & {"Y", "y"}:
        return None
    if "Y" in fields:
        year = int(fields["Y"])
    else:
        short_year = int(fields["y"])
        year = short_year + (2000 if short_year < TWO_DIGIT_YEAR_PIVOT else 1900)
    month, day = int(fields["m"]), int(fields["d"])
    if not 1 <= month <= 12:
        return f"month {fields['m']} does not exist"
    if year < 1:
        return f"year {fields.get('Y')} does not exist"
    days_in_month = calendar.monthrange(year, month)[1]
    if day < 1:
        return f"day {fields['d']} does not exist"
    if day > days_in_month:
        return f"{calendar.month_name[month]} {year} has {days_in_month} days"
    return None


def parse_flag(text: str, true_values: tuple[str, ...], false_values: tuple[str, ...]) -> bool | None:
    """Map a yes/no cell to True or False (case-insensitive), and an empty cell to None."""
    value = text.strip().casefold()
    if not value:
        return None
    if value in (item.casefold() for item in true_values):
        return True
    if value in (item.casefold() for item in false_values):
        return False
    allowed = ", ".join(repr(item) for item in (*true_values, *false_values))
    raise RowError(f"invalid value {text!r}: expected one of {allowed}")
