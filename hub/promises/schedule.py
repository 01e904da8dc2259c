"""Instalment schedules: the dates and amounts a promise to pay is split into.

A single promise is a schedule of one instalment without a frequency. A plan
has 2 to MAX_INSTALMENTS instalments spaced weekly (7 days), fortnightly
(14 days) or monthly (the first date's day of the month, clamped to the end
of shorter months: a plan starting Jan 31 falls due on Feb 28 or 29, then
Mar 31). Without explicit amounts the total is split into equal minor units
and the remainder goes on the last instalment.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from hub.errors import ValidationError
from hub.imports.parsing import MAX_MINOR_UNITS
from hub.promises.models import Frequency
from hub.web.templating import format_money

MAX_INSTALMENTS = 36
# The first instalment may fall due at most this many days after today; later ones may go further.
FIRST_DUE_MAX_DAYS = 365
FREQUENCY_DAYS = {Frequency.WEEKLY: 7, Frequency.FORTNIGHTLY: 14}
FREQUENCY_LABELS = {Frequency.WEEKLY: "Weekly", Frequency.FORTNIGHTLY: "Fortnightly", Frequency.MONTHLY: "Monthly"}


@dataclass(frozen=True)
class ScheduledInstalment:
    """One instalment of a schedule; ``sequence`` counts from 1 in date order."""

    sequence: int
    due_on: date
    amount_minor: int


def _error(field: str, message: str) -> ValidationError:
    return ValidationError(message, {field: message})


def add_months(day: date, months: int) -> date:
    """Return ``day`` moved ``months`` calendar months ahead, clamped to the last day of the target month."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last_day))


def parse_frequency(value: str | Frequency | None, instalments: int) -> Frequency | None:
    """Return the frequency of a plan of ``instalments``; a single instalment has none, whatever was sent."""
    if instalments == 1:
        return None
    if value is None or value == "":
        choices = ", ".join(member.value for member in Frequency)
        raise _error("frequency", f"A plan of {instalments} instalments needs a frequency: pick one of {choices}.")
    try:
        return Frequency(value)
    except ValueError:
        choices = ", ".join(member.value for member in Frequency)
        raise _error("frequency", f"Unknown frequency {value!r}: use one of {choices}.") from None


def instalment_dates(first_due_on: date, instalments: int, frequency: Frequency | None) -> list[date]:
    """Return the due dates of ``instalments`` instalments starting on ``first_due_on``."""
    if instalments == 1 or frequency is None:
        return [first_due_on]
    if frequency == Frequency.MONTHLY:
        # Counted from the first date each time, so Jan 31 gives Feb 28 and then Mar 31, not Mar 28.
        return [add_months(first_due_on, index) for index in range(instalments)]
    step = timedelta(days=FREQUENCY_DAYS[frequency])
    return [first_due_on + step * index for index in range(instalments)]


def split_amount(total_minor: int, instalments: int) -> list[int]:
    """Split ``total_minor`` into equal minor units, with the remainder on the last instalment."""
    share, remainder = divmod(total_minor, instalments)
    amounts = [share] * instalments
    amounts[-1] += remainder
    return amounts


def check_instalment_count(instalments: int) -> int:
    if instalments < 1:
        raise _error("instalments", f"Number of instalments {instalments} is invalid: use 1 to {MAX_INSTALMENTS}.")
    if instalments > MAX_INSTALMENTS:
        raise _error(
            "instalments",
            f"{instalments} instalments is more than the {MAX_INSTALMENTS} a plan may have: "
            f"use {MAX_INSTALMENTS} or fewer, or a longer frequency.",
        )
    return instalments


def check_first_due_on(first_due_on: date, today: date) -> date:
    if first_due_on < today:
        raise _error(
            "first_due_on",
            f"First payment date {first_due_on.isoformat()} is in the past: pick {today.isoformat()} or later.",
        )
    latest = today + timedelta(days=FIRST_DUE_MAX_DAYS)
    if first_due_on > latest:
        raise _error(
            "first_due_on",
            f"First payment date {first_due_on.isoformat()} is more than {FIRST_DUE_MAX_DAYS} days ahead: "
            f"pick {latest.isoformat()} or earlier.",
        )
    return first_due_on


def check_total(total_minor: int, currency: str) -> int:
    if total_minor <= 0:
        raise _error(
            "amount", f"Promised amount {format_money(total_minor, currency)} is invalid: enter an amount above zero."
        )
    if total_minor > MAX_MINOR_UNITS:
        raise _error("amount", f"Promised amount {total_minor} is too large to store: check the number of digits.")
    return total_minor


def check_explicit_amounts(amounts: Sequence[int], total_minor: int, instalments: int, currency: str) -> list[int]:
    """Return ``amounts`` when there is one per instalment, each above zero, adding up to ``total_minor``."""
    if len(amounts) != instalments:
        raise _error(
            "amounts",
            f"{len(amounts)} instalment amounts given for {instalments} instalments: "
            f"give one amount per instalment, or none for an equal split.",
        )
    for sequence, amount in enumerate(amounts, start=1):
        if amount <= 0:
            raise _error(
                "amounts",
                f"Instalment {sequence} amount {format_money(amount, currency)} is invalid: "
                "every instalment must be above zero.",
            )
    added = sum(amounts)
    if added != total_minor:
        raise _error(
            "amounts",
            f"Instalments add up to {format_money(added, currency)}, not the promised "
            f"{format_money(total_minor, currency)}: change an instalment or the promised amount.",
        )
    return list(amounts)


def build_schedule(
    total_minor: int,
    currency: str,
    first_due_on: date,
    *,
    today: date,
    instalments: int = 1,
    frequency: str | Frequency | None = None,
    amounts_minor: Sequence[int] | None = None,
) -> tuple[Frequency | None, list[ScheduledInstalment]]:
    """Check the terms of a promise and return its frequency and instalments; raise ValidationError on a bad term.

    ``today`` is the client-local day the promise is made: the first date
    must be that day or within FIRST_DUE_MAX_DAYS after it.
    """
    check_total(total_minor, currency)
    check_instalment_count(instalments)
    plan_frequency = parse_frequency(frequency, instalments)
    check_first_due_on(first_due_on, today)
    if amounts_minor:
        amounts = check_explicit_amounts(amounts_minor, total_minor, instalments, currency)
    else:
        if total_minor < instalments:
            raise _error(
                "instalments",
                f"{format_money(total_minor, currency)} cannot be split into {instalments} instalments "
                "above zero: use fewer instalments.",
            )
        amounts = split_amount(total_minor, instalments)
    dates = instalment_dates(first_due_on, instalments, plan_frequency)
    schedule = [
        ScheduledInstalment(sequence, due_on, amount)
        for sequence, (due_on, amount) in enumerate(zip(dates, amounts, strict=True), start=1)
    ]
    return plan_frequency, schedule
