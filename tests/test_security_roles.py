"""Role guards, the cached signed-in user and the client switcher."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from litestar import Litestar, get
from litestar.di import NamedDependency
from litestar.testing import AsyncTestClient
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.accounts.models import Role, User
from hub.accounts.services import hash_password
from hub.web.auth import requires_admin, requires_supervisor
from tests.factories import PASSWORD, World, build_world, csrf_headers, htmx_headers, sign_in, web_app

BASE_URL = "http://testserver.local"


@get("/test/board", guards=[requires_supervisor], sync_to_thread=False)
def supervisor_board() -> dict[str, str]:
    return {"page": "board"}


@get("/test/settings", guards=[requires_admin], sync_to_thread=False)
def admin_settings() -> dict[str, str]:
    return {"page": "settings"}


@get("/test/me", guards=[requires_supervisor])
async def show_me(current_user: NamedDependency[User]) -> dict[str, Any]:
    return {"email": current_user.email, "clients": sorted(client.slug for client in current_user.clients)}


@pytest.fixture
async def world(session: AsyncSession) -> World:
    world = await build_world(session)
    password_hash = hash_password(PASSWORD)
    session.add_all(
        [
            User(
                email="lead@acme.test",
                display_name="Lee Lead",
                password_hash=password_hash,
                role=Role.SUPERVISOR,
                clients=[world.client],
            ),
            User(
                email="multi@hub.test",
                display_name="Max Multi",
                password_hash=password_hash,
                role=Role.AGENT,
                clients=[world.client, world.other_client],
            ),
        ]
    )
    await session.commit()
    return world


@pytest.fixture
def app(database_url: str, engine: AsyncEngine) -> Litestar:
    app = web_app(database_url)
    for handler in (supervisor_board, admin_settings, show_me):
        app.register(handler)
    return app


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=app, base_url=BASE_URL) as client:
        yield client


@pytest.fixture
def user_queries() -> Iterator[list[str]]:
    """Collect every SQL statement that reads the user_account table."""
    statements: list[str] = []

    def collect(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM user_account" in statement:
            statements.append(statement)

    event.listen(Engine, "before_cursor_execute", collect)
    yield statements
    event.remove(Engine, "before_cursor_execute", collect)


@pytest.mark.parametrize(
    ("email", "path", "status"),
    [
        ("agent@acme.test", "/test/board", 403),
        ("lead@acme.test", "/test/board", 200),
        ("admin@hub.test", "/test/board", 200),
        ("agent@acme.test", "/test/settings", 403),
        ("lead@acme.test", "/test/settings", 403),
        ("admin@hub.test", "/test/settings", 200),
    ],
)
async def test_role_guard_status(client: AsyncTestClient, world: World, email: str, path: str, status: int) -> None:
    await sign_in(client, email)

    response = await client.get(path)

    assert response.status_code == status


async def test_role_guard_signed_out_redirects(client: AsyncTestClient, world: World) -> None:
    response = await client.get("/test/board", follow_redirects=False)

    assert response.headers["location"] == "/login?next=%2Ftest%2Fboard"


async def test_role_read_from_database(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    await sign_in(client, "lead@acme.test")
    assert (await client.get("/test/board")).status_code == 200
    lead = await session.scalar(select(User).where(User.email == "lead@acme.test"))
    assert lead is not None
    lead.role = Role.AGENT
    await session.commit()

    response = await client.get("/test/board")

    assert response.status_code == 403


async def test_role_denied_htmx_is_fragment(client: AsyncTestClient, world: World) -> None:
    await sign_in(client, "agent@acme.test")

    response = await client.get("/test/board", headers=htmx_headers(client))

    assert response.status_code == 403
    assert response.headers["hx-retarget"] == "#flash"
    assert "needs the supervisor role" in response.text


async def test_guard_user_loaded_once(client: AsyncTestClient, world: World, user_queries: list[str]) -> None:
    await sign_in(client, "lead@acme.test")
    user_queries.clear()

    response = await client.get("/test/me")

    assert response.json() == {"email": "lead@acme.test", "clients": ["acme"]}
    assert len(user_queries) == 1


async def test_switcher_shown_to_multi_client_user(client: AsyncTestClient, world: World) -> None:
    await sign_in(client, "multi@hub.test")

    page = await client.get("/queues/call")

    assert 'action="/account/client"' in page.text


async def test_switcher_hidden_for_one_client(client: AsyncTestClient, world: World) -> None:
    await sign_in(client, "agent@acme.test")

    page = await client.get("/queues/call")

    assert 'action="/account/client"' not in page.text


async def switch_client(client: AsyncTestClient, slug: str) -> Any:
    data = {"client": slug, "next": "/queues/call"}
    return await client.post("/account/client", data=data, headers=csrf_headers(client), follow_redirects=False)


async def test_switcher_filters_the_queue(client: AsyncTestClient, world: World) -> None:
    await sign_in(client, "multi@hub.test")

    response = await switch_client(client, "globex")
    page = await client.get("/queues/call")

    assert response.headers["location"] == "/queues/call"
    assert "D-900" in page.text
    assert "D-100" not in page.text


async def test_switcher_all_shows_every_client(client: AsyncTestClient, world: World) -> None:
    await sign_in(client, "multi@hub.test")
    await switch_client(client, "globex")

    await switch_client(client, "all")
    page = await client.get("/queues/call")

    assert "D-900" in page.text
    assert "D-100" in page.text


async def test_query_filter_overrides_switcher(client: AsyncTestClient, world: World) -> None:
    await sign_in(client, "multi@hub.test")
    await switch_client(client, "globex")

    page = await client.get("/queues/call?client=acme")

    assert "D-100" in page.text
    assert "D-900" not in page.text


async def test_switcher_rejects_foreign_client(client: AsyncTestClient, world: World) -> None:
    await sign_in(client, "agent@acme.test")

    response = await switch_client(client, "globex")
    page = await client.get("/queues/call")

    assert response.status_code == 404
    assert "D-900" not in page.text


async def test_switcher_survives_in_session(client: AsyncTestClient, world: World) -> None:
    await sign_in(client, "multi@hub.test")
    await switch_client(client, "globex")

    page = await client.get("/queues/call")

    assert '<option value="globex" selected>' in page.text
