"""Instalment schedules: splitting, dates, month-end clamping and every rejected term."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hub.errors import ValidationError
from hub.promises.models import Frequency
from hub.promises.schedule import FIRST_DUE_MAX_DAYS, MAX_INSTALMENTS, add_months, build_schedule, split_amount

TODAY = date(2026, 3, 10)


def schedule(total: int, first: date = TODAY, **terms: object) -> list[tuple[date, int]]:
    _, items = build_schedule(total, "EUR", first, today=TODAY, **terms)  # type: ignore[arg-type]
    return [(item.due_on, item.amount_minor) for item in items]


def rejected(total: int, first: date = TODAY, **terms: object) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        build_schedule(total, "EUR", first, today=TODAY, **terms)  # type: ignore[arg-type]
    return caught.value


def test_single_promise_has_one_instalment() -> None:
    frequency, items = build_schedule(30_000, "EUR", TODAY, today=TODAY, frequency="monthly")

    assert frequency is None
    assert [(item.sequence, item.due_on, item.amount_minor) for item in items] == [(1, TODAY, 30_000)]


def test_split_puts_remainder_last() -> None:
    assert split_amount(10_000, 3) == [3_333, 3_333, 3_334]
    assert split_amount(30_000, 3) == [10_000, 10_000, 10_000]
    assert split_amount(5, 5) == [1, 1, 1, 1, 1]


def test_weekly_plan_dates() -> None:
    items = schedule(9_000, instalments=3, frequency="weekly")

    assert [day for day, _ in items] == [TODAY, TODAY + timedelta(days=7), TODAY + timedelta(days=14)]


def test_fortnightly_plan_dates() -> None:
    items = schedule(9_000, instalments=3, frequency=Frequency.FORTNIGHTLY)

    assert [day for day, _ in items] == [TODAY, TODAY + timedelta(days=14), TODAY + timedelta(days=28)]


def test_monthly_plan_clamps_month_end() -> None:
    first = date(2027, 1, 31)
    _, items = build_schedule(40_000, "EUR", first, today=date(2027, 1, 20), instalments=4, frequency="monthly")

    assert [item.due_on for item in items] == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
    ]


def test_monthly_plan_uses_leap_day() -> None:
    _, items = build_schedule(
        20_000, "EUR", date(2028, 1, 31), today=date(2028, 1, 1), instalments=2, frequency="monthly"
    )

    assert [item.due_on for item in items] == [date(2028, 1, 31), date(2028, 2, 29)]


def test_add_months_crosses_year_end() -> None:
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)
    assert add_months(date(2026, 8, 31), 1) == date(2026, 9, 30)


def test_explicit_amounts_kept_in_order() -> None:
    items = schedule(30_000, instalments=3, frequency="monthly", amounts_minor=[5_000, 10_000, 15_000])

    assert [amount for _, amount in items] == [5_000, 10_000, 15_000]


def test_explicit_amounts_must_add_up() -> None:
    error = rejected(30_000, instalments=3, frequency="monthly", amounts_minor=[10_000, 10_000, 9_000])

    assert "Instalments add up to €290.00, not the promised €300.00" in str(error)
    assert set(error.field_errors) == {"amounts"}


def test_explicit_amounts_one_per_instalment() -> None:
    error = rejected(30_000, instalments=3, frequency="monthly", amounts_minor=[15_000, 15_000])

    assert "2 instalment amounts given for 3 instalments" in str(error)


def test_explicit_amount_above_zero() -> None:
    error = rejected(30_000, instalments=2, frequency="monthly", amounts_minor=[30_000, 0])

    assert "Instalment 2 amount €0.00 is invalid" in str(error)


def test_past_first_date_rejected() -> None:
    error = rejected(30_000, TODAY - timedelta(days=1))

    assert "2026-03-09 is in the past: pick 2026-03-10 or later" in str(error)
    assert set(error.field_errors) == {"first_due_on"}


def test_first_date_within_a_year() -> None:
    latest = TODAY + timedelta(days=FIRST_DUE_MAX_DAYS)

    assert schedule(30_000, latest) == [(latest, 30_000)]
    error = rejected(30_000, latest + timedelta(days=1))
    assert f"pick {latest.isoformat()} or earlier" in str(error)


def test_too_many_instalments_rejected() -> None:
    assert len(schedule(36_000, instalments=MAX_INSTALMENTS, frequency="monthly")) == MAX_INSTALMENTS
    error = rejected(37_000, instalments=MAX_INSTALMENTS + 1, frequency="monthly")

    assert "37 instalments is more than the 36" in str(error)
    assert set(error.field_errors) == {"instalments"}


def test_zero_instalments_rejected() -> None:
    error = rejected(30_000, instalments=0)

    assert "Number of instalments 0 is invalid" in str(error)


def test_unknown_frequency_rejected() -> None:
    error = rejected(30_000, instalments=2, frequency="daily")

    assert "Unknown frequency 'daily'" in str(error)
    assert set(error.field_errors) == {"frequency"}


def test_plan_needs_frequency() -> None:
    error = rejected(30_000, instalments=2)

    assert "A plan of 2 instalments needs a frequency" in str(error)


@pytest.mark.parametrize("total", [0, -100])
def test_amount_above_zero(total: int) -> None:
    error = rejected(total)

    assert set(error.field_errors) == {"amount"}
    assert "enter an amount above zero" in str(error)


def test_total_too_small_to_split() -> None:
    error = rejected(2, instalments=3, frequency="weekly")

    assert "€0.02 cannot be split into 3 instalments" in str(error)
