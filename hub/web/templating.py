"""Jinja filters shared by every page: money, dates and counts in the agent's terms."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from babel.numbers import format_currency, get_currency_precision
from litestar.plugins.jinja import JinjaTemplateEngine

UI_LOCALE = "en_GB"


def format_money(amount_minor: int | None, currency: str) -> str:
    """Format integer minor units of ``currency`` with the currency's own number of decimals."""
    if amount_minor is None:
        return ""
    digits = get_currency_precision(currency)
    amount = Decimal(amount_minor).scaleb(-digits)
    return format_currency(amount, currency, locale=UI_LOCALE)


def format_day(value: date | datetime | None) -> str:
    """Format a day as ISO 8601 (2026-08-26), the one date format of every page; a datetime gives its UTC day."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).date().isoformat()
    return value.isoformat()


def format_clock(value: datetime | None) -> str:
    """Format the UTC time of day of a timestamp, marked UTC (14:05 UTC)."""
    if value is None:
        return ""
    return f"{value.astimezone(UTC):%H:%M} UTC"


def format_timestamp(value: datetime | None) -> str:
    """Format a timestamp as its UTC day and time, marked UTC (2026-08-26 14:05 UTC)."""
    if value is None:
        return ""
    return f"{format_day(value)} {format_clock(value)}"


def format_days(count: int | None) -> str:
    if count is None:
        return ""
    return f"{count} day" if abs(count) == 1 else f"{count} days"


def configure_template_engine(engine: JinjaTemplateEngine) -> None:
    filters = engine.engine.filters
    filters["money"] = format_money
    filters["day"] = format_day
    filters["timestamp"] = format_timestamp
    filters["days"] = format_days
    filters["clock"] = format_clock
