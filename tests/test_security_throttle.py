"""Sign-in throttling per account email and per client address."""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from httpx import Response
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.accounts.models import LoginThrottle
from hub.accounts.throttle import (
    ACCOUNT_FAILURE_LIMIT,
    ACCOUNT_LOCK_SECONDS,
    ADDRESS_FAILURE_LIMIT,
    ADDRESS_WINDOW_SECONDS,
    ThrottleKind,
    check_sign_in_allowed,
    record_failed_sign_in,
    reset_account_failures,
)
from tests.factories import World, build_world, sign_in, web_app

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
# Starlette's test client reports this address for every request.
TEST_CLIENT_ADDRESS = "testclient"
LOCK_MESSAGE_PATTERN = re.compile(r"Too many failed sign-ins; try again after (\d\d:\d\d) UTC\.")
VOLATILE_PATTERN = re.compile(r'(value="[^"]*"|content="[^"]*"|\d\d:\d\d UTC)')


@pytest.fixture
async def world(session: AsyncSession) -> World:
    return await build_world(session)


@pytest.fixture
async def client(database_url: str, engine: AsyncEngine) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as client:
        yield client


async def fail_sign_ins(client: AsyncTestClient, email: str, count: int) -> Response:
    response = None
    for _ in range(count):
        response = await sign_in(client, email, "wrong-password-123")
    assert response is not None
    return response


def comparable(html: str) -> str:
    """The page without what differs between requests: CSRF tokens, the typed email and the lock end."""
    return VOLATILE_PATTERN.sub("", html)


async def test_tenth_failure_locks_account(client: AsyncTestClient, world: World) -> None:
    ninth = await fail_sign_ins(client, "agent@acme.test", ACCOUNT_FAILURE_LIMIT - 1)

    tenth = await sign_in(client, "agent@acme.test", "wrong-password-123")

    assert ninth.status_code == 400
    assert tenth.status_code == 429
    assert LOCK_MESSAGE_PATTERN.search(tenth.text) is not None


async def test_locked_account_rejects_right_password(client: AsyncTestClient, world: World) -> None:
    await fail_sign_ins(client, "agent@acme.test", ACCOUNT_FAILURE_LIMIT)

    response = await sign_in(client, "agent@acme.test")

    assert response.status_code == 429
    assert "hub_session" not in response.headers.get("set-cookie", "")


async def test_lock_message_names_the_time(client: AsyncTestClient, world: World) -> None:
    before = datetime.now(UTC)

    response = await fail_sign_ins(client, "agent@acme.test", ACCOUNT_FAILURE_LIMIT)

    match = LOCK_MESSAGE_PATTERN.search(response.text)
    assert match is not None
    expected = {(before + timedelta(seconds=ACCOUNT_LOCK_SECONDS + delay)).strftime("%H:%M") for delay in (0, 60)}
    assert match.group(1) in expected
    assert 0 < int(response.headers["retry-after"]) <= ACCOUNT_LOCK_SECONDS


async def test_unknown_email_locks_the_same(client: AsyncTestClient, world: World) -> None:
    known = await fail_sign_ins(client, "agent@acme.test", ACCOUNT_FAILURE_LIMIT)
    unknown = await fail_sign_ins(client, "nobody@acme.test", ACCOUNT_FAILURE_LIMIT)

    assert unknown.status_code == known.status_code
    assert comparable(unknown.text) == comparable(known.text)


async def test_unknown_email_failure_looks_the_same(client: AsyncTestClient, world: World) -> None:
    known = await sign_in(client, "agent@acme.test", "wrong-password-123")
    unknown = await sign_in(client, "nobody@acme.test", "wrong-password-123")

    assert unknown.status_code == known.status_code
    assert comparable(unknown.text) == comparable(known.text)


async def test_success_resets_account_count(client: AsyncTestClient, world: World) -> None:
    await fail_sign_ins(client, "agent@acme.test", ACCOUNT_FAILURE_LIMIT - 1)
    assert (await sign_in(client, "agent@acme.test")).status_code == 303
    await client.post("/logout", headers={"x-csrftoken": client.cookies["csrftoken"]})

    response = await fail_sign_ins(client, "agent@acme.test", ACCOUNT_FAILURE_LIMIT - 1)

    assert response.status_code == 400


