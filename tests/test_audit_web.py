"""The audit log page, and the workspace and outcome events it shows."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.accounts.models import Role
from hub.audit.models import AuditEvent
from hub.audit.queries import AUDIT_PAGE_SIZE
from hub.audit.services import CASE_VIEWED, DEBTOR_EXPORTED, record_audit
from tests.factories import World, build_world, csrf_headers, htmx_headers, new_user, sign_in, web_app

# Methods that could change a stored row.
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
async def world(session: AsyncSession) -> World:
    world = await build_world(session)
    session.add(new_user("super@acme.test", Role.SUPERVISOR, [world.client], "Sue Supervisor"))
    await session.commit()
    return world


@pytest.fixture
async def app(database_url: str, engine: AsyncEngine, world: World) -> Litestar:
    return web_app(database_url)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        yield client


async def events(session: AsyncSession, action: str) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    return list((await session.scalars(query)).all())


def table_targets(html: str) -> list[str]:
    return re.findall(r"<td>(?:<a [^>]+>)?((?:case|debtor|interaction|client) \d+)", html)


async def test_workspace_view_is_audited(client: AsyncTestClient, session: AsyncSession, world: World) -> None:
    await sign_in(client, "agent@acme.test")
    case = world.cases["D-100"]

    response = await client.get(f"/cases/{case.id}")

    assert response.status_code == 200
    [event] = await events(session, "case.viewed")
    assert event.user_id == world.agent.id
    assert event.target_type == "case"
    assert event.target_id == case.id
    assert event.client_id == world.client.id
    assert event.detail == {"debtor_id": case.debtor_id}


async def test_workspace_of_other_client_not_audited(
    client: AsyncTestClient, session: AsyncSession, world: World
) -> None:
    await sign_in(client, "agent@acme.test")

    response = await client.get(f"/cases/{world.cases['D-900'].id}")

    assert response.status_code == 404
    assert await events(session, "case.viewed") == []


async def test_outcome_logging_is_audited(client: AsyncTestClient, session: AsyncSession, world: World) -> None:
    await sign_in(client, "agent@acme.test")
    case = world.cases["D-200"]
    await client.get(f"/cases/{case.id}")

    response = await client.post(
        f"/cases/{case.id}/outcomes",
        data={"outcome": "right_party_contact", "note": "Spoke to Mr Oak", "next_action_on": ""},
        headers=csrf_headers(client),
        follow_redirects=False,
    )

    assert response.status_code == 303
    [event] = await events(session, "interaction.created")
    assert event.user_id == world.agent.id
    assert event.target_type == "interaction"
    assert event.detail == {"case_id": case.id, "channel": "call", "outcome": "right_party_contact"}


async def test_invalid_outcome_not_audited(client: AsyncTestClient, session: AsyncSession, world: World) -> None:
    await sign_in(client, "agent@acme.test")
    case = world.cases["D-200"]
    await client.get(f"/cases/{case.id}")

    response = await client.post(f"/cases/{case.id}/outcomes", data={"outcome": "bogus"}, headers=csrf_headers(client))

    assert response.status_code == 422
    assert await events(session, "interaction.created") == []


async def test_audit_page_rejects_agent(client: AsyncTestClient) -> None:
    await sign_in(client, "agent@acme.test")

    response = await client.get("/audit")

    assert response.status_code == 403


async def test_audit_page_requires_sign_in(client: AsyncTestClient) -> None:
    response = await client.get("/audit", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


async def test_audit_nav_link_for_supervisor(client: AsyncTestClient) -> None:
    await sign_in(client, "super@acme.test")

    response = await client.get("/queues/call")

    assert 'href="/audit"' in response.text


async def test_audit_nav_link_hidden_for_agent(client: AsyncTestClient) -> None:
    await sign_in(client, "agent@acme.test")

    response = await client.get("/queues/call")

    assert 'href="/audit"' not in response.text


async def test_supervisor_sees_own_clients_events(client: AsyncTestClient, session: AsyncSession, world: World) -> None:
    await record_audit(session, world.agent, CASE_VIEWED, "case", world.cases["D-100"].id, world.client.id)
    await record_audit(session, world.admin, CASE_VIEWED, "case", world.cases["D-900"].id, world.other_client.id)
    await session.commit()
    await sign_in(client, "super@acme.test")

    response = await client.get("/audit")

    assert response.status_code == 200
    assert table_targets(response.text) == [f"case {world.cases['D-100'].id}"]


async def test_admin_sees_every_client(client: AsyncTestClient, session: AsyncSession, world: World) -> None:
    await record_audit(session, world.agent, CASE_VIEWED, "case", world.cases["D-100"].id, world.client.id)
    await record_audit(session, world.admin, CASE_VIEWED, "case", world.cases["D-900"].id, world.other_client.id)
    await session.commit()
    await sign_in(client, "admin@hub.test")

    response = await client.get("/audit")

    assert sorted(table_targets(response.text)) == sorted(
        [f"case {world.cases['D-100'].id}", f"case {world.cases['D-900'].id}"]
    )


async def seed_mixed_events(session: AsyncSession, world: World) -> None:
    case = world.cases["D-100"]
    await record_audit(session, world.agent, CASE_VIEWED, "case", case.id, world.client.id)
    await record_audit(session, world.admin, DEBTOR_EXPORTED, "debtor", case.debtor_id, world.client.id)
    await record_audit(session, world.admin, CASE_VIEWED, "case", world.cases["D-900"].id, world.other_client.id)
    await session.commit()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("action=debtor.exported", ["debtor"]),
        ("client=globex", ["case-globex"]),
        ("target_type=case", ["case", "case-globex"]),
        ("user=agent", ["case"]),
        ("from=2000-01-01&to=2000-12-31", []),
    ],
)
async def test_audit_page_filters(
    client: AsyncTestClient, session: AsyncSession, world: World, query: str, expected: list[str]
) -> None:
    await seed_mixed_events(session, world)
    names = {
        "case": f"case {world.cases['D-100'].id}",
        "case-globex": f"case {world.cases['D-900'].id}",
        "debtor": f"debtor {world.cases['D-100'].debtor_id}",
    }
    await sign_in(client, "admin@hub.test")

    response = await client.get(f"/audit?{query.replace('user=agent', f'user={world.agent.id}')}")

    assert response.status_code == 200
    assert sorted(table_targets(response.text)) == sorted(names[key] for key in expected)


async def test_audit_filter_by_target_id(client: AsyncTestClient, session: AsyncSession, world: World) -> None:
    await seed_mixed_events(session, world)
    await sign_in(client, "admin@hub.test")
    case_id = world.cases["D-100"].id

    response = await client.get(f"/audit?target_type=case&target_id={case_id}")

    assert table_targets(response.text) == [f"case {case_id}"]


async def test_audit_filter_rejects_invalid_date(client: AsyncTestClient) -> None:
    await sign_in(client, "admin@hub.test")

    response = await client.get("/audit?from=31-12-2026")

    assert response.status_code == 422
    assert "use YYYY-MM-DD" in response.text


async def test_audit_filter_rejects_other_client(client: AsyncTestClient, world: World) -> None:
    await sign_in(client, "super@acme.test")

    response = await client.get("/audit?client=globex")

    assert response.status_code == 422


async def test_audit_page_paginates(client: AsyncTestClient, session: AsyncSession, world: World) -> None:
    for target_id in range(1, AUDIT_PAGE_SIZE + 6):
        await record_audit(session, world.agent, CASE_VIEWED, "case", target_id, world.client.id)
    await session.commit()
    await sign_in(client, "admin@hub.test")

    first = await client.get("/audit?action=case.viewed")
    second = await client.get("/audit?action=case.viewed&page=2")

    assert len(table_targets(first.text)) == AUDIT_PAGE_SIZE
    assert 'href="/audit?action=case.viewed&amp;page=2"' in first.text
    assert table_targets(second.text) == [f"case {target_id}" for target_id in range(5, 0, -1)]
    assert 'href="/audit?action=case.viewed"' in second.text


async def test_audit_htmx_returns_table_fragment(client: AsyncTestClient, session: AsyncSession, world: World) -> None:
    await seed_mixed_events(session, world)
    await sign_in(client, "admin@hub.test")
    await client.get("/audit")

    response = await client.get("/audit?action=debtor.exported", headers=htmx_headers(client, "audit-results"))

    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="audit-filters"' not in response.text
    assert table_targets(response.text) == [f"debtor {world.cases['D-100'].debtor_id}"]


def test_no_route_writes_audit_log(app: Litestar) -> None:
    writable = [
        (route.path, sorted(route.methods & WRITE_METHODS))
        for route in app.routes
        if "audit" in route.path and route.methods & WRITE_METHODS
    ]

    assert writable == []


async def test_audit_page_lists_today(client: AsyncTestClient, session: AsyncSession, world: World) -> None:
    await seed_mixed_events(session, world)
    await sign_in(client, "admin@hub.test")
    today = date.today().isoformat()

    response = await client.get(f"/audit?from={today}&to={today}&client=acme")

    assert len(table_targets(response.text)) == 2
