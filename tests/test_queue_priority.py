"""Queue priority: the documented formula, its monotonicity and per-client weights."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from hub.cases.models import Case, CaseStatus
from hub.cases.priority import refresh_priorities
from hub.clients.models import Client
from tests.queue_factories import AS_OF, add_case, add_client


async def _refresh(session: AsyncSession, client: Client, *cases: Case) -> list[float]:
    await refresh_priorities(session, client, today=AS_OF)
    return [case.priority for case in cases]


async def test_priority_follows_documented_formula(session: AsyncSession) -> None:
    client = await add_client(session)
    await add_case(session, client, open_minor=1_000_000, days_past_due=0, risk_score=0)
    case = await add_case(session, client, open_minor=10_000, days_past_due=45, risk_score=80)

    [priority] = await _refresh(session, client, case)

    # risk 0.8, exposure 1 + log10(1/100) / 4 = 0.5, urgency 45/90 = 0.5, weights 0.5/0.3/0.2
    assert priority == pytest.approx(100 * (0.5 * 0.8 + 0.3 * 0.5 + 0.2 * 0.5))


async def test_priority_rises_with_risk(session: AsyncSession) -> None:
    client = await add_client(session)
    low = await add_case(session, client, risk_score=20)
    high = await add_case(session, client, risk_score=90)

    low_priority, high_priority = await _refresh(session, client, low, high)

    assert high_priority > low_priority


async def test_priority_rises_with_exposure(session: AsyncSession) -> None:
    client = await add_client(session)
    small = await add_case(session, client, open_minor=5_000)
    large = await add_case(session, client, open_minor=500_000)

    small_priority, large_priority = await _refresh(session, client, small, large)

    assert large_priority > small_priority


async def test_priority_rises_with_days_past_due(session: AsyncSession) -> None:
    client = await add_client(session)
    recent = await add_case(session, client, days_past_due=5)
    old = await add_case(session, client, days_past_due=60)

    recent_priority, old_priority = await _refresh(session, client, recent, old)

    assert old_priority > recent_priority


async def test_urgency_saturates_at_ninety_days(session: AsyncSession) -> None:
    client = await add_client(session)
    ninety = await add_case(session, client, days_past_due=90)
    older = await add_case(session, client, days_past_due=400)

    ninety_priority, older_priority = await _refresh(session, client, ninety, older)

    assert older_priority == pytest.approx(ninety_priority)


async def test_unscored_case_counts_as_half_risk(session: AsyncSession) -> None:
    client = await add_client(session)
    unscored = await add_case(session, client, risk_score=None)
    half = await add_case(session, client, risk_score=50)

    unscored_priority, half_priority = await _refresh(session, client, unscored, half)

    assert unscored_priority == pytest.approx(half_priority)


async def test_promise_due_soon_maximises_urgency(session: AsyncSession) -> None:
    client = await add_client(session)
    saturated = await add_case(session, client, days_past_due=200)
    promised = await add_case(session, client, days_past_due=1, promise_due_on=AS_OF + timedelta(days=2))
    later = await add_case(session, client, days_past_due=1, promise_due_on=AS_OF + timedelta(days=3))

    saturated_priority, promised_priority, later_priority = await _refresh(session, client, saturated, promised, later)

    assert promised_priority == pytest.approx(saturated_priority)
    assert later_priority < promised_priority


async def test_broken_promise_maximises_urgency(session: AsyncSession) -> None:
    client = await add_client(session)
    saturated = await add_case(session, client, days_past_due=200)
    broken = await add_case(session, client, days_past_due=1, promise_due_on=AS_OF - timedelta(days=5))

    saturated_priority, broken_priority = await _refresh(session, client, saturated, broken)

    assert broken_priority == pytest.approx(saturated_priority)


async def test_priority_spans_zero_to_hundred(session: AsyncSession) -> None:
    client = await add_client(session)
    top = await add_case(session, client, open_minor=1_000_000, days_past_due=120, risk_score=100)
    bottom = await add_case(session, client, open_minor=10, days_past_due=0, risk_score=0)

    top_priority, bottom_priority = await _refresh(session, client, top, bottom)

    assert top_priority == pytest.approx(100.0)
    assert bottom_priority == pytest.approx(0.0)


async def test_closed_case_has_zero_priority(session: AsyncSession) -> None:
    client = await add_client(session)
    closed = await add_case(session, client, status=CaseStatus.CLOSED, risk_score=100, priority=55.0)

    [priority] = await _refresh(session, client, closed)

    assert priority == 0.0


async def test_client_weights_change_order(session: AsyncSession) -> None:
    risk_first = await add_client(session, "risk-first", weight_risk=1.0, weight_exposure=0.0, weight_urgency=0.0)
    money_first = await add_client(session, "money-first", weight_risk=0.0, weight_exposure=1.0, weight_urgency=0.0)
    cases = {}
    for client in (risk_first, money_first):
        risky = await add_case(session, client, risk_score=90, open_minor=1_000)
        large = await add_case(session, client, risk_score=10, open_minor=900_000)
        await refresh_priorities(session, client, today=AS_OF)
        cases[client.slug] = (risky.priority, large.priority)

    assert cases["risk-first"][0] > cases["risk-first"][1]
    assert cases["money-first"][1] > cases["money-first"][0]


async def test_weights_are_normalised(session: AsyncSession) -> None:
    unit = await add_client(session, "unit", weight_risk=0.5, weight_exposure=0.3, weight_urgency=0.2)
    scaled = await add_client(session, "scaled", weight_risk=5.0, weight_exposure=3.0, weight_urgency=2.0)
    unit_case = await add_case(session, unit, risk_score=70, days_past_due=20)
    scaled_case = await add_case(session, scaled, risk_score=70, days_past_due=20)

    [unit_priority] = await _refresh(session, unit, unit_case)
    [scaled_priority] = await _refresh(session, scaled, scaled_case)

    assert scaled_priority == pytest.approx(unit_priority)


async def test_zero_weights_fall_back_to_defaults(session: AsyncSession) -> None:
    default = await add_client(session, "default")
    zero = await add_client(session, "zero", weight_risk=0.0, weight_exposure=0.0, weight_urgency=0.0)
    default_case = await add_case(session, default, risk_score=70, days_past_due=20)
    zero_case = await add_case(session, zero, risk_score=70, days_past_due=20)

    [default_priority] = await _refresh(session, default, default_case)
    [zero_priority] = await _refresh(session, zero, zero_case)

    assert zero_priority == pytest.approx(default_priority)


async def test_refresh_touches_only_its_client(session: AsyncSession) -> None:
    client = await add_client(session, "acme")
    other = await add_client(session, "other")
    other_case = await add_case(session, other, risk_score=90, priority=12.5)

    await refresh_priorities(session, client, today=AS_OF)

    assert other_case.priority == 12.5
