"""Sign-in, sign-out and the redirect of signed-out requests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.factories import World, build_world, csrf_headers, htmx_headers, sign_in, web_app


@pytest.fixture
async def world(session: AsyncSession) -> World:
    return await build_world(session)


@pytest.fixture
async def client(database_url: str, engine: AsyncEngine) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as client:
        yield client


async def test_login_page_has_labelled_fields(client: AsyncTestClient) -> None:
    response = await client.get("/login")

    assert response.status_code == 200
    assert '<label for="email">Email</label>' in response.text
    assert '<label for="password">Password</label>' in response.text


async def test_login_success_redirects_to_next(client: AsyncTestClient, world: World) -> None:
    response = await sign_in(client, "agent@acme.test")

    assert response.status_code == 303
    assert response.headers["location"] == "/queues/call"
    assert "hub_session" in response.headers["set-cookie"]


async def test_login_accepts_email_in_other_case(client: AsyncTestClient, world: World) -> None:
    response = await sign_in(client, "  Agent@ACME.test ")

    assert response.status_code == 303


async def test_login_wrong_password_is_rejected(client: AsyncTestClient, world: World) -> None:
    response = await sign_in(client, "agent@acme.test", "wrong-password")

    assert response.status_code == 400
    assert "Invalid email or password." in response.text
    assert 'value="agent@acme.test"' in response.text


async def test_login_unknown_email_same_message(client: AsyncTestClient, world: World) -> None:
    response = await sign_in(client, "nobody@acme.test", "whatever-password")

    assert response.status_code == 400
    assert "Invalid email or password." in response.text


async def test_login_without_csrf_token_is_forbidden(client: AsyncTestClient, world: World) -> None:
    await client.get("/login")
    data = {"email": "agent@acme.test", "password": "correct-horse-battery"}

    response = await client.post("/login", data=data, follow_redirects=False)

    assert response.status_code == 403


async def test_login_ignores_offsite_next(client: AsyncTestClient, world: World) -> None:
    await client.get("/login")
    data = {"email": "agent@acme.test", "password": "correct-horse-battery", "next": "//evil.example/x"}

    response = await client.post("/login", data=data, headers=csrf_headers(client), follow_redirects=False)

    assert response.headers["location"] == "/queues/call"


async def test_signed_out_page_redirects_to_login(client: AsyncTestClient, world: World) -> None:
    response = await client.get("/queues/call?segment=high", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fqueues%2Fcall%3Fsegment%3Dhigh"


async def test_signed_out_htmx_gets_401_with_redirect(client: AsyncTestClient, world: World) -> None:
    await client.get("/login")
    headers = htmx_headers(client, current_url="/cases/5")

    response = await client.post("/cases/5/outcomes", data={"outcome": "no_answer"}, headers=headers)

    assert response.status_code == 401
    assert response.headers["hx-redirect"] == "/login?next=%2Fcases%2F5"


async def test_root_redirects_to_call_queue(client: AsyncTestClient, world: World) -> None:
    await sign_in(client, "agent@acme.test")

    response = await client.get("/", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/queues/call"


async def test_logout_ends_the_session(client: AsyncTestClient, world: World) -> None:
    await sign_in(client, "agent@acme.test")
    await client.get("/queues/call")

    logout = await client.post("/logout", headers=csrf_headers(client), follow_redirects=False)
    after = await client.get("/queues/call", follow_redirects=False)

    assert logout.status_code == 303
    assert after.status_code == 303
    assert after.headers["location"].startswith("/login")


async def test_logout_revokes_copied_cookie(client: AsyncTestClient, world: World) -> None:
    await sign_in(client, "agent@acme.test")
    copied_cookie = client.cookies["hub_session"]

    await client.post("/logout", headers=csrf_headers(client), follow_redirects=False)
    client.cookies.set("hub_session", copied_cookie)
    replayed = await client.get("/queues/call", follow_redirects=False)

    assert replayed.status_code == 303
    assert replayed.headers["location"].startswith("/login")


async def test_logout_keeps_other_sessions(
    client: AsyncTestClient, world: World, database_url: str, engine: AsyncEngine
) -> None:
    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as other:
        await sign_in(other, "agent@acme.test")
        await sign_in(client, "agent@acme.test")

        await client.post("/logout", headers=csrf_headers(client), follow_redirects=False)
        still_signed_in = await other.get("/queues/call", follow_redirects=False)

    assert still_signed_in.status_code == 200


async def test_health_needs_no_sign_in(client: AsyncTestClient) -> None:
    response = await client.get("/health")

    assert response.json() == {"status": "ok"}


async def test_static_files_need_no_sign_in(client: AsyncTestClient) -> None:
    response = await client.get("/static/app.js")

    assert response.status_code == 200
