"""Admin screens for users: list, create, change access, deactivate and reactivate."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.accounts.models import Role, User
from hub.accounts.services import verify_password
from tests.factories import PASSWORD, World, build_world, csrf_headers, htmx_headers, new_user, sign_in, web_app

NEW_PASSWORD_PATTERN = re.compile(r'<code class="secret" id="new-password">([^<]+)</code>')


@pytest.fixture
async def world(session: AsyncSession) -> World:
    return await build_world(session)


@pytest.fixture
async def client(database_url: str, engine: AsyncEngine) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as client:
        yield client


@pytest.fixture
async def admin(client: AsyncTestClient, world: World) -> AsyncTestClient:
    await sign_in(client, "admin@hub.test")
    await client.get("/admin/users")
    return client


async def load_user(session: AsyncSession, email: str) -> User | None:
    session.expire_all()
    return await session.scalar(select(User).where(User.email == email))


def new_user_form(**changes: str | list[str]) -> dict[str, str | list[str]]:
    form: dict[str, str | list[str]] = {
        "email": "new.agent@acme.test",
        "name": "Nina New",
        "role": "agent",
        "clients": ["acme"],
        "password": "",
    }
    return {**form, **changes}


async def add_second_admin(session: AsyncSession, world: World) -> User:
    second = new_user("second@hub.test", Role.ADMIN, [], "Sam Second")
    session.add(second)
    await session.commit()
    return second


async def test_user_list_shows_every_user(admin: AsyncTestClient) -> None:
    response = await admin.get("/admin/users")

    assert response.status_code == 200
    assert "agent@acme.test" in response.text
    assert "admin@hub.test" in response.text
    assert "Acme Wholesale" in response.text


async def test_user_list_filters_by_role(admin: AsyncTestClient) -> None:
    response = await admin.get("/admin/users?role=agent")

    assert "agent@acme.test" in response.text
    assert "admin@hub.test" not in response.text


async def test_user_list_filters_by_client(admin: AsyncTestClient) -> None:
    response = await admin.get("/admin/users?client=globex")

    assert "agent@acme.test" not in response.text
    assert "No users match this filter." in response.text


async def test_user_list_htmx_returns_table_only(admin: AsyncTestClient) -> None:
    headers = htmx_headers(admin, target="users-results")

    response = await admin.get("/admin/users?client=acme", headers=headers)

    assert "agent@acme.test" in response.text
    assert "<html" not in response.text


async def test_user_list_rejects_unknown_role(admin: AsyncTestClient) -> None:
    response = await admin.get("/admin/users?role=owner")

    assert response.status_code == 422
    assert "unknown role &#39;owner&#39;" in response.text


async def test_create_user_generates_password_once(admin: AsyncTestClient, session: AsyncSession) -> None:
    response = await admin.post("/admin/users", data=new_user_form(), headers=csrf_headers(admin))
    shown = NEW_PASSWORD_PATTERN.search(response.text)
    again = await admin.get(str(response.url))

    created = await load_user(session, "new.agent@acme.test")
    assert created is not None
    assert shown is not None
    assert verify_password(created.password_hash, shown.group(1))
    assert response.headers["cache-control"] == "no-store"
    assert NEW_PASSWORD_PATTERN.search(again.text) is None


async def test_create_user_stores_role_and_clients(admin: AsyncTestClient, session: AsyncSession) -> None:
    form = new_user_form(role="supervisor", clients=["acme", "globex"])

    response = await admin.post("/admin/users", data=form, headers=csrf_headers(admin), follow_redirects=False)

    created = await load_user(session, "new.agent@acme.test")
    assert response.status_code == 303
    assert created is not None
    assert response.headers["location"] == f"/admin/users/{created.id}"
    assert created.role == Role.SUPERVISOR
    assert sorted(client.slug for client in created.clients) == ["acme", "globex"]
    assert created.display_name == "Nina New"


async def test_create_user_with_chosen_password(admin: AsyncTestClient, client: AsyncTestClient) -> None:
    form = new_user_form(password="a-long-chosen-password")

    response = await admin.post("/admin/users", data=form, headers=csrf_headers(admin))
    await admin.post("/logout", headers=csrf_headers(admin))
    signed_in = await sign_in(client, "new.agent@acme.test", "a-long-chosen-password")

    assert NEW_PASSWORD_PATTERN.search(response.text) is None
    assert signed_in.status_code == 303


async def test_create_user_htmx_redirects(admin: AsyncTestClient) -> None:
    response = await admin.post("/admin/users", data=new_user_form(), headers=htmx_headers(admin))

    assert response.status_code == 200
    assert response.headers["hx-redirect"].startswith("/admin/users/")


async def test_create_user_rejects_short_password(admin: AsyncTestClient, session: AsyncSession) -> None:
    form = new_user_form(password="eleven-char")

    response = await admin.post("/admin/users", data=form, headers=htmx_headers(admin))

    assert response.status_code == 422
    assert 'id="password-error"' in response.text
    assert "password too short (11 characters): use at least 12" in response.text
    assert await load_user(session, "new.agent@acme.test") is None


async def test_create_user_rejects_duplicate_email(admin: AsyncTestClient) -> None:
    form = new_user_form(email="Agent@ACME.test")

    response = await admin.post("/admin/users", data=form, headers=htmx_headers(admin))

    assert response.status_code == 422
    assert 'id="email-error"' in response.text
    assert "user &#39;agent@acme.test&#39; already exists" in response.text


async def test_create_user_rejects_invalid_email(admin: AsyncTestClient) -> None:
    response = await admin.post("/admin/users", data=new_user_form(email="not-an-email"), headers=htmx_headers(admin))

    assert response.status_code == 422
    assert "invalid email &#39;not-an-email&#39;" in response.text


async def test_create_user_rejects_bad_role(admin: AsyncTestClient, session: AsyncSession) -> None:
    response = await admin.post("/admin/users", data=new_user_form(role="owner"), headers=htmx_headers(admin))

    assert response.status_code == 422
    assert 'id="role-error"' in response.text
    assert "unknown role &#39;owner&#39;" in response.text
    assert await load_user(session, "new.agent@acme.test") is None


async def test_create_user_rejects_unknown_client(admin: AsyncTestClient, session: AsyncSession) -> None:
    form = new_user_form(clients=["acme", "initech"])

    response = await admin.post("/admin/users", data=form, headers=htmx_headers(admin))

    assert response.status_code == 422
    assert 'id="clients-error"' in response.text
    assert "unknown client &#39;initech&#39;" in response.text
    assert await load_user(session, "new.agent@acme.test") is None


async def test_create_user_errors_keep_values(admin: AsyncTestClient) -> None:
    form = new_user_form(email="bad", password="short")

    response = await admin.post("/admin/users", data=form, headers=htmx_headers(admin))

    assert 'value="Nina New"' in response.text
    assert 'value="acme" checked' in response.text
    assert "short" not in re.findall(r'name="password"[^>]*', response.text)[0]


async def test_create_user_error_full_page(admin: AsyncTestClient) -> None:
    response = await admin.post("/admin/users", data=new_user_form(role="owner"), headers=csrf_headers(admin))

    assert response.status_code == 422
    assert "<html" in response.text
    assert 'id="role-error"' in response.text


async def test_change_access_saves_role_clients(admin: AsyncTestClient, world: World, session: AsyncSession) -> None:
    form = {"role": "supervisor", "clients": ["globex"]}

    response = await admin.post(f"/admin/users/{world.agent.id}", data=form, headers=htmx_headers(admin))

    changed = await load_user(session, "agent@acme.test")
    assert response.status_code == 200
    assert "Role and clients of agent@acme.test saved." in response.text
    assert changed is not None
    assert changed.role == Role.SUPERVISOR
    assert [client.slug for client in changed.clients] == ["globex"]


async def test_change_access_plain_post_redirects(admin: AsyncTestClient, world: World) -> None:
    form = {"role": "agent", "clients": []}

    response = await admin.post(f"/admin/users/{world.agent.id}", data=form, headers=csrf_headers(admin))

    assert response.status_code == 200
    assert str(response.url).endswith(f"/admin/users/{world.agent.id}")
    assert "Role and clients of agent@acme.test saved." in response.text


async def test_change_access_rejects_unknown_client(admin: AsyncTestClient, world: World) -> None:
    form = {"role": "agent", "clients": ["initech"]}

    response = await admin.post(f"/admin/users/{world.agent.id}", data=form, headers=htmx_headers(admin))

    assert response.status_code == 422
    assert "unknown client &#39;initech&#39;" in response.text


async def test_change_access_rejects_bad_role(admin: AsyncTestClient, world: World) -> None:
    form = {"role": "root", "clients": ["acme"]}

    response = await admin.post(f"/admin/users/{world.agent.id}", data=form, headers=htmx_headers(admin))

    assert response.status_code == 422
    assert "unknown role &#39;root&#39;" in response.text


async def test_last_admin_cannot_demote_self(admin: AsyncTestClient, world: World, session: AsyncSession) -> None:
    form = {"role": "agent", "clients": []}

    response = await admin.post(f"/admin/users/{world.admin.id}", data=form, headers=htmx_headers(admin))

    unchanged = await load_user(session, "admin@hub.test")
    assert response.status_code == 409
    assert 'id="role-error"' in response.text
    assert "admin@hub.test is the last active admin: make another user admin first" in response.text
    assert unchanged is not None
    assert unchanged.role == Role.ADMIN


async def test_last_admin_cannot_deactivate_self(admin: AsyncTestClient, world: World, session: AsyncSession) -> None:
    response = await admin.post(f"/admin/users/{world.admin.id}/deactivate", headers=htmx_headers(admin))

    unchanged = await load_user(session, "admin@hub.test")
    assert response.status_code == 409
    assert "is the last active admin" in response.text
    assert unchanged is not None
    assert unchanged.is_active


async def test_admin_with_peer_can_step_down(admin: AsyncTestClient, world: World, session: AsyncSession) -> None:
    await add_second_admin(session, world)
    form = {"role": "supervisor", "clients": ["acme"]}

    response = await admin.post(f"/admin/users/{world.admin.id}", data=form, headers=htmx_headers(admin))

    assert response.status_code == 200


async def test_inactive_peer_does_not_count(admin: AsyncTestClient, world: World, session: AsyncSession) -> None:
    second = await add_second_admin(session, world)
    second.is_active = False
    await session.commit()

    response = await admin.post(f"/admin/users/{world.admin.id}/deactivate", headers=htmx_headers(admin))

    assert response.status_code == 409


async def test_deactivate_user_htmx_swaps_status(admin: AsyncTestClient, world: World, session: AsyncSession) -> None:
    response = await admin.post(f"/admin/users/{world.agent.id}/deactivate", headers=htmx_headers(admin))

    changed = await load_user(session, "agent@acme.test")
    assert response.status_code == 200
    assert 'id="user-status"' in response.text
    assert "Reactivate user" in response.text
    assert changed is not None
    assert not changed.is_active


async def test_deactivated_user_cannot_sign_in(admin: AsyncTestClient, world: World, database_url: str) -> None:
    await admin.post(f"/admin/users/{world.agent.id}/deactivate", headers=csrf_headers(admin))

    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as other:
        response = await sign_in(other, "agent@acme.test")

    assert response.status_code == 400
    assert "Invalid email or password." in response.text


async def test_deactivation_ends_open_session(admin: AsyncTestClient, world: World, database_url: str) -> None:
    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as agent:
        await sign_in(agent, "agent@acme.test")
        before = await agent.get("/queues/call", follow_redirects=False)
        await admin.post(f"/admin/users/{world.agent.id}/deactivate", headers=csrf_headers(admin))
        after = await agent.get("/queues/call", follow_redirects=False)

    assert before.status_code == 200
    assert after.status_code == 303
    assert after.headers["location"].startswith("/login")


async def test_reactivated_user_can_sign_in(admin: AsyncTestClient, world: World, database_url: str) -> None:
    await admin.post(f"/admin/users/{world.agent.id}/deactivate", headers=csrf_headers(admin))
    response = await admin.post(f"/admin/users/{world.agent.id}/reactivate", headers=csrf_headers(admin))

    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as other:
        signed_in = await sign_in(other, "agent@acme.test", PASSWORD)

    assert "agent@acme.test reactivated." in response.text
    assert signed_in.status_code == 303


async def test_deactivating_self_signs_out(admin: AsyncTestClient, world: World, session: AsyncSession) -> None:
    await add_second_admin(session, world)

    response = await admin.post(
        f"/admin/users/{world.admin.id}/deactivate", headers=csrf_headers(admin), follow_redirects=False
    )
    after = await admin.get("/admin/users", follow_redirects=False)

    assert response.headers["location"] == "/login"
    assert after.status_code == 303


async def test_unknown_user_is_not_found(admin: AsyncTestClient) -> None:
    response = await admin.get("/admin/users/99999")

    assert response.status_code == 404
    assert "user 99999 not found" in response.text


async def test_admin_nav_link_for_admins_only(admin: AsyncTestClient, client: AsyncTestClient) -> None:
    admin_page = await admin.get("/queues/call")
    await admin.post("/logout", headers=csrf_headers(admin))
    await sign_in(client, "agent@acme.test")
    agent_page = await client.get("/queues/call")

    assert 'href="/admin/users"' in admin_page.text
    assert 'href="/admin/users"' not in agent_page.text
