"""Changing one's own password, and argon2 rehashing when its parameters change."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from argon2 import PasswordHasher
from httpx import Response
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.accounts import services as account_services
from hub.accounts.models import User
from hub.accounts.passwords import change_password
from hub.accounts.services import authenticate
from hub.errors import ValidationError
from tests.factories import PASSWORD, World, build_world, csrf_headers, sign_in, web_app

NEW_PASSWORD = "a-much-longer-new-secret"
WEAK_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture
async def world(session: AsyncSession) -> World:
    return await build_world(session)


@pytest.fixture
async def client(database_url: str, engine: AsyncEngine) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as client:
        yield client


async def submit_change(client: AsyncTestClient, current: str, new: str, confirmation: str | None = None) -> Response:
    data = {"current_password": current, "new_password": new, "confirm_password": confirmation or new}
    return await client.post("/account/password", data=data, headers=csrf_headers(client), follow_redirects=False)


async def stored_hash(session: AsyncSession, email: str) -> str:
    session.expire_all()
    user = await session.scalar(select(User).where(User.email == email))
    assert user is not None
    return user.password_hash


async def test_password_page_has_three_fields(client: AsyncTestClient, world: World) -> None:
    await sign_in(client, "agent@acme.test")

    response = await client.get("/account/password")

    assert '<label for="current_password">Current password</label>' in response.text
    assert 'id="new_password"' in response.text
    assert 'id="confirm_password"' in response.text


async def test_password_change_redirects_with_notice(client: AsyncTestClient, world: World) -> None:
    await sign_in(client, "agent@acme.test")

    response = await submit_change(client, PASSWORD, NEW_PASSWORD)
    page = await client.get(response.headers["location"])

    assert response.status_code == 303
    assert "Password changed." in page.text


async def test_new_password_signs_in(client: AsyncTestClient, world: World) -> None:
    await sign_in(client, "agent@acme.test")
    await submit_change(client, PASSWORD, NEW_PASSWORD)
    await client.post("/logout", headers=csrf_headers(client))

    old = await sign_in(client, "agent@acme.test", PASSWORD)
    new = await sign_in(client, "agent@acme.test", NEW_PASSWORD)

    assert old.status_code == 400
    assert new.status_code == 303


async def test_change_keeps_this_browser_signed_in(client: AsyncTestClient, world: World) -> None:
    await sign_in(client, "agent@acme.test")
    await submit_change(client, PASSWORD, NEW_PASSWORD)

    response = await client.get("/queues/call", follow_redirects=False)

    assert response.status_code == 200


async def test_change_signs_out_other_browsers(database_url: str, client: AsyncTestClient, world: World) -> None:
    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as other:
        await sign_in(other, "agent@acme.test")
        await sign_in(client, "agent@acme.test")
        await submit_change(client, PASSWORD, NEW_PASSWORD)

        response = await other.get("/queues/call", follow_redirects=False)

    assert response.headers["location"] == "/login?next=%2Fqueues%2Fcall&expired=1"


@pytest.mark.parametrize(
    ("current", "new", "confirmation", "field", "message"),
    [
        ("wrong-current-pass", NEW_PASSWORD, NEW_PASSWORD, "current_password", "the current password is wrong"),
        (PASSWORD, "short-pass1", "short-pass1", "new_password", "use at least 12 characters"),
        (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x", "confirm_password", "the two new passwords differ"),
        (PASSWORD, PASSWORD, PASSWORD, "new_password", "the same as the current one"),
    ],
)
async def test_invalid_change_shows_field_error(
    client: AsyncTestClient,
    world: World,
    session: AsyncSession,
    current: str,
    new: str,
    confirmation: str,
    field: str,
    message: str,
) -> None:
    await sign_in(client, "agent@acme.test")
    before = await stored_hash(session, "agent@acme.test")

    response = await submit_change(client, current, new, confirmation)

    assert response.status_code == 400
    assert f'id="{field}-error"' in response.text
    assert message in response.text
    assert await stored_hash(session, "agent@acme.test") == before


async def test_password_change_needs_sign_in(client: AsyncTestClient, world: World) -> None:
    await client.get("/login")

    response = await submit_change(client, PASSWORD, NEW_PASSWORD)

    assert response.headers["location"].startswith("/login")


async def test_change_password_records_time(session: AsyncSession, world: World) -> None:
    user = await change_password(session, world.agent, PASSWORD, NEW_PASSWORD, NEW_PASSWORD)

    assert user.password_changed_at is not None


async def test_change_password_collects_all_errors(session: AsyncSession, world: World) -> None:
    with pytest.raises(ValidationError) as raised:
        await change_password(session, world.agent, "wrong-current-pass", "short", "short")

    assert set(raised.value.field_errors) == {"current_password", "new_password"}


async def test_change_uses_current_parameters(session: AsyncSession, world: World) -> None:
    world.agent.password_hash = WEAK_HASHER.hash(PASSWORD)

    await change_password(session, world.agent, PASSWORD, NEW_PASSWORD, NEW_PASSWORD)

    assert not account_services.PASSWORD_HASHER.check_needs_rehash(world.agent.password_hash)


async def test_sign_in_rehashes_old_parameters(session: AsyncSession, world: World) -> None:
    world.agent.password_hash = WEAK_HASHER.hash(PASSWORD)
    await session.commit()

    await authenticate(session, "agent@acme.test", PASSWORD)
    await session.commit()

    new_hash = await stored_hash(session, "agent@acme.test")
    assert not account_services.PASSWORD_HASHER.check_needs_rehash(new_hash)
    assert account_services.PASSWORD_HASHER.verify(new_hash, PASSWORD)