async def test_throttle_stores_no_email(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    await fail_sign_ins(client, "nobody@acme.test", 1)

    keys = (await session.scalars(select(LoginThrottle.key_hash))).all()

    assert len(keys) == 2
    assert all("@" not in key for key in keys)


async def test_address_limit_answers_429(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    now = datetime.now(UTC)
    for number in range(ADDRESS_FAILURE_LIMIT):
        await record_failed_sign_in(session, f"user{number}@acme.test", TEST_CLIENT_ADDRESS, now)
    await session.commit()

    response = await sign_in(client, "agent@acme.test")

    assert response.status_code == 429
    assert 0 < int(response.headers["retry-after"]) <= ADDRESS_WINDOW_SECONDS
    assert "Too many failed sign-ins from your network" in response.text


async def test_address_below_limit_signs_in(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    now = datetime.now(UTC)
    for number in range(ADDRESS_FAILURE_LIMIT - 1):
        await record_failed_sign_in(session, f"user{number}@acme.test", TEST_CLIENT_ADDRESS, now)
    await session.commit()

    response = await sign_in(client, "agent@acme.test")

    assert response.status_code == 303


async def test_account_lock_ends_after_period(session: AsyncSession) -> None:
    for _ in range(ACCOUNT_FAILURE_LIMIT):
        await record_failed_sign_in(session, "agent@acme.test", "10.0.0.1", NOW)

    during = await check_sign_in_allowed(session, "agent@acme.test", "10.0.0.2", NOW + timedelta(minutes=14))
    after = await check_sign_in_allowed(session, "agent@acme.test", "10.0.0.2", NOW + timedelta(minutes=16))

    assert during.kind == ThrottleKind.ACCOUNT
    assert after.retry_at is None


async def test_lock_applies_to_any_address(session: AsyncSession) -> None:
    for number in range(ACCOUNT_FAILURE_LIMIT):
        await record_failed_sign_in(session, "agent@acme.test", f"10.0.0.{number}", NOW)

    state = await check_sign_in_allowed(session, "agent@acme.test", "192.0.2.1", NOW)

    assert state.retry_at == NOW + timedelta(seconds=ACCOUNT_LOCK_SECONDS)


async def test_email_case_shares_one_counter(session: AsyncSession) -> None:
    for number in range(ACCOUNT_FAILURE_LIMIT):
        await record_failed_sign_in(session, "Agent@ACME.test " if number % 2 else "agent@acme.test", "10.0.0.1", NOW)

    state = await check_sign_in_allowed(session, "agent@acme.test", "10.0.0.1", NOW)

    assert state.kind == ThrottleKind.ACCOUNT


async def test_address_window_restarts_count(session: AsyncSession) -> None:
    for number in range(ADDRESS_FAILURE_LIMIT - 1):
        await record_failed_sign_in(session, f"user{number}@acme.test", "10.0.0.1", NOW)
    later = NOW + timedelta(seconds=ADDRESS_WINDOW_SECONDS + 1)
    await record_failed_sign_in(session, "late@acme.test", "10.0.0.1", later)

    state = await check_sign_in_allowed(session, "other@acme.test", "10.0.0.1", later)

    assert state.retry_at is None


async def test_address_limit_counts_all_emails(session: AsyncSession) -> None:
    for number in range(ADDRESS_FAILURE_LIMIT):
        await record_failed_sign_in(session, f"user{number}@acme.test", "10.0.0.1", NOW)

    state = await check_sign_in_allowed(session, "fresh@acme.test", "10.0.0.1", NOW + timedelta(minutes=1))

    assert state.kind == ThrottleKind.ADDRESS
    assert state.retry_at == NOW + timedelta(seconds=ADDRESS_WINDOW_SECONDS)


async def test_reset_clears_account_lock(session: AsyncSession) -> None:
    for _ in range(ACCOUNT_FAILURE_LIMIT):
        await record_failed_sign_in(session, "agent@acme.test", "10.0.0.1", NOW)

    await reset_account_failures(session, "agent@acme.test")

    state = await check_sign_in_allowed(session, "agent@acme.test", "10.0.0.2", NOW)
    assert state.retry_at is None


async def median_sign_in_seconds(client: AsyncTestClient, email: str, count: int = 5) -> float:
    durations = []
    for _ in range(count):
        started = time.perf_counter()
        await sign_in(client, email, "wrong-password-123")
        durations.append(time.perf_counter() - started)
    return statistics.median(durations)


async def test_unknown_email_takes_similar_time(client: AsyncTestClient, world: World) -> None:
    known = await median_sign_in_seconds(client, "agent@acme.test")
    unknown = await median_sign_in_seconds(client, "nobody@acme.test")

    # Both verify one argon2 hash; a missing verify would make the unknown email several times faster.
    assert 0.5 < unknown / known < 2.0
