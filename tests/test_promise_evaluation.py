"""The pure promise evaluation: pouring payments into instalments and deciding statuses."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hub.promises.evaluation import (
    InstalmentTerms,
    PaymentFact,
    PromiseResult,
    PromiseTerms,
    evaluate_promises,
)
from hub.promises.models import PromiseStatus as S

MADE = date(2026, 3, 1)
DUE = date(2026, 3, 10)
GRACE = 3
DEADLINE = DUE + timedelta(days=GRACE)


def days(n: int) -> timedelta:
    return timedelta(days=n)


def single(amount: int = 10_000, due: date = DUE, made: date = MADE, key: int = 1) -> PromiseTerms:
    return PromiseTerms(key, made, [InstalmentTerms(1, due, amount)])


def plan(amounts: list[int], first: date = DUE, step: int = 30, made: date = MADE, key: int = 1) -> PromiseTerms:
    items = [InstalmentTerms(index + 1, first + days(step * index), amount) for index, amount in enumerate(amounts)]
    return PromiseTerms(key, made, items)


def pay(*payments: tuple[date, int]) -> list[PaymentFact]:
    return [PaymentFact(index, paid_on, amount) for index, (paid_on, amount) in enumerate(payments, start=1)]


def run(promise: PromiseTerms, payments: list[PaymentFact], today: date) -> PromiseResult:
    return evaluate_promises([promise], payments, GRACE, today)[promise.key]


def statuses(result: PromiseResult) -> list[S]:
    return [item.status for item in result.instalments]


def test_open_before_due_without_payment() -> None:
    result = run(single(), [], DUE)

    assert result.status == S.OPEN
    assert result.paid_minor == 0
    assert result.due_minor == 0


def test_kept_when_paid_in_full() -> None:
    result = run(single(), pay((DUE, 10_000)), DUE)

    assert result.status == S.KEPT
    assert result.paid_on_time_minor == 10_000


def test_kept_before_due_date() -> None:
    result = run(single(), pay((MADE, 4_000), (MADE + days(2), 6_000)), MADE + days(2))

    assert result.status == S.KEPT
    assert result.paid_minor == 10_000


def test_payment_on_last_grace_day_counts() -> None:
    result = run(single(), pay((DEADLINE, 10_000)), DEADLINE + days(30))

    assert result.status == S.KEPT
    assert result.paid_on_time_minor == 10_000


def test_payment_after_grace_is_late() -> None:
    result = run(single(), pay((DEADLINE + days(1), 10_000)), DEADLINE + days(30))

    assert result.status == S.BROKEN
    assert result.paid_minor == 10_000
    assert result.paid_on_time_minor == 0


def test_open_through_last_grace_day() -> None:
    assert run(single(), [], DEADLINE).status == S.OPEN
    assert run(single(), [], DEADLINE + days(1)).status == S.BROKEN


def test_due_minor_counts_after_grace_only() -> None:
    assert run(single(), [], DEADLINE).due_minor == 0
    assert run(single(), [], DEADLINE + days(1)).due_minor == 10_000


def test_partial_payment_open_then_partly_kept() -> None:
    payments = pay((DUE, 4_000))

    assert run(single(), payments, DEADLINE).status == S.OPEN
    result = run(single(), payments, DEADLINE + days(1))
    assert result.status == S.PARTLY_KEPT
    assert result.paid_on_time_minor == 4_000


def test_overpayment_stays_on_last_instalment() -> None:
    result = run(plan([5_000, 5_000]), pay((DUE, 16_000)), DUE)

    assert result.status == S.KEPT
    assert result.paid_minor == 16_000
    assert [item.paid_minor for item in result.instalments] == [5_000, 11_000]


def test_payment_before_promise_ignored() -> None:
    result = run(single(), pay((MADE - days(1), 10_000)), DEADLINE + days(1))

    assert result.status == S.BROKEN
    assert result.paid_minor == 0


def test_payment_on_promise_day_counts() -> None:
    result = run(single(), pay((MADE, 10_000)), MADE)

    assert result.status == S.KEPT


def test_plan_first_kept_second_broken() -> None:
    promise = plan([5_000, 5_000])
    payments = pay((DUE, 5_000))
    second_deadline = DUE + days(30 + GRACE)

    in_between = run(promise, payments, DUE + days(10))
    assert in_between.status == S.OPEN
    assert statuses(in_between) == [S.KEPT, S.OPEN]
    after = run(promise, payments, second_deadline + days(1))
    assert after.status == S.PARTLY_KEPT
    assert statuses(after) == [S.KEPT, S.BROKEN]
    assert after.due_minor == 10_000


def test_plan_all_broken() -> None:
    result = run(plan([5_000, 5_000]), [], DUE + days(60))

    assert result.status == S.BROKEN
    assert statuses(result) == [S.BROKEN, S.BROKEN]


def test_plan_first_broken_second_still_open() -> None:
    result = run(plan([5_000, 5_000]), [], DEADLINE + days(1))

    assert result.status == S.BROKEN
    assert statuses(result) == [S.BROKEN, S.OPEN]
    assert result.due_minor == 5_000


def test_late_money_fills_earlier_instalment_first() -> None:
    # Instalment 1 (Mar 10) is unpaid; money on Mar 20 catches it up late, leaving instalment 2 to be paid.
    result = run(plan([5_000, 5_000]), pay((DUE + days(10), 5_000)), DUE + days(20))

    assert [item.paid_minor for item in result.instalments] == [5_000, 0]
    assert statuses(result) == [S.BROKEN, S.OPEN]


def test_early_full_payment_keeps_plan() -> None:
    result = run(plan([3_000, 3_000, 4_000]), pay((MADE, 10_000)), MADE)

    assert result.status == S.KEPT
    assert statuses(result) == [S.KEPT, S.KEPT, S.KEPT]


def test_payment_spills_across_instalments() -> None:
    result = run(plan([3_000, 3_000, 4_000]), pay((DUE, 4_500)), DUE)

    assert [item.paid_minor for item in result.instalments] == [3_000, 1_500, 0]
    assert statuses(result) == [S.KEPT, S.OPEN, S.OPEN]


def test_newer_promise_takes_later_payments() -> None:
    old = single(10_000, due=DUE, made=MADE, key=1)
    new = single(10_000, due=DUE + days(30), made=DUE + days(5), key=2)
    payments = pay((DUE + days(1), 2_000), (DUE + days(6), 10_000))

    results = evaluate_promises([old, new], payments, GRACE, DUE + days(40))

    assert results[1].paid_minor == 2_000
    assert results[1].status == S.PARTLY_KEPT
    assert results[2].paid_minor == 10_000
    assert results[2].status == S.KEPT


def test_non_positive_payments_ignored() -> None:
    result = run(single(), pay((DUE, 0), (DUE, -5_000), (DUE, 10_000)), DUE)

    assert result.paid_minor == 10_000
    assert result.status == S.KEPT


def test_zero_grace_days() -> None:
    promise = single()

    late = evaluate_promises([promise], pay((DUE + days(1), 10_000)), 0, DUE + days(1))[1]
    on_time = evaluate_promises([promise], pay((DUE, 10_000)), 0, DUE + days(1))[1]

    assert late.status == S.BROKEN
    assert on_time.status == S.KEPT


@pytest.mark.parametrize("offset", range(-3, 8))
@pytest.mark.parametrize("paid", [0, 2_500, 10_000, 12_000])
def test_grid_of_payment_days(offset: int, paid: int) -> None:
    """Every payment day around the deadline and amount, checked against the rules written out directly."""
    paid_on = DUE + days(offset)
    today = DUE + days(10)
    result = run(single(), pay((paid_on, paid)) if paid else [], today)

    on_time = paid if paid_on <= DEADLINE else 0
    if on_time >= 10_000:
        expected = S.KEPT
    elif on_time > 0:
        expected = S.PARTLY_KEPT
    else:
        expected = S.BROKEN
    assert result.status == expected
    assert result.paid_minor == paid
    assert result.paid_on_time_minor == on_time
