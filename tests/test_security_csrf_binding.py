"""A CSRF token works only with the session it was issued to, and password guesses on the change page are throttled."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.factories import PASSWORD, World, build_world, csrf_headers, sign_in, web_app

BASE_URL = "http://testserver.local"
WRONG_GUESSES = 10


@pytest.fixture
async def world(session: AsyncSession) -> World:
    return await build_world(session)


@pytest.fixture
async def client(database_url: str, engine: AsyncEngine) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=web_app(database_url), base_url=BASE_URL) as client:
        yield client


@pytest.fixture
async def stranger(database_url: str, engine: AsyncEngine) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=web_app(database_url), base_url=BASE_URL) as client:
        yield client


async def anonymous_token(stranger: AsyncTestClient) -> str:
    """Return the CSRF token that the hub sets for any signed-out visitor of the sign-in page."""
    await stranger.get("/login")
    return stranger.cookies.get("csrftoken", "")


def plant_token(client: AsyncTestClient, token: str) -> None:
    """Replace the CSRF cookie, as a page on a sibling subdomain or on plain HTTP can."""
    client.cookies.delete("csrftoken")
    client.cookies.set("csrftoken", token, domain="testserver.local")


async def test_planted_csrf_token_rejected(world: World, client: AsyncTestClient, stranger: AsyncTestClient) -> None:
    await sign_in(client, world.admin.email)
    token = await anonymous_token(stranger)
    plant_token(client, token)
    response = await client.post(
        f"/admin/users/{world.agent.id}/deactivate",
        headers={"x-csrftoken": token},
        follow_redirects=False,
    )
    assert response.status_code == 403


async def test_other_session_csrf_token_rejected(
    world: World, client: AsyncTestClient, stranger: AsyncTestClient
) -> None:
    await sign_in(client, world.agent.email)
    await sign_in(stranger, world.admin.email)
    token = stranger.cookies.get("csrftoken", "")
    plant_token(client, token)
    response = await client.post("/queues/call/next", headers={"x-csrftoken": token}, follow_redirects=False)
    assert response.status_code == 403


async def test_password_guesses_throttled(world: World, client: AsyncTestClient) -> None:
    await sign_in(client, world.agent.email)
    fields = {
        "new_password": "a-new-password-1",
        "confirm_password": "a-new-password-1",
    }
    for attempt in range(WRONG_GUESSES):
        data = {"current_password": f"guess-{attempt}", **fields}
        await client.post("/account/password", data=data, headers=csrf_headers(client))
    data = {"current_password": PASSWORD, **fields}
    response = await client.post(
        "/account/password",
        data=data,
        headers=csrf_headers(client),
        follow_redirects=False,
    )
    assert response.status_code == 429
