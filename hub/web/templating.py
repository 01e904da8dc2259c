"""Jinja filters shared by every page: money, dates and counts in the agent's terms."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from babel.dates import format_date
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
    if value is None:
        return ""
    return format_date(value, format="d MMM yyyy", locale=UI_LOCALE)


def format_timestamp(value: datetime | None) -> str:
    """Format a UTC timestamp as day and time, marked UTC."""
    if value is None:
        return ""
    return f"{format_day(value)} {value:%H:%M} UTC"


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
