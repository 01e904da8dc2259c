"""Check and normalise the email addresses and phone numbers of imported debtors."""

from __future__ import annotations

import re

import phonenumbers
from babel.core import get_global

from hub.imports.parsing import RowError

# local@domain.tld with non-empty labels and no spaces, checked with fullmatch.
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")


def normalise_email(value: str) -> str:
    """Return ``value`` when it looks like an address, or raise RowError naming it."""
    if not EMAIL_PATTERN.fullmatch(value):
        raise RowError(f"invalid email address {value!r}")
    return value


def normalise_phone(value: str, region: str | None) -> str:
    """Return ``value`` in E.164 (+31612345678), reading a number without + in ``region``, or raise RowError."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        where = f"in region {region}" if region else "without a country code (+31...)"
        raise RowError(f"invalid phone number {value!r} {where}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_region(country: str | None, *timezones: str | None) -> str | None:
    """Return the region a local phone number is read in: the debtor's country, else that of the first time zone."""
    if country and country.upper() in phonenumbers.SUPPORTED_REGIONS:
        return country.upper()
    zone_territories: dict[str, str] = get_global("zone_territories")
    for timezone in timezones:
        territory = zone_territories.get(timezone or "")
        if territory in phonenumbers.SUPPORTED_REGIONS:
            return territory
    return None
