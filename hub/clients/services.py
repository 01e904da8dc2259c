"""Client (creditor) records and the look-ups every scoped command starts from."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.numbers import get_currency_name
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.clients.models import Client
from hub.errors import ConflictError, NotFoundError, ValidationError

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


async def get_client_by_slug(session: AsyncSession, slug: str) -> Client:
    client = await session.scalar(select(Client).where(Client.slug == slug))
    if client is None:
        raise NotFoundError(f"unknown client {slug!r}: create it with `hub client add {slug} --name NAME`")
    return client


def _validate_client_fields(slug: str, currency: str, timezone: str, language: str) -> None:
    if not SLUG_PATTERN.match(slug):
        raise ValidationError(f"invalid client slug {slug!r}: use 1-40 lowercase letters, digits and dashes")
    if len(currency) != 3 or get_currency_name(currency, locale="en") == currency:
        raise ValidationError(f"unknown currency {currency!r}: use an ISO 4217 code such as EUR or USD")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"unknown time zone {timezone!r}: use an IANA name such as Europe/Amsterdam") from None
    try:
        Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        raise ValidationError(f"unknown language {language!r}: use a code such as en or nl") from None


async def add_client(
    session: AsyncSession,
    slug: str,
    name: str,
    currency: str = "EUR",
    timezone: str = "UTC",
    language: str = "en",
) -> Client:
    currency = currency.upper()
    _validate_client_fields(slug, currency, timezone, language)
    if await session.scalar(select(Client.id).where(Client.slug == slug)) is not None:
        raise ConflictError(f"client {slug!r} already exists")

    client = Client(slug=slug, name=name, currency=currency, timezone=timezone, language=language)
    session.add(client)
    await session.flush()
    return client


def reference_date(client: Client) -> date:
    """Return the day aging and urgency count from: the portfolio's as-of date, or today in the client's zone."""
    if client.as_of_date is not None:
        return client.as_of_date
    return datetime.now(ZoneInfo(client.timezone)).date()
