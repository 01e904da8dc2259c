"""Web requests with control characters, out-of-range case ids, and outcomes on a case another agent has claimed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.accounts.scope import Scope
from hub.cases.models import Case
from hub.cases.queue import claim_next_case
from hub.interactions.models import Interaction
from tests.factories import World, build_world, csrf_headers, sign_in, web_app


@pytest.fixture
async def world(session: AsyncSession) -> World:
    return await build_world(session)


@pytest.fixture
async def client(database_url: str, engine: AsyncEngine, world: World) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as client:
        await sign_in(client, "agent@acme.test")
        yield client


@pytest.fixture
async def admin(database_url: str, engine: AsyncEngine, world: World) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as client:
        await sign_in(client, "admin@hub.test")
        yield client


async def test_outcome_rejects_nul_in_note(client: AsyncTestClient, world: World) -> None:
    url = f"/cases/{world.cases['D-300'].id}/outcomes"

    response = await client.post(url, data={"outcome": "no_answer", "note": "a\x00b"}, headers=csrf_headers(client))

    assert response.status_code == 422


async def test_case_page_huge_id_not_found(client: AsyncTestClient) -> None:
    response = await client.get(f"/cases/{2**64}")

    assert response.status_code == 404


async def test_outcome_rejected_on_claimed_case(admin: AsyncTestClient, world: World, session: AsyncSession) -> None:
    case_id = await claim_next_case(session, Scope.for_client(world.client.id), world.agent.id)
    await admin.get(f"/cases/{case_id}")

    response = await admin.post(
        f"/cases/{case_id}/outcomes", data={"outcome": "no_answer"}, headers=csrf_headers(admin)
    )

    assert response.status_code == 409


async def test_claimed_case_keeps_claim(admin: AsyncTestClient, world: World, session: AsyncSession) -> None:
    agent_id = world.agent.id
    case_id = await claim_next_case(session, Scope.for_client(world.client.id), agent_id)
    await admin.get(f"/cases/{case_id}")
    await admin.post(f"/cases/{case_id}/outcomes", data={"outcome": "no_answer"}, headers=csrf_headers(admin))

    session.expire_all()
    case = await session.get_one(Case, case_id)
    assert case.claimed_by_id == agent_id
    assert await session.scalar(select(Interaction.id).where(Interaction.case_id == case_id)) is None


@pytest.mark.parametrize("case_id", [2**31, 2**63, 2**64])
async def test_outcome_huge_id_not_found(client: AsyncTestClient, case_id: int) -> None:
    await client.get("/queues/call")

    response = await client.post(
        f"/cases/{case_id}/outcomes", data={"outcome": "no_answer"}, headers=csrf_headers(client)
    )

    assert response.status_code == 404


async def test_case_page_id_above_int32_not_found(client: AsyncTestClient) -> None:
    response = await client.get(f"/cases/{2**31}")

    assert response.status_code == 404


async def test_release_huge_id_not_found(client: AsyncTestClient) -> None:
    await client.get("/queues/call")

    response = await client.post(f"/cases/{2**64}/release", headers=csrf_headers(client))

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("outcome", "no_answer\x00"),
        ("next_action_on", "2026-12-01\x00"),
        ("note", "ring\x07ring"),
        ("note", "\x1b[31m"),
    ],
)
async def test_outcome_rejects_control_characters(
    client: AsyncTestClient, world: World, field: str, value: str
) -> None:
    url = f"/cases/{world.cases['D-300'].id}/outcomes"
    data = {"outcome": "no_answer", field: value}

    response = await client.post(url, data=data, headers=csrf_headers(client))

    assert response.status_code == 422
    assert "control character" in response.text


async def test_outcome_accepts_tab_and_newline(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    case_id = world.cases["D-300"].id
    data = {"outcome": "no_answer", "note": "line one\n\tline two"}

    response = await client.post(
        f"/cases/{case_id}/outcomes", data=data, headers=csrf_headers(client), follow_redirects=False
    )

    assert response.status_code == 303
    note = await session.scalar(select(Interaction.note).where(Interaction.case_id == case_id))
    assert note == "line one\n\tline two"


@pytest.mark.parametrize("query", ["segment=low%00", "client=acme%00", "segment=%07"])
async def test_queue_filter_rejects_control_characters(client: AsyncTestClient, query: str) -> None:
    response = await client.get(f"/queues/call?{query}")

    assert response.status_code == 422
    assert "control character" in response.text


async def test_next_case_rejects_control_characters(client: AsyncTestClient) -> None:
    await client.get("/queues/call")

    response = await client.post("/queues/call/next", data={"segment": "\x00"}, headers=csrf_headers(client))

    assert response.status_code == 422


async def test_claimed_case_conflict_names_holder(admin: AsyncTestClient, world: World, session: AsyncSession) -> None:
    case_id = await claim_next_case(session, Scope.for_client(world.client.id), world.agent.id)
    await admin.get(f"/cases/{case_id}")

    response = await admin.post(
        f"/cases/{case_id}/outcomes", data={"outcome": "no_answer"}, headers=csrf_headers(admin)
    )

    assert f"Case {case_id} is being worked by Alex Agent until " in response.text
    assert " UTC" in response.text


async def test_claimed_case_page_shows_banner(admin: AsyncTestClient, world: World, session: AsyncSession) -> None:
    case_id = await claim_next_case(session, Scope.for_client(world.client.id), world.agent.id)

    response = await admin.get(f"/cases/{case_id}")

    assert response.status_code == 200
    assert '<p class="claim-banner">Claimed by Alex Agent until ' in response.text
    assert 'disabled aria-describedby="outcome-locked"' in response.text


async def test_unclaimed_case_form_enabled(admin: AsyncTestClient, world: World) -> None:
    response = await admin.get(f"/cases/{world.cases['D-300'].id}")

    assert "claim-banner" not in response.text
    assert 'aria-describedby="outcome-locked"' not in response.text


async def test_unclaimed_case_outcome_logged(admin: AsyncTestClient, world: World) -> None:
    await admin.get("/queues/call")

    response = await admin.post(
        f"/cases/{world.cases['D-300'].id}/outcomes",
        data={"outcome": "no_answer"},
        headers=csrf_headers(admin),
        follow_redirects=False,
    )

    assert response.status_code == 303


async def test_login_rejects_nul_in_email(database_url: str, engine: AsyncEngine, world: World) -> None:
    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as anonymous:
        response = await sign_in(anonymous, "agent\x00@acme.test")

    assert response.status_code == 400
    assert "Invalid email or password." in response.text


async def test_admin_route_huge_id_is_not_found(admin: AsyncTestClient) -> None:
    response = await admin.get("/admin/users/99999999999999999999")

    assert response.status_code == 404
