"""Claiming the next case: atomic under concurrency, expiring, sticky per agent, and scoped."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.accounts.scope import Scope
from hub.cases.models import Case, Segment
from hub.cases.queue import CLAIM_TIMEOUT_SECONDS, claim_next_case, list_call_queue, release_claim
from hub.db import create_session_factory
from hub.errors import NotFoundError
from tests.queue_factories import NOW, add_case, add_client, add_user

CLAIMER_COUNT = 20


async def _claim_in_own_session(engine: AsyncEngine, scope: Scope, user_id: int) -> int | None:
    async with create_session_factory(engine)() as session:
        return await claim_next_case(session, scope, user_id, now=NOW)


async def _claim_concurrently(engine: AsyncEngine, scope: Scope, user_ids: list[int]) -> list[int | None]:
    return await asyncio.gather(*(_claim_in_own_session(engine, scope, user_id) for user_id in user_ids))


async def _seed_claimers(session: AsyncSession, case_count: int) -> tuple[Scope, list[int]]:
    client = await add_client(session)
    for index in range(case_count):
        await add_case(session, client, priority=float(index % 7))
    user_ids = [(await add_user(session, f"agent{n}@example.com")).id for n in range(CLAIMER_COUNT)]
    await session.commit()
    return Scope.for_client(client.id), user_ids


async def test_concurrent_claims_get_distinct_cases(session: AsyncSession, engine: AsyncEngine) -> None:
    scope, user_ids = await _seed_claimers(session, case_count=30)

    claimed = await _claim_concurrently(engine, scope, user_ids)

    assert None not in claimed
    assert len(set(claimed)) == CLAIMER_COUNT


async def test_concurrent_claims_take_top_cases(session: AsyncSession, engine: AsyncEngine) -> None:
    scope, user_ids = await _seed_claimers(session, case_count=30)
    top_ids = [entry.case_id for entry in await list_call_queue(session, scope, limit=CLAIMER_COUNT, now=NOW)]

    claimed = await _claim_concurrently(engine, scope, user_ids)

    assert sorted(claimed) == sorted(top_ids)  # type: ignore[type-var]


async def test_concurrent_claims_share_scarce_cases(session: AsyncSession, engine: AsyncEngine) -> None:
    scope, user_ids = await _seed_claimers(session, case_count=5)

    claimed = await _claim_concurrently(engine, scope, user_ids)

    granted = [case_id for case_id in claimed if case_id is not None]
    assert len(granted) == 5
    assert len(set(granted)) == 5


async def test_claim_records_user_and_expiry(session: AsyncSession) -> None:
    client = await add_client(session)
    agent = await add_user(session)
    case = await add_case(session, client)

    await claim_next_case(session, Scope.for_client(client.id), agent.id, now=NOW)

    stored = await session.get_one(Case, case.id, populate_existing=True)
    assert stored.claimed_by_id == agent.id
    assert stored.claimed_until == NOW + timedelta(seconds=CLAIM_TIMEOUT_SECONDS)


async def test_claim_takes_highest_priority(session: AsyncSession) -> None:
    client = await add_client(session)
    agent = await add_user(session)
    await add_case(session, client, priority=40.0)
    top = await add_case(session, client, priority=70.0)

    claimed = await claim_next_case(session, Scope.for_client(client.id), agent.id, now=NOW)

    assert claimed == top.id


async def test_second_agent_gets_next_case(session: AsyncSession) -> None:
    client = await add_client(session)
    first = await add_user(session, "first@example.com")
    second = await add_user(session, "second@example.com")
    lower = await add_case(session, client, priority=40.0)
    await add_case(session, client, priority=70.0)
    scope = Scope.for_client(client.id)

    await claim_next_case(session, scope, first.id, now=NOW)
    claimed = await claim_next_case(session, scope, second.id, now=NOW)

    assert claimed == lower.id


async def test_claim_again_returns_held_case(session: AsyncSession) -> None:
    client = await add_client(session)
    agent = await add_user(session)
    await add_case(session, client, priority=40.0)
    await add_case(session, client, priority=70.0)
    scope = Scope.for_client(client.id)

    first = await claim_next_case(session, scope, agent.id, now=NOW)
    again = await claim_next_case(session, scope, agent.id, now=NOW + timedelta(minutes=5))

    assert again == first


async def test_claim_again_extends_claim(session: AsyncSession) -> None:
    client = await add_client(session)
    agent = await add_user(session)
    case = await add_case(session, client)
    scope = Scope.for_client(client.id)
    later = NOW + timedelta(minutes=5)

    await claim_next_case(session, scope, agent.id, now=NOW)
    await claim_next_case(session, scope, agent.id, now=later)

    stored = await session.get_one(Case, case.id, populate_existing=True)
    assert stored.claimed_until == later + timedelta(seconds=CLAIM_TIMEOUT_SECONDS)


async def test_held_case_wins_over_segment_filter(session: AsyncSession) -> None:
    client = await add_client(session)
    agent = await add_user(session)
    low = await add_case(session, client, segment=Segment.LOW, priority=90.0)
    await add_case(session, client, segment=Segment.HIGH, priority=10.0)
    scope = Scope.for_client(client.id)

    await claim_next_case(session, scope, agent.id, now=NOW)
    again = await claim_next_case(session, scope, agent.id, segment="high", now=NOW)

    assert again == low.id


async def test_expired_claim_is_claimable(session: AsyncSession) -> None:
    client = await add_client(session)
    first = await add_user(session, "first@example.com")
    second = await add_user(session, "second@example.com")
    case = await add_case(session, client)
    scope = Scope.for_client(client.id)
    expired = NOW + timedelta(seconds=CLAIM_TIMEOUT_SECONDS)

    await claim_next_case(session, scope, first.id, now=NOW)
    claimed = await claim_next_case(session, scope, second.id, now=expired)

    assert claimed == case.id


async def test_unexpired_claim_blocks_others(session: AsyncSession) -> None:
    client = await add_client(session)
    first = await add_user(session, "first@example.com")
    second = await add_user(session, "second@example.com")
    await add_case(session, client)
    scope = Scope.for_client(client.id)
    almost = NOW + timedelta(seconds=CLAIM_TIMEOUT_SECONDS - 1)

    await claim_next_case(session, scope, first.id, now=NOW)
    claimed = await claim_next_case(session, scope, second.id, now=almost)

    assert claimed is None


async def test_claim_on_empty_queue_returns_none(session: AsyncSession) -> None:
    client = await add_client(session)
    agent = await add_user(session)

    assert await claim_next_case(session, Scope.for_client(client.id), agent.id, now=NOW) is None


async def test_claim_stays_inside_scope(session: AsyncSession) -> None:
    client = await add_client(session, "acme")
    other = await add_client(session, "other")
    agent = await add_user(session)
    await add_case(session, other, priority=99.0)
    own = await add_case(session, client, priority=1.0)

    claimed = await claim_next_case(session, Scope.for_client(client.id), agent.id, now=NOW)

    assert claimed == own.id


async def test_claim_ignores_held_case_outside_scope(session: AsyncSession) -> None:
    client = await add_client(session, "acme")
    other = await add_client(session, "other")
    agent = await add_user(session)
    await add_case(session, other)
    own = await add_case(session, client)

    await claim_next_case(session, Scope.for_client(other.id), agent.id, now=NOW)
    claimed = await claim_next_case(session, Scope.for_client(client.id), agent.id, now=NOW)

    assert claimed == own.id


async def test_claim_rejects_client_outside_scope(session: AsyncSession) -> None:
    client = await add_client(session, "acme")
    other = await add_client(session, "other")
    agent = await add_user(session)

    with pytest.raises(NotFoundError):
        await claim_next_case(session, Scope.for_client(client.id), agent.id, client_id=other.id, now=NOW)


async def test_release_makes_case_claimable(session: AsyncSession) -> None:
    client = await add_client(session)
    first = await add_user(session, "first@example.com")
    second = await add_user(session, "second@example.com")
    case = await add_case(session, client)
    scope = Scope.for_client(client.id)

    await claim_next_case(session, scope, first.id, now=NOW)
    await release_claim(session, scope, case.id, first.id)
    claimed = await claim_next_case(session, scope, second.id, now=NOW)

    assert claimed == case.id


async def test_release_keeps_other_users_claim(session: AsyncSession) -> None:
    client = await add_client(session)
    first = await add_user(session, "first@example.com")
    second = await add_user(session, "second@example.com")
    case = await add_case(session, client)
    scope = Scope.for_client(client.id)

    await claim_next_case(session, scope, first.id, now=NOW)
    await release_claim(session, scope, case.id, second.id)

    stored = await session.get_one(Case, case.id, populate_existing=True)
    assert stored.claimed_by_id == first.id


async def test_release_outside_scope_is_not_found(session: AsyncSession) -> None:
    client = await add_client(session, "acme")
    other = await add_client(session, "other")
    agent = await add_user(session)
    foreign = await add_case(session, other)

    with pytest.raises(NotFoundError, match=f"Case {foreign.id} not found"):
        await release_claim(session, Scope.for_client(client.id), foreign.id, agent.id)
