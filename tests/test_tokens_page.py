"""The /account/tokens page: create a token shown once, list tokens, revoke, with and without htmx."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.accounts.tokens import ApiToken, create_token
from tests.factories import CSRF_INPUT_PATTERN, World, build_world, csrf_headers, htmx_headers, sign_in, web_app

TOKEN_IN_PAGE = re.compile(r'value="(hub_[a-z0-9]{8}_[A-Za-z0-9_-]{43})"')


@pytest.fixture
async def world(session: AsyncSession) -> World:
    return await build_world(session)


@pytest.fixture
async def client(database_url: str, engine: AsyncEngine, world: World) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as client:
        await sign_in(client, "agent@acme.test")
        yield client


async def _stored_tokens(session: AsyncSession) -> list[ApiToken]:
    query = select(ApiToken).order_by(ApiToken.id).execution_options(populate_existing=True)
    return list((await session.scalars(query)).all())


async def _create_from_form(client: AsyncTestClient, name: str, expires: str = "") -> str:
    page = await client.get("/account/tokens")
    match = CSRF_INPUT_PATTERN.search(page.text)
    assert match is not None
    data = {"name": name, "expires_in_days": expires, "_csrf_token": match.group(1)}
    response = await client.post("/account/tokens", data=data)
    assert response.status_code == 201, response.text
    return response.text


async def test_page_needs_sign_in(database_url: str, engine: AsyncEngine, world: World) -> None:
    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as anonymous:
        response = await anonymous.get("/account/tokens", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Faccount%2Ftokens"


async def test_page_has_create_form(client: AsyncTestClient) -> None:
    response = await client.get("/account/tokens")

    assert response.status_code == 200
    assert '<form class="stacked-form" method="post" action="/account/tokens"' in response.text
    assert '<label for="token-name">' in response.text
    assert "No API tokens yet." in response.text


async def test_create_shows_token_once(client: AsyncTestClient, session: AsyncSession) -> None:
    html = await _create_from_form(client, "ERP sync")

    match = TOKEN_IN_PAGE.search(html)
    assert match is not None
    stored = await _stored_tokens(session)
    assert len(stored) == 1
    assert match.group(1).startswith(stored[0].prefix)
    assert stored[0].token_hash != match.group(1)
    reloaded = await client.get("/account/tokens")
    assert match.group(1) not in reloaded.text
    assert stored[0].prefix in reloaded.text


async def test_created_token_is_not_cached(client: AsyncTestClient) -> None:
    page = await client.get("/account/tokens")
    token = CSRF_INPUT_PATTERN.search(page.text)
    assert token is not None

    response = await client.post("/account/tokens", data={"name": "CI", "_csrf_token": token.group(1)})

    assert response.headers["cache-control"] == "no-store"


async def test_created_token_has_copy_button(client: AsyncTestClient) -> None:
    html = await _create_from_form(client, "ERP sync")

    assert 'data-copy-target="new-token-value"' in html
    assert '<script src="/static/copy.js" defer></script>' in html


async def test_created_token_works_on_api(client: AsyncTestClient) -> None:
    match = TOKEN_IN_PAGE.search(await _create_from_form(client, "ERP sync"))
    assert match is not None
    client.cookies.clear()

    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {match.group(1)}"})

    assert response.status_code == 200


async def test_create_with_expiry(client: AsyncTestClient, session: AsyncSession) -> None:
    await _create_from_form(client, "CI", expires="30")

    stored = await _stored_tokens(session)
    assert stored[0].expires_at is not None


async def test_create_blank_name_shows_error(client: AsyncTestClient, session: AsyncSession) -> None:
    await client.get("/account/tokens")

    response = await client.post("/account/tokens", data={"name": " "}, headers=htmx_headers(client, "token-form"))

    assert response.status_code == 422
    assert 'id="token-name-error"' in response.text
    assert await _stored_tokens(session) == []


async def test_create_bad_expiry_shows_error(client: AsyncTestClient) -> None:
    await client.get("/account/tokens")
    data = {"name": "CI", "expires_in_days": "soon"}

    response = await client.post("/account/tokens", data=data, headers=csrf_headers(client))

    assert response.status_code == 422
    assert "invalid expiry &#39;soon&#39;" in response.text


async def test_create_without_csrf_is_rejected(client: AsyncTestClient, session: AsyncSession) -> None:
    response = await client.post("/account/tokens", data={"name": "CI"})

    assert response.status_code == 403
    assert await _stored_tokens(session) == []


async def test_htmx_create_updates_list(client: AsyncTestClient) -> None:
    await client.get("/account/tokens")

    response = await client.post("/account/tokens", data={"name": "CI"}, headers=htmx_headers(client, "token-form"))

    assert response.status_code == 201
    assert response.text.lstrip().startswith('<div id="token-form">')
    assert '<div id="token-list" hx-swap-oob="true">' in response.text
    assert TOKEN_IN_PAGE.search(response.text) is not None


async def test_list_shows_token_details(client: AsyncTestClient, session: AsyncSession, world: World) -> None:
    record, token = await create_token(session, world.agent, "Nightly export", 90)
    await session.commit()

    response = await client.get("/account/tokens")

    assert "Nightly export" in response.text
    assert f"<code>{record.prefix}</code>" in response.text
    assert token not in response.text
    assert f'action="/account/tokens/{record.id}/revoke"' in response.text


async def test_list_hides_other_users_tokens(client: AsyncTestClient, session: AsyncSession, world: World) -> None:
    await create_token(session, world.admin, "Admin script")
    await session.commit()

    response = await client.get("/account/tokens")

    assert "Admin script" not in response.text


async def test_revoke_redirects_to_list(client: AsyncTestClient, session: AsyncSession, world: World) -> None:
    record, _ = await create_token(session, world.agent, "Old script")
    await session.commit()
    await client.get("/account/tokens")

    response = await client.post(
        f"/account/tokens/{record.id}/revoke", headers=csrf_headers(client), follow_redirects=False
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/account/tokens"
    assert (await _stored_tokens(session))[0].revoked_at is not None


async def test_htmx_revoke_returns_list(client: AsyncTestClient, session: AsyncSession, world: World) -> None:
    record, _ = await create_token(session, world.agent, "Old script")
    await session.commit()
    await client.get("/account/tokens")

    response = await client.post(f"/account/tokens/{record.id}/revoke", headers=htmx_headers(client, "token-list"))

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="token-list">')
    assert "<td>revoked</td>" in response.text
    assert f'action="/account/tokens/{record.id}/revoke"' not in response.text


async def test_revoke_other_users_token_is_404(client: AsyncTestClient, session: AsyncSession, world: World) -> None:
    record, _ = await create_token(session, world.admin, "Admin script")
    await session.commit()
    await client.get("/account/tokens")

    response = await client.post(f"/account/tokens/{record.id}/revoke", headers=csrf_headers(client))

    assert response.status_code == 404
    assert (await _stored_tokens(session))[0].revoked_at is None
