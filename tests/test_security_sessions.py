"""Session cookie flags, expiry, tampering and sign-out."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.app import create_app
from hub.interactions.models import Interaction
from hub.settings import Settings
from hub.web.security import session_config
from hub.web.sessions import SESSION_MAX_AGE_SECONDS
from tests.factories import TEST_SECRET_KEY, World, build_world, csrf_headers, sign_in, web_app

BASE_URL = "http://testserver.local"
EXPIRED_MESSAGE = "Your session expired: sign in again."


@pytest.fixture
async def world(session: AsyncSession) -> World:
    return await build_world(session)


@pytest.fixture
async def client(database_url: str, engine: AsyncEngine) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=web_app(database_url), base_url=BASE_URL) as client:
        yield client


def sealed_session(data: dict[str, Any]) -> str:
    """Encrypt ``data`` into a session cookie value the way the app does, with the test secret."""
    config = session_config(Settings(secret_key=TEST_SECRET_KEY))
    backend = config._backend_class(config=config)
    return b"".join(backend.dump_data(data)).decode()


def open_session(cookie: str) -> dict[str, Any]:
    config = session_config(Settings(secret_key=TEST_SECRET_KEY))
    backend = config._backend_class(config=config)
    return backend.load_data([cookie.encode()])


def set_cookie_header(response: Any, name: str) -> str:
    headers = [value for key, value in response.headers.multi_items() if key == "set-cookie"]
    return next(header for header in headers if header.startswith(f"{name}="))


def cookie_attributes(header: str) -> set[str]:
    return {part.strip().lower() for part in header.split(";")[1:]}


async def post_outcome(client: AsyncTestClient, case_id: int) -> Any:
    data = {"outcome": "no_answer"}
    return await client.post(
        f"/cases/{case_id}/outcomes", data=data, headers=csrf_headers(client), follow_redirects=False
    )


async def count_interactions(session: AsyncSession) -> int:
    return await session.scalar(select(func.count(Interaction.id))) or 0


async def test_session_cookie_is_httponly_lax(client: AsyncTestClient, world: World) -> None:
    response = await sign_in(client, "agent@acme.test")

    attributes = cookie_attributes(set_cookie_header(response, "hub_session"))

    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "secure" not in attributes


async def test_cookies_secure_behind_https(database_url: str, engine: AsyncEngine, world: World) -> None:
    settings = Settings(database_url=database_url, secret_key=TEST_SECRET_KEY, public_url="https://hub.example.com")
    async with AsyncTestClient(app=create_app(settings), base_url="https://testserver.local") as client:
        response = await sign_in(client, "agent@acme.test")

    assert response.status_code == 303
    assert "secure" in cookie_attributes(set_cookie_header(response, "hub_session"))
    assert "secure" in cookie_attributes(set_cookie_header(response, "csrftoken"))


async def test_tampered_cookie_reads_signed_out(client: AsyncTestClient, world: World) -> None:
    await sign_in(client, "agent@acme.test")
    sealed = client.cookies["hub_session"]
    client.cookies.set("hub_session", sealed[:-8] + "AAAAAAA=", domain="testserver.local")

    response = await client.get("/queues/call", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fqueues%2Fcall&expired=1"


@pytest.mark.parametrize("value", ["garbage", "e30=", "bm90LWpzb24=", "null", "A" * 80])
async def test_garbage_cookie_reads_signed_out(client: AsyncTestClient, world: World, value: str) -> None:
    client.cookies.set("hub_session", value, domain="testserver.local")

    response = await client.get("/queues/call", follow_redirects=False)

    assert response.status_code == 303
    assert "expired=1" in response.headers["location"]


async def test_tampered_cookie_changes_nothing(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    await sign_in(client, "agent@acme.test")
    client.cookies.set("hub_session", client.cookies["hub_session"][:-8] + "AAAAAAA=", domain="testserver.local")
    case_id = world.cases["D-100"].id

    response = await client.post(
        f"/cases/{case_id}/outcomes",
        data={"outcome": "no_answer"},
        headers=csrf_headers(client),
        follow_redirects=False,
    )

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
    assert await count_interactions(session) == 0


async def test_tampered_cookie_is_cleared(client: AsyncTestClient, world: World) -> None:
    client.cookies.set("hub_session", "garbage", domain="testserver.local")

    response = await client.get("/queues/call", follow_redirects=False)

    assert set_cookie_header(response, "hub_session").startswith("hub_session=null;")


async def test_outlived_session_reads_expired(client: AsyncTestClient, world: World) -> None:
    signed_in_at = time.time() - SESSION_MAX_AGE_SECONDS - 60
    cookie = sealed_session({"user_id": world.agent.id, "sid": "old", "signed_in_at": signed_in_at})
    client.cookies.set("hub_session", cookie, domain="testserver.local")

    response = await client.get("/queues/call", follow_redirects=False)

    assert response.headers["location"] == "/login?next=%2Fqueues%2Fcall&expired=1"


async def test_live_sealed_session_is_accepted(client: AsyncTestClient, world: World) -> None:
    cookie = sealed_session({"user_id": world.agent.id, "sid": "new", "signed_in_at": time.time()})
    client.cookies.set("hub_session", cookie, domain="testserver.local")

    response = await client.get("/queues/call", follow_redirects=False)

    assert response.status_code == 200


async def test_expired_htmx_request_gets_redirect(client: AsyncTestClient, world: World) -> None:
    client.cookies.set("hub_session", "garbage", domain="testserver.local")
    headers = {"hx-request": "true", "hx-current-url": f"{BASE_URL}/cases/5"}

    response = await client.get("/queues/call", headers=headers)

    assert response.status_code == 401
    assert response.headers["hx-redirect"] == "/login?next=%2Fcases%2F5&expired=1"


async def test_login_page_says_session_expired(client: AsyncTestClient) -> None:
    response = await client.get("/login?next=%2Fqueues%2Fcall&expired=1")

    assert EXPIRED_MESSAGE in response.text


async def test_signed_out_login_page_no_message(client: AsyncTestClient) -> None:
    response = await client.get("/login")

    assert EXPIRED_MESSAGE not in response.text


async def test_deactivated_user_is_signed_out(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    await sign_in(client, "agent@acme.test")
    world.agent.is_active = False
    await session.commit()

    response = await client.get("/queues/call", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


async def test_logout_needs_post(client: AsyncTestClient, world: World) -> None:
    await sign_in(client, "agent@acme.test")

    response = await client.get("/logout", follow_redirects=False)

    assert response.status_code == 405


async def test_signed_out_post_goes_to_login(client: AsyncTestClient, world: World) -> None:
    await client.get("/login")
    case_id = world.cases["D-100"].id

    response = await client.post(
        f"/cases/{case_id}/outcomes",
        data={"outcome": "no_answer"},
        headers=csrf_headers(client),
        follow_redirects=False,
    )

    assert response.headers["location"] == "/login?next=%2F"


async def test_sign_in_replaces_planted_session(client: AsyncTestClient, world: World) -> None:
    planted = {"user_id": world.admin.id, "sid": "planted", "signed_in_at": time.time(), "client": "globex"}
    client.cookies.set("hub_session", sealed_session(planted), domain="testserver.local")

    await sign_in(client, "agent@acme.test")

    session = open_session(client.cookies["hub_session"])
    assert session["user_id"] == world.agent.id
    assert session["sid"] != "planted"
    assert "client" not in session


async def test_each_sign_in_gets_new_session_id(client: AsyncTestClient, world: World) -> None:
    await sign_in(client, "agent@acme.test")
    first = open_session(client.cookies["hub_session"])["sid"]

    await sign_in(client, "agent@acme.test")

    assert open_session(client.cookies["hub_session"])["sid"] != first
