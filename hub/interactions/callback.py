"""Call-backs agreed for a time of day: the debtor's time zone and the hours a call is allowed."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hub.clients.models import Client
from hub.debtors.models import Debtor
from hub.errors import ValidationError

# Calls are allowed from 08:00 up to and including 21:00 in the debtor's local time
# (US FDCPA treats calls before 8 a.m. and after 9 p.m. as inconvenient).
CALL_WINDOW_START = time(8, 0)
CALL_WINDOW_END = time(21, 0)
TIME_FIELD = "next_action_time"


def contact_zone_name(debtor: Debtor, client: Client) -> str:
    """Return the debtor's IANA time zone, or the client's when the debtor has none or an unknown one."""
    if debtor.timezone:
        try:
            ZoneInfo(debtor.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return client.timezone
        return debtor.timezone
    return client.timezone


def window_text() -> str:
    return f"{CALL_WINDOW_START:%H:%M}-{CALL_WINDOW_END:%H:%M}"


def call_back_instant(day: date, at: time, zone_name: str, now: datetime) -> datetime:
    """Return the UTC instant of ``at`` on ``day`` in ``zone_name``.

    Raises ValidationError on the time field when the time lies outside the
    calling window or the instant is not after ``now``.
    """
    if not CALL_WINDOW_START <= at <= CALL_WINDOW_END:
        message = (
            f"Call-back time {at:%H:%M} is outside the calling window {window_text()} in the debtor's "
            f"time zone ({zone_name}): pick a time from {CALL_WINDOW_START:%H:%M} to {CALL_WINDOW_END:%H:%M}."
        )
        raise ValidationError(message, {TIME_FIELD: message})
    zone = ZoneInfo(zone_name)
    instant = datetime.combine(day, at, zone).astimezone(UTC)
    if instant <= now:
        local_now = now.astimezone(zone)
        message = (
            f"Call-back at {day.isoformat()} {at:%H:%M} ({zone_name}) has already passed: it is "
            f"{local_now:%Y-%m-%d %H:%M} there now, so pick a later day or time."
        )
        raise ValidationError(message, {TIME_FIELD: message})
    return instant
