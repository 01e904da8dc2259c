"""CSRF tokens across boosted sign-in, rotation and htmx requests."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.interactions.models import Interaction
from tests.factories import PASSWORD, World, build_world, csrf_headers, htmx_headers, sign_in, web_app

META_TOKEN_PATTERN = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
STATIC_JS_PATH = "/static/app.js"


@pytest.fixture
async def world(session: AsyncSession) -> World:
    return await build_world(session)


@pytest.fixture
async def client(database_url: str, engine: AsyncEngine) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as client:
        yield client


def boosted_headers(token: str, current_url: str = "/login") -> dict[str, str]:
    return {
        "hx-request": "true",
        "hx-boosted": "true",
        "hx-current-url": f"http://testserver.local{current_url}",
        "x-csrftoken": token,
    }


def page_token(html: str) -> str:
    match = META_TOKEN_PATTERN.search(html)
    assert match is not None, "page has no csrf-token meta tag"
    return match.group(1)


async def boosted_sign_in(client: AsyncTestClient) -> tuple[str, str]:
    """Sign in the way a boosted login form does; return the token before and the cookie token after."""
    login_page = await client.get("/login")
    token_before = page_token(login_page.text)
    data = {"email": "agent@acme.test", "password": PASSWORD, "next": "/queues/call"}
    response = await client.post("/login", data=data, headers=boosted_headers(token_before))
    assert response.status_code == 200, response.text
    return token_before, client.cookies["csrftoken"]


async def count_interactions(session: AsyncSession) -> int:
    return await session.scalar(select(func.count(Interaction.id))) or 0


async def post_outcome(client: AsyncTestClient, world: World, token: str) -> int:
    case_id = world.cases["D-100"].id
    headers = {**htmx_headers(client, "outcome-form", f"/cases/{case_id}"), "x-csrftoken": token}
    response = await client.post(f"/cases/{case_id}/outcomes", data={"outcome": "no_answer"}, headers=headers)
    return response.status_code


async def test_boosted_sign_in_rotates_token(client: AsyncTestClient, world: World) -> None:
    token_before, token_after = await boosted_sign_in(client)

    assert token_after != token_before


async def test_outcome_after_boosted_sign_in(client: AsyncTestClient, world: World) -> None:
    await boosted_sign_in(client)
    # static/app.js sends the csrftoken cookie's value, which the browser updated at sign-in.
    token_sent_by_page = client.cookies["csrftoken"]

    status = await post_outcome(client, world, token_sent_by_page)

    assert status == 200


async def test_boosted_page_has_no_stale_header(client: AsyncTestClient, world: World) -> None:
    token_before, _ = await boosted_sign_in(client)

    page = await client.get("/queues/call", headers=boosted_headers(client.cookies["csrftoken"], "/login"))

    assert "hx-headers" not in page.text
    assert token_before not in page.text


async def test_pre_sign_in_token_is_rejected(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    token_before, _ = await boosted_sign_in(client)

    status = await post_outcome(client, world, token_before)

    assert status == 403
    assert await count_interactions(session) == 0


async def test_app_js_reads_csrf_cookie(client: AsyncTestClient) -> None:
    script = (await client.get(STATIC_JS_PATH)).text

    assert "htmx:configRequest" in script
    assert "csrftoken=" in script


async def test_csrf_cookie_readable_by_script(client: AsyncTestClient) -> None:
    response = await client.get("/login")

    assert "httponly" not in response.headers["set-cookie"].lower()


async def test_logout_rotates_csrf_token(client: AsyncTestClient, world: World) -> None:
    await sign_in(client, "agent@acme.test")
    token_signed_in = client.cookies["csrftoken"]

    await client.post("/logout", headers=csrf_headers(client), follow_redirects=False)

    assert client.cookies["csrftoken"] != token_signed_in


async def test_htmx_csrf_failure_is_fragment(client: AsyncTestClient, world: World) -> None:
    await sign_in(client, "agent@acme.test")
    case_id = world.cases["D-100"].id
    headers = {**htmx_headers(client, "outcome-form", f"/cases/{case_id}"), "x-csrftoken": "forged"}

    response = await client.post(f"/cases/{case_id}/outcomes", data={"outcome": "no_answer"}, headers=headers)

    assert response.status_code == 403
    assert response.headers["hx-retarget"] == "#flash"
    assert response.headers["hx-reswap"] == "innerHTML"
    assert "<html" not in response.text
    assert "security token is missing or out of date" in response.text


async def test_form_csrf_failure_is_small_page(client: AsyncTestClient, world: World) -> None:
    await sign_in(client, "agent@acme.test")
    case_id = world.cases["D-100"].id

    response = await client.post(f"/cases/{case_id}/outcomes", data={"outcome": "no_answer", "_csrf_token": "x"})

    assert response.status_code == 403
    assert "<html" in response.text
    assert "security token is missing or out of date" in response.text


async def test_boosted_csrf_failure_is_fragment(client: AsyncTestClient, world: World) -> None:
    await client.get("/login")
    data = {"email": "agent@acme.test", "password": PASSWORD}

    response = await client.post("/login", data=data, headers=boosted_headers("stale"))

    assert response.status_code == 403
    assert response.headers["hx-retarget"] == "#flash"
