"""Every admin route returns 403 to agents and supervisors and sends signed-out callers to /login."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from httpx import Response
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.accounts.models import Role, User
from hub.clients.models import Client
from tests.factories import World, build_world, csrf_headers, new_user, sign_in, web_app

ROLE_MESSAGE = "this page needs the admin role"


@pytest.fixture
async def world(session: AsyncSession) -> World:
    world = await build_world(session)
    session.add(new_user("super@acme.test", Role.SUPERVISOR, [world.client], "Sue Supervisor"))
    await session.commit()
    return world


@pytest.fixture
async def client(database_url: str, engine: AsyncEngine) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as client:
        yield client


def admin_requests(world: World) -> list[tuple[str, str, dict[str, str | list[str]]]]:
    """One request per admin route, with form data an admin would be allowed to submit."""
    user_url = f"/admin/users/{world.agent.id}"
    client_url = f"/admin/clients/{world.client.id}"
    return [
        ("GET", "/admin/users", {}),
        ("GET", "/admin/users/new", {}),
        ("POST", "/admin/users", {"email": "x@acme.test", "role": "admin", "name": "", "password": ""}),
        ("GET", user_url, {}),
        ("POST", user_url, {"role": "admin", "clients": ["acme"]}),
        ("POST", f"{user_url}/deactivate", {}),
        ("POST", f"{user_url}/reactivate", {}),
        ("GET", "/admin/clients", {}),
        ("GET", "/admin/clients/new", {}),
        (
            "POST",
            "/admin/clients",
            {"slug": "initech", "name": "Initech", "currency": "EUR", "timezone": "UTC", "language": "en"},
        ),
        ("GET", client_url, {}),
        ("POST", client_url, {"name": "Renamed", "timezone": "UTC", "language": "en"}),
        ("POST", f"{client_url}/weights", {"weight_risk": "0", "weight_exposure": "1", "weight_urgency": "0"}),
    ]


async def send(client: AsyncTestClient, method: str, url: str, data: dict[str, str | list[str]]) -> Response:
    if method == "GET":
        return await client.get(url, follow_redirects=False)
    return await client.post(url, data=data, headers=csrf_headers(client), follow_redirects=False)


@pytest.mark.parametrize("email", ["agent@acme.test", "super@acme.test"])
async def test_admin_routes_forbid_non_admins(
    client: AsyncTestClient, world: World, session: AsyncSession, email: str
) -> None:
    agent_id = world.agent.id
    await sign_in(client, email)
    await client.get("/queues/call")

    for method, url, data in admin_requests(world):
        response = await send(client, method, url, data)
        assert response.status_code == 403, f"{method} {url}"
        assert ROLE_MESSAGE in response.text, f"{method} {url}"

    session.expire_all()
    assert await session.scalar(select(func.count(User.id)).where(User.email == "x@acme.test")) == 0
    assert await session.scalar(select(func.count(Client.id)).where(Client.slug == "initech")) == 0
    agent = await session.scalar(select(User).where(User.id == agent_id))
    assert agent is not None
    assert agent.role == Role.AGENT
    assert agent.is_active


async def test_admin_routes_allow_admin(client: AsyncTestClient, world: World) -> None:
    await sign_in(client, "admin@hub.test")
    await client.get("/admin/users")

    for method, url, data in admin_requests(world):
        response = await send(client, method, url, data)
        assert response.status_code in {200, 303}, f"{method} {url}: {response.status_code}"


async def test_admin_routes_redirect_signed_out(client: AsyncTestClient, world: World) -> None:
    for method, url, _data in admin_requests(world):
        if method != "GET":
            continue
        response = await client.get(url, follow_redirects=False)
        assert response.status_code == 303, url
        assert response.headers["location"].startswith("/login?next="), url


async def test_demoted_admin_loses_access_at_once(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    session.add(new_user("second@hub.test", Role.ADMIN, [], "Sam Second"))
    await session.commit()
    await sign_in(client, "admin@hub.test")
    await client.get("/admin/users")

    await client.post(f"/admin/users/{world.admin.id}", data={"role": "agent"}, headers=csrf_headers(client))
    response = await client.get("/admin/users")

    assert response.status_code == 403
