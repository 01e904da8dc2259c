"""Call queue listing and counts: the workable filter, order, scope and segments."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.scope import Scope
from hub.cases.models import CaseStatus, Segment
from hub.cases.priority import refresh_priorities
from hub.cases.queue import count_call_queue, list_call_queue
from hub.errors import NotFoundError, ValidationError
from tests.queue_factories import AS_OF, NOW, add_case, add_client, add_user


async def _queue_ids(session: AsyncSession, scope: Scope, **options: object) -> list[int]:
    return [entry.case_id for entry in await list_call_queue(session, scope, now=NOW, **options)]


async def test_queue_orders_by_priority_then_id(session: AsyncSession) -> None:
    client = await add_client(session)
    middle = await add_case(session, client, priority=50.0)
    tie_first = await add_case(session, client, priority=80.0)
    tie_second = await add_case(session, client, priority=80.0)
    top = await add_case(session, client, priority=95.0)

    ids = await _queue_ids(session, Scope.for_client(client.id))

    assert ids == [top.id, tie_first.id, tie_second.id, middle.id]


async def test_queue_follows_refreshed_priority(session: AsyncSession) -> None:
    client = await add_client(session)
    cases = [await add_case(session, client, risk_score=risk) for risk in (30, 90, 60)]
    await refresh_priorities(session, client, today=AS_OF)

    ids = await _queue_ids(session, Scope.for_client(client.id))

    assert ids == [cases[1].id, cases[2].id, cases[0].id]


async def test_queue_entry_carries_case_details(session: AsyncSession) -> None:
    client = await add_client(session)
    case = await add_case(session, client, "CUST-7", open_minor=12_345, days_past_due=40, segment=Segment.HIGH)

    [entry] = await list_call_queue(session, Scope.for_client(client.id), now=NOW)

    assert entry.case_id == case.id
    assert entry.client_slug == "acme"
    assert entry.debtor_reference == "CUST-7"
    assert entry.open_minor == 12_345
    assert entry.currency == "EUR"
    assert entry.segment == "high"
    assert entry.days_past_due == 40


async def test_queue_skips_closed_and_settled_cases(session: AsyncSession) -> None:
    client = await add_client(session)
    workable = await add_case(session, client)
    await add_case(session, client, status=CaseStatus.CLOSED)
    await add_case(session, client, open_minor=0)
    await add_case(session, client, open_minor=-500)

    ids = await _queue_ids(session, Scope.for_client(client.id))

    assert ids == [workable.id]


async def test_queue_skips_future_next_action(session: AsyncSession) -> None:
    client = await add_client(session)
    due_today = await add_case(session, client, next_action_on=AS_OF, priority=30.0)
    overdue = await add_case(session, client, next_action_on=AS_OF - timedelta(days=3), priority=20.0)
    await add_case(session, client, next_action_on=AS_OF + timedelta(days=1), priority=90.0)

    ids = await _queue_ids(session, Scope.for_client(client.id))

    assert ids == [due_today.id, overdue.id]


async def test_next_action_uses_client_time_zone(session: AsyncSession) -> None:
    # At 12:00 UTC on 10 March it is already 11 March 01:00 in Auckland (UTC+13).
    auckland = await add_client(session, "kiwi", timezone="Pacific/Auckland")
    london = await add_client(session, "brit", timezone="Europe/London")
    kiwi_case = await add_case(session, auckland, next_action_on=date(2026, 3, 11))
    await add_case(session, london, next_action_on=date(2026, 3, 11))

    ids = await _queue_ids(session, Scope(client_ids=frozenset({auckland.id, london.id})))

    assert ids == [kiwi_case.id]


async def test_next_action_ignores_as_of_date(session: AsyncSession) -> None:
    client = await add_client(session, as_of_date=date(2025, 1, 31))
    case = await add_case(session, client, next_action_on=date(2026, 3, 1))

    ids = await _queue_ids(session, Scope.for_client(client.id))

    assert ids == [case.id]


async def test_queue_hides_cases_claimed_by_others(session: AsyncSession) -> None:
    client = await add_client(session)
    agent = await add_user(session, "agent@example.com")
    other = await add_user(session, "other@example.com")
    until = NOW + timedelta(minutes=5)
    own = await add_case(session, client, claimed_by_id=agent.id, claimed_until=until, priority=10.0)
    await add_case(session, client, claimed_by_id=other.id, claimed_until=until, priority=20.0)
    expired = await add_case(session, client, claimed_by_id=other.id, claimed_until=NOW, priority=30.0)

    ids = await _queue_ids(session, Scope.for_client(client.id, user_id=agent.id))

    assert ids == [expired.id, own.id]


async def test_queue_without_user_hides_every_claim(session: AsyncSession) -> None:
    client = await add_client(session)
    agent = await add_user(session)
    await add_case(session, client, claimed_by_id=agent.id, claimed_until=NOW + timedelta(minutes=1))
    free = await add_case(session, client)

    ids = await _queue_ids(session, Scope.for_client(client.id))

    assert ids == [free.id]


async def test_queue_stays_inside_scope(session: AsyncSession) -> None:
    client = await add_client(session, "acme")
    other = await add_client(session, "other")
    own = await add_case(session, client, priority=10.0)
    await add_case(session, other, priority=99.0)

    ids = await _queue_ids(session, Scope.for_client(client.id))

    assert ids == [own.id]


async def test_queue_filters_by_client(session: AsyncSession) -> None:
    client = await add_client(session, "acme")
    other = await add_client(session, "other")
    await add_case(session, client, priority=10.0)
    wanted = await add_case(session, other, priority=5.0)
    scope = Scope(client_ids=frozenset({client.id, other.id}))

    ids = await _queue_ids(session, scope, client_id=other.id)

    assert ids == [wanted.id]


async def test_queue_rejects_client_outside_scope(session: AsyncSession) -> None:
    client = await add_client(session, "acme")
    other = await add_client(session, "other")
    await add_case(session, other)

    with pytest.raises(NotFoundError, match=f"Client {other.id} not found"):
        await list_call_queue(session, Scope.for_client(client.id), client_id=other.id, now=NOW)


async def test_queue_filters_by_segment(session: AsyncSession) -> None:
    client = await add_client(session)
    await add_case(session, client, segment=Segment.LOW)
    high = await add_case(session, client, segment=Segment.HIGH)

    ids = await _queue_ids(session, Scope.for_client(client.id), segment="high")

    assert ids == [high.id]


async def test_queue_rejects_unknown_segment(session: AsyncSession) -> None:
    client = await add_client(session)

    with pytest.raises(ValidationError, match="'urgent'"):
        await list_call_queue(session, Scope.for_client(client.id), segment="urgent", now=NOW)


async def test_queue_applies_limit(session: AsyncSession) -> None:
    client = await add_client(session)
    cases = [await add_case(session, client, priority=float(p)) for p in range(5)]

    ids = await _queue_ids(session, Scope.for_client(client.id), limit=2)

    assert ids == [cases[4].id, cases[3].id]


async def test_queue_rejects_naive_now(session: AsyncSession) -> None:
    client = await add_client(session)

    with pytest.raises(ValueError, match="naive datetime"):
        await list_call_queue(session, Scope.for_client(client.id), now=datetime(2026, 3, 10, 12))


async def _counted_world(session: AsyncSession) -> Scope:
    client = await add_client(session)
    agent = await add_user(session, "agent@example.com")
    other = await add_user(session, "other@example.com")
    for segment in (Segment.HIGH, Segment.HIGH, Segment.LOW, None):
        await add_case(session, client, segment=segment)
    await add_case(session, client, segment=Segment.HIGH, claimed_by_id=agent.id, claimed_until=NOW + timedelta(1))
    await add_case(session, client, segment=Segment.HIGH, claimed_by_id=other.id, claimed_until=NOW + timedelta(1))
    await add_case(session, client, segment=Segment.MEDIUM, next_action_on=AS_OF + timedelta(days=4))
    await add_case(session, client, segment=Segment.MEDIUM, status=CaseStatus.CLOSED)
    return Scope.for_client(client.id, user_id=agent.id)


async def test_counts_split_by_segment(session: AsyncSession) -> None:
    scope = await _counted_world(session)

    counts = await count_call_queue(session, scope, now=NOW)

    assert counts.by_segment == {"high": 3, "medium": 0, "low": 1, "unscored": 1}


async def test_counts_total_workable(session: AsyncSession) -> None:
    scope = await _counted_world(session)

    counts = await count_call_queue(session, scope, now=NOW)

    assert counts.total == 5


async def test_counts_total_matches_list(session: AsyncSession) -> None:
    scope = await _counted_world(session)

    counts = await count_call_queue(session, scope, now=NOW)

    assert counts.total == len(await list_call_queue(session, scope, now=NOW))


async def test_counts_claimed_by_others(session: AsyncSession) -> None:
    scope = await _counted_world(session)

    counts = await count_call_queue(session, scope, now=NOW)

    assert counts.claimed == 1


async def test_counts_scheduled_later(session: AsyncSession) -> None:
    scope = await _counted_world(session)

    counts = await count_call_queue(session, scope, now=NOW)

    assert counts.scheduled_later == 1


async def test_counts_respect_segment_filter(session: AsyncSession) -> None:
    scope = await _counted_world(session)

    counts = await count_call_queue(session, scope, segment="high", now=NOW)

    assert counts.total == 3


async def test_counts_expire_claims(session: AsyncSession) -> None:
    scope = await _counted_world(session)
    later = NOW + timedelta(days=2)

    counts = await count_call_queue(session, scope, now=later.astimezone(UTC))

    assert counts.claimed == 0
