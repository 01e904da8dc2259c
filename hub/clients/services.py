"""Client (creditor) records and the look-ups every scoped command starts from."""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.numbers import get_currency_name
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.clients.models import Client
from hub.errors import ConflictError, NotFoundError, ValidationError

# Checked with fullmatch: "$" would also accept a slug that ends in a newline.
SLUG_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
MAX_CLIENT_NAME_LENGTH: int = Client.__table__.c.name.type.length
MAX_TIMEZONE_LENGTH: int = Client.__table__.c.timezone.type.length
MAX_LANGUAGE_LENGTH: int = Client.__table__.c.language.type.length
# Weights are relative, so any scale works; the cap keeps their sum finite.
MAX_PRIORITY_WEIGHT = 1000.0


async def get_client_by_slug(session: AsyncSession, slug: str) -> Client:
    client = await session.scalar(select(Client).where(Client.slug == slug))
    if client is None:
        raise NotFoundError(f"unknown client {slug!r}: create it with `hub client add {slug} --name NAME`")
    return client


async def add_client(
    session: AsyncSession,
    slug: str,
    name: str,
    currency: str = "EUR",
    timezone: str = "UTC",
    language: str = "en",
) -> Client:
    """Create a client after checking every value against its rule and column length."""
    slug, name = check_slug(slug), check_client_name(name)
    currency, timezone, language = check_currency(currency), check_timezone(timezone), check_language(language)
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


def check_slug(slug: str) -> str:
    if not SLUG_PATTERN.fullmatch(slug):
        raise ValidationError(f"invalid client slug {slug!r}: use 1-40 lowercase letters, digits and dashes")
    return slug


def check_client_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise ValidationError("missing client name: enter the creditor's company name")
    if any(ord(character) < 32 or ord(character) == 127 for character in name):
        raise ValidationError(f"client name {name[:80]!r} contains a control character: remove it")
    if len(name) > MAX_CLIENT_NAME_LENGTH:
        raise ValidationError(f"client name too long ({len(name)} characters): use at most {MAX_CLIENT_NAME_LENGTH}")
    return name


def check_currency(currency: str) -> str:
    """Return ``currency`` in upper case, or raise ValidationError when it is no ISO 4217 code."""
    currency = currency.strip().upper()
    if len(currency) != 3 or get_currency_name(currency, locale="en") == currency:
        raise ValidationError(f"unknown currency {currency!r}: use an ISO 4217 code such as EUR or USD")
    return currency


def check_timezone(timezone: str) -> str:
    if len(timezone) > MAX_TIMEZONE_LENGTH:
        raise ValidationError(
            f"time zone {timezone[:80]!r} is too long: use an IANA name of at most {MAX_TIMEZONE_LENGTH}"
        )
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"unknown time zone {timezone!r}: use an IANA name such as Europe/Amsterdam") from None
    return timezone


def check_language(language: str) -> str:
    if len(language) > MAX_LANGUAGE_LENGTH:
        raise ValidationError(
            f"language {language[:80]!r} is too long: "
            f"use a code of at most {MAX_LANGUAGE_LENGTH} characters such as en or nl"
        )
    try:
        Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        raise ValidationError(f"unknown language {language!r}: use a code such as en or nl") from None
    return language


async def check_slug_free(session: AsyncSession, slug: str) -> None:
    if await session.scalar(select(Client.id).where(Client.slug == slug)) is not None:
        raise ConflictError(f"client {slug!r} already exists: pick another slug or edit that client")


async def get_clients_by_slugs(session: AsyncSession, slugs: list[str]) -> list[Client]:
    """Return the clients named by ``slugs`` ordered by name, or raise NotFoundError naming each unknown slug."""
    requested = list(dict.fromkeys(slugs))
    if not requested:
        return []
    query = select(Client).where(Client.slug.in_(requested)).order_by(Client.name)
    clients = list((await session.scalars(query)).all())

    missing = [slug for slug in requested if slug not in {client.slug for client in clients}]
    if missing:
        names = ", ".join(repr(slug) for slug in missing)
        raise NotFoundError(f"unknown client {names}: choose from the clients listed")
    return clients


async def update_client(session: AsyncSession, client: Client, *, name: str, timezone: str, language: str) -> Client:
    """Set the name, time zone and language of ``client`` after validating each."""
    name = check_client_name(name)
    check_timezone(timezone)
    check_language(language)

    client.name, client.timezone, client.language = name, timezone, language
    await session.flush()
    return client


def check_priority_weight(weight: float) -> float:
    if not math.isfinite(weight) or weight < 0 or weight > MAX_PRIORITY_WEIGHT:
        raise ValidationError(f"invalid weight {weight!r}: use a number from 0 to {MAX_PRIORITY_WEIGHT:g}")
    return weight


def check_priority_weights(risk: float, exposure: float, urgency: float) -> None:
    """Raise ValidationError unless every weight is in range and at least one is above 0."""
    for weight in (risk, exposure, urgency):
        check_priority_weight(weight)
    if risk + exposure + urgency <= 0:
        raise ValidationError("all three weights are 0: set at least one above 0 so the queue has an order")
